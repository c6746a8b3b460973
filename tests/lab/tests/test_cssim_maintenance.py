"""Host maintenance in the simulator: the drain, every maintenance state, capacity figures, allocation states,
the maintenance faults, and a drain that carries on across a management-server restart."""

import time

import pytest
import requests

from cssim import maintenance
from cssim.app import Simulator
from cssim.world import stable_id
from cssim_harness import TOPOLOGY

MIB = 1024**2
STEP = 0.05  # seconds each VM of a drain spends Migrating in these tests
FAST = {"vmMigration": STEP, "prepareHostForMaintenance": 0.05, "cancelHostMaintenance": 0.05}
KVM1, KVM2, KVM3 = (stable_id("host", n) for n in ("kvm1", "kvm2", "kvm3"))


@pytest.fixture
def msim(sim):
    sim.control.set_job_durations(FAST)
    return sim


def host(sim, name):
    return sim.ok("listHosts", name=name)["host"][0]


def vms(sim, **filters):
    return sim.ok("listVirtualMachines", listall="true", **filters).get("virtualmachine", [])


def where(sim):
    """{vm name: host name or None} for user VMs, routers and system VMs."""
    out = {v["name"]: v.get("hostname") for v in vms(sim)}
    out.update({r["name"]: r.get("hostname") for r in sim.ok("listRouters", listall="true").get("router", [])})
    out.update({s["name"]: s.get("hostname") for s in sim.ok("listSystemVms").get("systemvm", [])})
    return out


def prepare(sim, name):
    return sim.wait_job(sim.ok("prepareHostForMaintenance", id=host(sim, name)["id"])["jobid"])


def cancel(sim, name):
    return sim.wait_job(sim.ok("cancelHostMaintenance", id=host(sim, name)["id"])["jobid"])


def wait_state(sim, name, states, timeout=10):
    seen = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        state = host(sim, name)["resourcestate"]
        if not seen or seen[-1] != state:
            seen.append(state)
        if state in states:
            return seen
        time.sleep(0.02)
    raise AssertionError("%s never reached %s: %s" % (name, states, seen))


# ----- listVirtualMachines -----

def test_list_virtual_machines_fields_and_filters(msim):
    every = vms(msim)
    assert sorted(v["name"] for v in every) == [
        "app-1", "app-2", "batch-1", "cache-1", "db-1", "db-2", "web-1", "web-2", "web-3"]
    web1 = next(v for v in every if v["name"] == "web-1")
    assert web1["instancename"] == "i-2-20-VM" and web1["displayname"] == "web-1"
    assert (web1["state"], web1["hostname"], web1["zonename"], web1["hypervisor"]) == \
        ("Running", "kvm1", "lab-zone1", "KVM")
    assert (web1["cpunumber"], web1["cpuspeed"], web1["memory"]) == (2, 1000, 2048)
    assert web1["serviceofferingname"] == "Medium Instance" and web1["account"] == "admin"
    assert web1["haenable"] is False and web1["hostcontrolstate"] == "Enabled"
    # a root admin sees its own account's VMs unless listall/account/domainid/id
    own = msim.ok("listVirtualMachines")["virtualmachine"]
    assert {v["account"] for v in own} == {"admin"} and len(own) == 6
    assert [v["name"] for v in msim.ok("listVirtualMachines", account="tenant1")["virtualmachine"]] == \
        ["app-1", "app-2"]
    assert {v["name"] for v in vms(msim, hostid=KVM1)} == {"web-1", "web-2"}
    assert {v["name"] for v in vms(msim, clusterid=stable_id("cluster", "lab-cluster2"))} == \
        {"app-2", "cache-1", "db-2"}
    assert {v["name"] for v in vms(msim, podid=stable_id("pod", "lab-pod3"))} == {"batch-1"}
    assert len(vms(msim, zoneid=stable_id("zone", "lab-zone1"))) == 8
    assert {v["name"] for v in vms(msim, name="web")} == {"web-1", "web-2", "web-3"}  # a substring match
    assert {v["name"] for v in vms(msim, keyword="i-3-")} == {"app-1", "app-2"}
    assert {v["name"] for v in vms(msim, haenable="true")} == {"db-1", "db-2"}
    assert vms(msim, state="Stopped") == [] and len(vms(msim, state="present")) == 9
    ids = ",".join(stable_id("vm", n) for n in ("db-1", "app-1"))
    assert {v["name"] for v in msim.ok("listVirtualMachines", ids=ids)["virtualmachine"]} == {"db-1", "app-1"}
    page = msim.ok("listVirtualMachines", listall="true", page="2", pagesize="4")
    assert page["count"] == 9 and len(page["virtualmachine"]) == 4
    assert msim.ok("listVirtualMachines", listall="true", retrieveonlyresourcecount="true") == {"count": 9}


@pytest.mark.parametrize("params, text", [
    ({"details": "everything"}, "The details parameter contains a non permitted value"),
    ({"id": stable_id("vm", "web-1"), "ids": stable_id("vm", "web-2")}, "Either id or ids"),
    ({"id": stable_id("vm", "no-such-vm")}, "Invalid parameter id value="),
    ({"hostid": stable_id("host", "kvm9")}, "Invalid parameter hostid value="),
    ({"storageid": stable_id("storagepool", "lab-cluster1-primary")}, "cssim does not simulate"),
])
def test_list_virtual_machines_refusals(msim, params, text):
    resp = msim.call("listVirtualMachines", **params)
    assert resp.status_code == 431
    assert text in resp.json()["listvirtualmachinesresponse"]["errortext"]


# ----- capacity figures and ratios -----

def test_capacity_follows_the_vms_on_the_host(msim):
    kvm1 = host(msim, "kvm1")
    # web-1 (2 x 1000 MHz, 2048 MiB), web-2 (1 x 1000, 1024), s-1-VM (1 x 500, 512), r-10-VM (1 x 500, 256)
    assert kvm1["cpuallocatedvalue"] == 4000
    assert kvm1["memoryallocated"] == kvm1["memoryallocatedbytes"] == (2048 + 1024 + 512 + 256) * MIB
    assert kvm1["cpuallocated"] == kvm1["cpuallocatedpercentage"] == "20.83%"  # of 8 x 2400 MHz
    assert kvm1["cpuallocatedwithoverprovisioning"] == "10.42%"  # lab-cluster1: cpuovercommitratio 2.0
    assert kvm1["cpuwithoverprovisioning"] == "38400.0"
    assert kvm1["memorywithoverprovisioning"] == str(int(32 * 1024**3 * 1.5))
    clusters = {c["name"]: c for c in msim.ok("listClusters")["cluster"]}
    assert (clusters["lab-cluster1"]["cpuovercommitratio"], clusters["lab-cluster1"]["memoryovercommitratio"]) == \
        ("2.0", "1.5")
    assert clusters["lab-cluster3"]["cpuovercommitratio"] == "1.0"
    before = {n: host(msim, n)["cpuallocatedvalue"] for n in ("kvm1", "kvm4", "kvm5")}
    prepare(msim, "kvm1")
    wait_state(msim, "kvm1", ("Maintenance",))
    after = {n: host(msim, n)["cpuallocatedvalue"] for n in ("kvm1", "kvm4", "kvm5")}
    assert after["kvm1"] == 0 and host(msim, "kvm1")["memoryallocated"] == 0
    assert sum(after.values()) == sum(before.values())  # the load moved within the cluster


# ----- the drain -----

def test_maintenance_drains_one_vm_at_a_time_within_the_cluster(msim):
    job = prepare(msim, "kvm1")
    assert job["jobstatus"] == 1 and job["jobinstancetype"] == "Host"
    assert job["jobresult"]["host"]["resourcestate"] == "PrepareForMaintenance"  # the job ends before the drain
    started = time.time()
    migrating_at_once = set()
    while host(msim, "kvm1")["resourcestate"] == "PrepareForMaintenance":
        moving = [v["name"] for v in vms(msim) if v["state"] == "Migrating"]
        moving += [s["name"] for s in msim.ok("listSystemVms").get("systemvm", []) if s["state"] == "Migrating"]
        migrating_at_once.add(len(moving))
        assert time.time() - started < 10
        time.sleep(0.01)
    elapsed = time.time() - started
    assert host(msim, "kvm1")["resourcestate"] == "Maintenance"
    assert migrating_at_once <= {0, 1} and 1 in migrating_at_once
    assert elapsed >= 3 * STEP  # four VMs (two user VMs, a router, an SSVM), one after the other
    placed = where(msim)
    assert all(placed[n] in ("kvm4", "kvm5") for n in ("web-1", "web-2", "r-10-VM", "s-1-VM"))
    assert placed["app-2"] == "kvm2"  # other clusters untouched
    assert all(v["state"] == "Running" for v in vms(msim))
    assert host(msim, "kvm1")["state"] == "Up"  # maintenance is a resource state; the agent stays connected


def test_cancel_takes_the_host_back_and_vms_stay_where_they_went(msim):
    prepare(msim, "kvm1")
    wait_state(msim, "kvm1", ("Maintenance",))
    job = cancel(msim, "kvm1")
    assert job["jobstatus"] == 1 and job["jobresult"]["host"]["resourcestate"] == "Enabled"
    assert host(msim, "kvm1")["resourcestate"] == "Enabled"
    assert vms(msim, hostid=KVM1) == []  # CloudStack does not move VMs back


def test_the_last_up_host_of_a_cluster_stops_its_vms(msim):
    prepare(msim, "kvm3")
    wait_state(msim, "kvm3", ("Maintenance",))
    [batch] = vms(msim, name="batch-1")
    assert batch["state"] == "Stopped" and "hostid" not in batch
    [router] = msim.ok("listRouters", listall="true", name="r-12-VM")["router"]
    assert router["state"] == "Stopped"
    # SSVM/CPVM are destroyed (and recreated by the management server where it can)
    assert {s["name"] for s in msim.ok("listSystemVms", zoneid=stable_id("zone", "lab-zone2")).get("systemvm", [])} \
        <= {"s-29-VM", "v-30-VM", "s-30-VM", "v-29-VM"}


def test_vm_stuck_ends_in_error_in_maintenance_with_that_vm_on_the_host(msim):
    msim.control.add_fault("vm_stuck", vm="web-2")
    prepare(msim, "kvm1")
    seen = wait_state(msim, "kvm1", ("ErrorInMaintenance", "Maintenance"))
    assert seen[-1] == "ErrorInMaintenance"
    assert "ErrorInPrepareForMaintenance" in seen  # while the other VMs were still going
    [stuck] = vms(msim, hostid=KVM1)
    assert stuck["name"] == "web-2" and stuck["state"] == "Running"
    assert where(msim)["web-1"] in ("kvm4", "kvm5")
    assert cancel(msim, "kvm1")["jobresult"]["host"]["resourcestate"] == "Enabled"


def test_no_room_in_the_cluster_ends_in_error_in_maintenance(msim):
    # lab-cluster2 with 10% of the memory: kvm6 (32 GiB -> 3.2 GiB, db-2 takes 2 GiB) cannot take app-2 (2 GiB)
    msim.ok("updateConfiguration", name="mem.overprovisioning.factor", value="0.1",
            clusterid=stable_id("cluster", "lab-cluster2"))
    prepare(msim, "kvm2")
    assert wait_state(msim, "kvm2", ("ErrorInMaintenance", "Maintenance"))[-1] == "ErrorInMaintenance"
    left = {v["name"] for v in vms(msim, hostid=KVM2)}
    assert "app-2" in left and "cache-1" not in left  # each VM is checked alone: the small one went


def test_maintenance_stuck_stays_in_prepare_until_cancelled(msim):
    msim.control.add_fault("maintenance_stuck", host="kvm1")
    prepare(msim, "kvm1")
    time.sleep(6 * STEP)
    assert host(msim, "kvm1")["resourcestate"] == "PrepareForMaintenance"
    assert {v["name"] for v in vms(msim, hostid=KVM1)} == {"web-1", "web-2"}
    assert cancel(msim, "kvm1")["jobstatus"] == 1
    assert host(msim, "kvm1")["resourcestate"] == "Enabled"
    msim.control.clear_faults()
    time.sleep(4 * STEP)
    assert {v["name"] for v in vms(msim, hostid=KVM1)} == {"web-1", "web-2"}  # the drain stopped for good


def test_cancel_during_the_drain_stops_it(msim):
    msim.control.set_job_durations(vmMigration=0.4)
    prepare(msim, "kvm1")
    time.sleep(0.1)  # the first VM is Migrating
    cancel(msim, "kvm1")
    assert host(msim, "kvm1")["resourcestate"] == "Enabled"
    time.sleep(0.5)
    assert all(v["state"] == "Running" for v in vms(msim))
    assert {v["name"] for v in vms(msim, hostid=KVM1)} == {"web-1", "web-2"}


def test_cancel_from_error_in_prepare_for_maintenance(msim):
    msim.control.set_job_durations(vmMigration=0.3)
    msim.control.add_fault("vm_stuck", vm="i-2-20-VM")  # web-1, the first to go, by instance name
    prepare(msim, "kvm1")
    wait_state(msim, "kvm1", ("ErrorInPrepareForMaintenance",))
    assert cancel(msim, "kvm1")["jobresult"]["host"]["resourcestate"] == "Enabled"


def test_host_down_after_maintenance(msim):
    msim.control.add_fault("host_down_after_maintenance", host="kvm4")
    prepare(msim, "kvm4")
    wait_state(msim, "kvm4", ("Maintenance",))
    assert host(msim, "kvm4")["state"] == "Up"
    cancel(msim, "kvm4")
    down = host(msim, "kvm4")
    assert (down["state"], down["resourcestate"]) == ("Disconnected", "Enabled") and "disconnected" in down
    msim.control.clear_faults()
    assert host(msim, "kvm4")["state"] == "Up"


# ----- refusals, as CloudStack words them -----

def _failed_job(sim, command, name):
    job = sim.wait_job(sim.ok(command, id=host(sim, name)["id"])["jobid"])
    assert job["jobstatus"] == 2 and job["jobresultcode"] == 530
    assert job["jobresult"]["errorcode"] == 530
    return job["jobresult"]["errortext"]


def test_prepare_refusals(msim):
    prepare(msim, "kvm1")
    wait_state(msim, "kvm1", ("Maintenance",))
    assert _failed_job(msim, "prepareHostForMaintenance", "kvm1") == (
        "Failed to prepare host for maintenance due to: Host is already in state Maintenance. Cannot recall for "
        "maintenance until resolved.")
    msim.control.add_fault("maintenance_stuck", host="kvm2")
    prepare(msim, "kvm2")
    assert _failed_job(msim, "prepareHostForMaintenance", "kvm6").startswith(
        "Failed to prepare host for maintenance due to: There are other servers attempting migrations for "
        "maintenance. Found hosts in PrepareForMaintenance OR ErrorInPrepareForMaintenance STATUS in cluster "
        "Cluster {")
    msim.control.add_fault("host_state", host="kvm3", state="Disconnected")
    assert _failed_job(msim, "prepareHostForMaintenance", "kvm3").startswith(
        "Failed to prepare host for maintenance due to: Unable to prepare for maintenance host Host {")
    assert '"name":"kvm3","type":"Routing","uuid":"%s"}' % KVM3 in \
        _failed_job(msim, "prepareHostForMaintenance", "kvm3")
    assert "Unable to prepare for maintenance host" in _failed_job(msim, "prepareHostForMaintenance", "s-1-VM")
    assert host(msim, "kvm3")["resourcestate"] == "Enabled"


def test_prepare_a_disabled_host_is_refused(msim):
    msim.ok("updateHost", id=host(msim, "kvm5")["id"], allocationstate="Disable")
    text = _failed_job(msim, "prepareHostForMaintenance", "kvm5")
    assert "Cannot transit resource state of Host {" in text
    assert text.endswith("No next resource state found for current state = Disabled event = AdminAskMaintenance")


def test_cancel_outside_maintenance_is_refused(msim):
    assert _failed_job(msim, "cancelHostMaintenance", "kvm1").startswith(
        "Cannot perform cancelMaintenance when resource state is Enabled, host: Host {")


@pytest.mark.parametrize("command", ["prepareHostForMaintenance", "cancelHostMaintenance"])
def test_bad_ids_are_431_and_change_nothing(msim, command):
    mark = msim.control.mark()
    for params, text in (({}, "due to missing parameter id"),
                         ({"id": stable_id("host", "kvm9")}, "Invalid parameter id value="),
                         ({"id": "kvm1"}, "Invalid parameter id value=kvm1")):
        resp = msim.call(command, **params)
        assert resp.status_code == 431 and text in resp.json()[command.lower() + "response"]["errortext"]
    assert msim.control.jobs() == [] or all(j["cmd"] != command for j in msim.control.jobs())
    assert [r["status"] for r in msim.control.requests(mark)] == [431, 431, 431]


# ----- updateHost and allocation states -----

def test_update_host_enable_disable(msim):
    kvm5 = host(msim, "kvm5")["id"]
    assert msim.ok("updateHost", id=kvm5, allocationstate="Disable")["host"]["resourcestate"] == "Disabled"
    assert msim.ok("updateHost", id=kvm5, allocationstate="Disable")["host"]["resourcestate"] == "Disabled"
    assert msim.ok("listHosts", resourcestate="Disabled")["host"][0]["name"] == "kvm5"
    assert msim.ok("updateHost", id=kvm5, allocationstate="Enable")["host"]["resourcestate"] == "Enabled"
    resp = msim.call("updateHost", id=kvm5, allocationstate="enable")
    assert resp.status_code == 530
    assert resp.json()["updatehostresponse"]["errortext"].endswith(
        "Invalid allocation state: enable, only Enable/Disable are allowed")
    prepare(msim, "kvm5")
    wait_state(msim, "kvm5", ("Maintenance",))
    resp = msim.call("updateHost", id=kvm5, allocationstate="Enable")
    assert resp.status_code == 530
    assert "No next resource state found for current state = Maintenance event = Enable" in resp.text
    resp = msim.call("updateHost", id=kvm5, name="renamed")
    assert resp.status_code == 431 and "cssim does not simulate" in resp.text


@pytest.mark.parametrize("command, kind, name, lister", [
    ("updateZone", "zone", "lab-zone2", "listZones"),
    ("updatePod", "pod", "lab-pod1", "listPods"),
    ("updateCluster", "cluster", "lab-cluster1", "listClusters"),
])
def test_allocation_state_of_zones_pods_clusters(msim, command, kind, name, lister):
    entity_id = stable_id(kind, name)
    body = msim.ok(command, id=entity_id, allocationstate="Disabled")
    assert body[kind]["allocationstate"] == "Disabled" and body[kind]["name"] == name
    assert msim.ok(lister, id=entity_id)[kind][0]["allocationstate"] == "Disabled"
    assert msim.ok(command, id=entity_id, allocationstate="Enabled")[kind]["allocationstate"] == "Enabled"
    resp = msim.call(command, id=entity_id, allocationstate="Disable")
    assert resp.status_code == 431
    assert resp.json()[command.lower() + "response"]["errortext"] == \
        "Unable to resolve Allocation State 'Disable' to a supported state"
    assert msim.ok(lister, id=entity_id)[kind][0]["allocationstate"] == "Enabled"


def test_a_disabled_cluster_still_takes_migrations(msim):
    msim.ok("updateCluster", id=stable_id("cluster", "lab-cluster1"), allocationstate="Disabled")
    prepare(msim, "kvm1")
    assert wait_state(msim, "kvm1", ("Maintenance", "ErrorInMaintenance"))[-1] == "Maintenance"


# ----- faults -----

def test_drop_connection(msim):
    msim.control.add_fault("drop_connection", command="updateHost", nth=1)
    with pytest.raises(requests.ConnectionError):
        msim.call("updateHost", id=host(msim, "kvm5")["id"], allocationstate="Disable")
    assert host(msim, "kvm5")["resourcestate"] == "Enabled"  # not run
    msim.control.clear_faults()
    msim.control.add_fault("drop_connection", command="updateHost", executed=True)
    with pytest.raises(requests.ConnectionError):
        msim.call("updateHost", id=host(msim, "kvm5")["id"], allocationstate="Disable")
    assert host(msim, "kvm5")["resourcestate"] == "Disabled"  # run, then the answer lost
    entry = msim.control.requests(command="updateHost")[-1]
    assert entry["status"] is None and "drop_connection" in entry["error"]


@pytest.mark.parametrize("spec, text", [
    ({"kind": "vm_stuck", "vm": "no-such-vm"}, "vm_stuck needs a VM"),
    ({"kind": "maintenance_stuck", "host": "s-1-VM"}, "needs a Routing host"),
    ({"kind": "host_down_after_maintenance"}, "needs a Routing host"),
    ({"kind": "drop_connection"}, "needs a command"),
    ({"kind": "drop_connection", "command": "listHosts", "executed": "yes"}, "executed is true or false"),
])
def test_bad_maintenance_faults_are_refused(msim, spec, text):
    with pytest.raises(Exception) as exc:
        msim.control.add_fault(spec)
    assert "400" in str(exc.value) and text in str(exc.value)


# ----- persistence -----

def test_a_drain_carries_on_after_a_restart(fresh_sim):
    fresh_sim.control.set_job_durations(FAST, vmMigration=0.3)
    prepare(fresh_sim, "kvm1")
    time.sleep(0.35)  # one VM moved, the second one in flight
    fresh_sim.restart()
    assert fresh_sim.control.health()["boot"] == 2
    seen = wait_state(fresh_sim, "kvm1", ("Maintenance", "ErrorInMaintenance"))
    assert seen[-1] == "Maintenance"
    assert vms(fresh_sim, hostid=KVM1) == []
    fresh_sim.kill()  # a crash: the journal keeps the result
    fresh_sim.start()
    assert host(fresh_sim, "kvm1")["resourcestate"] == "Maintenance"
    assert {v["name"]: v["hostname"] for v in vms(fresh_sim, name="web")}["web-1"] in ("kvm4", "kvm5")


# ----- the Python interface (what startRollingMaintenance builds on), in-process -----

@pytest.fixture
def world_sim(tmp_path):
    sim = Simulator(tmp_path / "state", TOPOLOGY)
    yield sim
    sim.world.close()
    sim.log.close()


def test_python_interface(world_sim):
    world = world_sim.world
    kvm2, kvm6 = stable_id("host", "kvm2"), stable_id("host", "kvm6")
    assert maintenance.state(world, kvm2) == "Enabled"
    assert maintenance.capacity_problems(world, kvm2) == []
    assert maintenance.capacity_problems(world, KVM3) == [
        "No host available in cluster %s (lab-cluster3) to support host %s (kvm3) in maintenance"
        % (stable_id("cluster", "lab-cluster3"), KVM3)]
    world.settings_store()["cluster"].setdefault(stable_id("cluster", "lab-cluster2"), {})[
        "mem.overprovisioning.factor"] = "0.1"
    problems = maintenance.capacity_problems(world, kvm2)
    assert problems and all("cannot be migrated away from Host {" in p for p in problems)
    assert any('"instanceName":"i-3-25-VM"' in p for p in problems)  # app-2
    assert not any('"instanceName":"i-2-26-VM"' in p for p in problems)  # cache-1 fits alone
    world.settings_store()["cluster"][stable_id("cluster", "lab-cluster2")].clear()

    now = time.time()
    assert maintenance.prepare(world_sim, kvm6, now=now)["resourcestate"] == "PrepareForMaintenance"
    with pytest.raises(Exception) as exc:
        maintenance.prepare(world_sim, kvm2)
    assert exc.value.errorcode == 530 and "There are other servers attempting migrations" in exc.value.errortext
    with world.lock:
        maintenance.tick(world_sim, now + 10)  # db-2 starts migrating
        maintenance.tick(world_sim, now + 20)  # and arrives
    assert maintenance.state(world, kvm6) == "Maintenance"
    report = maintenance.drain_report(world, kvm6)
    assert [(m["name"], m["toname"], m["state"]) for m in report["moved"]] == [("db-2", "kvm2", "Running")]
    assert maintenance.cancel(world_sim, kvm6)["resourcestate"] == "Enabled"
    with pytest.raises(Exception) as exc:
        maintenance.cancel(world_sim, kvm6)
    assert exc.value.errorcode == 530 and "Cannot perform cancelMaintenance when resource state is Enabled" in \
        exc.value.errortext
    with pytest.raises(Exception) as exc:
        maintenance.state(world, stable_id("host", "kvm9"))
    assert exc.value.errorcode == 431


def test_vm_state_fault_forces_a_transitional_vm(msim):
    msim.control.add_fault("vm_state", vm="web-1", state="Starting")
    assert vms(msim, name="web-1")[0]["state"] == "Starting"
    text = _failed_job(msim, "prepareHostForMaintenance", "kvm1")
    assert text.endswith("Host contains VMs in starting/stopping state. Please wait for them to complete before "
                         "putting to maintenance.")
    msim.control.add_fault("vm_state", vm="r-10-VM", state="Error")
    msim.control.add_fault("vm_state", vm="i-2-21-VM", state="Stopped")
    assert "hostid" not in vms(msim, name="web-2")[0]
    assert msim.ok("listRouters", listall="true", name="r-10-VM")["router"][0]["state"] == "Error"
    assert msim.control.clear_faults() == 3
    web = {v["name"]: v for v in vms(msim, name="web")}
    assert (web["web-1"]["state"], web["web-2"]["state"], web["web-2"]["hostname"]) == ("Running", "Running", "kvm1")
    with pytest.raises(Exception) as exc:
        msim.control.add_fault("vm_state", vm="web-1", state="Sleeping")
    assert "400" in str(exc.value)


def test_prepare_again_from_error_in_maintenance_finishes_the_drain(msim):
    msim.control.add_fault("vm_stuck", vm="web-1")
    prepare(msim, "kvm1")
    assert wait_state(msim, "kvm1", ("ErrorInMaintenance", "Maintenance"))[-1] == "ErrorInMaintenance"
    msim.control.clear_faults()
    assert prepare(msim, "kvm1")["jobresult"]["host"]["resourcestate"] == "PrepareForMaintenance"
    assert wait_state(msim, "kvm1", ("ErrorInMaintenance", "Maintenance"))[-1] == "Maintenance"
    assert vms(msim, hostid=KVM1) == []


def test_hosts_for_a_vm_are_not_simulated(msim):
    resp = msim.call("listHosts", virtualmachineid=stable_id("vm", "web-1"))
    assert resp.status_code == 431 and "cssim does not simulate" in resp.text
