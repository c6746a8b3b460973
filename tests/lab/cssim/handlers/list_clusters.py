from .. import render
from ..listing import eq, hypervisor_filter, ids_filter, like, select
from ..registry import command
from ._shared import LIST_PARAMS, reject_capacities


@command("listClusters", params=dict(LIST_PARAMS, **{
    "allocationstate": "string", "arch": "string", "clustertype": "string", "hypervisor": "string",
    "id": "uuid:cluster", "managedstate": "string", "name": "string", "podid": "uuid:pod",
    "showcapacities": "boolean", "storageaccessgroup": "~string", "zoneid": "uuid:zone",
}))
def list_clusters(ctx, p):
    reject_capacities(ctx, p)
    rows = select(
        ctx.world.all("cluster").values(),
        ids_filter(p),
        lambda c: eq(c["name"], p.get("name")),
        lambda c: eq(c["zoneid"], p.get("zoneid")),
        lambda c: eq(c["podid"], p.get("podid")),
        lambda c: eq(c["allocationstate"], p.get("allocationstate")),
        lambda c: eq(c["clustertype"], p.get("clustertype")),
        lambda c: eq(c["managedstate"], p.get("managedstate")),
        lambda c: eq(c.get("arch"), p.get("arch")),
        hypervisor_filter(p.get("hypervisor")),
        lambda c: like([c["name"]], p.get("keyword")),
    )
    page, total = ctx.paginate(rows, p)
    return ctx.list_body([render.cluster(ctx, c) for c in page], total)
