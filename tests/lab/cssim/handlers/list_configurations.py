from .. import render
from ..listing import eq, like
from ..registry import command
from ._config_scope import SCOPE_PARAM_TYPES, scope_of


def _in_scope(ctx, entry, scope):
    if scope is None or scope in entry["scope"]:
        return True
    # with enable.account.settings.for.domain, a domain listing also shows account settings
    return (scope == "domain" and "account" in entry["scope"]
            and str(ctx.setting("enable.account.settings.for.domain")).lower() == "true")


@command("listConfigurations", params=dict(SCOPE_PARAM_TYPES, **{
    "category": "string", "group": "~string", "keyword": "string", "name": "string", "page": "integer",
    "pagesize": "integer", "parent": "string", "subgroup": "~string",
}))
def list_configurations(ctx, p):
    scope, entity_id = scope_of(p)
    rows = []
    for name in sorted(ctx.catalog.names()):
        entry = ctx.catalog.get(name)
        if not _in_scope(ctx, entry, scope):
            continue
        if not like([name], p.get("name")):  # name is a LIKE '%name%' filter in CloudStack
            continue
        if not eq(entry["category"], p.get("category")) or not eq(entry.get("parent"), p.get("parent")):
            continue
        value = ctx.setting(name, scope, entity_id)
        if not like([name, entry["category"], entry["description"], value, entry.get("component")],
                    p.get("keyword")):
            continue
        rows.append((entry, value))
    page, total = ctx.paginate(rows, p)
    # "scope" is only answered when the request names one
    return ctx.list_body([render.configuration(ctx, e, v, scope) for e, v in page], total)
