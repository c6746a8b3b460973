"""csops.cloudstack.diagnostics and diagnostics_data through real playbook runs against the lab: runDiagnostics
runs the VM's own diagnostics script in the system VM's namespace (through its KVM host), so the output is real;
bad input fails before any API call (request log); the diagnostics zip lands on the controller, valid and with
CloudStack's entries, both from the URL on the SSVM's address and, with that URL switched off, over SSH through
the VM's KVM host."""

import json
import os
import urllib.parse
import zipfile

import pytest

from conftest import STATE

SSH_DIR = os.path.join(STATE, "ssh")
VM = "s-1-VM"
VM_LINKLOCAL = "169.254.10.11"
HOST_CLOUD0 = "169.254.0.1"  # the host's bridge: what a system VM on it can always reach


@pytest.fixture(scope="module", autouse=True)
def fresh_state(request):
    control = request.getfixturevalue("control")
    control.reset()
    yield
    control._call("POST", "/lab/diagnostics", {"url_down": False})
    control.reset()


@pytest.fixture
def url_down(control):
    control._call("POST", "/lab/diagnostics", {"url_down": True})
    yield
    control._call("POST", "/lab/diagnostics", {"url_down": False})


def host_ssh():
    """The lab's own SSH settings for its KVM hosts, as an operator's inventory would give them."""
    return {"user": "root", "port": 22, "private_key": os.path.join(SSH_DIR, "id_ed25519"),
            "known_hosts": os.path.join(SSH_DIR, "known_hosts")}


def api_calls(control, mark):
    return [r["command"] for r in control.requests(mark)]


def test_ping_from_a_system_vm_is_real(ansible, control):
    up = ansible.module("diagnostics", {"name": VM, "type": "ping", "ipaddress": HOST_CLOUD0, "params": "-c 2 -W 2"})
    assert not up.get("failed"), up.get("msg")
    assert up["changed"] is False and up["success"] is True and up["exitcode"] == 0
    assert "64 bytes from %s" % HOST_CLOUD0 in up["stdout"]
    assert "2 packets transmitted, 2 received" in up["stdout"]
    # Nothing answers here: a real ping says so with exit code 1 (a simulated answer would be a healthy one).
    down = ansible.module("diagnostics", {"name": VM, "type": "ping", "ipaddress": "169.254.254.254",
                                          "params": "-c 1 -W 1"})
    assert not down.get("failed"), down.get("msg")
    assert down["success"] is False and down["exitcode"] == 1
    assert "100% packet loss" in down["stdout"]


@pytest.mark.parametrize("args,message", [
    ({"type": "nslookup", "ipaddress": HOST_CLOUD0},
     "run diagnostics on s-1-VM: type nslookup is not a valid diagnostics command type: use ping, traceroute or "
     "arping"),
    ({"type": "ping", "ipaddress": HOST_CLOUD0, "params": "-c 1; reboot"},
     "run diagnostics on s-1-VM: params contain unwanted characters (CloudStack allows only letters, digits, _, -, "
     ". and spaces): -c 1; reboot"),
    ({"type": "ping", "ipaddress": "169.254.0.1 -f"},
     "run diagnostics on s-1-VM: ipaddress must be an IP address or a host name, got 169.254.0.1 -f"),
])
def test_bad_input_fails_before_any_api_call(ansible, control, args, message):
    mark = control.mark()
    result = ansible.module("diagnostics", dict(args, name=VM))
    assert result["failed"] is True and result["msg"] == message
    assert api_calls(control, mark) == []


def test_bad_files_fail_before_any_api_call(ansible, control, tmp_path):
    mark = control.mark()
    result = ansible.module("diagnostics_data", {"name": VM, "dest": str(tmp_path), "files": ["/etc/hosts;id"]})
    assert result["failed"] is True
    assert result["msg"] == ("get diagnostics data from s-1-VM: files[0] must be a path or a name without spaces, "
                             "commas, quotes or shell characters, got /etc/hosts;id")
    assert api_calls(control, mark) == []


def check_zip(result, dest):
    """The zip is in dest, whole, with CloudStack's entries for a system VM, and real content from the VM."""
    path = result["path"]
    assert os.path.dirname(path) == str(dest) and os.path.isfile(path)
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        names = set(archive.namelist())
        ipaddr = archive.read("ipaddr.log").decode()
        manifest = archive.read("fileinfo.txt").decode()
    assert {"fileinfo.txt", "iptables.log", "ipaddr.log", "iprule.log", "iproute.log"} <= names
    assert sorted(names) == result["entries"]
    assert VM_LINKLOCAL in ipaddr  # `ip address` ran in the VM's own namespace
    assert [m["path"] for m in result["manifest"]] == [line for line in manifest.splitlines() if line.strip()]
    return names


def test_data_through_the_url(ansible, control, tmp_path):
    dest = tmp_path / "url"
    mark = control.mark()
    result = ansible.module("diagnostics_data", {"name": VM, "dest": str(dest), "unpack": True,
                                                 "fallback": "never"})
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is True and result["method"] == "url"
    # the download URL is the only key to the zip: the result names where it came from, never the URL itself
    url = urllib.parse.urlsplit(result["url"])
    assert url.scheme == "http" and url.netloc and not url.path, result["url"]
    assert "/userdata/" not in json.dumps(result)
    names = check_zip(result, dest)
    assert sorted(os.path.basename(f) for f in result["files"]) == sorted(names)
    assert "getDiagnosticsData" in api_calls(control, mark)


def test_data_over_ssh_when_the_url_is_down(ansible, control, tmp_path, url_down):
    dest = tmp_path / "ssh"
    never = ansible.module("diagnostics_data", {"name": VM, "dest": str(dest / "never"), "fallback": "never"})
    assert never["failed"] is True and "download the zip from" in never["msg"]
    result = ansible.module("diagnostics_data", {"name": VM, "dest": str(dest), "ssh": host_ssh()})
    assert not result.get("failed"), result.get("msg")
    assert result["method"] == "ssh" and result["url_error"].startswith("download the zip from ")
    assert result["ssh_host"]["name"] == "kvm1" and result["ssh_host"]["address"] == "10.250.0.11"
    assert result["cleanup"] == "Deleting diagnostics zip file %s" % result["zip_in_vm"]
    check_zip(result, dest)


def test_same_entries_both_ways(ansible, control, tmp_path):
    files = ["iptables", "ipaddr", "/etc/hosts", "/etc/cloudstack-release", "/no/such/file"]
    by_url = ansible.module("diagnostics_data", {"name": VM, "dest": str(tmp_path / "u"), "files": files,
                                                 "fallback": "never"})
    by_ssh = ansible.module("diagnostics_data", {"name": VM, "dest": str(tmp_path / "s"), "files": files,
                                                 "fallback": "always", "ssh": host_ssh()})
    assert not by_url.get("failed"), by_url.get("msg")
    assert not by_ssh.get("failed"), by_ssh.get("msg")
    assert by_url["method"] == "url" and by_ssh["method"] == "ssh"
    assert by_url["entries"] == by_ssh["entries"]
    assert [m["path"] for m in by_url["manifest"]] == [m["path"] for m in by_ssh["manifest"]]
