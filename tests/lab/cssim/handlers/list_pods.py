from .. import render
from ..listing import eq, ids_filter, like, select
from ..registry import command
from ._shared import LIST_PARAMS, reject_capacities


@command("listPods", params=dict(LIST_PARAMS, **{
    "id": "uuid:pod", "name": "string", "zoneid": "uuid:zone", "allocationstate": "string",
    "showcapacities": "boolean",
}))
def list_pods(ctx, p):
    reject_capacities(ctx, p)
    rows = select(
        ctx.world.all("pod").values(),
        ids_filter(p),
        lambda x: eq(x["name"], p.get("name")),
        lambda x: eq(x["zoneid"], p.get("zoneid")),
        lambda x: eq(x["allocationstate"], p.get("allocationstate")),
        lambda x: like([x["name"]], p.get("keyword")),
    )
    page, total = ctx.paginate(rows, p)
    return ctx.list_body([render.pod(ctx, x) for x in page], total)
