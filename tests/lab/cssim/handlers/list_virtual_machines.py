"""listVirtualMachines: user VMs only (routers and system VMs have their own list commands), as ListVMsCmdByAdmin
answers a root admin: own account's VMs unless listall/account/domainid/id, ``name`` a substring match."""

from .. import errors, render
from ..acl import owner_filter
from ..listing import eq, hypervisor_filter, like, no_tags, select
from ..registry import command

VM_DETAILS = ("all", "group", "nics", "stats", "secgrp", "tmpl", "servoff", "diskoff", "backoff", "iso", "volume",
              "min", "affgrp")


def _state_filter(wanted):
    """``Present`` means any state but Destroyed/Expunging; otherwise the state itself (case-insensitive)."""
    if wanted is None:
        return lambda vm: True
    if wanted.lower() == "present":
        return lambda vm: vm["state"] not in ("Destroyed", "Expunging")
    return lambda vm: eq(vm["state"], wanted)


def _cluster_of(ctx, vm):
    host = ctx.world.get("host", vm.get("hostid")) if vm["state"] != "Stopped" else None
    return host.get("clusterid") if host else None


@command("listVirtualMachines", params={
    "account": "string", "accumulate": "~boolean", "affinitygroupid": "~uuid", "autoscalevmgroupid": "~uuid",
    "backupofferingid": "~uuid", "clusterid": "uuid:cluster", "details": "list", "displayvm": "boolean",
    "domainid": "uuid:domain", "forvirtualnetwork": "~boolean", "groupid": "~uuid", "haenable": "boolean",
    "hostid": "uuid:host", "hypervisor": "string", "id": "uuid:vm", "ids": "list:uuid:vm", "isoid": "~uuid",
    "isrecursive": "boolean", "isvnf": "boolean", "keypair": "~string", "keyword": "string", "listall": "boolean",
    "name": "string", "networkid": "~uuid:network", "page": "integer", "pagesize": "integer", "podid": "uuid:pod",
    "projectid": "uuid:project", "retrieveonlyresourcecount": "boolean", "securitygroupid": "~uuid",
    "serviceofferingid": "uuid:serviceoffering", "showicon": "boolean", "state": "string",
    "storageid": "~uuid:storagepool", "tags": "map", "templateid": "uuid", "userdata": "boolean",
    "userdataid": "~uuid", "userid": "~uuid", "vpcid": "uuid:vpc", "zoneid": "uuid:zone",
})
def list_virtual_machines(ctx, p):
    for detail in p.get("details") or []:
        if detail not in VM_DETAILS:
            raise errors.invalid_value("The details parameter contains a non permitted value. The allowed values "
                                       "are [%s]" % ", ".join(VM_DETAILS))
    if p.get("id") and p.get("ids"):
        raise errors.invalid_value("Either id or ids parameter can be passed, not both")
    wanted = set(p.get("ids") or []) | ({p["id"]} if p.get("id") else set())
    if wanted:
        p = dict(p, listall=True)
    rows = select(
        ctx.world.all("vm").values(),
        owner_filter(ctx, p),
        lambda vm: not wanted or vm["id"] in wanted,
        lambda vm: like([vm["name"]], p.get("name")),
        _state_filter(p.get("state")),
        lambda vm: eq(vm["zoneid"], p.get("zoneid")),
        lambda vm: eq(vm["podid"], p.get("podid")),
        lambda vm: p.get("hostid") is None or (vm["state"] != "Stopped" and vm.get("hostid") == p["hostid"]),
        lambda vm: p.get("clusterid") is None or _cluster_of(ctx, vm) == p["clusterid"],
        lambda vm: eq(vm["serviceofferingid"], p.get("serviceofferingid")),
        lambda vm: eq(vm["templateid"], p.get("templateid")),
        lambda vm: p.get("haenable") is None or bool(vm.get("haenable")) == p["haenable"],
        lambda vm: p.get("displayvm") in (None, True),
        lambda vm: not p.get("isvnf"),
        lambda vm: not p.get("vpcid"),  # the lab has no VPCs
        lambda vm: not p.get("projectid"),  # nor projects
        hypervisor_filter(p.get("hypervisor")),
        lambda vm: like([vm["name"], vm.get("displayname"), vm["state"], vm["instancename"]], p.get("keyword")),
        no_tags(p),
    )
    page, total = ctx.paginate(rows, p)
    if p.get("retrieveonlyresourcecount"):
        return {"count": total} if total else {}
    return ctx.list_body([render.virtual_machine(ctx, vm) for vm in page], total)
