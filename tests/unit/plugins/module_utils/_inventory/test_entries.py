"""Inventory entries from a snapshot of API items (plain data shaped like CloudStack's answers)."""

from ansible_collections.csops.cloudstack.plugins.module_utils._inventory import entries, ssh
from ansible_collections.csops.cloudstack.plugins.module_utils._inventory.fetch import Snapshot

KVM1 = dict(id="h1", name="kvm1", state="Up", ipaddress="10.0.0.11", hypervisor="KVM", zoneid="z1",
            zonename="zone-1", podid="p1", podname="pod 1", clusterid="c1", clustername="cluster1",
            resourcestate="Enabled", version="4.20.1.0")
ESX1 = dict(id="h2", name="esx1", state="Up", ipaddress="10.0.0.21", hypervisor="VMware", zoneid="z1",
            zonename="zone-1", podid="p1", podname="pod 1", clusterid="c2", clustername="vcluster")
OLD = dict(id="t-old", templatetype="SYSTEM", isready=True, zoneid="z1", hypervisor="KVM", created="2025-01-01")
NEW = dict(id="t-new", templatetype="SYSTEM", isready=True, zoneid="z1", hypervisor="KVM", created="2026-01-01")


def vm(name, **extra):
    base = dict(id="id-" + name, name=name, state="Running", hypervisor="KVM", zoneid="z1", zonename="zone-1",
                podid="p1", podname="pod 1", hostid="h1", hostname="kvm1", linklocalip="169.254.0.9",
                templateid="t-old", templatename="old")
    base.update(extra)
    return base


def build(items, **settings):
    found, problems = entries.build(Snapshot(items=items), entries.Settings(**settings))
    return {e.name: e for e in found}, problems


def test_a_system_vm_on_kvm_is_reached_through_its_host_and_knows_its_cluster_from_the_host():
    found, problems = build({"hosts": [KVM1], "systemvms": [vm("s-1-VM", systemvmtype="secondarystoragevm")],
                             "templates": [OLD]},
                            host_ssh=ssh.Endpoint(None, 22, "root", "/k/host", None), systemvm_key="/k/cloud")
    assert problems == []
    vm1 = found["s-1-VM"]
    # Per host: the address and the hop; the rest is shared by the kind's group.
    assert set(vm1.host_vars) == {"ansible_host", "ansible_ssh_common_args"}
    assert vm1.host_vars["ansible_host"] == "169.254.0.9"
    assert "ssh -W %h:%p -p 22 -l root -i /k/host 10.0.0.11" in vm1.host_vars["ansible_ssh_common_args"]
    assert (vm1.facts["cluster"], vm1.facts["host"], vm1.facts["host_ip"], vm1.facts["kind"]) == \
        ("cluster1", "kvm1", "10.0.0.11", "systemvm")
    assert vm1.facts["requires_upgrade"] is False and vm1.kept is vm1.facts
    assert vm1.groups[0] == "cloudstack_systemvms"
    assert set(vm1.groups) == {"cloudstack_systemvms", "zone_zone_1", "pod_pod_1", "cluster_cluster1",
                               "state_running", "hypervisor_kvm"}
    assert found["kvm1"].host_vars == {"ansible_host": "10.0.0.11"}
    assert "kvm_hosts" in found["kvm1"].groups and "state_up" in found["kvm1"].groups


def test_what_every_host_of_a_kind_shares_is_group_variables_of_its_kind_group():
    settings = entries.Settings(kinds=("hosts", "systemvms", "routers"),
                                host_ssh=ssh.Endpoint(None, 22, "root", "/k/host", "-o A=b"), systemvm_key="/k/cloud")
    found = entries.kind_group_vars(settings)
    assert found == {
        "cloudstack_hosts": {"ansible_port": 22, "ansible_user": "root", "ansible_ssh_private_key_file": "/k/host",
                             "ansible_ssh_common_args": "-o A=b"},
        "cloudstack_systemvms": {"ansible_port": 3922, "ansible_user": "root",
                                 "ansible_ssh_private_key_file": "/k/cloud"},
        "cloudstack_routers": {"ansible_port": 3922, "ansible_user": "root",
                               "ansible_ssh_private_key_file": "/k/cloud"}}
    found["cloudstack_routers"]["ansible_user"] = "changed"
    assert found["cloudstack_systemvms"]["ansible_user"] == "root"


def test_the_host_variable_keeps_the_facts_asked_for_and_the_entry_all_of_them():
    found, _problems = build({"hosts": [KVM1], "routers": [vm("r-1-VM", account="acme")]},
                             facts=["kind", "name", "ip", "account"])
    assert found["r-1-VM"].kept == {"kind": "router", "name": "r-1-VM", "account": "acme"}
    assert found["kvm1"].kept == {"kind": "host", "name": "kvm1", "ip": "10.0.0.11"}
    assert found["r-1-VM"].facts["zone"] == "zone-1" and found["r-1-VM"].facts["network"] is None
    assert set(found["r-1-VM"].facts) <= set(entries.FACT_KEYS)
    assert set(found["kvm1"].facts) <= set(entries.FACT_KEYS)


def test_a_system_vm_requires_upgrade_when_a_newer_system_template_is_ready_in_its_zone():
    items = {"hosts": [KVM1], "systemvms": [vm("v-2-VM"), vm("v-3-VM", templateid="t-new")],
             "templates": [OLD, NEW, dict(NEW, id="t-other-zone", zoneid="z9", created="2027-01-01")]}
    found, _problems = build(items)
    assert found["v-2-VM"].facts["requires_upgrade"] is True
    assert "requires_upgrade" in found["v-2-VM"].groups
    assert found["v-3-VM"].facts["requires_upgrade"] is False
    # Without the templates listing it is unknown, not false.
    found, _problems = build({"hosts": [KVM1], "systemvms": [vm("v-2-VM")]})
    assert found["v-2-VM"].facts["requires_upgrade"] is None


def test_routers_take_requiresupgrade_from_the_api():
    found, _problems = build({"hosts": [KVM1], "routers": [vm("r-1-VM", requiresupgrade=True, account="acme"),
                                                           vm("r-2-VM", requiresupgrade=False)]})
    assert found["r-1-VM"].facts["requires_upgrade"] is True
    assert found["r-1-VM"].facts["account"] == "acme"
    assert "requires_upgrade" in found["r-1-VM"].groups and "requires_upgrade" not in found["r-2-VM"].groups


def test_vmware_vms_go_through_the_management_server_and_unplaced_vms_get_no_ssh_variables():
    items = {"hosts": [KVM1, ESX1], "routers": [
        vm("r-5-VM", hypervisor="VMware", hostid="h2", linklocalip=None, privateip="10.1.0.5"),
        vm("r-6-VM", state="Stopped", hostid=None, hostname=None),
        vm("r-7-VM", hostid="gone")]}
    found, _problems = build(items, vmware_jump="10.0.0.2",
                             management_ssh=ssh.Endpoint(None, 2200, "cloud", None, None))
    v = found["r-5-VM"].host_vars
    assert v["ansible_host"] == "10.1.0.5"
    assert "-p 2200 -l cloud 10.0.0.2" in v["ansible_ssh_common_args"]
    for name in ("r-6-VM", "r-7-VM"):
        assert found[name].host_vars == {}, name
    found, _problems = build(items)  # no management server address known
    assert found["r-5-VM"].host_vars == {}


def test_kinds_hostnames_collisions_and_groups_off():
    items = {"hosts": [KVM1, dict(KVM1, id="h9")], "systemvms": [vm("s-1-VM")], "templates": []}
    found, problems = build(items, kinds=("systemvms",))
    assert list(found) == ["s-1-VM"]
    found, problems = build(items, hostnames=["linklocal_ip", "ip"], default_groups=False)
    assert sorted(found) == ["10.0.0.11", "10.0.0.11_h9", "169.254.0.9"]
    assert found["169.254.0.9"].groups == ["cloudstack_systemvms"] and len(problems) == 1 and "h9" in problems[0]
    found, problems = build({"hosts": [dict(KVM1, name="")]}, hostnames=["name"])
    assert list(found) == ["h1"] and "named by its id" in problems[0]
