"""destroySystemVm (and the replacement CloudStack creates) and migrateSystemVm (same cluster only)."""

import time

import pytest
from cs import CloudStackApiException

from cssim.world import stable_id
from cssim_harness import Sim
from test_cssim_routers import new_router_template

ZONE1 = stable_id("zone", "lab-zone1")


def vms(sim, **filters):
    return sim.ok("listSystemVms", **filters).get("systemvm", [])


def wait_vm(sim, predicate, timeout=10, **filters):
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = [v for v in vms(sim, **filters) if predicate(v)]
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("no system VM matched: %s" % vms(sim, **filters))


def test_destroy_then_replacement_on_the_router_template(sim, cs_client):
    new_router_template(sim)
    sim.control.set_job_durations(systemVmRecreate=0.6, startSystemVm=0.6)
    [old] = vms(sim, name="s-1-VM")
    destroyed = cs_client(fetch_result=True).destroySystemVm(id=old["id"])["systemvm"]
    assert destroyed["id"] == old["id"] and destroyed["state"] == "Destroyed"
    assert "hostid" not in destroyed
    assert vms(sim, name="s-1-VM") == []
    assert sim.ok("listHosts", name="s-1-VM") == {}  # the agent's host row goes with it
    assert sim.call("listSystemVms", id=old["id"]).status_code == 431

    [starting] = wait_vm(sim, lambda v: True, systemvmtype="secondarystoragevm", zoneid=ZONE1)
    assert starting["name"] == "s-29-VM" and starting["id"] != old["id"]  # next free number (user VMs: 20-28)
    assert starting["state"] == "Starting" and starting["agentstate"] == "Connecting"
    assert starting["templatename"] == "systemvm-kvm-4.20.1"
    [running] = wait_vm(sim, lambda v: v["state"] == "Running", name="s-29-VM")
    assert running["agentstate"] == "Up" and running["version"] == "4.20.1.0"
    assert running["hostname"] == "kvm1" and running["linklocalip"].startswith("169.254.")
    assert running["linklocalip"] != old["linklocalip"] and running["privateip"] != old["privateip"]
    assert sim.ok("listHosts", name="s-29-VM")["host"][0]["type"] == "SecondaryStorageVM"
    assert sim.control.state()["systemvms"][running["id"]]["lab_namespace"] is None  # API-only

    # the next one gets the next number; a CPVM is replaced by a CPVM
    [cpvm] = vms(sim, name="v-2-VM")
    sim.wait_job(sim.ok("destroySystemVm", id=cpvm["id"])["jobid"])
    [new_cpvm] = wait_vm(sim, lambda v: v["name"] != "v-4-VM", systemvmtype="consoleproxy")
    assert new_cpvm["name"] == "v-30-VM" and new_cpvm["zoneid"] == ZONE1


def test_replacement_falls_back_to_the_old_template(sim):
    sim.ok("updateConfiguration", name="router.template.kvm", value="no-such-template")
    [old] = vms(sim, name="v-4-VM")
    sim.wait_job(sim.ok("destroySystemVm", id=old["id"])["jobid"])
    [new] = wait_vm(sim, lambda v: v["state"] == "Running", systemvmtype="consoleproxy",
                    zoneid=stable_id("zone", "lab-zone2"))
    assert new["templatename"] == old["templatename"] == "systemvm-kvm-4.19.0"


def test_destroy_job_fail_keeps_the_vm(sim):
    sim.control.add_fault("job_fail", command="destroySystemVm", errortext="boom")
    [old] = vms(sim, name="s-3-VM")
    job = sim.wait_job(sim.ok("destroySystemVm", id=old["id"])["jobid"])
    assert job["jobstatus"] == 2
    assert vms(sim, name="s-3-VM")[0]["state"] == "Running"


def test_replacement_is_created_after_a_restart(fresh_sim):
    sim = fresh_sim
    sim.control.set_job_durations(destroySystemVm=0.1, systemVmRecreate=1.0, startSystemVm=0.2)
    [old] = vms(sim, name="s-1-VM")
    sim.wait_job(sim.ok("destroySystemVm", id=old["id"])["jobid"])
    sim.restart()
    wait_vm(sim, lambda v: v["state"] == "Running", name="s-29-VM")


@pytest.fixture(scope="module")
def two_host_sim(tmp_path_factory):
    """sim-host-00001 joins kvm3 in lab-cluster3 (zone 2), so zone 2's system VMs can migrate."""
    sim = Sim(tmp_path_factory.mktemp("cssim-migrate"), extra_hosts=1).start()
    yield sim
    sim.stop()


@pytest.fixture
def msim(two_host_sim):
    two_host_sim.control.clear_faults()
    two_host_sim.control.reset()
    two_host_sim.control.set_job_durations(migrateSystemVm=0.4, stopSystemVm=0.1)
    return two_host_sim


def _host(sim, name):
    return sim.ok("listHosts", name=name)["host"][0]


def test_migrate_within_the_cluster(msim):
    [vm] = vms(msim, name="s-3-VM")
    target = _host(msim, "sim-host-00001")
    jobid = msim.ok("migrateSystemVm", virtualmachineid=vm["id"], hostid=target["id"])["jobid"]
    assert vms(msim, name="s-3-VM")[0]["state"] == "Migrating"
    result = msim.wait_job(jobid)["jobresult"]["systemvm"]
    assert result["state"] == "Running" and result["hostname"] == "sim-host-00001"
    assert vms(msim, hostid=target["id"])[0]["name"] == "s-3-VM"


def test_migrate_autoselect(msim):
    [vm] = vms(msim, name="v-4-VM")
    result = msim.wait_job(msim.ok("migrateSystemVm", virtualmachineid=vm["id"])["jobid"])["jobresult"]
    assert result["systemvm"]["hostname"] == "sim-host-00001"


@pytest.mark.parametrize("vm_name, params, code, text", [
    ("s-1-VM", {"hostid": "kvm2"}, 530, "Source and destination host are not in same cluster"),
    ("s-3-VM", {"hostid": "kvm3"}, 431, "VM is already present on this host"),
    ("s-3-VM", {"hostid": "s-1-VM"}, 431, "Unable to find the host to migrate the VM"),
    ("s-1-VM", {}, 530, "Unable to find suitable destination"),
    ("s-3-VM", {"autoselect": "false"}, 431, "pass 'autoselect=true'"),
])
def test_migrate_refusals_fail_the_job(msim, vm_name, params, code, text):
    if vm_name == "s-1-VM" and not params:  # no usable host left beside kvm1 in lab-cluster1
        for other in ("kvm4", "kvm5"):
            msim.control.add_fault("host_state", host=other, resourcestate="Disabled")
    [vm] = vms(msim, name=vm_name)
    if "hostid" in params:
        params = dict(params, hostid=_host(msim, params["hostid"])["id"])
    job = msim.wait_job(msim.ok("migrateSystemVm", virtualmachineid=vm["id"], **params)["jobid"])
    assert job["jobstatus"] == 2 and job["jobresultcode"] == 530
    assert job["jobresult"]["errorcode"] == code and text in job["jobresult"]["errortext"]
    after = vms(msim, name=vm_name)[0]
    assert after["state"] == "Running" and after["hostid"] == vm["hostid"]


def test_migrate_stopped_vm_fails(msim):
    [vm] = vms(msim, name="s-3-VM")
    msim.wait_job(msim.ok("stopSystemVm", id=vm["id"])["jobid"])
    job = msim.wait_job(msim.ok("migrateSystemVm", virtualmachineid=vm["id"])["jobid"])
    assert "VM is not Running, unable to migrate the vm" in job["jobresult"]["errortext"]


def test_migrate_to_a_host_that_is_down(msim):
    msim.control.add_fault("host_state", host="sim-host-00001", state="Down")
    [vm] = vms(msim, name="s-3-VM")
    job = msim.wait_job(msim.ok("migrateSystemVm", virtualmachineid=vm["id"],
                                hostid=_host(msim, "sim-host-00001")["id"])["jobid"])
    assert job["jobresult"]["errorcode"] == 431
    assert "destination host is not in correct state" in job["jobresult"]["errortext"]


def test_cs_client_sees_a_refused_migration_as_an_error(msim):
    from cs import CloudStack
    from cssim import DEFAULT_API_KEY, DEFAULT_SECRET_KEY
    client = CloudStack(endpoint=msim.endpoint, key=DEFAULT_API_KEY, secret=DEFAULT_SECRET_KEY, fetch_result=True,
                        poll_interval=0.05, job_timeout=20)
    [vm] = vms(msim, name="s-1-VM")
    with pytest.raises(CloudStackApiException) as info:
        client.migrateSystemVm(virtualmachineid=vm["id"], hostid=_host(msim, "kvm2")["id"])
    assert info.value.error["errorcode"] == 530


def test_job_queued_behind_a_destroy_fails_cleanly(sim):
    [vm] = vms(sim, name="s-3-VM")
    [other] = vms(sim, name="v-4-VM")
    destroy = sim.ok("destroySystemVm", id=vm["id"])["jobid"]
    stop = sim.ok("stopSystemVm", id=vm["id"])["jobid"]
    other_stop = sim.ok("stopSystemVm", id=other["id"])["jobid"]
    assert sim.wait_job(destroy)["jobstatus"] == 1
    failed = sim.wait_job(stop)
    assert failed["jobstatus"] == 2 and "Unable to find system vm" in failed["jobresult"]["errortext"]
    assert sim.wait_job(other_stop)["jobstatus"] == 1
    assert sim.ok("listZones")["count"] == 2  # the API keeps answering
