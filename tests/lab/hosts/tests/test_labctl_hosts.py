"""Unit tests for the lab's host builder: topology reading, naming and the files `labctl up` writes.

These need neither root nor namespaces; `make lab-up` / `make integration` exercise the real thing.
"""

import shlex
import sys
from pathlib import Path

import pytest
import yaml

LAB_DIR = Path(__file__).resolve().parents[2]
if str(LAB_DIR) not in sys.path:
    sys.path.insert(0, str(LAB_DIR))

from hosts import model, render, ssh  # noqa: E402  (path set just above)

TOPOLOGY = LAB_DIR / "topology.yml"


@pytest.fixture(name="lab")
def lab_fixture():
    return model.load(TOPOLOGY)


def _topology(**overrides):
    data = {
        "management_servers": [{"name": "ms1", "ipaddress": "10.250.0.2", "lab_namespace": "csl-ms1"}],
        "zones": [{"name": "z", "pods": [{"name": "p", "clusters": [{"name": "c", "hosts": [
            {"name": "kvm1", "ipaddress": "10.250.0.11", "lab_namespace": "csl-kvm1"},
            {"name": "kvm9", "ipaddress": "10.251.0.9"},
        ]}]}]}],
        "systemvms": [{"name": "s-1-VM", "systemvmtype": "secondarystoragevm", "host": "kvm1",
                       "linklocalip": "169.254.10.11", "lab_namespace": "csl-s-1-VM"}],
        "routers": [],
    }
    data.update(overrides)
    return data


def test_topology_machines(lab):
    by_name = {m.name: m for m in lab.machines}
    assert by_name["ms1"].kind == "management"
    assert by_name["ms1"].address == "10.250.0.2"
    assert by_name["kvm1"].namespace == "csl-kvm1"
    assert by_name["kvm1"].port == 22
    # Only machines with lab_namespace get one: kvm3 and the zone-2 VMs are API-only.
    assert "kvm3" not in by_name
    assert "s-3-VM" not in by_name
    for vm in lab.vms:
        assert vm.port == 3922
        assert vm.prefixlen == 16
        assert vm.parent in {h.name for h in lab.kvm_hosts}
    assert {m.name for m in lab.vms_on("kvm1")} >= {"s-1-VM", "r-10-VM"}
    assert by_name["r-10-VM"].vmtype == "domainrouter"


def test_interface_names_fit_the_kernel_limit(lab):
    for m in lab.machines:
        assert len(m.outer_ifname) <= 15
    long_name = "a-very-long-system-vm-name-VM"
    name = model.ifname("vm-", long_name)
    assert len(name) <= 15 and name.startswith("vm-")
    assert name == model.ifname("vm-", long_name)
    assert name != model.ifname("vm-", long_name + "2")


def test_vm_on_host_without_namespace_is_rejected():
    data = _topology(systemvms=[{"name": "s-9-VM", "host": "kvm9", "linklocalip": "169.254.1.9",
                                 "lab_namespace": "csl-s-9-VM"}])
    with pytest.raises(model.TopologyError, match="kvm9"):
        model.lab_from_topology(data)


@pytest.mark.parametrize("field,value", [
    ("ipaddress", "192.168.1.5"),  # outside the lab network
    ("ipaddress", "10.250.0.1"),  # the root side of the bridge
])
def test_host_address_must_be_inside_the_lab(field, value):
    data = _topology()
    data["management_servers"][0][field] = value
    with pytest.raises(model.TopologyError):
        model.lab_from_topology(data)


def test_duplicate_and_foreign_namespaces_are_rejected():
    data = _topology()
    data["systemvms"][0]["lab_namespace"] = "csl-kvm1"
    with pytest.raises(model.TopologyError, match="duplicate"):
        model.lab_from_topology(data)
    data = _topology()
    data["management_servers"][0]["lab_namespace"] = "prod-ms1"
    with pytest.raises(model.TopologyError, match="csl-"):
        model.lab_from_topology(data)


def test_system_vm_needs_link_local_address():
    data = _topology()
    data["systemvms"][0]["linklocalip"] = "10.250.0.50"
    with pytest.raises(model.TopologyError, match="169.254"):
        model.lab_from_topology(data)


def test_inventory_groups_and_connection(lab, tmp_path):
    ssh_config = tmp_path / "ssh" / "ssh_config"
    text = render.inventory(lab, ssh_config, tmp_path / "id", tmp_path / "cp")
    inv = yaml.safe_load(text)["all"]
    assert inv["hosts"]["localhost"]["ansible_connection"] == "local"
    assert inv["hosts"]["localhost"]["ansible_python_interpreter"] == "{{ ansible_playbook_python }}"
    groups = inv["children"]
    assert set(groups["cloudstack_management"]["hosts"]) == {"ms1"}
    assert set(groups["kvm_hosts"]["hosts"]) == {"kvm1", "kvm2"}
    assert set(groups["systemvms"]["hosts"]) == {"s-1-VM", "v-2-VM", "r-10-VM", "r-11-VM"}
    for group in groups.values():
        assert group["vars"]["ansible_user"] == "root"
        assert shlex.split(group["vars"]["ansible_ssh_common_args"]) == ["-F", str(ssh_config)]
    assert groups["systemvms"]["hosts"]["s-1-VM"]["ansible_port"] == 3922
    assert groups["systemvms"]["hosts"]["s-1-VM"]["cslab_kvm_host"] == "kvm1"
    assert "ansible_port" not in groups["kvm_hosts"]["hosts"]["kvm1"]


def test_env_file_is_plain_exports():
    text = render.env_file({"CLOUDSTACK_ENDPOINT": "http://10.250.0.2:8080/client/api", "ODD": "a b'c"})
    values = {}
    for line in text.splitlines():
        if line.startswith("export "):
            key, value = line[len("export "):].split("=", 1)
            values[key] = shlex.split(value)[0]
    assert values == {"CLOUDSTACK_ENDPOINT": "http://10.250.0.2:8080/client/api", "ODD": "a b'c"}


def test_ssh_client_config_jumps_through_the_host(lab, tmp_path):
    text = ssh.client_config(lab, tmp_path / "id_ed25519", tmp_path / "known_hosts")
    blocks = {}
    current = None
    for line in text.splitlines():
        if line.startswith("Host "):
            current = line.split()[1]
            blocks[current] = []
        elif current and line.strip():
            blocks[current].append(line.strip())
    assert "ProxyJump kvm1" in blocks["s-1-VM"]
    assert "Port 3922" in blocks["s-1-VM"]
    assert "HostName 169.254.10.11" in blocks["s-1-VM"]
    assert not any(opt.startswith("ProxyJump") for opt in blocks["kvm1"])
    assert f"IdentityFile {tmp_path / 'id_ed25519'}" in text
    assert "StrictHostKeyChecking no" in text


def test_sshd_config_is_key_only_and_lab_owned(lab, tmp_path):
    vm = lab.by_name("s-1-VM")
    paths = ssh.SshdPaths(tmp_path, vm)
    text = ssh.sshd_config(vm, paths, tmp_path / "authorized_keys")
    lines = set(text.splitlines())
    for expected in ("Port 3922", "ListenAddress 169.254.10.11", "UsePAM no", "StrictModes no",
                     "PasswordAuthentication no", "PermitRootLogin prohibit-password",
                     f"AuthorizedKeysFile {tmp_path / 'authorized_keys'}", f"PidFile {paths.pidfile}"):
        assert expected in lines
    assert "/root/.ssh" not in text


def test_namespace_hosts_files(lab):
    kvm1 = render.netns_hosts(lab, lab.by_name("kvm1"))
    assert "10.250.0.2\tms1" in kvm1
    assert "169.254.10.11\ts-1-VM" in kvm1
    assert "169.254.10.12" not in kvm1  # v-2-VM lives on kvm2
    vm = render.netns_hosts(lab, lab.by_name("s-1-VM"))
    assert "169.254.10.11\ts-1-VM" in vm
    assert "ms1" not in vm
