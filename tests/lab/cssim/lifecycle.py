"""What the simulated management server does on its own, driven by the job ticker (JobManager.tick).

Replacement system VMs: when destroySystemVm removes an SSVM or CPVM, CloudStack's SecondaryStorageManager /
ConsoleProxyManager notice the zone lacks one and create a new VM (new id and name, e.g. ``s-13-VM``) from the
template the zone's ``router.template.<hypervisor>`` setting names (falling back to the destroyed VM's template
when that one is not ready in the zone). Here the replacement appears ``systemVmRecreate`` seconds after the
destroy job finished, in state Starting (agent Connecting), and is Running (agent Up, agent version = the
management server's) ``startSystemVm`` seconds later. Replacements are API-only: they get no lab namespace.
"""

import ipaddress
import re

from . import templates
from .seed import SYSTEM_OFFERINGS, _linklocal_mac, _mac, _next_pod_ip
from .world import stable_id

_NUMBER = re.compile(r"^[a-z]-(?:\d+-)?(\d+)-VM$")  # s-13-VM, r-10-VM, i-2-20-VM: the VM number is shared


def schedule_replacement(world, vm, due):
    world.state.setdefault("systemvm_replacements", []).append({
        "replaces": vm["name"], "systemvmtype": vm["systemvmtype"], "zoneid": vm["zoneid"], "podid": vm["podid"],
        "hostid": vm.get("hostid") or vm.get("lasthostid"), "templateid": vm["templateid"], "due": due,
    })


def tick(sim, now):
    world = sim.world
    pending = world.state.get("systemvm_replacements") or []
    for item in [i for i in pending if i["due"] <= now]:
        pending.remove(item)
        _create(sim, item, now)
    for vm in world.all("systemvm").values():
        if vm.get("boot_due") is not None and vm["boot_due"] <= now:
            vm.pop("boot_due")
            if vm["state"] == "Starting":
                vm["state"] = "Running"
                agent = world.get("host", stable_id("host", vm["name"]))
                if agent:
                    agent["state"] = "Up"
                    agent.pop("disconnected", None)


def _next_number(world):
    numbers = [int(m.group(1)) for kind in ("systemvm", "router", "vm") for item in world.all(kind).values()
               for m in [_NUMBER.match(item.get("instancename") or item["name"])] if m]
    number = max(numbers + [world.state.get("last_vm_number", 0)]) + 1
    world.state["last_vm_number"] = number
    return number


def _linklocal(world, number):
    used = {v.get("linklocalip") for kind in ("systemvm", "router") for v in world.all(kind).values()}
    ip = ipaddress.ip_address("169.254.100.0") + number
    while str(ip) in used:
        ip += 1
    return str(ip)


def _usable(host, zone_id):
    return (host and host["type"] == "Routing" and host["state"] == "Up" and host["resourcestate"] == "Enabled"
            and host["zoneid"] == zone_id)


def _create(sim, item, now):
    world = sim.world
    ctx = sim.context("destroySystemVm")
    host = world.get("host", item["hostid"])
    if not _usable(host, item["zoneid"]):
        host = next((h for h in world.all("host").values() if _usable(h, item["zoneid"])), None)
    if host is None:  # CloudStack retries until a host is usable; so does the lab
        item["due"] = now + 1
        world.state["systemvm_replacements"].append(item)
        return
    tpl = templates.system_vm_template(ctx, item["zoneid"], host.get("hypervisor") or "KVM")
    number = _next_number(world)
    prefix = "s" if item["systemvmtype"] == "secondarystoragevm" else "v"
    name = "%s-%d-VM" % (prefix, number)
    pod = world.get("pod", host["podid"])
    linklocal = _linklocal(world, number)
    vm = {
        "id": stable_id("systemvm", name), "name": name, "created": now, "systemvmtype": item["systemvmtype"],
        "serviceofferingid": stable_id("serviceoffering", SYSTEM_OFFERINGS[item["systemvmtype"]]),
        "zoneid": item["zoneid"], "podid": pod["id"], "hostid": host["id"], "lasthostid": host["id"],
        "state": "Starting", "templateid": tpl["id"] if tpl else item["templateid"], "linklocalip": linklocal,
        "linklocalmacaddress": _linklocal_mac(linklocal), "privateip": _next_pod_ip(pod),
        "privatemacaddress": _mac("1e:00", "systemvm", name, "private"),
        "publicip": "203.0.113.%d" % (100 + number % 150), "publicmacaddress": _mac("1e:00", "systemvm", name, "public"),
        "lab_namespace": None, "agent_version": world.version, "replaces": item["replaces"],
        "boot_due": now + sim.jobs.duration("startSystemVm"),
    }
    world.all("systemvm")[vm["id"]] = vm
    world.all("host")[stable_id("host", name)] = {
        "id": stable_id("host", name), "name": name, "created": now,
        "type": "SecondaryStorageVM" if item["systemvmtype"] == "secondarystoragevm" else "ConsoleProxy",
        "ipaddress": vm["privateip"], "zoneid": vm["zoneid"], "podid": vm["podid"], "clusterid": None,
        "hypervisor": None, "state": "Connecting", "resourcestate": "Enabled", "version": world.version,
        "msid": next(iter(world.all("ms"))), "vmid": vm["id"], "arch": "x86_64",
    }
