"""rebootRouter and upgradeRouterTemplate: routers cycle through Stopping/Starting onto the zone's router template."""

import time

import pytest

from cssim.world import stable_id
from test_cssim_templates import register, wait_rows

ZONE1, ZONE2 = stable_id("zone", "lab-zone1"), stable_id("zone", "lab-zone2")
REBOOT_CMD = "org.apache.cloudstack.api.command.admin.router.RebootRouterCmd"


def router(sim, name):
    [r] = sim.ok("listRouters", name=name, listall="true")["router"]
    return r


def new_router_template(sim, zone_scope=None):
    """Register systemvm-kvm-4.20.1, wait until it is ready and make it the router template."""
    register(sim)
    wait_rows(sim, lambda found: all(r["isready"] for r in found))
    extra = {"zoneid": zone_scope} if zone_scope else {}
    sim.ok("updateConfiguration", name="router.template.kvm", value="systemvm-kvm-4.20.1", **extra)


def test_seeded_routers_require_upgrade(sim):
    for name in ("r-10-VM", "r-11-VM", "r-12-VM"):
        r = router(sim, name)
        assert r["version"] == "4.19.0" and r["requiresupgrade"] is True


def test_reboot_router_cycles_states_and_picks_up_the_router_template(sim):
    new_router_template(sim)
    sim.control.set_job_durations(rebootRouter=1.2)
    before = router(sim, "r-10-VM")
    jobid = sim.ok("rebootRouter", id=before["id"])["jobid"]
    states = []
    deadline = time.time() + 5
    while time.time() < deadline:
        r = router(sim, "r-10-VM")
        states.append(r["state"])
        if r["state"] == "Running" and "jobid" not in r:
            break
        time.sleep(0.05)
    assert states[0] == "Stopping" and "Starting" in states and states[-1] == "Running"
    job = sim.wait_job(jobid)
    assert job["cmd"] == REBOOT_CMD and job["jobinstancetype"] == "DomainRouter"
    result = job["jobresult"]["router"]
    assert result["version"] == "4.20.1" and result["requiresupgrade"] is False
    assert result["templatename"] == "systemvm-kvm-4.20.1"
    assert result["linklocalip"] == before["linklocalip"] and result["hostid"] == before["hostid"]
    assert "jobid" not in result


def test_reboot_keeps_template_when_router_template_is_not_ready(sim):
    sim.control.set_job_durations(templateDownload=30)
    register(sim)
    sim.ok("updateConfiguration", name="router.template.kvm", value="systemvm-kvm-4.20.1")
    r = router(sim, "r-11-VM")
    job = sim.wait_job(sim.ok("rebootRouter", id=r["id"])["jobid"])
    assert job["jobresult"]["router"]["version"] == "4.19.0"


def test_upgrade_router_template_by_zone(sim, cs_client):
    new_router_template(sim)
    mark = sim.control.mark()
    body = sim.ok("upgradeRouterTemplate", zoneid=ZONE1)
    assert body["count"] == 2 and set(body["asyncjobs"][0]) == {"jobid"}
    jobs = [sim.wait_job(j["jobid"]) for j in body["asyncjobs"]]
    assert {j["jobresult"]["router"]["name"] for j in jobs} == {"r-10-VM", "r-11-VM"}
    assert all(j["cmd"] == REBOOT_CMD and j["jobstatus"] == 1 for j in jobs)
    assert {j["account"] for j in jobs} == {"admin", "tenant1"}  # the job belongs to the router's owner
    for name in ("r-10-VM", "r-11-VM"):
        r = router(sim, name)
        assert r["version"] == "4.20.1" and r["requiresupgrade"] is False and r["state"] == "Running"
    assert router(sim, "r-12-VM")["version"] == "4.19.0"
    # routers at the current version are skipped ("already at the latest version")
    assert sim.ok("upgradeRouterTemplate", zoneid=ZONE1) == {}
    assert [e["command"] for e in sim.control.write_calls(mark)] == ["upgradeRouterTemplate"] * 2
    # the cs client sees the same list
    assert cs_client().upgradeRouterTemplate(zoneid=ZONE2)["count"] == 1


@pytest.mark.parametrize("scope, names", [
    ({"id": stable_id("router", "r-11-VM")}, {"r-11-VM"}),
    ({"podid": stable_id("pod", "lab-pod1")}, {"r-10-VM"}),
    ({"clusterid": stable_id("cluster", "lab-cluster2")}, {"r-11-VM"}),
    ({"account": "tenant2", "domainid": stable_id("domain", "ROOT")}, {"r-12-VM"}),
    ({"domainid": stable_id("domain", "ROOT")}, {"r-10-VM", "r-11-VM", "r-12-VM"}),
    ({}, {"r-10-VM", "r-11-VM", "r-12-VM"}),
])
def test_upgrade_scopes(sim, scope, names):
    body = sim.ok("upgradeRouterTemplate", **scope)
    jobs = [sim.wait_job(j["jobid"]) for j in body["asyncjobs"]]
    assert {j["jobresult"]["router"]["name"] for j in jobs} == names


@pytest.mark.parametrize("scope, text", [
    ({"zoneid": ZONE1, "podid": stable_id("pod", "lab-pod1")}, "Multiple parameters not supported"),
    ({"account": "tenant1"}, "Account name and domain id both have to be passed"),
])
def test_upgrade_scope_errors(sim, scope, text):
    resp = sim.call("upgradeRouterTemplate", **scope)
    assert resp.status_code == 431
    assert text in resp.json()["upgraderoutertemplateresponse"]["errortext"]


def test_job_fail_fault_fails_the_named_router_only(sim):
    new_router_template(sim)
    sim.control.add_fault("job_fail", command="upgradeRouterTemplate", router="r-11-VM",
                          errortext="Failed to start r-11-VM (lab)")
    body = sim.ok("upgradeRouterTemplate", zoneid=ZONE1)
    jobs = {sim.wait_job(j["jobid"])["jobinstanceid"]: sim.wait_job(j["jobid"]) for j in body["asyncjobs"]}
    failed = jobs[stable_id("router", "r-11-VM")]
    assert failed["jobstatus"] == 2 and failed["jobresult"]["errortext"] == "Failed to start r-11-VM (lab)"
    assert jobs[stable_id("router", "r-10-VM")]["jobstatus"] == 1
    r11 = router(sim, "r-11-VM")
    assert r11["state"] == "Running" and r11["version"] == "4.19.0" and r11["requiresupgrade"] is True
    assert router(sim, "r-10-VM")["version"] == "4.20.1"


def test_job_hang_on_one_router(sim):
    sim.control.add_fault("job_hang", command="upgradeRouterTemplate", router=stable_id("router", "r-10-VM"))
    body = sim.ok("upgradeRouterTemplate", zoneid=ZONE1)
    time.sleep(0.8)
    statuses = {sim.ok("queryAsyncJobResult", jobid=j["jobid"])["jobinstanceid"]:
                sim.ok("queryAsyncJobResult", jobid=j["jobid"])["jobstatus"] for j in body["asyncjobs"]}
    assert statuses == {stable_id("router", "r-10-VM"): 0, stable_id("router", "r-11-VM"): 1}
    assert router(sim, "r-10-VM")["state"] == "Stopping"


def test_upgrade_jobs_survive_a_restart(fresh_sim):
    sim = fresh_sim
    sim.control.set_job_durations(upgradeRouterTemplate=1.5)
    body = sim.ok("upgradeRouterTemplate", id=stable_id("router", "r-12-VM"))
    [jobid] = [j["jobid"] for j in body["asyncjobs"]]
    sim.restart()
    assert sim.ok("queryAsyncJobResult", jobid=jobid)["jobstatus"] == 0
    assert sim.wait_job(jobid)["jobresult"]["router"]["state"] == "Running"
