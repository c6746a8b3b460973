"""Build the initial world state from topology.yml."""

import hashlib
import ipaddress
import time

import yaml

from . import settings as settings_mod
from .world import SCHEMA, stable_id

SYSTEM_OFFERINGS = {
    "secondarystoragevm": "System Offering For Secondary Storage VM",
    "consoleproxy": "System Offering For Console Proxy",
    "router": "System Offering For Software Router",
}
# CloudStack's default system offerings: (cpunumber, cpuspeed MHz, memory MiB)
SYSTEM_SIZES = {"secondarystoragevm": (1, 500, 512), "consoleproxy": (1, 500, 1024), "router": (1, 500, 256)}
USER_VM_TEMPLATE = "debian-12-generic"  # the template user VMs name (the lab registers no user template)
GIB = 1024**3


def load_topology(path):
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _mac(prefix, *parts):
    digest = hashlib.sha1("/".join(parts).encode()).digest()
    return prefix + ":" + ":".join("%02x" % b for b in digest[:4])


def _linklocal_mac(ip):
    """CloudStack derives the control NIC MAC from the link-local address: 0e:00:a9:fe:XX:YY."""
    a, b, c, d = (int(x) for x in ip.split("."))
    return "0e:00:%02x:%02x:%02x:%02x" % (a, b, c, d)


def _pod_range(pod, index):
    gateway = ipaddress.ip_address(pod.get("gateway", "10.0.0.1"))
    net = ipaddress.ip_network("%s/%s" % (gateway, pod.get("netmask", "255.255.255.0")), strict=False)
    start = pod.get("startip") or str(net.network_address + 100 + 20 * index)
    end = pod.get("endip") or str(ipaddress.ip_address(start) + 19)
    return str(net.netmask), start, end


def seed(topology, topology_path=None, extra_hosts=0, now=None):
    now = now or time.time()
    version = str(topology.get("cloudstack_version", "4.20.1.0"))
    state = {
        "schema": SCHEMA,
        "cloudstack_version": version,
        "seeded_at": now,
        "topology_path": str(topology_path) if topology_path else None,
        "extra_hosts": 0,
        "management_servers": {},
        "domains": {},
        "accounts": {},
        "zones": {},
        "pods": {},
        "clusters": {},
        "hosts": {},
        "storage_pools": {},
        "image_stores": {},
        "networks": {},
        "service_offerings": {},
        "templates": {},
        "systemvms": {},
        "routers": {},
        "vms": {},
        "jobs": {},
        "job_durations": {},
        "settings": settings_mod.empty_store(),
    }
    s = state

    def add(kind, coll, name, **fields):
        item = {"id": stable_id(kind, name), "name": name, "created": now}
        item.update(fields)
        s[coll][item["id"]] = item
        return item

    for ms in topology.get("management_servers") or [{"name": "ms1", "ipaddress": "127.0.0.1"}]:
        add("ms", "management_servers", ms["name"], ipaddress=ms.get("ipaddress"), version=version,
            lab_namespace=ms.get("lab_namespace"))
    ms_id = next(iter(s["management_servers"]))

    root = add("domain", "domains", "ROOT", path="/", parentid=None)
    domains = {"ROOT": root}
    for dom in topology.get("domains") or []:
        if dom["name"] not in domains:
            domains[dom["name"]] = add("domain", "domains", dom["name"], path="/%s" % dom["name"], parentid=root["id"])

    def account(name, domain="ROOT", accounttype=0):
        existing = next((a for a in s["accounts"].values() if a["name"] == name), None)
        if existing:
            return existing
        return add("account", "accounts", name, domainid=domains[domain]["id"], accounttype=accounttype)

    account("system", accounttype=1)
    account("admin", accounttype=1)
    for acc in topology.get("accounts") or []:
        account(acc["name"], acc.get("domain", "ROOT"), 1 if acc.get("admin") else 0)
    for router in topology.get("routers") or []:
        account(router.get("account", "admin"), router.get("domain", "ROOT"))
    for vm in topology.get("vms") or []:
        account(vm.get("account", "admin"), vm.get("domain", "ROOT"))

    for name in ("secondarystoragevm", "consoleproxy", "router"):
        cpunumber, cpuspeed, memory = SYSTEM_SIZES[name]
        add("serviceoffering", "service_offerings", SYSTEM_OFFERINGS[name], systemuse=True, vmtype=name,
            cpunumber=cpunumber, cpuspeed=cpuspeed, memory=memory)
    for offering in topology.get("service_offerings") or []:
        add("serviceoffering", "service_offerings", offering["name"], systemuse=False, vmtype="user",
            cpunumber=int(offering["cpunumber"]), cpuspeed=int(offering["cpuspeed"]), memory=int(offering["memory"]))

    pod_index = 0
    for zone in topology.get("zones") or []:
        z = add("zone", "zones", zone["name"], networktype=zone.get("networktype", "Advanced"),
                dns1=zone.get("dns1", "192.0.2.53"), dns2=zone.get("dns2"),
                internaldns1=zone.get("internaldns1", "192.0.2.53"), internaldns2=zone.get("internaldns2"),
                guestcidraddress=zone.get("guestcidraddress", "10.1.1.0/24"),
                allocationstate="Enabled", description=zone.get("description"))
        for pod in zone.get("pods") or []:
            netmask, start, end = _pod_range(pod, pod_index)
            pod_index += 1
            p = add("pod", "pods", pod["name"], zoneid=z["id"], gateway=pod.get("gateway"), netmask=netmask,
                    startip=start, endip=end, allocationstate="Enabled", next_ip=start)
            for cluster in pod.get("clusters") or []:
                c = add("cluster", "clusters", cluster["name"], zoneid=z["id"], podid=p["id"],
                        hypervisortype=cluster.get("hypervisor", "KVM"), clustertype="CloudManaged",
                        allocationstate="Enabled", managedstate="Managed", arch=cluster.get("arch", "x86_64"))
                # the cluster's overcommit ratios are its cluster-scope overprovisioning settings
                for key, setting in (("cpuovercommitratio", "cpu.overprovisioning.factor"),
                                     ("memoryovercommitratio", "mem.overprovisioning.factor")):
                    if cluster.get(key) is not None:
                        s["settings"]["cluster"].setdefault(c["id"], {})[setting] = str(cluster[key])
                for host in cluster.get("hosts") or []:
                    _add_host(add, z, p, c, host, version, ms_id)
                for pool in cluster.get("storage_pools") or [{"name": "%s-primary" % cluster["name"]}]:
                    add("storagepool", "storage_pools", pool["name"], zoneid=z["id"], podid=p["id"],
                        clusterid=c["id"], type=pool.get("type", "NetworkFilesystem"), scope="CLUSTER",
                        state="Up")
        for store in zone.get("image_stores") or [{"name": "%s-secondary" % zone["name"]}]:
            add("imagestore", "image_stores", store["name"], zoneid=z["id"], protocol="nfs",
                providername="NFS", url=store.get("url", "nfs://192.0.2.10/export/%s" % zone["name"]))

    zones_by_name = {z["name"]: z for z in s["zones"].values()}
    hosts_by_name = {h["name"]: h for h in s["hosts"].values()}

    for tpl in topology.get("templates") or []:
        zone_names = list(zones_by_name) if tpl.get("zones", "all") == "all" else tpl["zones"]
        owner = "system" if tpl.get("templatetype", "USER") == "SYSTEM" else tpl.get("account", "admin")
        add("template", "templates", tpl["name"], displaytext=tpl.get("displaytext", tpl["name"]),
            hypervisor=tpl.get("hypervisor", "KVM"), format=tpl.get("format", "QCOW2"),
            templatetype=tpl.get("templatetype", "USER"), version=tpl.get("version"), url=tpl.get("url"),
            checksum=tpl.get("checksum"), zoneids=[zones_by_name[n]["id"] for n in zone_names],
            crosszones=tpl.get("zones", "all") == "all", ispublic=bool(tpl.get("ispublic", False)),
            isfeatured=bool(tpl.get("isfeatured", False)), accountid=account(owner)["id"],
            ostypename=tpl.get("ostypename", "Debian GNU/Linux 12 (64-bit)"), size=int(tpl.get("size", 5 * GIB)),
            physicalsize=int(tpl.get("physicalsize", 600 * 1024**2)), arch=tpl.get("arch", "x86_64"))

    templates_by_name = {t["name"]: t for t in s["templates"].values()}
    public_index = [0]

    def public_ip():
        public_index[0] += 1
        return "203.0.113.%d" % (10 + public_index[0])  # TEST-NET-3: shown in the API only

    def vm_common(vm, kind):
        host = hosts_by_name[vm["host"]]
        zone = zones_by_name[vm["zone"]]
        pod = s["pods"][host["podid"]]
        tpl = templates_by_name[vm["template"]]
        private = vm.get("privateip") or _next_pod_ip(pod)
        return dict(
            zoneid=zone["id"], podid=pod["id"], hostid=host["id"], lasthostid=host["id"], state="Running",
            templateid=tpl["id"], linklocalip=vm["linklocalip"], linklocalmacaddress=_linklocal_mac(vm["linklocalip"]),
            privateip=private, privatemacaddress=_mac("1e:00", kind, vm["name"], "private"),
            publicip=vm.get("publicip") or public_ip(), publicmacaddress=_mac("1e:00", kind, vm["name"], "public"),
            lab_namespace=vm.get("lab_namespace"), agent_version=vm.get("agent_version", version),
        )

    for vm in topology.get("systemvms") or []:
        fields = vm_common(vm, "systemvm")
        offering = stable_id("serviceoffering", SYSTEM_OFFERINGS[vm["systemvmtype"]])
        v = add("systemvm", "systemvms", vm["name"], systemvmtype=vm["systemvmtype"], serviceofferingid=offering,
                **fields)
        # every SSVM/CPVM also has an agent row in the host table
        add("host", "hosts", vm["name"], type="SecondaryStorageVM" if vm["systemvmtype"] == "secondarystoragevm"
            else "ConsoleProxy", ipaddress=v["privateip"], zoneid=v["zoneid"], podid=v["podid"], clusterid=None,
            hypervisor=None, state="Up", resourcestate="Enabled", version=v["agent_version"], msid=ms_id,
            vmid=v["id"], arch="x86_64")

    for vm in topology.get("routers") or []:
        fields = vm_common(vm, "router")
        acc = account(vm.get("account", "admin"), vm.get("domain", "ROOT"))
        net_name = vm.get("network", "%s-net" % vm["name"])
        net = next((n for n in s["networks"].values() if n["name"] == net_name), None)
        if net is None:
            index = len(s["networks"])
            prefix = "10.%d.%d" % (10 + index // 250, index % 250)  # API data only; never a lab address
            net = add("network", "networks", net_name, zoneid=fields["zoneid"], accountid=acc["id"],
                      cidr=prefix + ".0/24", gateway=prefix + ".1", traffictype="Guest",
                      networkdomain="cs%s.cloud.internal" % net_name.replace("-", ""))
        guest_ip = str(ipaddress.ip_address(net["gateway"]))
        add("router", "routers", vm["name"], accountid=acc["id"], networkid=net["id"], guestipaddress=guest_ip,
            guestmacaddress=_mac("02:00", "router", vm["name"], "guest"), role="VIRTUAL_ROUTER",
            redundantstate="UNKNOWN", isredundantrouter=False,
            serviceofferingid=stable_id("serviceoffering", SYSTEM_OFFERINGS["router"]), health_checks=[], **fields)

    _add_user_vms(s, topology, add, account, hosts_by_name)

    for name, value in (topology.get("settings") or {}).items():
        s["settings"]["global"][name] = None if value is None else str(value)

    set_extra_hosts(state, extra_hosts, now)
    return state


def _add_user_vms(s, topology, add, account, hosts_by_name):
    """User VMs, Running on their hosts; sizes from their service offering."""
    account_numbers = {a["id"]: n + 1 for n, a in enumerate(s["accounts"].values())}
    offerings = {o["name"]: o for o in s["service_offerings"].values()}
    for number, vm in enumerate(topology.get("vms") or [], start=100):
        host = hosts_by_name[vm["host"]]
        offering = offerings[vm["offering"]]
        acc = account(vm.get("account", "admin"), vm.get("domain", "ROOT"))
        number = int(vm.get("number", number))
        template = vm.get("template", USER_VM_TEMPLATE)
        add("vm", "vms", vm["name"], displayname=vm.get("displayname", vm["name"]),
            instancename="i-%d-%d-VM" % (account_numbers[acc["id"]], number), state="Running",
            hostid=host["id"], lasthostid=host["id"], zoneid=host["zoneid"], podid=host["podid"],
            serviceofferingid=offering["id"], cpunumber=offering["cpunumber"], cpuspeed=offering["cpuspeed"],
            memory=offering["memory"], haenable=bool(vm.get("haenable", False)), accountid=acc["id"],
            templateid=stable_id("template", template), templatename=template, hypervisor=host["hypervisor"])


def _next_pod_ip(pod):
    ip = pod["next_ip"]
    pod["next_ip"] = str(ipaddress.ip_address(ip) + 1)
    return ip


def _add_host(add, zone, pod, cluster, host, version, ms_id, extra=False):
    return add("host", "hosts", host["name"], type="Routing", ipaddress=host["ipaddress"], zoneid=zone["id"],
               podid=pod["id"], clusterid=cluster["id"], hypervisor=cluster["hypervisortype"], state="Up",
               resourcestate="Enabled", version=host.get("version", version), msid=ms_id,
               lab_namespace=host.get("lab_namespace"), cpunumber=int(host.get("cpunumber", 8)),
               cpuspeed=int(host.get("cpuspeed", 2400)), memorytotal=int(host.get("memory_gib", 32)) * GIB,
               arch=cluster.get("arch", "x86_64"), hypervisorversion=host.get("hypervisorversion", "8.2.0"),
               extra=extra)


def set_extra_hosts(state, count, now=None):
    """Make the number of API-only benchmark hosts (sim-host-NNNNN) equal ``count``.

    They are spread over the clusters of the second zone (or the only zone)."""
    now = now or time.time()
    hosts = state["hosts"]
    existing = sorted(h["name"] for h in hosts.values() if h.get("extra"))
    zones = list(state["zones"].values())
    if not zones:
        return
    zone = zones[1] if len(zones) > 1 else zones[0]
    clusters = [c for c in state["clusters"].values() if c["zoneid"] == zone["id"]]
    if count < len(existing):
        for name in existing[count:]:
            del hosts[stable_id("host", name)]
    for i in range(len(existing), count):
        cluster = clusters[i % len(clusters)]
        pod = state["pods"][cluster["podid"]]
        name = "sim-host-%05d" % (i + 1)
        ip = "10.251.%d.%d" % (1 + i // 254, 1 + i % 254)

        def add(kind, coll, hname, **fields):
            item = {"id": stable_id(kind, hname), "name": hname, "created": now}
            item.update(fields)
            state[coll][item["id"]] = item
            return item

        _add_host(add, zone, pod, cluster, {"name": name, "ipaddress": ip}, state["cloudstack_version"],
                  next(iter(state["management_servers"])), extra=True)
    state["extra_hosts"] = count
