"""Retry policy: which failures are retried, for which commands, and the backoff bounds (pure logic)."""

import pytest

from ansible_collections.csops.cloudstack.plugins.module_utils._api.errors import ApiError, TransportError
from ansible_collections.csops.cloudstack.plugins.module_utils._api.retry import RetryPolicy, is_read


def failing(times, error):
    state = {"calls": 0}

    def func():
        state["calls"] += 1
        if state["calls"] <= times:
            raise error
        return "ok"

    return func, state


def policy(**kw):
    sleeps = []
    return RetryPolicy(sleep=sleeps.append, rand=lambda: 1.0, **kw), sleeps


@pytest.mark.parametrize("error", [
    TransportError("listHosts failed: cannot reach", "listHosts"),
    TransportError("listHosts failed: HTTP 503", "listHosts", status=503),
    TransportError("listHosts failed: HTTP 429", "listHosts", status=429),
    ApiError("listHosts", 530, "internal error"),
])
def test_transient_failures_of_reads_are_retried(error):
    func, state = failing(2, error)
    retry, sleeps = policy(attempts=4, base=0.25, cap=4)
    assert retry.call("listHosts", func) == "ok"
    assert state["calls"] == 3
    assert sleeps == [0.25, 0.5]


def test_writes_are_never_resent():
    func, state = failing(1, TransportError("x", "updateConfiguration", status=503))
    retry, sleeps = policy()
    with pytest.raises(TransportError):
        retry.call("updateConfiguration", func)
    assert state["calls"] == 1 and sleeps == []


@pytest.mark.parametrize("error", [ApiError("listHosts", 431, "bad param"), TransportError("x", status=404),
                                   ApiError("listHosts", 401, "unable to verify user credentials")])
def test_caller_errors_are_not_retried(error):
    func, state = failing(1, error)
    retry, _sleeps = policy()
    with pytest.raises(type(error)):
        retry.call("listHosts", func)
    assert state["calls"] == 1


def test_gives_up_after_the_attempts():
    func, state = failing(10, TransportError("x", status=502))
    retry, sleeps = policy(attempts=3)
    with pytest.raises(TransportError):
        retry.call("queryAsyncJobResult", func)
    assert state["calls"] == 3 and len(sleeps) == 2


def test_backoff_is_jittered_and_capped():
    retry = RetryPolicy(base=1, cap=3, rand=lambda: 0.5)
    assert [retry.delay(n) for n in (1, 2, 3, 4, 5)] == [0.5, 1.0, 1.5, 1.5, 1.5]


def test_read_classification():
    assert is_read("listZones") and is_read("queryAsyncJobResult") and is_read("getRouterHealthCheckResults")
    assert not is_read("updateConfiguration") and not is_read("getDiagnosticsData")


def test_no_retry_pause_past_the_deadline():
    """A retry whose backoff would end after the task's deadline is not attempted: the error is raised now."""
    from ansible_collections.csops.cloudstack.plugins.module_utils._api.waiter import Deadline

    now = [0.0]
    deadline = Deadline(1.0, clock=lambda: now[0])
    retry, sleeps = policy(attempts=4, base=0.5, cap=4.0)
    func, state = failing(3, TransportError("listHosts failed: HTTP 503", "listHosts", status=503))
    with pytest.raises(TransportError):
        retry.call("listHosts", func, deadline)
    # The first pause (0.5 s) fits in the 1 s left; the second (1 s) does not, so the error is raised then.
    assert sleeps == [0.5]
    assert state["calls"] == 2
