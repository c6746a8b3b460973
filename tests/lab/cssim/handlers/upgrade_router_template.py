"""upgradeRouterTemplate: synchronous; submits one rebootRouter job per router of the scope that requires an
upgrade (VirtualNetworkApplianceManagerImpl.rebootRouters skips routers "already at the latest version") and
answers their job ids. The jobs run like rebootRouter (see _router_power) for the "upgradeRouterTemplate"
duration."""

from .. import errors
from ..acl import find_account
from ..registry import command
from ..versions import cmp

SCOPES = ("id", "zoneid", "podid", "clusterid", "account", "domainid")


def _needs_upgrade(ctx, r):
    tpl = ctx.world.get("template", r["templateid"])
    minimum = ctx.setting("minreq.sysvmtemplate.version", "zone", r["zoneid"])
    return not (tpl and tpl.get("version")) or cmp(tpl["version"], minimum) < 0


def _in_scope(ctx, p):
    given = [name for name in SCOPES if p.get(name) is not None]
    if "account" in given:
        if p.get("domainid") is None:
            raise errors.invalid_value("Account name and domain id both have to be passed")
        given.remove("domainid")
    if len(given) > 1:
        raise errors.invalid_value(
            "Multiple parameters not supported. Specify only one among routerId/zoneId/podId/clusterId/accountId/domainId")
    world = ctx.world
    if p.get("account"):
        owner = find_account(ctx, p["account"], p["domainid"])
        return lambda r: r["accountid"] == owner["id"]
    if p.get("domainid"):
        return lambda r: world.get("account", r["accountid"])["domainid"] == p["domainid"]
    if p.get("clusterid"):
        return lambda r: (world.get("host", r.get("hostid") or r.get("lasthostid")) or {}).get("clusterid") \
            == p["clusterid"]
    for name, field in (("id", "id"), ("zoneid", "zoneid"), ("podid", "podid")):
        if p.get(name):
            return lambda r, f=field, v=p[name]: r[f] == v
    return lambda r: True


def _faults_for(ctx, r):
    """job_fail/job_hang fired on this call that apply to router ``r`` (all, or the one they name)."""
    return [f for f in ctx.fired if f["kind"] in ("job_fail", "job_hang")
            and f.get("router") in (None, r["name"], r["id"])]


@command("upgradeRouterTemplate", params={
    "account": "string", "clusterid": "uuid:cluster", "domainid": "uuid:domain", "id": "uuid:router",
    "podid": "uuid:pod", "zoneid": "uuid:zone",
})
def upgrade_router_template(ctx, p):
    wanted = _in_scope(ctx, p)
    routers = sorted((r for r in ctx.world.all("router").values() if wanted(r) and _needs_upgrade(ctx, r)),
                     key=lambda r: r["name"])
    jobs = []
    for r in routers:
        jobid = ctx.jobs.submit(ctx, "DomainRouter", r["id"], {"upgrade": True}, command="rebootRouter",
                                duration_key="upgradeRouterTemplate", faults=_faults_for(ctx, r),
                                accountid=r["accountid"])
        jobs.append({"jobid": jobid})
    return ctx.list_body(jobs, len(jobs))
