"""The inventory plugin csops.cloudstack.cloudstack against the lab, with no hand-written inventory: `ansible all -m
ping` reaches every KVM host and every system VM and router that has a namespace (the VMs through their host on
port 3922), a cached inventory makes no API call, and after playbooks/upgrade_systemvms.yml replaced the system
VMs the same ping reaches the replacements."""

import json
import os
import re
import subprocess
import sys

import pytest
import yaml
from cs import CloudStack
from cssim.jobs import QUICK_UPGRADE_DURATIONS

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STATE = os.path.join(REPO, "tests", "lab", ".state")
TOPOLOGY = os.path.join(REPO, "tests", "lab", "topology.yml")
VENV_BIN = os.path.dirname(os.path.abspath(sys.executable))
NEW_URL = "http://download.lab.invalid/systemvmtemplate-4.20.1-x86_64-kvm.qcow2.bz2"
PING_OK = re.compile(r"^(\S+) \| SUCCESS", re.MULTILINE)


def topology():
    with open(TOPOLOGY) as handle:
        return yaml.safe_load(handle)


def namespaced():
    """``(hosts, vms)``: names of the KVM hosts and of the system VMs and routers the lab gives a namespace."""
    topo = topology()
    hosts = {h["name"] for z in topo["zones"] for p in z["pods"] for c in p["clusters"] for h in c["hosts"]
             if h.get("lab_namespace")}
    vms = {v["name"] for v in topo.get("systemvms", []) + topo.get("routers", []) if v.get("lab_namespace")}
    return hosts, vms


def lab_config(lab_env):
    """The plugin config of the lab: the file `labctl.py up` wrote (CSLAB_PLUGIN_INVENTORY), or, for a lab brought
    up before it wrote one, the same settings: the lab key for the hosts, the hosts' id_rsa.cloud for the VMs, and
    everything on API-only hosts (no namespace, nothing to reach) or not running left out."""
    path = lab_env.get("CSLAB_PLUGIN_INVENTORY")
    if path and os.path.exists(path):
        with open(path) as handle:
            return path, yaml.safe_load(handle)
    hosts, _vms = namespaced()
    ssh_dir = os.path.join(STATE, "ssh")
    args = ("-o IdentitiesOnly=yes -o IdentityAgent=none -o StrictHostKeyChecking=no "
            "-o GlobalKnownHostsFile=/dev/null -o UserKnownHostsFile=%s -o BatchMode=yes -o ConnectTimeout=10"
            % os.path.join(ssh_dir, "known_hosts"))
    reachable = "[%s]" % ", ".join("'%s'" % name for name in sorted(hosts))
    return None, {
        "plugin": "csops.cloudstack.cloudstack",
        "kinds": ["hosts", "systemvms", "routers"],
        "host_ssh_private_key_file": os.path.join(ssh_dir, "id_ed25519"),
        "host_ssh_common_args": args,
        "systemvm_ssh_private_key_file": os.path.join(ssh_dir, "id_rsa.cloud"),
        "systemvm_ssh_common_args": args,
        "exclude_filters": [
            "cloudstack.kind == 'host' and cloudstack.name not in %s" % reachable,
            "cloudstack.kind != 'host' and cloudstack.host not in %s" % reachable,
            "cloudstack.kind != 'host' and cloudstack.state != 'Running'",
        ],
        "compose": {"ansible_python_interpreter": "'/usr/bin/python3'"},
    }


@pytest.fixture
def config(lab_env, tmp_path):
    """The path of the lab's plugin config as it is, or of a copy with ``extra`` settings."""
    def write(**extra):
        path, settings = lab_config(lab_env)
        if path and not extra:
            return path
        path = tmp_path / "lab.cloudstack.yml"
        path.write_text(yaml.safe_dump(dict(settings, **extra)))
        return str(path)
    return write


def run(lab_env, tmp_path, *argv, timeout=300):
    env = dict(os.environ, **lab_env)
    env.update(ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, ".build", "collections"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_HOST_KEY_CHECKING="False", ANSIBLE_CONTROL_PATH_DIR=str(tmp_path / "cp"),
               PATH=VENV_BIN + os.pathsep + os.environ.get("PATH", ""))
    env.pop("ANSIBLE_INVENTORY", None)
    return subprocess.run([os.path.join(VENV_BIN, argv[0])] + list(argv[1:]), env=env, capture_output=True,
                          text=True, timeout=timeout, cwd=str(tmp_path), check=False)


def plain(value):
    """``value`` from ansible-inventory's JSON with the unsafe markers taken off."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: plain(v) for k, v in value.items()}
    return value


def inventory_hosts(lab_env, tmp_path, path):
    proc = run(lab_env, tmp_path, "ansible-inventory", "-i", path, "--list")
    assert proc.returncode == 0, proc.stderr
    return plain(json.loads(proc.stdout)["_meta"]["hostvars"])


def ping_all(lab_env, tmp_path, path):
    proc = run(lab_env, tmp_path, "ansible", "-i", path, "all", "-m", "ansible.builtin.ping", "-f", "10")
    return proc, set(PING_OK.findall(proc.stdout))


@pytest.fixture(scope="module", autouse=True)
def fresh_state(request):
    control = request.getfixturevalue("control")
    control.reset()
    yield
    control.reset()


def test_ping_reaches_every_namespaced_host_and_vm_through_its_host(lab_env, control, config, tmp_path):
    hosts, vms = namespaced()
    path = config()
    listed = inventory_hosts(lab_env, tmp_path, path)
    assert set(listed) == hosts | vms
    for name in vms:
        assert listed[name]["ansible_port"] == 3922 and listed[name]["cloudstack"]["kind"] != "host"
        assert "ProxyCommand=ssh -W" in listed[name]["ansible_ssh_common_args"]
    proc, reached = ping_all(lab_env, tmp_path, path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert reached == hosts | vms


def test_a_cached_inventory_makes_no_api_call(lab_env, control, config, tmp_path):
    path = config(cache=True, cache_plugin="ansible.builtin.jsonfile", cache_connection=str(tmp_path / "cache"),
                  cache_timeout=600)
    first = inventory_hosts(lab_env, tmp_path, path)
    mark = control.mark()
    second = inventory_hosts(lab_env, tmp_path, path)
    assert control.requests(since=mark) == []
    assert second == first
    mark = control.mark()
    proc, reached = ping_all(lab_env, tmp_path, path)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert reached == set(first)
    assert control.requests(since=mark) == []


def test_after_the_system_vm_upgrade_the_same_ping_reaches_the_replacements(
        ansible, lab_env, control, config, tmp_path, api_vms):
    before = api_vms()
    control.set_job_durations(QUICK_UPGRADE_DURATIONS)  # where the upgrade ends matters here, not how it waits
    proc = ansible.playbook(os.path.join(REPO, "playbooks", "upgrade_systemvms.yml"), extra_vars={
        "systemvm_upgrade_templates": [{"hypervisor": "kvm", "name": "systemvm-kvm-4.20.1", "url": NEW_URL}],
        "systemvm_upgrade_wait_timeout": 120, "systemvm_upgrade_api_wait_delay": 1,
        "systemvm_upgrade_systemvm_wait_timeout": 120, "systemvm_upgrade_router_wait_timeout": 300})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    after = api_vms()
    replaced = {name for name in after if name.startswith(("s-", "v-")) and name not in before}
    assert replaced, "the upgrade replaced no system VM"
    path = config()
    listed = inventory_hosts(lab_env, tmp_path, path)
    hosts, _vms = namespaced()
    on_lab_hosts = {name for name, vm in after.items() if vm.get("hostname") in hosts and vm["state"] == "Running"}
    assert set(listed) == hosts | on_lab_hosts
    assert not any(listed[name]["cloudstack"]["requires_upgrade"] for name in on_lab_hosts)
    proc, reached = ping_all(lab_env, tmp_path, path)
    assert reached == set(listed), proc.stdout[-3000:] + proc.stderr[-2000:]
    assert proc.returncode == 0


@pytest.fixture
def api_vms(lab_env):
    api = CloudStack(endpoint=lab_env["CLOUDSTACK_ENDPOINT"], key=lab_env["CLOUDSTACK_KEY"],
                     secret=lab_env["CLOUDSTACK_SECRET"])

    def listing():
        vms = api.listSystemVms(fetch_list=True) + api.listRouters(fetch_list=True, listall=True)
        return {vm["name"]: vm for vm in vms}
    return listing
