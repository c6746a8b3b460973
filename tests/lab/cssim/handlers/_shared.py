"""Helpers shared by handlers (this module registers no command)."""

from .. import errors

LIST_PARAMS = {"keyword": "string", "page": "integer", "pagesize": "integer"}


def reject_capacities(ctx, p):
    if p.get("showcapacities"):
        raise errors.not_simulated(ctx.command, "showcapacities=true")
