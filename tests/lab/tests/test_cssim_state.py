"""Persistence: stable ids, atomic state.json, restarts (jobs included), reset."""

import json
import time
import uuid

from cssim.world import NAMESPACE, stable_id


def test_ids_are_stable_uuid5_of_kind_and_name(sim):
    zone = sim.ok("listZones", name="lab-zone1")["zone"][0]
    assert zone["id"] == str(uuid.uuid5(NAMESPACE, "zone:lab-zone1")) == stable_id("zone", "lab-zone1")
    host = sim.ok("listHosts", name="kvm1")["host"][0]
    assert host["id"] == stable_id("host", "kvm1")


def test_state_survives_restart(fresh_sim):
    sim = fresh_sim
    sim.ok("updateConfiguration", name="router.health.checks.basic.interval", value="7")
    vm = sim.ok("listSystemVms", name="s-1-VM")["systemvm"][0]
    sim.wait_job(sim.ok("stopSystemVm", id=vm["id"])["jobid"])
    state_file = sim.state_dir / "state.json"
    assert json.loads(state_file.read_text())["systemvms"][vm["id"]]["state"] == "Stopped"
    assert not list(sim.state_dir.glob(".state.json.*"))  # no temporary file left behind

    assert sim.stop() == 0
    assert not sim.pidfile.exists()
    sim.start()
    [cfg] = sim.ok("listConfigurations", name="router.health.checks.basic.interval")["configuration"]
    assert cfg["value"] == "7"
    assert sim.ok("listSystemVms", name="s-1-VM")["systemvm"][0]["state"] == "Stopped"


def test_pending_job_finishes_after_restart(fresh_sim):
    sim = fresh_sim
    sim.control.set_job_durations(stopSystemVm=1.5)
    vm = sim.ok("listSystemVms", name="v-2-VM")["systemvm"][0]
    jobid = sim.ok("stopSystemVm", id=vm["id"])["jobid"]
    sim.stop()
    sim.start()
    assert sim.control.job_durations()["stopSystemVm"] == 1.5
    body = sim.ok("queryAsyncJobResult", jobid=jobid)
    assert body["jobstatus"] == 0
    assert sim.wait_job(jobid)["jobresult"]["systemvm"]["state"] == "Stopped"


def test_due_job_completes_on_start(fresh_sim):
    sim = fresh_sim
    sim.control.set_job_durations(stopSystemVm=0.2)
    vm = sim.ok("listSystemVms", name="v-4-VM")["systemvm"][0]
    jobid = sim.ok("stopSystemVm", id=vm["id"])["jobid"]
    sim.stop()
    time.sleep(0.3)
    sim.start()
    assert sim.ok("queryAsyncJobResult", jobid=jobid)["jobstatus"] == 1


def test_request_log_indexes_continue_after_restart(fresh_sim):
    sim = fresh_sim
    sim.ok("listZones")
    before = sim.control.mark()
    sim.stop()
    sim.start()
    assert sim.control.mark() == before
    sim.ok("listPods")
    [entry] = sim.control.requests(before)
    assert entry["index"] == before and entry["command"] == "listPods"


def test_reset_reseeds(sim):
    sim.ok("updateConfiguration", name="expunge.delay", value="5")
    sim.control.reset()
    [cfg] = sim.ok("listConfigurations", name="expunge.delay")["configuration"]
    assert cfg["value"] == "86400"
