"""The pure parts of the rolling_maintenance backend: input checks, payload warnings, CloudStack's response
turned into the module's result (per-host durations)."""

import pytest

from ansible_collections.csops.cloudstack.plugins.module_utils._api.errors import ValidationError
from ansible_collections.csops.cloudstack.plugins.module_utils._maintenance import rolling


def params(**extra):
    base = dict(hosts=None, clusters=None, pods=None, zones=None, forced=False, timeout=None, payload=None)
    base.update(extra)
    return base


@pytest.mark.parametrize("extra,message", [
    (dict(), "exactly one of hosts, clusters, pods or zones is required, got none"),
    (dict(hosts=["kvm1"], zones=["z"]), "exactly one of hosts, clusters, pods or zones is required, got hosts, zones"),
    (dict(clusters=["c"], timeout=0), "timeout must be between 1 and 2147483647 seconds, got 0"),
    (dict(clusters=["c"], timeout=-5), "timeout must be between 1 and 2147483647 seconds, got -5"),
    # CloudStack's parameter is a Java Integer: beyond it the request is refused with HTTP 431.
    (dict(clusters=["c"], timeout=10 ** 12), "timeout must be between 1 and 2147483647 seconds, got 1000000000000"),
    (dict(clusters=["c"], payload="a\nb"), "payload must be one line of text, got 'a\\nb'"),
])
def test_bad_input(extra, message):
    with pytest.raises(ValidationError) as info:
        rolling.check_input(params(**extra))
    assert info.value.message == message


def test_payload_warnings():
    assert rolling.check_input(params(clusters=["c"], payload="--reboot")) == []
    warnings = rolling.check_input(params(clusters=["c"], payload="a,b 'c'"))
    assert len(warnings) == 2
    assert "first comma" in warnings[0] and "single quote" in warnings[1]


def test_summary_with_durations_and_skips():
    response = {"rollingmaintenance": {
        "success": True, "details": "OK",
        "hostsupdated": [{"hostid": "h1", "hostname": "kvm1", "startdate": "2025-01-31T10:00:00+0000",
                          "enddate": "2025-01-31T10:12:30+0000", "output": "patched"}],
        "hostsskipped": [{"hostid": "h2", "hostname": "kvm2", "reason": "There is no maintenance script on the host"}],
    }}
    result = rolling.summary(rolling.response_of(response))
    assert result == dict(
        success=True, details="OK", changed=True,
        hosts_updated=[dict(id="h1", name="kvm1", start="2025-01-31T10:00:00+0000", end="2025-01-31T10:12:30+0000",
                            duration_s=750.0, output="patched")],
        hosts_skipped=[dict(id="h2", name="kvm2", reason="There is no maintenance script on the host")])


def test_summary_of_a_failure_and_odd_dates():
    response = {"success": "false", "details": "Stage PreFlight failed on host kvm1",
                "hostsupdated": [{"hostid": "h1", "hostname": "kvm1", "startdate": "yesterday", "enddate": None}]}
    result = rolling.summary(rolling.response_of(response))
    assert result["success"] is False and result["details"] == "Stage PreFlight failed on host kvm1"
    assert result["hosts_updated"][0]["duration_s"] is None and result["hosts_skipped"] == []


def test_long_schedule_keeps_polls_rare():
    """A job of a day is polled a few thousand times at most, not every 10 seconds."""
    schedule = rolling.LONG_SCHEDULE
    elapsed, polls = 0.0, 0
    while elapsed < 24 * 3600:
        polls += 1
        elapsed += schedule.gap(polls)
    assert schedule.gap(1) <= 0.2 and polls < 24 * 3600 / 50
