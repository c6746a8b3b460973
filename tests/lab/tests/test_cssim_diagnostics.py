"""runDiagnostics and getDiagnosticsData on VMs without a lab namespace (simulated output, a real zip, a real URL),
and the lab's VM-side scripts run for real on this machine (tests/lab/hosts/vm/)."""

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import requests

from cssim import diagnostics
from cssim.world import stable_id

VM_SCRIPTS = Path(__file__).resolve().parent.parent / "hosts" / "vm"
SSVM = stable_id("systemvm", "s-1-VM")
ROUTER = stable_id("router", "r-10-VM")


def run(sim, **params):
    body = sim.ok("runDiagnostics", **params)
    return sim.wait_job(body["jobid"])


def test_run_ping_answers_the_scripts_format(sim):
    job = run(sim, targetid=SSVM, ipaddress="10.250.0.1", type="ping")
    assert job["jobstatus"] == 1, job
    answer = job["jobresult"]["diagnostics"]
    assert set(answer) == {"stdout", "stderr", "exitcode"}
    assert answer["exitcode"] == "0" and answer["stderr"] == ""
    assert "4 packets transmitted" in answer["stdout"]  # diagnostics.py adds -c 4
    job = run(sim, targetid=ROUTER, ipaddress="10.250.0.1", type="PING", params="-c 2")
    assert "2 packets transmitted" in job["jobresult"]["diagnostics"]["stdout"]


@pytest.mark.parametrize("params, text", [
    ({"type": "nslookup"}, "nslookup Is not a valid diagnostics command type. "),
    ({"type": "ping", "params": "-c 1; reboot"}, "Optional parameters contain unwanted characters: -c 1; reboot"),
    ({"type": "ping", "params": "-c 1 | cat"}, "Optional parameters contain unwanted characters: -c 1 | cat"),
])
def test_run_refusals_fail_the_job_with_cloudstacks_text(sim, params, text):
    job = run(sim, targetid=SSVM, ipaddress="10.250.0.1", **params)
    assert job["jobstatus"] == 2
    assert job["jobresult"] == {"errorcode": 530, "errortext": text}


def test_run_unknown_target_and_missing_parameter(sim):
    resp = sim.call("runDiagnostics", targetid=stable_id("host", "kvm1"), ipaddress="10.250.0.1", type="ping")
    assert resp.status_code == 431 and "targetid" in resp.text
    resp = sim.call("runDiagnostics", targetid=SSVM, type="ping")
    assert resp.status_code == 431 and "missing parameter ipaddress" in resp.text


def test_run_on_a_stopped_vm(sim):
    sim.wait_job(sim.ok("stopSystemVm", id=SSVM)["jobid"])
    job = run(sim, targetid=SSVM, ipaddress="10.250.0.1", type="ping")
    assert job["jobstatus"] == 2
    assert job["jobresult"]["errortext"] == "Unable to find host for virtual machine instance: s-1-VM"


def fetch_zip(url):
    resp = requests.get(url, timeout=10)
    assert resp.status_code == 200, resp.text
    return zipfile.ZipFile(io.BytesIO(resp.content))


def test_data_default_lists_and_layout(sim):
    job = sim.wait_job(sim.ok("getDiagnosticsData", targetid=ROUTER)["jobid"])
    assert job["jobstatus"] == 1, job
    url = job["jobresult"]["diagnostics"]["url"]
    assert url.startswith("http://") and "/userdata/" in url and url.endswith(".zip")
    zf = fetch_zip(url)
    names = set(zf.namelist())
    assert {"iptables.log", "ipaddr.log", "iprule.log", "iproute.log", "fileinfo.txt"} <= names
    assert all("/" not in n for n in names)  # flat basenames
    manifest = zf.read("fileinfo.txt").decode().splitlines()
    assert "iptables.log" in manifest and "/var/log/cloud.log" in manifest
    assert "dnsmasq.conf" not in names  # paths that do not exist are skipped

    sim.ok("updateConfiguration", name="diagnostics.data.systemvm.defaults", value="ipaddr,/etc/hosts")
    job = sim.wait_job(sim.ok("getDiagnosticsData", targetid=SSVM)["jobid"])
    zf = fetch_zip(job["jobresult"]["diagnostics"]["url"])
    assert sorted(zf.namelist()) == ["fileinfo.txt", "hosts", "ipaddr.log"]


def test_data_given_files_and_script_entries(sim):
    job = sim.wait_job(sim.ok("getDiagnosticsData", targetid=SSVM, files="[NOSUCH],/etc/cloudstack-release")["jobid"])
    zf = fetch_zip(job["jobresult"]["diagnostics"]["url"])
    assert "Unable to generate command for nosuch, perhaps missing file" in zf.read("nosuch.log").decode()
    assert zf.read("cloudstack-release").decode().startswith("Cloudstack Release 4.20.1.0")


def test_url_down_switch(sim):
    job = sim.wait_job(sim.ok("getDiagnosticsData", targetid=SSVM, files="ipaddr")["jobid"])
    url = job["jobresult"]["diagnostics"]["url"]
    switch = sim.control.base + "/lab/diagnostics"
    assert requests.post(switch, json={"url_down": True}, timeout=5).json()["url_down"] is True
    try:
        with pytest.raises(requests.ConnectionError):
            requests.get(url, timeout=5)
    finally:
        requests.post(switch, json={"url_down": False}, timeout=5)
    assert requests.get(switch, timeout=5).json()["url_down"] is False
    assert requests.get(url, timeout=5).status_code == 200


# ----- the VM-side scripts, run here for real ------------------------------------------------------------


def script(name, *args, cwd):
    # The Python scripts have no shebang here: the lab adds it when it installs them (hosts/vms.py).
    interpreter = [sys.executable] if name.endswith(".py") else []
    return subprocess.run(interpreter + [str(VM_SCRIPTS / name), *args], cwd=cwd, capture_output=True, text=True, timeout=60,
                          check=False)


def test_diagnostics_script_output_parses(tmp_path):
    res = script("diagnostics.py", "nosuchtool", "127.0.0.1", cwd=tmp_path)
    # an unknown type prints nothing useful: CloudStack then says the type is unsupported
    with pytest.raises(Exception):
        diagnostics.parse_answer(res.stdout)
    res = script("diagnostics.py", "ping", "127.0.0.1", "-c", "1", "-W", "1", cwd=tmp_path)
    answer = diagnostics.parse_answer(res.stdout)
    assert answer["exitcode"].isdigit()
    if answer["exitcode"] == "0":
        assert "1 packets transmitted" in answer["stdout"]


def test_get_files_and_cleanup_scripts(tmp_path):
    present = tmp_path / "present.txt"
    present.write_text("hello\n")
    env = dict(os.environ, CSLAB_DIAG_ZIP_DIR=str(tmp_path))
    res = subprocess.run([sys.executable, str(VM_SCRIPTS / "get_diagnostics_files.py"), "ipaddr", "[NOSUCH]",
                          str(present), "/nonexistent/file"], cwd=tmp_path, capture_output=True, text=True,
                         env=env, timeout=60, check=True)
    zip_path = Path(res.stdout.strip())
    assert zip_path.name.startswith("diagnostics_files_") and zip_path.suffix == ".zip"
    with zipfile.ZipFile(zip_path) as zf:
        assert sorted(zf.namelist()) == ["fileinfo.txt", "ipaddr.log", "nosuch.log", "present.txt"]
        assert zf.read("present.txt") == b"hello\n"
        assert zf.read("fileinfo.txt").decode().splitlines() == ["ipaddr.log", "nosuch.log", str(present)]
    assert not (tmp_path / "ipaddr.log").exists() and not (tmp_path / "fileinfo.txt").exists()
    res = script("cleanup.sh", str(zip_path), cwd=tmp_path)
    assert res.stdout.strip() == "Deleting diagnostics zip file %s" % zip_path and not zip_path.exists()
    res = script("cleanup.sh", str(zip_path), cwd=tmp_path)
    assert res.stdout.rstrip("\n") == "File %s not found in vm " % zip_path
