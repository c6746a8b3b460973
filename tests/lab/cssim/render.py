"""Response objects built from world entities (field names as in the contract's response_fields)."""

from . import maintenance, templates, versions
from .world import fmt_date, stable_id

PUBLIC_GATEWAY = "203.0.113.1"  # TEST-NET-3: these public addresses exist in API answers only
GIB = 1024**3


def _names(ctx, obj, **kinds):
    """Add <prefix>id/<prefix>name pairs for referenced entities, e.g. zone=('zone', zoneid)."""
    out = {}
    for prefix, (kind, ref) in kinds.items():
        item = ctx.world.get(kind, ref)
        if item:
            out[prefix + "id"] = item["id"]
            out[prefix + "name"] = item["name"]
    return out


def host_control_state(host):
    if host is None:
        return None
    status, rstate = host["state"], host["resourcestate"]
    if rstate == "Enabled" and status == "Up":
        return "Enabled"
    if rstate == "Disabled":
        return "Disabled"
    if status in ("Down", "Disconnected", "Alert", "Error"):
        return "Offline"
    if rstate in ("PrepareForMaintenance", "ErrorInMaintenance", "Maintenance", "ErrorInPrepareForMaintenance"):
        return "Maintenance"
    return "Unknown"


def _job_fields(ctx, entity_id):
    job = ctx.jobs.pending_for(entity_id)
    return {"jobid": job["jobid"], "jobstatus": 0} if job else {}


def zone(ctx, z):
    out = {
        "id": z["id"],
        "name": z["name"],
        "description": z.get("description"),
        "dns1": z.get("dns1"),
        "dns2": z.get("dns2"),
        "internaldns1": z.get("internaldns1"),
        "internaldns2": z.get("internaldns2"),
        "guestcidraddress": z.get("guestcidraddress"),
        "networktype": z["networktype"],
        "securitygroupsenabled": False,
        "allocationstate": z["allocationstate"],
        "zonetoken": stable_id("zonetoken", z["name"]),
        "dhcpprovider": "VirtualRouter",
        "localstorageenabled": False,
        "hasannotations": False,
        "tags": [],
        "type": "Core",
        "allowuserspecifyvrmtu": False,
        "routerprivateinterfacemaxmtu": 1500,
        "routerpublicinterfacemaxmtu": 1500,
        "ismultiarch": False,
        "isnsxenabled": False,
        "routedmodeenabled": False,
    }
    return {k: v for k, v in out.items() if v is not None}


def pod(ctx, p):
    out = {
        "id": p["id"],
        "name": p["name"],
        "gateway": p.get("gateway"),
        "netmask": p.get("netmask"),
        "startip": [p["startip"]],
        "endip": [p["endip"]],
        "allocationstate": p["allocationstate"],
        "hasannotations": False,
    }
    out.update(_names(ctx, p, zone=("zone", p["zoneid"])))
    return out


def cluster(ctx, c):
    out = {
        "id": c["id"],
        "name": c["name"],
        "hypervisortype": c["hypervisortype"],
        "clustertype": c["clustertype"],
        "allocationstate": c["allocationstate"],
        "managedstate": c["managedstate"],
        "cpuovercommitratio": ctx.setting("cpu.overprovisioning.factor", "cluster", c["id"]),
        "memoryovercommitratio": ctx.setting("mem.overprovisioning.factor", "cluster", c["id"]),
        "hasannotations": False,
        "arch": c.get("arch", "x86_64"),
    }
    out.update(_names(ctx, c, pod=("pod", c["podid"]), zone=("zone", c["zoneid"])))
    return out


def host(ctx, h):
    out = {
        "id": h["id"],
        "name": h["name"],
        "state": h["state"],
        "type": h["type"],
        "ipaddress": h["ipaddress"],
        "version": h["version"],
        "resourcestate": h["resourcestate"],
        "created": fmt_date(h["created"]),
        "hasannotations": False,
        "islocalstorageactive": False,
        "arch": h.get("arch", "x86_64"),
    }
    out.update(_names(ctx, h, zone=("zone", h["zoneid"]), pod=("pod", h["podid"])))
    if h.get("disconnected"):
        out["disconnected"] = fmt_date(h["disconnected"])
    if h["state"] == "Up" and h.get("msid"):
        out["managementserverid"] = h["msid"]
    # host details as the agent reports them; "secured" turns "true" once provisionCertificate went through
    out["details"] = {"secured": "true" if h.get("secured") else "false"}
    if h["type"] != "Routing":
        return out
    out.update(_names(ctx, h, cluster=("cluster", h["clusterid"])))
    cap = maintenance.capacity(ctx.world, h)  # allocation follows the VMs on the host
    cpu_total, mem_total = cap["cpu_total"], cap["memory_total"]
    out.update({
        "clustertype": "CloudManaged",
        "hypervisor": h["hypervisor"],
        "hypervisorversion": h.get("hypervisorversion"),
        "cpunumber": h["cpunumber"],
        "cpusockets": 1,
        "cpuspeed": h["cpuspeed"],
        "cpuallocated": _percent(cap["cpu_allocated"], cpu_total),
        "cpuallocatedvalue": cap["cpu_allocated"],
        "cpuallocatedpercentage": _percent(cap["cpu_allocated"], cpu_total),
        "cpuallocatedwithoverprovisioning": _percent(cap["cpu_allocated"], cap["cpu_with_overprovisioning"]),
        "cpuused": "1.5%",
        "cpuwithoverprovisioning": "%.1f" % cap["cpu_with_overprovisioning"],
        "cpuloadaverage": 0.12,
        "memorytotal": mem_total,
        "memoryallocated": cap["memory_allocated"],
        "memoryallocatedbytes": cap["memory_allocated"],
        "memoryallocatedpercentage": _percent(cap["memory_allocated"], mem_total),
        "memoryused": 2 * GIB,
        "memorywithoverprovisioning": "%d" % int(cap["memory_with_overprovisioning"]),
        "networkkbsread": 0,
        "networkkbswrite": 0,
        "disksizetotal": 0,
        "disksizeallocated": 0,
        "hahost": False,
        "capabilities": "hvm,snapshot",
        "encryptionsupported": True,
        "instanceconversionsupported": False,
        "ueficapability": False,
    })
    return out


def _percent(part, whole):
    """CloudStack's allocation percentages: DecimalFormat("#.##") of part/whole*100, then "%"."""
    if not whole:
        return "0%"
    text = ("%.2f" % (float(part) / float(whole) * 100)).rstrip("0").rstrip(".")
    return text + "%"


def virtual_machine(ctx, vm):
    """A user VM as listVirtualMachines answers it (ROOT admin's full view)."""
    w = ctx.world
    acc = w.get("account", vm["accountid"])
    dom = w.get("domain", acc["domainid"])
    offering = w.get("serviceoffering", vm["serviceofferingid"])
    out = {
        "id": vm["id"],
        "name": vm["name"],
        "displayname": vm.get("displayname") or vm["name"],
        "instancename": vm["instancename"],
        "state": vm["state"],
        "account": acc["name"],
        "domainid": dom["id"],
        "domain": dom["name"],
        "domainpath": dom["path"],
        "created": fmt_date(vm["created"]),
        "haenable": bool(vm.get("haenable")),
        "hypervisor": vm.get("hypervisor", "KVM"),
        "cpunumber": vm["cpunumber"],
        "cpuspeed": vm["cpuspeed"],
        "memory": vm["memory"],
        "templateid": vm["templateid"],
        "templatename": vm.get("templatename"),
        "templatedisplaytext": vm.get("templatename"),
        "serviceofferingid": vm["serviceofferingid"],
        "serviceofferingname": offering["name"] if offering else None,
        "passwordenabled": False,
        "isdynamicallyscalable": False,
        "displayvm": True,
        "hasannotations": False,
        "arch": "x86_64",
        "tags": [],
    }
    out.update(_names(ctx, vm, zone=("zone", vm["zoneid"])))
    host_ = w.get("host", vm.get("hostid")) if vm["state"] != "Stopped" else None
    if host_:
        out.update({"hostid": host_["id"], "hostname": host_["name"], "hostcontrolstate": host_control_state(host_)})
    out.update(_job_fields(ctx, vm["id"]))
    return {k: v for k, v in out.items() if v is not None}


def _vm_placement(ctx, vm):
    out = _names(ctx, vm, zone=("zone", vm["zoneid"]), pod=("pod", vm["podid"]))
    tpl = ctx.world.get("template", vm["templateid"])
    out.update({"templateid": tpl["id"], "templatename": tpl["name"]} if tpl else {})
    offering = ctx.world.get("serviceoffering", vm.get("serviceofferingid"))
    if offering:
        out.update({"serviceofferingid": offering["id"], "serviceofferingname": offering["name"]})
    running_on = ctx.world.get("host", vm.get("hostid")) if vm["state"] != "Stopped" else None
    if running_on:
        out.update({"hostid": running_on["id"], "hostname": running_on["name"],
                    "hostcontrolstate": host_control_state(running_on)})
        out.update({"linklocalip": vm["linklocalip"], "linklocalmacaddress": vm["linklocalmacaddress"],
                    "linklocalnetmask": "255.255.0.0"})
    return out, tpl


def systemvm(ctx, vm, with_job=True):
    zone_ = ctx.world.get("zone", vm["zoneid"])
    pod_ = ctx.world.get("pod", vm["podid"])
    out = {
        "id": vm["id"],
        "name": vm["name"],
        "systemvmtype": vm["systemvmtype"],
        "state": vm["state"],
        "created": fmt_date(vm["created"]),
        "hypervisor": "KVM",
        "dns1": zone_.get("dns1"),
        "dns2": zone_.get("dns2"),
        "gateway": PUBLIC_GATEWAY,
        "publicip": vm["publicip"],
        "publicmacaddress": vm["publicmacaddress"],
        "publicnetmask": "255.255.255.0",
        "isdynamicallyscalable": False,
        "hasannotations": False,
        "arch": "x86_64",
    }
    placement, _template = _vm_placement(ctx, vm)
    out.update(placement)
    if vm["state"] != "Stopped":
        out.update({"privateip": vm["privateip"], "privatemacaddress": vm["privatemacaddress"],
                    "privatenetmask": pod_.get("netmask")})
    if vm["systemvmtype"] == "consoleproxy":
        out["activeviewersessions"] = 0
    agent = ctx.world.get("host", stable_id("host", vm["name"]))
    if agent:
        out["agentstate"] = agent["state"]
        out["version"] = agent["version"]
        if agent.get("disconnected"):
            out["disconnected"] = fmt_date(agent["disconnected"])
    if with_job:
        out.update(_job_fields(ctx, vm["id"]))
    return {k: v for k, v in out.items() if v is not None}


def router(ctx, r, fetch_health=False, with_job=True):
    w = ctx.world
    acc = w.get("account", r["accountid"])
    dom = w.get("domain", acc["domainid"])
    net = w.get("network", r["networkid"])
    zone_ = w.get("zone", r["zoneid"])
    out = {
        "id": r["id"],
        "name": r["name"],
        "state": r["state"],
        "created": fmt_date(r["created"]),
        "account": acc["name"],
        "domainid": dom["id"],
        "domain": dom["name"],
        "domainpath": dom["path"],
        "hypervisor": "KVM",
        "dns1": zone_.get("dns1"),
        "dns2": zone_.get("dns2"),
        "gateway": PUBLIC_GATEWAY,
        "publicip": r["publicip"],
        "publicmacaddress": r["publicmacaddress"],
        "publicnetmask": "255.255.255.0",
        "publicnetworkid": stable_id("network", "public:%s" % zone_["name"]),
        "linklocalnetworkid": stable_id("network", "control:%s" % zone_["name"]),
        "guestipaddress": r["guestipaddress"],
        "guestmacaddress": r["guestmacaddress"],
        "guestnetmask": "255.255.255.0",
        "guestnetworkid": net["id"],
        "guestnetworkname": net["name"],
        "networkdomain": net.get("networkdomain"),
        "role": r["role"],
        "redundantstate": r["redundantstate"],
        "isredundantrouter": r["isredundantrouter"],
        "hasannotations": False,
        "arch": "x86_64",
    }
    placement, tpl = _vm_placement(ctx, r)
    out.update(placement)
    tpl_version = tpl.get("version") if tpl else None
    if tpl_version:
        out["version"] = tpl_version
        minimum = ctx.setting("minreq.sysvmtemplate.version", "zone", r["zoneid"])
        out["requiresupgrade"] = versions.cmp(tpl_version, minimum) < 0
        out["scriptsversion"] = stable_id("scripts", tpl_version).replace("-", "")
    else:
        out["version"] = "UNKNOWN"
        out["requiresupgrade"] = True
    if str(ctx.setting("router.health.checks.enable")).lower() == "true":
        checks = r.get("health_checks") or []
        out["healthchecksfailed"] = any(not c.get("success") for c in checks)
        if fetch_health:
            out["healthcheckresults"] = [
                {"checkname": c["checkname"], "checktype": c["checktype"], "success": bool(c["success"]),
                 "lastupdated": fmt_date(c["lastupdated"]), "details": c.get("details", "")}
                for c in checks
            ]
    out["nic"] = _router_nics(out, r, net)
    if with_job:
        out.update(_job_fields(ctx, r["id"]))
    return {k: v for k, v in out.items() if v is not None}


def _router_nics(out, r, net):
    nics = [{
        "id": stable_id("nic", "%s:guest" % r["name"]), "networkid": net["id"], "networkname": net["name"],
        "ipaddress": r["guestipaddress"], "netmask": "255.255.255.0", "gateway": net.get("gateway"),
        "macaddress": r["guestmacaddress"], "traffictype": "Guest", "type": "Isolated", "isdefault": False,
        "deviceid": "0",
    }]
    if "linklocalip" in out:
        nics.append({
            "id": stable_id("nic", "%s:control" % r["name"]), "networkid": out["linklocalnetworkid"],
            "ipaddress": r["linklocalip"], "netmask": "255.255.0.0", "gateway": None,
            "macaddress": r["linklocalmacaddress"], "traffictype": "Control", "isdefault": False, "deviceid": "1",
        })
    nics.append({
        "id": stable_id("nic", "%s:public" % r["name"]), "networkid": out["publicnetworkid"],
        "ipaddress": r["publicip"], "netmask": "255.255.255.0", "gateway": PUBLIC_GATEWAY,
        "macaddress": r["publicmacaddress"], "traffictype": "Public", "isdefault": True, "deviceid": "2",
    })
    return [{k: v for k, v in nic.items() if v is not None} for nic in nics]


def template_rows(ctx, t):
    """One row per zone the template is in, as listTemplates returns them."""
    w = ctx.world
    acc = w.get("account", t["accountid"])
    dom = w.get("domain", acc["domainid"])
    base = {
        "id": t["id"],
        "name": t["name"],
        "displaytext": t["displaytext"],
        "ispublic": t["ispublic"],
        "isfeatured": t["isfeatured"],
        "isready": True,
        "created": fmt_date(t["created"]),
        "passwordenabled": t.get("passwordenabled", False),
        "sshkeyenabled": t.get("sshkeyenabled", False),
        "format": t["format"],
        "isextractable": t.get("isextractable", False),
        "crossZones": t["crosszones"],
        "ostypeid": stable_id("ostype", t["ostypename"]),
        "ostypename": t["ostypename"],
        "account": acc["name"],
        "accountid": acc["id"],
        "domain": dom["name"],
        "domainid": dom["id"],
        "domainpath": dom["path"],
        "status": "Download Complete",
        "templatetype": t["templatetype"],
        "hypervisor": t["hypervisor"],
        "size": t["size"],
        "physicalsize": t["physicalsize"],
        "checksum": t.get("checksum"),
        "url": t.get("url"),
        "bootable": True,
        "requireshvm": t.get("requireshvm", True),
        "isdynamicallyscalable": t.get("isdynamicallyscalable", False),
        "directdownload": False,
        "deployasis": False,
        "hasannotations": False,
        "bits": t.get("bits", 64),
        "tags": [],
        "arch": t.get("arch", "x86_64"),
        "templatetag": t.get("templatetag"),
    }
    base = {k: v for k, v in base.items() if v is not None}
    rows = []
    for zone_id in t["zoneids"]:
        z = w.get("zone", zone_id)
        ready, status, _percent = templates.zone_status(t, zone_id)
        row = dict(base, zoneid=z["id"], zonename=z["name"], isready=ready, status=status)
        if not ready:  # the size is known once the download has finished
            row.pop("size", None)
            row.pop("physicalsize", None)
        rows.append(row)
    return rows


def configuration(ctx, entry, value, scope=None):
    out = {
        "name": entry["name"],
        "category": entry["category"],
        "description": entry["description"],
        "value": value,
        "defaultvalue": entry.get("default"),
        "isdynamic": bool(entry["dynamic"]),
        "component": entry.get("component"),
        "displaytext": ctx.catalog.display_text(entry["name"]),
        "type": ctx.catalog.api_type(entry),
        "parent": entry.get("parent"),
        "options": entry.get("options"),
        "scope": scope,
    }
    return {k: v for k, v in out.items() if v is not None}


def capability(ctx):
    return {
        "cloudstackversion": ctx.world.version,
        "securitygroupsenabled": False,
        "userpublictemplateenabled": True,
        "supportELB": "false",
        "projectinviterequired": False,
        "allowusercreateprojects": True,
        "customdiskofferingminsize": 1,
        "customdiskofferingmaxsize": 1024,
        "regionsecondaryenabled": False,
        "kvmsnapshotenabled": False,
        "allowuserviewdestroyedvm": False,
        "allowuserexpungerecovervm": False,
        "allowuserexpungerecovervolume": True,
        "allowuserviewalldomainaccounts": False,
        "defaultuipagesize": int(ctx.setting("default.ui.page.size") or 20),
        "dynamicrolesenabled": True,
        "kubernetesserviceenabled": False,
        "kubernetesclusterexperimentalfeaturesenabled": False,
        "instancesstatsretentiontime": 720,
        "instancesstatsuseronly": False,
        "instancesdisksstatsretentionenabled": False,
        "instancesdisksstatsretentiontime": 720,
        "dynamicscalingenabled": True,
        "customhypervisordisplayname": "Custom",
        "allowuserforcestopvm": True,
        "additionalconfigenabled": False,
        "sharedfsvmmincpucount": 2,
        "sharedfsvmminramsize": 512,
    }
