"""Every served command follows the contract: declared parameters and answered fields."""

import json

import pytest

from cssim import versions
from cssim.contract import Contract
from cssim.registry import load_handlers
from cssim.world import stable_id
from cssim_harness import Sim

CONTRACT = Contract()
COMMANDS = load_handlers()
VERSION = "4.20.1.0"
OSTYPE = stable_id("ostype", "Debian GNU/Linux 12 (64-bit)")


def test_every_served_command_is_in_the_contract():
    missing = [name for name in COMMANDS if not CONTRACT.has(name)]
    assert missing == []


def test_list_pods_was_added_with_a_source_note():
    spec = CONTRACT.spec("listPods")
    assert spec["source"].startswith("added by the lab")
    assert [p["name"] for p in spec["params"]] == [
        "allocationstate", "id", "keyword", "name", "page", "pagesize", "showcapacities", "zoneid"]


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_declared_parameters_match_the_contract(name):
    handler = COMMANDS[name]
    contract = CONTRACT.params(name)
    assert set(handler.specs) == set(contract), "parameter names differ"
    for pname, spec in handler.specs.items():
        assert spec.required == bool(contract[pname]["required"]), pname
        assert spec.type == contract[pname]["type"], pname
    assert handler.is_async == CONTRACT.is_async(name)


def _check_fields(command, obj):
    fields = CONTRACT.fields(command)
    bad = CONTRACT.violations(command, obj)
    assert bad == [], "%s answered fields outside the contract: %s" % (command, bad)
    newer = [k for k in obj if not versions.available(fields[k].get("since"), VERSION)]
    assert newer == [], "%s answered fields newer than %s: %s" % (command, VERSION, newer)


def _check_envelope(sim, command, resp):
    assert resp.status_code == 200, resp.text
    data = resp.json()
    assert list(data) == [CONTRACT.response_name(command)]
    body = data[CONTRACT.response_name(command)]
    obj_name = CONTRACT.response_object(command)
    if CONTRACT.is_list(command):
        assert set(body) <= {"count", obj_name}
        for item in body.get(obj_name, []):
            _check_fields(command, item)
        return body.get(obj_name, [])
    if CONTRACT.is_async(command):
        assert set(body) == {"jobid"}
        job = sim.wait_job(body["jobid"])
        assert job["jobstatus"] == 1, job
        _check_fields("queryAsyncJobResult", job)
        if obj_name == "success":  # a SuccessResponse is the job result itself: {"success": true}
            assert job["jobresult"]["success"] is True
            _check_fields(command, job["jobresult"])
            return [job["jobresult"]]
        [(name, obj)] = job["jobresult"].items()
        assert name == obj_name
        _check_fields(command, obj)
        return [obj]
    if command == "queryAsyncJobResult":
        _check_fields(command, body)
        return [body]
    assert list(body) == [obj_name]
    _check_fields(command, body[obj_name])
    return [body[obj_name]]


def test_every_answer_conforms(sim):
    state = sim.control.state()
    ssvm = next(v for v in state["systemvms"].values() if v["name"] == "s-1-VM")
    cluster = next(iter(state["clusters"]))
    router = next(r for r in state["routers"].values() if r["name"] == "r-10-VM")
    calls = [
        ("listCapabilities", {}),
        ("listZones", {}),
        ("listPods", {}),
        ("listClusters", {}),
        ("listHosts", {}),
        ("listHosts", {"type": "ConsoleProxy"}),
        ("listSystemVms", {}),
        ("listRouters", {"listall": "true", "fetchhealthcheckresults": "true"}),
        ("listTemplates", {"templatefilter": "all"}),
        ("listConfigurations", {}),
        ("listConfigurations", {"clusterid": cluster}),
        ("updateConfiguration", {"name": "expunge.delay", "value": "120"}),
        ("updateConfiguration", {"name": "cpu.overprovisioning.factor", "value": "2", "clusterid": cluster}),
        ("stopSystemVm", {"id": ssvm["id"]}),
        ("listSystemVms", {"state": "Stopped"}),
        ("startSystemVm", {"id": ssvm["id"]}),
        ("rebootSystemVm", {"id": ssvm["id"]}),
        ("registerTemplate", {"name": "systemvm-kvm-4.20.1", "displaytext": "SystemVM 4.20.1", "format": "QCOW2",
                              "hypervisor": "KVM", "url": "http://download.lab.invalid/systemvm-4.20.1-kvm.qcow2",
                              "zoneid": "-1", "templatetype": "SYSTEM", "ostypeid": OSTYPE}),
        ("listTemplates", {"templatefilter": "all", "name": "systemvm-kvm-4.20.1"}),
        ("runDiagnostics", {"targetid": router["id"], "ipaddress": "10.250.0.1", "type": "ping"}),
        ("getDiagnosticsData", {"targetid": router["id"], "files": "ipaddr"}),
        ("rebootRouter", {"id": router["id"]}),
        ("upgradeRouterTemplate", {"zoneid": router["zoneid"]}),
        ("destroySystemVm", {"id": ssvm["id"]}),
        ("listCAProviders", {}),
        ("listCaCertificate", {}),
        ("issueCertificate", {"domain": "cert.lab.invalid", "ipaddress": "10.250.0.99"}),
        ("provisionCertificate", {"hostid": next(h for h in state["hosts"].values() if h["name"] == "kvm1")["id"]}),
        ("listVirtualMachines", {"listall": "true"}),
        ("updateHost", {"id": stable_id("host", "kvm6"), "allocationstate": "Disable"}),
        ("updateHost", {"id": stable_id("host", "kvm6"), "allocationstate": "Enable"}),
        ("updateCluster", {"id": cluster, "allocationstate": "Disabled"}),
        ("updatePod", {"id": stable_id("pod", "lab-pod1"), "allocationstate": "Disabled"}),
        ("updateZone", {"id": stable_id("zone", "lab-zone2"), "allocationstate": "Disabled"}),
        ("prepareHostForMaintenance", {"id": stable_id("host", "kvm5")}),
        ("cancelHostMaintenance", {"id": stable_id("host", "kvm5")}),
        ("startRollingMaintenance", {"hostids": stable_id("host", "kvm6"), "timeout": "60"}),
    ]
    seen = set()
    for command, params in calls:
        items = _check_envelope(sim, command, sim.call(command, **params))
        assert items, "%s %s answered nothing to check" % (command, params)
        seen.add(command)
    cpvm = next(v for v in state["systemvms"].values() if v["name"] == "v-2-VM")
    job = sim.ok("stopSystemVm", id=cpvm["id"])["jobid"]
    _check_envelope(sim, "queryAsyncJobResult", sim.call("queryAsyncJobResult", jobid=job))
    seen.add("queryAsyncJobResult")
    # migrateSystemVm needs a second host in a cluster: test_migrate_answer_conforms
    assert seen | {"migrateSystemVm"} == set(COMMANDS), \
        "commands without a conformance check: %s" % (set(COMMANDS) - seen)


def test_migrate_answer_conforms(tmp_path):
    sim = Sim(tmp_path / "state", extra_hosts=1).start()  # sim-host-00001 joins kvm3 in lab-cluster3
    try:
        sim.control.set_job_durations(migrateSystemVm=0.2)
        [vm] = sim.ok("listSystemVms", name="s-3-VM")["systemvm"]
        [target] = sim.ok("listHosts", name="sim-host-00001")["host"]
        [answer] = _check_envelope(sim, "migrateSystemVm", sim.call(
            "migrateSystemVm", virtualmachineid=vm["id"], hostid=target["id"]))
        assert answer["hostname"] == "sim-host-00001"
    finally:
        sim.stop()


def test_nested_children_are_checked(sim):
    routers = sim.ok("listRouters", listall="true")["router"]
    nic_fields = {c["name"] for f in CONTRACT.spec("listRouters")["response_fields"] if f["name"] == "nic"
                  for c in f["children"]}
    for router in routers:
        for nic in router["nic"]:
            assert set(nic) <= nic_fields
    assert CONTRACT.violations("listRouters", {"nic": [{"bogus": 1}]}) == ["nic.bogus"]


def test_contract_file_is_still_valid_json():
    with open(CONTRACT.path, encoding="utf-8") as fh:
        assert "listPods" in json.load(fh)["commands"]
