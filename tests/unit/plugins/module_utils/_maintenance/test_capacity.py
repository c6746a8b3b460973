"""Capacity arithmetic of host maintenance: overcommit ratios, what a host needs, what the rest of the cluster has
free, and a placement that takes every user VM together, not each alone."""

from ansible_collections.csops.cloudstack.plugins.module_utils._maintenance import capacity

MIB = 1024 * 1024
GIB = 1024 * MIB


def host(name, cpus=4, speed=2000, memory_gib=16, cpu_used=0, memory_used_gib=0, state="Up", resource="Enabled"):
    return dict(id="id-" + name, name=name, state=state, resourcestate=resource, cpunumber=cpus, cpuspeed=speed,
                memorytotal=memory_gib * GIB, cpuallocatedvalue=cpu_used, memoryallocatedbytes=memory_used_gib * GIB)


def vm(name, cpus=1, speed=1000, memory_mib=1024):
    return dict(id="vm-" + name, name=name, cpunumber=cpus, cpuspeed=speed, memory=memory_mib, state="Running")


def test_ratios_are_strings_and_default_to_one():
    assert capacity.ratios({"cpuovercommitratio": "2.0", "memoryovercommitratio": "1.5"}) == (2.0, 1.5)
    assert capacity.ratios({}) == (1.0, 1.0)
    assert capacity.ratios({"cpuovercommitratio": "0", "memoryovercommitratio": "nonsense"}) == (1.0, 1.0)


def test_host_figures_apply_the_cluster_ratios():
    cluster = {"cpuovercommitratio": "2.0", "memoryovercommitratio": "1.5"}
    figures = capacity.host_figures(host("a", cpu_used=3000, memory_used_gib=4), cluster)
    assert figures == dict(cpu_total_mhz=8000, cpu_capacity_mhz=16000, cpu_allocated_mhz=3000,
                           memory_total=16 * GIB, memory_capacity=24 * GIB, memory_allocated=4 * GIB)


def test_host_figures_fall_back_to_cloudstack_strings():
    row = dict(cpuwithoverprovisioning="12000.0", cpuallocated="25%", memorywithoverprovisioning="2048",
               memoryallocated=1024)
    figures = capacity.host_figures(row, {})
    assert figures["cpu_capacity_mhz"] == 12000 and figures["cpu_allocated_mhz"] == 3000
    assert figures["memory_capacity"] == 2048 and figures["memory_allocated"] == 1024


def test_fits_together():
    leaving = host("a", cpu_used=3000, memory_used_gib=3)
    others = [leaving, host("b", cpu_used=7000, memory_used_gib=10), host("c", cpu_used=6000, memory_used_gib=12)]
    vms = [vm("x", 2, 1000, 2048), vm("y", 1, 1000, 1024)]
    result = capacity.check(leaving, others, {}, vms)
    assert result["fits"] is True and result["hosts"] == ["b", "c"]
    assert result["cpu_needed_mhz"] == 3000 and result["cpu_free_mhz"] == 1000 + 2000
    assert result["memory_needed"] == 3 * GIB and result["memory_free"] == 10 * GIB
    assert capacity.shortfall(result) == ""


def test_each_alone_fits_but_not_together():
    """Two VMs of 1500 MHz; each other host has 2000 MHz free: each VM alone fits anywhere (CloudStack's check
    passes), and the sum (3000) fits in the total free (4000), but the placement must use both hosts; with one
    target host of 2000 free the pair does not fit."""
    leaving = host("a", cpu_used=3000)
    vms = [vm("x", 1, 1500), vm("y", 1, 1500)]
    two = capacity.check(leaving, [leaving, host("b", cpu_used=6000), host("c", cpu_used=6000)], {}, vms)
    assert two["fits"] is True
    one = capacity.check(leaving, [leaving, host("b", cpu_used=6000)], {}, vms)
    assert one["fits"] is False and one["unplaced"] == ["y"]
    assert "CPU 3000 MHz needed, 2000 MHz free" in capacity.shortfall(one)


def test_fragmented_room_is_not_enough():
    """Total free room is ample, but no single host can take the large VM."""
    leaving = host("a", cpu_used=4000)
    vms = [vm("big", 4, 1000)]
    result = capacity.check(leaving, [host("b", cpu_used=5000), host("c", cpu_used=5000)], {}, vms)
    assert result["cpu_free_mhz"] == 6000 and result["fits"] is False and result["unplaced"] == ["big"]
    assert capacity.shortfall(result) == "no room for big on b, c"


def test_only_up_and_enabled_hosts_take_vms():
    leaving = host("a", cpu_used=1000, memory_used_gib=1)
    rows = [leaving, host("b", state="Disconnected"), host("c", resource="Disabled"),
            host("d", resource="Maintenance")]
    result = capacity.check(leaving, rows, {}, [vm("x")])
    assert result["hosts"] == [] and result["fits"] is False
    assert capacity.shortfall(result) == "no other host of the cluster is Up and Enabled"


def test_overcommit_makes_room():
    leaving = host("a", cpu_used=4000, memory_used_gib=4)
    target = host("b", cpu_used=8000, memory_used_gib=16)
    vms = [vm("x", 4, 1000, 4096)]
    assert capacity.check(leaving, [target], {}, vms)["fits"] is False
    assert capacity.check(leaving, [target], {"cpuovercommitratio": "2.0", "memoryovercommitratio": "1.5"},
                          vms)["fits"] is True


def test_needed_is_at_least_the_user_vms():
    """A host reporting less allocated than its user VMs ask for (figures not refreshed yet) counts the VMs."""
    leaving = host("a", cpu_used=0, memory_used_gib=0)
    result = capacity.check(leaving, [host("b")], {}, [vm("x", 2, 1000, 2048)])
    assert result["cpu_needed_mhz"] == 2000 and result["memory_needed"] == 2 * GIB
