from .. import render
from ..acl import owner_filter
from ..listing import eq, like, select
from ..registry import command


def _cluster_of(ctx, r):
    host = ctx.world.get("host", r.get("hostid")) if r["state"] != "Stopped" else None
    return host.get("clusterid") if host else None


def _template_version(ctx, r):
    tpl = ctx.world.get("template", r["templateid"])
    return (tpl or {}).get("version") or ""


def _failing(r):
    return any(not c.get("success") for c in r.get("health_checks") or [])


@command("listRouters", params={
    "account": "string", "arch": "string", "clusterid": "uuid:cluster", "domainid": "uuid:domain",
    "fetchhealthcheckresults": "boolean", "forvpc": "boolean", "healthchecksfailed": "boolean",
    "hostid": "uuid:host", "id": "uuid:router", "isrecursive": "boolean", "keyword": "string",
    "listall": "boolean", "name": "string", "networkid": "uuid:network", "page": "integer", "pagesize": "integer",
    "podid": "uuid:pod", "projectid": "uuid:project", "state": "string", "version": "string",
    "vpcid": "uuid:vpc", "zoneid": "uuid:zone",
})
def list_routers(ctx, p):
    world = ctx.world
    rows = select(
        world.all("router").values(),
        owner_filter(ctx, p),
        lambda r: eq(r["id"], p.get("id")),
        lambda r: eq(r["name"], p.get("name")),
        lambda r: eq(r["state"], p.get("state")),
        lambda r: eq(r["zoneid"], p.get("zoneid")),
        lambda r: eq(r["podid"], p.get("podid")),
        lambda r: p.get("hostid") is None or (r["state"] != "Stopped" and r["hostid"] == p["hostid"]),
        lambda r: p.get("clusterid") is None or _cluster_of(ctx, r) == p["clusterid"],
        lambda r: eq(r["networkid"], p.get("networkid")),
        lambda r: not p.get("forvpc"),  # the lab has no VPCs
        lambda r: eq("x86_64", p.get("arch")),
        # CloudStack matches the template version by prefix ("Cloudstack Release <version>%")
        lambda r: p.get("version") is None or _template_version(ctx, r).startswith(p["version"]),
        lambda r: p.get("healthchecksfailed") is None or _failing(r) == p["healthchecksfailed"],
        lambda r: like([r["name"], r["state"], world.get("network", r["networkid"])["name"], r["redundantstate"]],
                       p.get("keyword")),
    )
    page, total = ctx.paginate(rows, p)
    fetch = bool(p.get("fetchhealthcheckresults"))
    return ctx.list_body([render.router(ctx, r, fetch_health=fetch) for r in page], total)
