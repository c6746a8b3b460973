from .. import render
from ..listing import eq, ids_filter, like, no_tags, select
from ..registry import command
from ._shared import LIST_PARAMS, reject_capacities


@command("listZones", params=dict(LIST_PARAMS, **{
    "available": "boolean", "domainid": "~uuid:domain", "id": "uuid:zone", "ids": "list:uuid:zone",
    "name": "string", "networktype": "string", "showcapacities": "boolean", "showicon": "boolean",
    "storageaccessgroup": "~string", "tags": "map",
}))
def list_zones(ctx, p):
    reject_capacities(ctx, p)  # a root admin sees every zone, so "available" changes nothing
    rows = select(
        ctx.world.all("zone").values(),
        ids_filter(p),
        lambda z: eq(z["name"], p.get("name")),
        lambda z: eq(z["networktype"], p.get("networktype")),
        lambda z: like([z["name"], z.get("description")], p.get("keyword")),
        no_tags(p),
    )
    page, total = ctx.paginate(rows, p)
    return ctx.list_body([render.zone(ctx, z) for z in page], total)
