from .. import render
from ..listing import eq, like, select
from ..registry import command


@command("listSystemVms", params={
    "arch": "string", "hostid": "uuid:host", "id": "uuid:systemvm", "keyword": "string", "name": "string",
    "page": "integer", "pagesize": "integer", "podid": "uuid:pod", "state": "string",
    "storageid": "~uuid:storagepool", "systemvmtype": "string", "zoneid": "uuid:zone",
})
def list_system_vms(ctx, p):
    rows = select(
        ctx.world.all("systemvm").values(),
        lambda v: eq(v["id"], p.get("id")),
        lambda v: eq(v["name"], p.get("name")),
        lambda v: eq(v["state"], p.get("state")),
        lambda v: eq(v["systemvmtype"], p.get("systemvmtype")),
        lambda v: eq(v["zoneid"], p.get("zoneid")),
        lambda v: eq(v["podid"], p.get("podid")),
        lambda v: p.get("hostid") is None or (v["state"] != "Stopped" and v["hostid"] == p["hostid"]),
        lambda v: eq("x86_64", p.get("arch")),
        lambda v: like([v["name"]], p.get("keyword")),
    )
    page, total = ctx.paginate(rows, p)
    return ctx.list_body([render.systemvm(ctx, v) for v in page], total)
