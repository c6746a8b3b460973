from .. import errors, render
from ..listing import eq, hypervisor_filter, ids_filter, like, select
from ..registry import command

HOST_DETAILS = {"min", "all", "capacity", "events", "stats"}


@command("listHosts", params={
    "arch": "string", "clusterid": "uuid:cluster", "details": "list", "hahost": "boolean",
    "hypervisor": "string", "id": "uuid:host", "keyword": "string", "managementserverid": "uuid:ms",
    "name": "string", "outofbandmanagementenabled": "~boolean", "outofbandmanagementpowerstate": "~string",
    "page": "integer", "pagesize": "integer", "podid": "uuid:pod", "resourcestate": "string", "state": "string",
    "storageaccessgroup": "~string", "type": "string", "version": "string", "virtualmachineid": "~uuid:vm",
    "zoneid": "uuid:zone",
})
def list_hosts(ctx, p):
    for detail in p.get("details") or []:
        if detail.lower() not in HOST_DETAILS:
            raise errors.invalid_value(
                "Invalid details parameter value: %s; valid values are %s" % (detail, sorted(HOST_DETAILS))
            )
    # hahost only filters when the ha.tag setting is set, and the lab sets none: a no-op, as in CloudStack.
    # name and the other string filters are exact (case-insensitive) matches; keyword is a substring match.
    rows = select(
        ctx.world.all("host").values(),
        ids_filter(p, list_key=None),
        lambda h: eq(h["name"], p.get("name")),
        lambda h: eq(h["type"], p.get("type")),
        lambda h: eq(h["state"], p.get("state")),
        lambda h: eq(h["resourcestate"], p.get("resourcestate")),
        lambda h: eq(h["zoneid"], p.get("zoneid")),
        lambda h: eq(h["podid"], p.get("podid")),
        lambda h: eq(h.get("clusterid"), p.get("clusterid")),
        lambda h: eq(h.get("msid"), p.get("managementserverid")),
        lambda h: eq(h.get("arch"), p.get("arch")),
        lambda h: eq(h["version"], p.get("version")),
        hypervisor_filter(p.get("hypervisor")),
        lambda h: like([h["name"], h["state"], h["type"], h["version"]], p.get("keyword")),
    )
    page, total = ctx.paginate(rows, p)
    return ctx.list_body([render.host(ctx, h) for h in page], total)
