"""Request log: marks, redaction, write flag, requests.jsonl."""

import json


def test_log_entries_and_write_flag(sim):
    mark = sim.control.mark()
    vm = sim.ok("listSystemVms", name="s-1-VM")["systemvm"][0]
    sim.ok("updateConfiguration", name="expunge.delay", value="60")
    jobid = sim.ok("rebootSystemVm", id=vm["id"])["jobid"]
    sim.wait_job(jobid)
    entries = sim.control.requests(mark)
    assert [e["index"] for e in entries] == list(range(mark, mark + len(entries)))
    flags = {e["command"]: e["write"] for e in entries}
    assert flags == {"listSystemVms": False, "updateConfiguration": True, "rebootSystemVm": True,
                     "queryAsyncJobResult": False}
    assert [e["command"] for e in sim.control.write_calls(mark)] == ["updateConfiguration", "rebootSystemVm"]
    assert set(entries[0]) >= {"index", "time", "command", "params", "status", "write"}


def test_entries_say_how_long_the_answer_took(sim):
    sim.control.add_fault("latency", command="listPods", seconds=0.3)
    mark = sim.control.mark()
    sim.ok("listPods")
    sim.ok("listZones")
    slow, fast = sim.control.requests(mark)
    assert slow["elapsed"] >= 0.3 and 0 <= fast["elapsed"] < 0.3


def test_failed_and_unsigned_requests_are_logged(sim):
    mark = sim.control.mark()
    sim.call("listZones", secret="nope")
    sim.call("listTemplates")
    statuses = [(e["command"], e["status"]) for e in sim.control.requests(mark)]
    assert statuses == [("listZones", 401), ("listTemplates", 431)]


def test_secrets_are_redacted(sim):
    mark = sim.control.mark()
    secrets = {"password": "hunter2", "ssh.privatekey": "KEY", "clientsecret": "s3", "certificate": "-----BEGIN CERT"}
    resp = sim.call("listZones", **secrets)
    assert resp.status_code == 431  # unknown parameters, but still logged
    [entry] = sim.control.requests(mark)
    params = entry["params"]
    for name in ("apikey", "signature", "password", "ssh.privatekey", "clientsecret", "certificate"):
        assert params[name] == "*****", name
    assert params["command"] == "listZones"
    text = (sim.state_dir / "requests.jsonl").read_text()
    for secret in ("hunter2", "KEY", "s3", "BEGIN CERT", "csl-admin-apikey"):
        assert secret not in text
    last = json.loads(text.strip().splitlines()[-1])
    assert last["index"] == entry["index"]


def test_requests_filter_by_command(sim):
    mark = sim.control.mark()
    sim.ok("listZones")
    sim.ok("listPods")
    assert [e["command"] for e in sim.control.requests(mark, command="listPods")] == ["listPods"]


def test_lab_control_accepts_base_api_and_control_urls(sim):
    from cssim.control import LabControl

    base = sim.endpoint.rsplit("/client/api", 1)[0]
    marks = {LabControl(url).mark() for url in (base, base + "/", sim.endpoint, base + "/lab")}
    assert len(marks) == 1
