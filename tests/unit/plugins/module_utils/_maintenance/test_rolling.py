"""The rolling_maintenance backend against a private simulator's startRollingMaintenance (API-only hosts, whose
stage scripts the simulator answers as successful): the hosts updated with their durations, CloudStack's details
when it fails, names resolved once, check mode sending nothing, a slow job bounded by wait_timeout."""

import time

import pytest

from ansible_collections.csops.cloudstack.plugins.module_utils._api.errors import JobTimeoutError, ValidationError
from ansible_collections.csops.cloudstack.plugins.module_utils._api.waiter import Deadline
from ansible_collections.csops.cloudstack.plugins.module_utils._maintenance.errors import MaintenanceError
from ansible_collections.csops.cloudstack.plugins.module_utils._maintenance.rolling import RollingMaintenanceBackend


@pytest.fixture
def fast(control):
    control.set_job_durations(vmMigration=0.05, prepareHostForMaintenance=0.05, cancelHostMaintenance=0.05)
    return control


def run(client, check_mode=False, wait_timeout=60, **extra):
    params = dict(hosts=None, clusters=None, pods=None, zones=None, forced=False, timeout=None, payload=None,
                  wait=True, wait_timeout=wait_timeout)
    params.update(extra)
    warnings = []
    backend = RollingMaintenanceBackend(client, params, check_mode, False, Deadline(wait_timeout),
                                        warn=warnings.append)
    result = backend.run()
    result["_warnings"] = warnings
    return result


def writes(control, mark):
    return [r["command"] for r in control.write_calls(mark)]


def test_hosts_updated_with_durations(fast, client):
    mark = fast.mark()
    result = run(client, hosts=["kvm4", "kvm5"], timeout=60)
    assert result["success"] is True and result["changed"] is True and result["jobid"]
    assert sorted(h["name"] for h in result["hosts_updated"]) == ["kvm4", "kvm5"]
    for host in result["hosts_updated"]:
        assert host["duration_s"] is not None and host["duration_s"] >= 0 and host["start"] <= host["end"]
    assert writes(fast, mark) == ["startRollingMaintenance"]
    sent = fast.requests(mark, command="startRollingMaintenance")[0]["params"]
    assert len(str(sent["hostids"]).split(",")) == 2 and sent["timeout"] == "60"
    states = {h["name"]: h["resourcestate"] for h in client.list("listHosts", {"type": "Routing"})}
    assert states["kvm4"] == states["kvm5"] == "Enabled"


def test_failure_carries_cloudstacks_details(fast, client):
    """A timeout not above the ping interval: CloudStack answers success=false with its reason."""
    with pytest.raises(MaintenanceError) as info:
        run(client, clusters=["lab-cluster1"], timeout=5)
    assert info.value.message.startswith("start rolling maintenance: CloudStack reports it failed: The timeout value")
    assert info.value.result["success"] is False and info.value.result["jobid"]


def test_check_mode_sends_nothing(fast, client):
    mark = fast.mark()
    result = run(client, check_mode=True, zones=["lab-zone1"], payload="a,b")
    assert result["changed"] is True and result["jobid"] is None and writes(fast, mark) == []
    assert list(result["scope"]) == ["zoneids"] and len(result["scope"]["zoneids"]) == 1
    assert len(result["_warnings"]) == 1 and "first comma" in result["_warnings"][0]


@pytest.mark.parametrize("check_mode", [False, True])
def test_timeout_beyond_cloudstacks_integer_is_refused_before_anything_is_sent(fast, client, check_mode):
    mark = fast.mark()
    with pytest.raises(ValidationError) as info:
        run(client, check_mode=check_mode, clusters=["lab-cluster1"], timeout=10 ** 12)
    assert info.value.message == ("start rolling maintenance: timeout must be between 1 and 2147483647 seconds, "
                                  "got 1000000000000")
    assert fast.requests(mark) == []


def test_wait_timeout_is_a_true_bound(fast, client):
    fast.add_fault("job_hang", command="startRollingMaintenance")
    started = time.monotonic()
    with pytest.raises(JobTimeoutError) as info:
        run(client, hosts=["kvm4"], wait_timeout=3)
    assert time.monotonic() - started <= 3.5
    assert info.value.message.startswith("start rolling maintenance: startRollingMaintenance job ")
