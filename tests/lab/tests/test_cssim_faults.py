"""Fault injection through the control API."""

import time

import pytest
import requests
from cs import CloudStackApiException, CloudStackException

from cssim.control import ControlError


def test_latency(sim):
    sim.control.add_fault("latency", command="listZones", seconds=0.4)
    started = time.monotonic()
    sim.ok("listZones")
    assert time.monotonic() - started >= 0.4
    started = time.monotonic()
    sim.ok("listPods")
    assert time.monotonic() - started < 0.4


def test_http_error_on_nth_call_looks_like_a_proxy(sim, cs_client):
    sim.control.add_fault("http_error", command="listZones", status=503, nth=2)
    client = cs_client()
    assert client.listZones()["count"] == 2
    with pytest.raises(CloudStackException) as info:
        client.listZones()
    assert "HTTP 503" in str(info.value)
    assert info.value.response.headers["Content-Type"].startswith("text/html")
    assert client.listZones()["count"] == 2


def test_api_error_uses_cloudstack_envelope(sim, cs_client):
    sim.control.add_fault("api_error", command="listHosts", errorcode=530)
    resp = sim.call("listHosts")
    assert resp.status_code == 530
    body = resp.json()["listhostsresponse"]
    assert body["errorcode"] == 530 and body["uuidList"] == [] and body["errortext"]
    with pytest.raises(CloudStackApiException):
        cs_client().listHosts()
    sim.control.clear_faults()
    assert sim.call("listHosts").status_code == 200


def test_nth_counts_from_when_the_fault_is_added(sim):
    sim.ok("listPods")
    sim.ok("listPods")
    sim.control.add_fault("api_error", command="listPods", errorcode=534, nth=1)
    assert sim.call("listPods").status_code == 534
    assert sim.call("listPods").status_code == 200


def test_job_fail(sim, cs_client):
    sim.control.add_fault("job_fail", command="stopSystemVm", errortext="hypervisor said no")
    vm = sim.ok("listSystemVms", name="s-1-VM")["systemvm"][0]
    with pytest.raises(CloudStackApiException) as info:
        cs_client(fetch_result=True).stopSystemVm(id=vm["id"])
    assert info.value.error == {"errorcode": 530, "errortext": "hypervisor said no"}
    assert sim.ok("listSystemVms", name="s-1-VM")["systemvm"][0]["state"] == "Running"


def test_job_hang(sim):
    sim.control.add_fault("job_hang", command="stopSystemVm")
    vm = sim.ok("listSystemVms", name="s-1-VM")["systemvm"][0]
    jobid = sim.ok("stopSystemVm", id=vm["id"])["jobid"]
    time.sleep(0.6)  # twice the job duration
    assert sim.ok("queryAsyncJobResult", jobid=jobid)["jobstatus"] == 0
    assert sim.ok("listSystemVms", name="s-1-VM")["systemvm"][0]["state"] == "Stopping"


def test_host_state(sim):
    sim.control.add_fault("host_state", host="kvm1", state="Disconnected")
    host = sim.ok("listHosts", name="kvm1")["host"][0]
    assert host["state"] == "Disconnected" and "disconnected" in host
    assert sim.ok("listHosts", state="Up", type="Routing")["count"] == 5  # kvm2-kvm6
    ssvm = sim.ok("listSystemVms", name="s-1-VM")["systemvm"][0]
    assert ssvm["hostcontrolstate"] == "Offline"
    assert sim.control.clear_faults() == 1
    assert sim.ok("listHosts", name="kvm1")["host"][0]["state"] == "Up"


def test_bad_fault_specs_are_rejected(sim):
    with pytest.raises(ControlError) as info:
        sim.control.add_fault("meteor", command="listZones")
    assert info.value.status == 400
    with pytest.raises(ControlError):
        sim.control.add_fault("host_state", host="kvm99", state="Down")
    assert requests.post(sim.endpoint.replace("/client/api", "/lab/faults"), data="{", timeout=5).status_code == 400
