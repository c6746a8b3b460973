"""Management-server restart: boot counter, state/log/job continuity, and the `cloudstack-management` script."""

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
import yaml

from cssim.control import LabControl
from cssim.world import stable_id
from cssim_harness import LAB, TOPOLOGY

sys.path.insert(0, str(LAB))
import labctl  # noqa: E402
from hosts import model, render  # noqa: E402


def test_health_reports_boot_count_and_start_time(fresh_sim):
    sim = fresh_sim
    first = sim.control.health()
    assert first["ok"] and first["boot"] == 1 and first["version"] == "4.20.1.0"
    assert first["started_at"] <= time.time() and first["pid"] == sim.proc.pid
    sim.control.reset()  # a reseed is not a boot
    assert sim.control.health()["boot"] == 1
    sim.restart()
    second = sim.control.health()
    assert second["boot"] == 2 and second["started_at"] > first["started_at"] and second["pid"] != first["pid"]
    assert sim.control.state()["boot"] == 2


def test_restart_keeps_state_request_log_and_jobs(fresh_sim):
    sim = fresh_sim
    sim.control.set_job_durations(upgradeRouterTemplate=1.5)
    sim.ok("updateConfiguration", name="router.template.kvm", value="systemvm-kvm-4.19.0",
           zoneid=stable_id("zone", "lab-zone1"))
    [job] = sim.ok("upgradeRouterTemplate", id=stable_id("router", "r-10-VM"))["asyncjobs"]
    mark = sim.control.mark()
    sim.restart()
    assert sim.control.mark() == mark
    assert sim.ok("queryAsyncJobResult", jobid=job["jobid"])["jobstatus"] == 0
    assert sim.wait_job(job["jobid"])["jobstatus"] == 1
    [cfg] = sim.ok("listConfigurations", name="router.template.kvm",
                   zoneid=stable_id("zone", "lab-zone1"))["configuration"]
    assert cfg["value"] == "systemvm-kvm-4.19.0"
    assert [e["index"] for e in sim.control.requests(mark)][0] == mark


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Script:
    """The cloudstack-management script, rendered for a loopback simulator (no namespace)."""

    def __init__(self, tmp):
        self.port = _free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.pidfile = tmp / "run" / "cssim.pid"
        self.log = tmp / "logs" / "cssim.log"
        command = ["env", "PYTHONPATH=%s" % LAB, "PYTHONUNBUFFERED=1", sys.executable, "-m", "cssim",
                   "--state-dir", str(tmp / "sim"), "--topology", str(TOPOLOGY), "--host", "127.0.0.1",
                   "--port", str(self.port), "--pidfile", str(self.pidfile)]
        self.path = tmp / "bin" / "cloudstack-management"
        self.path.parent.mkdir(parents=True)
        self.path.write_text(render.management_script(command, self.pidfile, self.log, self.base + "/lab/health",
                                                      sys.executable, LAB.parent.parent))
        self.path.chmod(0o755)
        self.control = LabControl(self.base)

    def run(self, action, **env):
        return subprocess.run([str(self.path), action], capture_output=True, text=True, timeout=90, check=False,
                              env=dict(os.environ, CSLAB_MS_RESTART_PAUSE="0.5", **env))

    def api_up(self):
        try:
            return requests.get(self.base + "/lab/health", timeout=1).ok
        except requests.RequestException:
            return False


@pytest.fixture
def script(tmp_path):
    s = Script(tmp_path)
    yield s
    s.run("stop")


def test_script_is_valid_bash(script):
    assert subprocess.run(["bash", "-n", str(script.path)], check=False).returncode == 0
    assert script.run("bogus").returncode == 2


def test_script_start_status_restart_stop(script):
    assert script.run("status").returncode == 3
    started = script.run("start")
    assert started.returncode == 0, started.stderr
    assert "running (boot 1" in started.stdout
    assert script.run("status").returncode == 0
    assert script.run("start").returncode == 0  # already running: nothing to do
    first = script.control.health()

    sim_url = script.base + "/client/api"
    from cssim_harness import Sim
    sim = Sim.__new__(Sim)  # reuse the signed-call helpers against the script's simulator
    sim.endpoint, sim.control = sim_url, script.control
    sim.control.set_job_durations(upgradeRouterTemplate=2.5)
    sim.ok("updateConfiguration", name="expunge.delay", value="77")
    [job] = sim.ok("upgradeRouterTemplate", id=stable_id("router", "r-12-VM"))["asyncjobs"]
    mark = sim.control.mark()

    seen = []
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            seen.append(script.api_up())
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        restarted = script.run("restart")
    finally:
        stop.set()
        watcher.join()
    assert restarted.returncode == 0, restarted.stderr
    assert script.control.wait_healthy(timeout=5, min_boot=2)["boot"] == 2
    assert "stopped (pid %d)" % first["pid"] in restarted.stdout and "running (boot 2" in restarted.stdout
    # the API was down for a while, then back (asked again now: the watcher's last look may have been taken
    # while the restart was still finishing)
    assert False in seen and script.api_up() is True

    second = script.control.health()
    assert second["boot"] == 2 and second["pid"] != first["pid"] and second["started_at"] > first["started_at"]
    assert script.pidfile.read_text().strip() == str(second["pid"])
    assert sim.control.mark() == mark  # request log continues
    [cfg] = sim.ok("listConfigurations", name="expunge.delay")["configuration"]
    assert cfg["value"] == "77"
    assert sim.wait_job(job["jobid"])["jobstatus"] == 1  # the job in flight finished after the restart
    assert "cloudstack-management start" in script.log.read_text()

    stopped = script.run("stop")
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    assert not script.api_up() and not script.pidfile.exists()
    with pytest.raises(TimeoutError):
        script.control.wait_healthy(timeout=0.3)
    assert script.run("status").returncode == 3
    assert "not running" in script.run("stop").stdout


def test_labctl_writes_the_script_for_ms1_and_names_it_in_the_inventory(tmp_path):
    lab = model.load(TOPOLOGY)
    paths = labctl.Paths(tmp_path / ".state")
    ms = labctl.management_server(lab)
    text = labctl.management_script(paths, ms, TOPOLOGY, "k", "s")
    assert "netns exec csl-ms1" in text and "http://10.250.0.2:8080/lab/health" in text
    assert str(paths.sim_pidfile) in text and "--port 8080" in text
    assert paths.ms_script == tmp_path / ".state" / "bin" / "cloudstack-management"
    inv = yaml.safe_load(render.inventory(lab, Path("/x/ssh_config"), Path("/x/id"), Path("/x/cp"), {
        "ms1": {"cloudstack_management_restart_command": "%s restart" % paths.ms_script}}))
    ms1 = inv["all"]["children"]["cloudstack_management"]["hosts"]["ms1"]
    assert ms1["cloudstack_management_restart_command"] == "%s restart" % paths.ms_script
    assert "cloudstack_management_restart_command" not in inv["all"]["children"]["kvm_hosts"]["hosts"]["kvm1"]
