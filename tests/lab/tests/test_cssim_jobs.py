"""Async jobs: the cs client waits on them; states move through Stopping/Stopped/Starting/Running."""

import time

import pytest
from cs import CloudStackApiException


def _vm(sim, name):
    [vm] = sim.ok("listSystemVms", name=name)["systemvm"]
    return vm


def test_cs_client_fetch_result_waits_for_stop_and_start(sim, cs_client):
    client = cs_client(fetch_result=True)
    vm = _vm(sim, "v-2-VM")
    assert vm["state"] == "Running" and vm["hostname"] == "kvm2"

    stopped = client.stopSystemVm(id=vm["id"])["systemvm"]
    assert stopped["state"] == "Stopped"
    assert "hostid" not in stopped and "linklocalip" not in stopped
    listed = _vm(sim, "v-2-VM")
    assert listed["state"] == "Stopped" and listed["agentstate"] == "Disconnected"
    assert sim.ok("listSystemVms", hostid=vm["hostid"]) == {}  # kvm2 runs no other system VM

    started = client.startSystemVm(id=vm["id"])["systemvm"]
    assert started["state"] == "Running"
    assert started["hostid"] == vm["hostid"]
    assert started["linklocalip"] == vm["linklocalip"]


def test_transitional_state_and_pending_job(sim):
    sim.control.set_job_durations(stopSystemVm=1.0)
    vm = _vm(sim, "s-1-VM")
    jobid = sim.ok("stopSystemVm", id=vm["id"])["jobid"]
    pending = sim.ok("queryAsyncJobResult", jobid=jobid)
    assert pending["jobstatus"] == 0 and pending["jobresultcode"] == 0
    assert "jobresult" not in pending and "completed" not in pending
    assert pending["jobinstancetype"] == "SystemVm" and pending["jobinstanceid"] == vm["id"]
    assert pending["cmd"] == "org.apache.cloudstack.api.command.admin.systemvm.StopSystemVmCmd"
    listed = _vm(sim, "s-1-VM")
    assert listed["state"] == "Stopping"
    assert listed["jobid"] == jobid and listed["jobstatus"] == 0
    done = sim.wait_job(jobid)
    assert done["jobstatus"] == 1 and done["jobresulttype"] == "object"
    assert done["jobresult"]["systemvm"]["state"] == "Stopped"
    assert "completed" in done
    assert "jobid" not in _vm(sim, "s-1-VM")


def test_jobs_finish_without_being_polled(sim):
    vm = _vm(sim, "s-3-VM")
    sim.ok("stopSystemVm", id=vm["id"])
    time.sleep(0.8)
    state = sim.control.state()
    assert state["systemvms"][vm["id"]]["state"] == "Stopped"


def test_jobs_on_one_vm_run_in_order(sim):
    sim.control.set_job_durations(stopSystemVm=0.4, startSystemVm=0.4)
    vm = _vm(sim, "v-4-VM")
    first = sim.ok("stopSystemVm", id=vm["id"])["jobid"]
    second = sim.ok("startSystemVm", id=vm["id"])["jobid"]
    assert sim.ok("queryAsyncJobResult", jobid=second)["jobstatus"] == 0
    assert sim.wait_job(first)["jobresult"]["systemvm"]["state"] == "Stopped"
    assert _vm(sim, "v-4-VM")["state"] == "Starting"
    assert sim.wait_job(second)["jobresult"]["systemvm"]["state"] == "Running"


def test_failed_job_reports_error(sim, cs_client):
    client = cs_client(fetch_result=True)
    vm = _vm(sim, "s-1-VM")
    client.stopSystemVm(id=vm["id"])
    with pytest.raises(CloudStackApiException) as info:
        client.rebootSystemVm(id=vm["id"])
    assert info.value.error == {"errorcode": 530, "errortext": "Fail to reboot system vm"}
    job = sim.control.jobs()[-1]
    assert job["status"] == 2 and job["resultcode"] == 530


def test_unknown_job_is_431(sim):
    resp = sim.call("queryAsyncJobResult", jobid="00000000-0000-4000-8000-000000000000")
    assert resp.status_code == 431


def test_job_durations_are_configurable(sim):
    durations = sim.control.set_job_durations({"rebootSystemVm": 0.1})
    assert durations["rebootSystemVm"] == 0.1
    assert sim.control.job_durations()["startSystemVm"] == 0.3
