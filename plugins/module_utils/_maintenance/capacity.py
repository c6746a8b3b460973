# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether the rest of a cluster can hold a host's VMs, all of them together. Pure arithmetic on listHosts,
listClusters and listVirtualMachines rows; nothing here talks to CloudStack.

CloudStack's own check (before rolling maintenance) tests each VM alone against each other host, so a host whose
VMs fit one by one but not together passes it, and its maintenance ends in ErrorInMaintenance halfway. Here the
load is placed as a whole: the host's allocated CPU (MHz) and memory must fit in what the other hosts have free,
and every user VM must find a host in a first-fit placement, largest first, that takes the earlier ones into
account. Capacities use the cluster's overcommit ratios, as CloudStack's allocator does.
"""

from __future__ import annotations

MIB = 1024 * 1024


def number(value, default=0.0):
    """``value`` as a float: CloudStack returns some figures as strings ("2.0", "12.5%"); ``default`` when it is
    missing or not a number."""
    if value is None or isinstance(value, bool):
        return default
    try:
        return float(str(value).strip().rstrip("%"))
    except ValueError:
        return default


def ratios(cluster):
    """``(cpu, memory)`` overcommit ratios of a listClusters row (1.0 when not given or not positive)."""
    cpu = number((cluster or {}).get("cpuovercommitratio"), 1.0)
    memory = number((cluster or {}).get("memoryovercommitratio"), 1.0)
    return (cpu if cpu > 0 else 1.0), (memory if memory > 0 else 1.0)


def host_figures(host, cluster):
    """A host's capacity with the cluster's overcommit ratios and what is allocated on it:
    ``{cpu_total_mhz, cpu_capacity_mhz, cpu_allocated_mhz, memory_total, memory_capacity, memory_allocated}``
    (memory in bytes)."""
    cpu_ratio, memory_ratio = ratios(cluster)
    cpu_total = number(host.get("cpunumber")) * number(host.get("cpuspeed"))
    cpu_capacity = cpu_total * cpu_ratio if cpu_total else number(host.get("cpuwithoverprovisioning"))
    cpu_allocated = host.get("cpuallocatedvalue")
    if cpu_allocated is None:
        cpu_allocated = number(host.get("cpuallocated")) * cpu_capacity / 100.0
    memory_total = number(host.get("memorytotal"))
    memory_capacity = memory_total * memory_ratio if memory_total else number(host.get("memorywithoverprovisioning"))
    memory_allocated = host.get("memoryallocatedbytes")
    if memory_allocated is None:
        memory_allocated = host.get("memoryallocated")
    return dict(
        cpu_total_mhz=int(cpu_total),
        cpu_capacity_mhz=int(cpu_capacity),
        cpu_allocated_mhz=int(number(cpu_allocated)),
        memory_total=int(memory_total),
        memory_capacity=int(memory_capacity),
        memory_allocated=int(number(memory_allocated)),
    )


def vm_size(vm):
    """``(cpu MHz, memory bytes)`` a listVirtualMachines row asks for."""
    return (int(number(vm.get("cpunumber")) * number(vm.get("cpuspeed"))), int(number(vm.get("memory")) * MIB))


def is_target(host, leaving_id):
    """Whether ``host`` can take VMs from the host ``leaving_id``: another host that is Up and Enabled."""
    return host.get("id") != leaving_id and host.get("state") == "Up" and host.get("resourcestate") == "Enabled"


def check(host, cluster_hosts, cluster, user_vms):
    """Whether the other Up and Enabled hosts of the cluster can hold everything on ``host`` together.

    ``cluster_hosts`` are the listHosts rows of the cluster (``host`` among them or not), ``user_vms`` the
    listVirtualMachines rows of the VMs running on ``host``. Returns ``{cpu_needed_mhz, cpu_free_mhz,
    memory_needed, memory_free, fits, hosts, unplaced}``: what the host has allocated (its user VMs, routers and
    system VMs; the sum of its user VMs when CloudStack reports more than that), what the target hosts (named in
    ``hosts``) have free in all, and the user VMs a first-fit placement could not put anywhere.
    """
    own = host_figures(host, cluster)
    sizes = sorted(((vm_size(vm), vm) for vm in user_vms), key=lambda item: item[0], reverse=True)
    cpu_needed = max(own["cpu_allocated_mhz"], sum(size[0] for size, _vm in sizes))
    memory_needed = max(own["memory_allocated"], sum(size[1] for size, _vm in sizes))
    targets = [h for h in cluster_hosts if is_target(h, host.get("id"))]
    free = []
    for target in sorted(targets, key=lambda h: (h.get("name") or "", h.get("id") or "")):
        figures = host_figures(target, cluster)
        free.append([max(0, figures["cpu_capacity_mhz"] - figures["cpu_allocated_mhz"]),
                     max(0, figures["memory_capacity"] - figures["memory_allocated"])])
    cpu_free = sum(room[0] for room in free)
    memory_free = sum(room[1] for room in free)
    unplaced = []
    for (cpu, memory), vm in sizes:
        room = next((room for room in free if room[0] >= cpu and room[1] >= memory), None)
        if room is None:
            unplaced.append(vm.get("displayname") or vm.get("name") or vm.get("id"))
            continue
        room[0] -= cpu
        room[1] -= memory
    fits = cpu_needed <= cpu_free and memory_needed <= memory_free and not unplaced
    return dict(cpu_needed_mhz=cpu_needed, cpu_free_mhz=cpu_free, memory_needed=memory_needed,
                memory_free=memory_free, fits=fits,
                hosts=[h.get("name") for h in sorted(targets, key=lambda h: (h.get("name") or "", h.get("id") or ""))],
                unplaced=unplaced)


def shortfall(figures):
    """Why ``figures`` (a ``check`` result) does not fit, in words; empty when it fits."""
    if figures["fits"]:
        return ""
    if not figures["hosts"]:
        return "no other host of the cluster is Up and Enabled"
    parts = []
    if figures["cpu_needed_mhz"] > figures["cpu_free_mhz"]:
        parts.append("CPU %d MHz needed, %d MHz free" % (figures["cpu_needed_mhz"], figures["cpu_free_mhz"]))
    if figures["memory_needed"] > figures["memory_free"]:
        parts.append("memory %d MiB needed, %d MiB free"
                     % (figures["memory_needed"] // MIB, figures["memory_free"] // MIB))
    if figures["unplaced"]:
        parts.append("no room for %s" % ", ".join(figures["unplaced"]))
    return "; ".join(parts) + " on %s" % ", ".join(figures["hosts"])
