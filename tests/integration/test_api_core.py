"""The collection's API core (client, retries, pagination, job waiter) against the simulator.

These run on a private simulator on 127.0.0.1 so they can add thousands of hosts and inject faults without
disturbing the shared lab.
"""

import time

import pytest

from ansible_collections.csops.cloudstack.plugins.module_utils._api.client import CloudStackClient
from ansible_collections.csops.cloudstack.plugins.module_utils._api.config import Connection
from ansible_collections.csops.cloudstack.plugins.module_utils._api.errors import (
    ApiError, JobFailedError, JobTimeoutError, TransportError)
from ansible_collections.csops.cloudstack.plugins.module_utils._api.retry import RetryPolicy
from ansible_collections.csops.cloudstack.plugins.module_utils._api.waiter import Deadline

from cssim import DEFAULT_API_KEY, DEFAULT_SECRET_KEY
from cssim.control import LabControl
from cssim.launcher import PrivateSimulator

EXTRA_HOSTS = 1200


@pytest.fixture(scope="module")
def sim():
    simulator = PrivateSimulator("--extra-hosts", str(EXTRA_HOSTS))
    yield simulator
    simulator.close()


@pytest.fixture
def ctl(sim):
    control = LabControl(sim.control_url)
    yield control
    control.clear_faults()


def make_client(sim, method="get", secret=DEFAULT_SECRET_KEY, endpoint=None, timeout=10):
    conn = Connection(endpoint or sim.endpoint, DEFAULT_API_KEY, secret, timeout, method, True, "cloudstack")
    return CloudStackClient(conn, retry=RetryPolicy(attempts=3, base=0.05, cap=0.2))


@pytest.mark.parametrize("method", ["get", "post"])
def test_lists_every_page(sim, ctl, method):
    client = make_client(sim, method)
    mark = ctl.mark()
    hosts = client.list("listHosts", {"type": "Routing"})
    assert len(hosts) == EXTRA_HOSTS + 6
    assert len({h["id"] for h in hosts}) == len(hosts)
    calls = [r for r in ctl.requests(mark) if r["command"] == "listHosts"]
    assert len(calls) == (EXTRA_HOSTS + 6 + 499) // 500
    assert {c["params"]["pagesize"] for c in calls} == {"500"}


def test_empty_list_is_empty(sim):
    assert make_client(sim).list("listHosts", {"name": "no-such-host"}) == []


def test_fast_job_returns_fast(sim, ctl):
    client = make_client(sim)
    vm = client.list("listSystemVms", {"name": "s-1-VM"})[0]
    ctl.set_job_durations({"rebootSystemVm": 0.3})
    start = time.monotonic()
    jobid, result = client.run("rebootSystemVm", {"id": vm["id"]}, Deadline(30))
    elapsed = time.monotonic() - start
    assert result["systemvm"]["id"] == vm["id"]
    assert 0.3 <= elapsed < 1.2


def test_waiter_gives_up_at_its_timeout(sim, ctl):
    client = make_client(sim)
    vm = client.list("listSystemVms", {"name": "v-2-VM"})[0]
    ctl.add_fault({"kind": "job_hang", "command": "rebootSystemVm"})
    start = time.monotonic()
    with pytest.raises(JobTimeoutError) as info:
        client.run("rebootSystemVm", {"id": vm["id"]}, Deadline(2))
    elapsed = time.monotonic() - start
    assert 2.0 <= elapsed < 2.6
    assert "rebootSystemVm job %s did not finish within wait_timeout (2s" % info.value.jobid in str(info.value)


@pytest.mark.parametrize("fault", [
    {"kind": "latency", "command": "queryAsyncJobResult", "seconds": 4},
    {"kind": "http_error", "command": "queryAsyncJobResult", "status": 503},
])
def test_slow_or_failing_polls_cannot_outlive_wait_timeout(sim, ctl, fault):
    """Polls that hang for 4 s, or fail and are retried with backoff: the wait still ends at its budget."""
    client = CloudStackClient(make_client(sim).connection, retry=RetryPolicy(attempts=4, base=1.0, cap=4.0))
    vm = client.list("listSystemVms", {"name": "v-2-VM"})[0]
    ctl.add_fault({"kind": "job_hang", "command": "rebootSystemVm"})
    ctl.add_fault(fault)
    start = time.monotonic()
    with pytest.raises((JobTimeoutError, TransportError)) as info:
        client.run("rebootSystemVm", {"id": vm["id"]}, Deadline(5))
    elapsed = time.monotonic() - start
    assert elapsed < 5.6, "waited %.1fs for a 5s wait_timeout" % elapsed
    assert "queryAsyncJobResult" in str(info.value) or "rebootSystemVm" in str(info.value)


def test_failed_job_carries_cloudstack_error(sim, ctl):
    client = make_client(sim)
    vm = client.list("listSystemVms", {"name": "s-1-VM"})[0]
    ctl.add_fault({"kind": "job_fail", "command": "rebootSystemVm", "errortext": "Unable to reboot s-1-VM"})
    with pytest.raises(JobFailedError) as info:
        client.run("rebootSystemVm", {"id": vm["id"]}, Deadline(30))
    assert info.value.errorcode == 530 and "Unable to reboot s-1-VM" in str(info.value)


def test_transient_read_failure_is_retried(sim, ctl):
    client = make_client(sim)
    ctl.add_fault({"kind": "http_error", "command": "listZones", "status": 503, "nth": 1})
    mark = ctl.mark()
    assert len(client.list("listZones")) == 2
    assert [r["status"] for r in ctl.requests(mark) if r["command"] == "listZones"] == [503, 200]


def test_failed_write_is_not_resent(sim, ctl):
    client = make_client(sim)
    ctl.add_fault({"kind": "http_error", "command": "updateConfiguration", "status": 503, "nth": 1})
    mark = ctl.mark()
    with pytest.raises(TransportError) as info:
        client.request("updateConfiguration", {"name": "expunge.delay", "value": "100"})
    assert info.value.status == 503
    assert [r["command"] for r in ctl.requests(mark)] == ["updateConfiguration"]
    assert info.value.maybe_applied and "the change may have been made" in str(info.value)
    assert client.writes_done and "cannot reach" not in str(info.value)


def test_write_whose_answer_is_late_may_have_been_made(sim, ctl):
    """The simulator applies the write after a pause the client does not wait for: the answer is lost."""
    client = make_client(sim, timeout=1)
    ctl.add_fault({"kind": "latency", "command": "updateConfiguration", "seconds": 2, "nth": 1})
    with pytest.raises(TransportError) as info:
        client.request("updateConfiguration", {"name": "expunge.delay", "value": "101"})
    assert info.value.maybe_applied and "the change may have been made" in str(info.value)


def test_api_errors_are_typed(sim):
    client = make_client(sim)
    with pytest.raises(ApiError) as info:
        client.request("updateConfiguration", {"value": "1"})
    assert info.value.errorcode == 431 and info.value.cserrorcode is not None
    assert "updateConfiguration failed:" in str(info.value) and "\n" not in str(info.value)


def test_bad_secret_is_401_and_not_retried(sim, ctl):
    client = make_client(sim, secret="wrong-secret")
    mark = ctl.mark()
    with pytest.raises(ApiError) as info:
        client.list("listZones")
    assert info.value.errorcode == 401
    assert len(ctl.requests(mark)) == 1


def test_unreachable_endpoint_message_hides_credentials(sim):
    client = make_client(sim, endpoint="http://127.0.0.1:9/client/api", timeout=2)
    with pytest.raises(TransportError) as info:
        client.list("listZones")
    text = str(info.value)
    assert "cannot reach http://127.0.0.1:9/client/api" in text
    assert DEFAULT_API_KEY not in text and "signature" not in text.lower().replace("signature=<redacted>", "")
