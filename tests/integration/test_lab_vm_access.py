"""The lab's system VMs from the outside: runDiagnostics runs for real inside a VM's namespace (through its KVM
host, as CloudStack does), getDiagnosticsData gives a zip the controller downloads from the lab SSVM's address,
and a system VM CloudStack recreates gets a namespace with sshd on 3922 behind its host."""

import io
import subprocess
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest
from cs import CloudStack

STATE = Path(__file__).resolve().parents[1] / "lab" / ".state"
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # lab addresses never go to a proxy


@pytest.fixture(scope="module")
def api(lab_env):
    return CloudStack(endpoint=lab_env["CLOUDSTACK_ENDPOINT"], key=lab_env["CLOUDSTACK_KEY"],
                      secret=lab_env["CLOUDSTACK_SECRET"], fetch_result=True, poll_interval=0.2, job_timeout=120)


def vm_named(api, name):
    found = api.listSystemVms(name=name).get("systemvm") or api.listRouters(name=name, listall=True).get("router")
    assert found, name
    return found[0]


def download(url):
    with NO_PROXY.open(url, timeout=10) as resp:
        return resp.read()


def test_run_diagnostics_is_real_ping_from_the_vm(api):
    ssvm = vm_named(api, "s-1-VM")
    answer = api.runDiagnostics(targetid=ssvm["id"], ipaddress="169.254.0.1", type="ping", params="-c 2")
    answer = answer["diagnostics"]
    assert answer["exitcode"] == "0", answer
    assert answer["stdout"].startswith("PING 169.254.0.1 (169.254.0.1)")
    assert "2 packets transmitted, 2 received" in answer["stdout"]
    # an address nothing answers: ping's own failure, exit code 1
    answer = api.runDiagnostics(targetid=ssvm["id"], ipaddress="169.254.99.99", type="ping", params="-c 1 -W 1")
    assert answer["diagnostics"]["exitcode"] == "1" and "0 received" in answer["diagnostics"]["stdout"]


def test_diagnostics_data_url_from_the_controller(api, control, lab_env):
    router = vm_named(api, "r-10-VM")
    url = api.getDiagnosticsData(targetid=router["id"])["diagnostics"]["url"]
    assert url.startswith("http://10.250.0.21/userdata/") and url.endswith(".zip")
    zf = zipfile.ZipFile(io.BytesIO(download(url)))
    assert zf.testzip() is None
    names = set(zf.namelist())
    assert {"iptables.log", "ipaddr.log", "iprule.log", "iproute.log", "hosts", "resolv.conf", "cloud.log",
            "daemon.log", "fileinfo.txt"} <= names
    assert "169.254.10.21" in zf.read("ipaddr.log").decode()  # the router's own interfaces
    manifest = zf.read("fileinfo.txt").decode().splitlines()
    assert "/var/log/cloud.log" in manifest and "ipaddr.log" in manifest
    assert not list((STATE / "machines" / "r-10-VM" / "root").glob("diagnostics_files_*"))  # cleanup.sh ran

    switch = lab_env["CSLAB_CONTROL"].rstrip("/") + "/diagnostics"

    def set_down(value):
        req = urllib.request.Request(switch, data=('{"url_down": %s}' % str(value).lower()).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
        with NO_PROXY.open(req, timeout=5) as resp:
            resp.read()

    set_down(True)
    try:
        with pytest.raises((urllib.error.URLError, ConnectionError, OSError)):
            download(url)
    finally:
        set_down(False)
    assert download(url)[:2] == b"PK"


def ssh_vm(linklocal, host, command):
    cfg = STATE / "ssh" / "ssh_config"
    return subprocess.run(["ssh", "-F", str(cfg), "-o", f"ProxyJump={host}", "-p", "3922", "-i",
                           str(STATE / "ssh" / "id_ed25519"), "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
                           "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                           f"root@{linklocal}", command], capture_output=True, text=True, timeout=60, check=False)


def test_replaced_system_vm_is_reachable_through_its_host(api, control):
    control.set_job_durations(destroySystemVm=0.5, systemVmRecreate=0.5, startSystemVm=0.5)
    try:
        old = vm_named(api, "v-2-VM")
        api.destroySystemVm(id=old["id"])
        deadline = time.time() + 30
        new = None
        while time.time() < deadline:
            found = [v for v in api.listSystemVms(systemvmtype="consoleproxy", zoneid=old["zoneid"]).get(
                "systemvm", []) if v["state"] == "Running"]
            if found:
                new = found[0]
                break
            time.sleep(0.3)
        assert new and new["name"] != "v-2-VM", "no replacement CPVM"
        res = None
        while time.time() < deadline:
            res = ssh_vm(new["linklocalip"], new["hostname"], "hostname; ls /opt/cloud/bin")
            if res.returncode == 0:
                break
            time.sleep(0.5)
        assert res.returncode == 0, res.stderr
        assert res.stdout.split()[0] == new["name"] and "diagnostics.py" in res.stdout
        answer = api.runDiagnostics(targetid=new["id"], ipaddress="169.254.0.1", type="ping", params="-c 1")
        assert answer["diagnostics"]["exitcode"] == "0" and "1 received" in answer["diagnostics"]["stdout"]
    finally:
        control.reset()
