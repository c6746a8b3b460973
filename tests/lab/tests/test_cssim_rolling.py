"""startRollingMaintenance in the simulator: CloudStack's checks, order, forced semantics and response.

The private simulator (127.0.0.1) simulates every host's stages; results are set per (host, stage) through the
control API (/lab/rolling/stages). The stage scripts on the lab's real hosts are exercised by
tests/integration/test_rolling_maintenance_sim.py.
"""

import time

import requests

FAST = {"vmMigration": 0.05}


def ctl(sim, method, name, payload=None):
    resp = requests.request(method, "%s/lab/rolling/%s" % (sim.control.base, name), json=payload, timeout=10)
    return resp.status_code, resp.json()


def ids(sim, command, key, *names):
    rows = sim.ok(command)[key]
    return ",".join(next(r["id"] for r in rows if r["name"] == n) for n in names)


def run(sim, wait=30, **params):
    jobid = sim.ok("startRollingMaintenance", **params)["jobid"]
    return sim.wait_job(jobid, timeout=wait)


def result(sim, **params):
    done = run(sim, **params)
    assert done["jobstatus"] == 1, done
    return done["jobresult"]["rollingmaintenance"]


def setup(sim):
    sim.control.set_job_durations(FAST)
    assert ctl(sim, "POST", "timing", {"maintenance_poll": 0.05})[0] == 200


def hosts(sim):
    return {h["name"]: h for h in sim.ok("listHosts", type="Routing")["host"]}


def cluster(sim, name):
    [row] = [c for c in sim.ok("listClusters")["cluster"] if c["name"] == name]
    return row


def test_cluster_in_cloudstack_order_and_state_restored(sim):
    setup(sim)
    ctl(sim, "POST", "stages", {"host": "kvm4", "stage": "Maintenance", "output": "patched kvm4"})
    body = result(sim, clusterids=ids(sim, "listClusters", "cluster", "lab-cluster1"), payload="a b")
    assert body["success"] is True and body["details"] == "OK"
    assert [h["hostname"] for h in body["hostsupdated"]] == ["kvm1", "kvm4", "kvm5"]
    assert body.get("hostsskipped", []) == []
    kvm4 = next(h for h in body["hostsupdated"] if h["hostname"] == "kvm4")
    assert kvm4["output"] == "patched kvm4" and kvm4["startdate"] <= kvm4["enddate"]
    _status, log = ctl(sim, "GET", "log")
    order = [(e["stage"], e["host"]) for e in log]
    per_host = ["PreMaintenance", "Maintenance", "PostMaintenance"]
    assert order == [("PreFlight", "kvm1"), ("PreFlight", "kvm4"), ("PreFlight", "kvm5")] + [
        (stage, host) for host in ("kvm1", "kvm4", "kvm5") for stage in per_host]
    # every host was drained and brought back; the cluster is enabled again; no VM lost
    states = hosts(sim)
    assert all(states[n]["resourcestate"] == "Enabled" for n in ("kvm1", "kvm4", "kvm5"))
    assert cluster(sim, "lab-cluster1")["allocationstate"] == "Enabled"
    vms = sim.ok("listVirtualMachines")["virtualmachine"]
    assert all(vm["state"] == "Running" for vm in vms)


def test_cluster_disabled_while_processed(sim):
    setup(sim)
    ctl(sim, "POST", "stages", {"host": "kvm6", "stage": "Maintenance", "seconds": 1.5})
    jobid = sim.ok("startRollingMaintenance", clusterids=ids(sim, "listClusters", "cluster", "lab-cluster2"))["jobid"]
    seen = set()
    deadline = time.time() + 20
    while time.time() < deadline:
        seen.add(cluster(sim, "lab-cluster2")["allocationstate"])
        if sim.ok("queryAsyncJobResult", jobid=jobid)["jobstatus"] != 0:
            break
        time.sleep(0.1)
    assert "Disabled" in seen
    assert cluster(sim, "lab-cluster2")["allocationstate"] == "Enabled"


def test_avoid_and_missing_maintenance_script_skip_hosts(sim):
    setup(sim)
    ctl(sim, "POST", "stages", {"host": "kvm4", "stage": "PreFlight", "exit": 70})
    ctl(sim, "POST", "stages", {"host": "kvm5", "stage": "Maintenance", "missing": True})
    ctl(sim, "POST", "stages", {"host": "kvm1", "stage": "PreMaintenance", "exit": 70})
    body = result(sim, clusterids=ids(sim, "listClusters", "cluster", "lab-cluster1"))
    assert body["success"] is True and body.get("hostsupdated", []) == []
    reasons = {h["hostname"]: h["reason"] for h in body["hostsskipped"]}
    assert reasons == {"kvm1": "Pre-maintenance stage set to avoid maintenance",
                       "kvm4": "Pre-flight stage set to avoid maintenance",
                       "kvm5": "There is no maintenance script on the host"}
    _status, log = ctl(sim, "GET", "log")
    assert not [e for e in log if e["stage"] in ("Maintenance", "PostMaintenance")]
    assert ("PreMaintenance", "kvm4") in [(e["stage"], e["host"]) for e in log]  # avoid is checked after it
    assert all(h["resourcestate"] == "Enabled" for h in hosts(sim).values())


def test_stage_failure_aborts_unless_forced(sim):
    setup(sim)
    ctl(sim, "POST", "stages", {"host": "kvm4", "stage": "PreMaintenance", "exit": 3, "output": "disk full"})
    clusters = ids(sim, "listClusters", "cluster", "lab-cluster1")
    body = result(sim, clusterids=clusters)
    assert body["success"] is False
    assert body["details"].startswith("Error starting rolling maintenance: Stage PreMaintenance failed on host")
    assert "disk full" in body["details"]
    assert [h["hostname"] for h in body["hostsupdated"]] == ["kvm1"]  # done before kvm4 failed
    assert cluster(sim, "lab-cluster1")["allocationstate"] == "Enabled"

    ctl(sim, "DELETE", "log")
    forced = result(sim, clusterids=clusters, forced="true")
    assert forced["success"] is True
    assert [h["hostname"] for h in forced["hostsupdated"]] == ["kvm1", "kvm5"]
    [skip] = forced["hostsskipped"]
    assert skip["hostname"] == "kvm4" and "Stage PreMaintenance failed" in skip["reason"]


def test_timeout_must_exceed_ping_interval_and_scope_required(sim):
    body = result(sim, hostids=ids(sim, "listHosts", "host", "kvm4"), timeout="10")
    assert body["success"] is False and "kvm.rolling.maintenance.ping.interval" in body["details"]
    assert cluster(sim, "lab-cluster1")["allocationstate"] == "Enabled"
    failed = run(sim, payload="x")
    assert failed["jobstatus"] == 2 and failed["jobresult"]["errorcode"] == 530
    assert "mutually exclusive" in failed["jobresult"]["errortext"]


def test_scope_order_and_kvm_hosts_by_cluster(sim):
    setup(sim)
    # podids wins over hostids: only lab-pod2's cluster runs
    body = result(sim, podids=ids(sim, "listPods", "pod", "lab-pod2"), hostids=ids(sim, "listHosts", "host", "kvm4"))
    assert [h["hostname"] for h in body["hostsupdated"]] == ["kvm2", "kvm6"]


def test_vms_in_transitional_states_stop_the_cluster(sim):
    setup(sim)
    sim.control.set_job_durations(vmMigration=5)
    kvm4 = ids(sim, "listHosts", "host", "kvm4")
    sim.wait_job(sim.ok("prepareHostForMaintenance", id=kvm4)["jobid"])
    clusters = ids(sim, "listClusters", "cluster", "lab-cluster1")
    body = result(sim, clusterids=clusters)
    assert body["success"] is False and body["details"] == "VMs in invalid states in cluster: %s" % clusters
    assert "kvm4" in [h["hostname"] for h in body["hostsskipped"]]
    forced = result(sim, clusterids=clusters, forced="true")
    assert forced["success"] is True and forced.get("hostsupdated", []) == []
    _status, log = ctl(sim, "GET", "log")
    assert log == []  # no stage ran anywhere
    assert cluster(sim, "lab-cluster1")["allocationstate"] == "Enabled"
    sim.wait_job(sim.ok("cancelHostMaintenance", id=kvm4)["jobid"])


def test_maintenance_wait_times_out_and_leaves_the_host(sim):
    setup(sim)
    sim.ok("updateConfiguration", name="kvm.rolling.maintenance.wait.maintenance.timeout", value="1")
    sim.control.add_fault("maintenance_stuck", host="kvm6")
    body = result(sim, hostids=ids(sim, "listHosts", "host", "kvm6"))
    assert body["success"] is False and "Timeout" in body["details"] and "PrepareForMaintenance" in body["details"]
    assert hosts(sim)["kvm6"]["resourcestate"] == "PrepareForMaintenance"  # as CloudStack leaves it
    assert cluster(sim, "lab-cluster2")["allocationstate"] == "Enabled"


def test_control_refuses_bad_stage_results(sim):
    assert ctl(sim, "POST", "stages", {"host": "kvm4", "stage": "preflight"})[0] == 400
    assert ctl(sim, "POST", "stages", {"host": "nohost", "stage": "PreFlight"})[0] == 400
    assert ctl(sim, "POST", "stages", {"host": "kvm4", "stage": "PreFlight", "bogus": 1})[0] == 400
    assert ctl(sim, "POST", "timing", {"maintenance_poll": 0})[0] == 400
