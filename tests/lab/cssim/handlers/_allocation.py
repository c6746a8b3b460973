"""Allocation state of zones, pods and clusters (updateZone/updatePod/updateCluster; registers no command)."""

from .. import errors

STATES = ("Enabled", "Disabled")  # Grouping.AllocationState


def apply(entity, value):
    """Set ``allocationstate`` from a parameter value, as Grouping.AllocationState.valueOf reads it."""
    if value is None or value == "":
        return
    if value not in STATES:
        raise errors.invalid_value("Unable to resolve Allocation State '%s' to a supported state" % value)
    entity["allocationstate"] = value
