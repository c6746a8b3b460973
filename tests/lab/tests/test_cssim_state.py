"""Persistence: stable ids, snapshot and journal, restarts and kill -9 (jobs included), concurrency, reset."""

import json
import threading
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

    assert sim.stop() == 0
    assert not sim.pidfile.exists()
    # a clean stop compacts: the snapshot holds everything, the journal is empty, no temporary file is left
    state = json.loads((sim.state_dir / "state.json").read_text())
    assert state["systemvms"][vm["id"]]["state"] == "Stopped"
    assert state["settings"]["global"]["router.health.checks.basic.interval"] == "7"
    assert (sim.state_dir / "journal.jsonl").read_bytes() == b""
    assert not list(sim.state_dir.glob(".state.json.*"))
    sim.start()
    [cfg] = sim.ok("listConfigurations", name="router.health.checks.basic.interval")["configuration"]
    assert cfg["value"] == "7"
    assert sim.ok("listSystemVms", name="s-1-VM")["systemvm"][0]["state"] == "Stopped"


def test_a_write_appends_to_the_journal_and_leaves_the_snapshot(fresh_sim):
    sim = fresh_sim
    snapshot = sim.state_dir / "state.json"
    journal = sim.state_dir / "journal.jsonl"
    before = snapshot.stat()
    size = journal.stat().st_size
    sim.ok("updateConfiguration", name="expunge.delay", value="123")
    after = snapshot.stat()
    assert (after.st_mtime_ns, after.st_size, after.st_ino) == (before.st_mtime_ns, before.st_size, before.st_ino)
    [line] = journal.read_bytes()[size:].splitlines()
    assert len(line) < before.st_size / 10
    assert ["set", ["settings"], json.loads(line)["ops"][0][2]] == json.loads(line)["ops"][0]
    assert json.loads(line)["ops"][0][2]["global"]["expunge.delay"] == "123"
    size = journal.stat().st_size
    sim.ok("listZones")  # reads write nothing
    assert journal.stat().st_size == size


def test_state_survives_kill_9(fresh_sim):
    sim = fresh_sim
    sim.control.set_job_durations(stopSystemVm=0.2, startSystemVm=30)
    sim.ok("updateConfiguration", name="expunge.delay", value="99")
    vm = sim.ok("listSystemVms", name="s-1-VM")["systemvm"][0]
    sim.wait_job(sim.ok("stopSystemVm", id=vm["id"])["jobid"])
    pending = sim.ok("startSystemVm", id=vm["id"])["jobid"]
    mark = sim.control.mark()
    assert sim.kill() == -9
    assert json.loads((sim.state_dir / "state.json").read_text())["systemvms"][vm["id"]]["state"] == "Running"

    sim.start()
    [cfg] = sim.ok("listConfigurations", name="expunge.delay")["configuration"]
    assert cfg["value"] == "99"
    assert sim.ok("listSystemVms", name="s-1-VM")["systemvm"][0]["state"] == "Starting"  # the job in flight
    assert sim.ok("queryAsyncJobResult", jobid=pending)["jobstatus"] == 0
    assert sim.control.job_durations()["startSystemVm"] == 30
    assert sim.control.mark() == mark + 3  # the request log kept every entry (and the three calls just made)
    assert sim.control.health()["boot"] == 2
    # start-up compacted the replayed journal into the snapshot
    assert (sim.state_dir / "journal.jsonl").read_bytes() == b""
    assert json.loads((sim.state_dir / "state.json").read_text())["systemvms"][vm["id"]]["state"] == "Starting"


def test_a_line_cut_short_by_a_crash_is_dropped(fresh_sim):
    sim = fresh_sim
    sim.ok("updateConfiguration", name="expunge.delay", value="42")
    mark = sim.control.mark()
    sim.kill()
    with open(sim.state_dir / "journal.jsonl", "ab") as fh:
        fh.write(b'{"ops":[["set",["settings"],{"glo')
    with open(sim.state_dir / "requests.jsonl", "ab") as fh:
        fh.write(b'{"time":1,"meth')
    sim.start()
    [cfg] = sim.ok("listConfigurations", name="expunge.delay")["configuration"]
    assert cfg["value"] == "42"
    assert sim.control.mark() == mark + 1
    assert "incomplete last line" in sim.log_tail()


def test_concurrent_writes_are_all_kept(fresh_sim):
    sim = fresh_sim
    names = ["router.alerts.check.interval", "router.health.checks.basic.interval", "ca.framework.cert.keysize",
             "ca.framework.cert.validity.period", "kvm.rolling.maintenance.stage.timeout",
             "kvm.rolling.maintenance.ping.interval", "diagnostics.data.gc.interval", "expunge.delay"]
    errors = []

    def write(name, value):
        try:
            for step in range(5):
                sim.ok("updateConfiguration", name=name, value=str(value + step))
        except AssertionError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(name, 1000 * (i + 1))) for i, name in enumerate(names)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    sim.kill()
    sim.start()
    for i, name in enumerate(names):
        [cfg] = sim.ok("listConfigurations", name=name)["configuration"]
        assert cfg["value"] == str(1000 * (i + 1) + 4), name


def test_requests_are_answered_concurrently(fresh_sim):
    sim = fresh_sim
    sim.control.add_fault("latency", command="listPods", seconds=2)
    slow = threading.Thread(target=sim.ok, args=("listPods",))
    slow.start()
    time.sleep(0.2)
    started = time.monotonic()
    sim.ok("listZones")
    sim.ok("updateConfiguration", name="expunge.delay", value="5")
    assert time.monotonic() - started < 1.0 and slow.is_alive()
    slow.join()


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
