"""csops.cloudstack.setting through real playbook runs against the lab: check mode, apply, idempotence,
diff, scopes, bad input, and API failures; the simulator's request log proves which calls were made."""

import pytest

INTERVAL = "router.health.checks.basic.interval"


@pytest.fixture(scope="module", autouse=True)
def fresh_state(request):
    control = request.getfixturevalue("control")
    control.reset()
    yield
    control.reset()


def value_of(ansible, name, **scope):
    result = ansible.module("setting_info", dict(names=[name], **scope))
    assert not result.get("failed"), result.get("msg")
    return result["settings"][0]["value"]


def writes(control, mark):
    return [r["command"] for r in control.write_calls(mark)]


def test_check_mode_writes_nothing_and_predicts(ansible, control):
    before = value_of(ansible, INTERVAL)
    mark = control.mark()
    result = ansible.module("setting", {"name": INTERVAL, "value": 7}, check=True, diff=True)
    assert result["changed"] is True
    assert result["diff"] == {"before": {INTERVAL: before}, "after": {INTERVAL: "7"}}
    assert writes(control, mark) == []
    assert value_of(ansible, INTERVAL) == before


def test_apply_then_second_run_is_not_changed(ansible, control):
    mark = control.mark()
    first = ansible.module("setting", {"name": INTERVAL, "value": 7}, diff=True)
    assert first["changed"] is True and not first.get("failed")
    assert first["settings"][0]["after"] == "7"
    assert writes(control, mark) == ["updateConfiguration"]
    assert value_of(ansible, INTERVAL) == "7"

    mark = control.mark()
    second = ansible.module("setting", {"name": INTERVAL, "value": "7"})
    assert second["changed"] is False
    assert writes(control, mark) == []


def test_many_settings_with_typed_values(ansible, control):
    settings = {
        "router.health.checks.enable": False,
        "router.health.checks.to.exclude": ["dns_check.py", "haproxy_check.py"],
        "router.health.checks.free.disk.space.threshold": 200,
    }
    first = ansible.module("setting", {"settings": settings})
    assert first["changed"] is True, first.get("msg")
    assert {s["name"]: s["after"] for s in first["settings"]} == {
        "router.health.checks.enable": "false",
        "router.health.checks.to.exclude": "dns_check.py,haproxy_check.py",
        "router.health.checks.free.disk.space.threshold": "200",
    }
    # the same values written differently are the same values
    mark = control.mark()
    again = ansible.module("setting", {"settings": [
        {"name": "router.health.checks.enable", "value": "False"},
        {"name": "router.health.checks.to.exclude", "value": "dns_check.py, haproxy_check.py"},
        {"name": "router.health.checks.free.disk.space.threshold", "value": "200"},
    ]})
    assert again["changed"] is False
    assert writes(control, mark) == []


def test_restart_required_follows_isdynamic(ansible, control):
    static = "router.health.checks.config.refresh.interval"
    catalog = {s["name"]: s for s in ansible.module("setting_info", {"names": [static, INTERVAL]})["settings"]}
    assert catalog[static]["isdynamic"] is False and catalog[INTERVAL]["isdynamic"] is True
    result = ansible.module("setting", {"settings": {static: 20, INTERVAL: 9}})
    by_name = {s["name"]: s for s in result["settings"]}
    assert by_name[static]["restart_required"] is True
    assert by_name[INTERVAL]["restart_required"] is False and by_name[INTERVAL]["changed"] is True
    assert result["restart_required"] is True
    again = ansible.module("setting", {"settings": {static: "20", INTERVAL: 9}})
    assert again["changed"] is False and again["restart_required"] is False


def test_zone_scope(ansible, control):
    name = "ca.framework.cert.systemvm.allow.host.ip"
    global_before = value_of(ansible, name)
    result = ansible.module("setting", {"name": name, "value": True, "zone": "lab-zone1"})
    assert result["changed"] is True and result["settings"][0]["scope"] == "zone", result.get("msg")
    assert value_of(ansible, name, zone="lab-zone1") == "true"
    assert value_of(ansible, name, zone="lab-zone2") == global_before
    assert value_of(ansible, name) == global_before
    assert ansible.module("setting", {"name": name, "value": "true", "zone": "lab-zone1"})["changed"] is False


def test_unknown_name_fails_clearly_and_changes_nothing(ansible, control):
    before = value_of(ansible, INTERVAL)
    mark = control.mark()
    result = ansible.module("setting", {"settings": {INTERVAL: 11, "router.health.checks.no.such": 1}})
    assert result["failed"] is True
    assert result["msg"] == "update setting router.health.checks.no.such: no such setting"
    assert writes(control, mark) == []
    assert value_of(ansible, INTERVAL) == before


@pytest.mark.parametrize("args,message", [
    ({"name": INTERVAL, "value": "soon"}, "update setting %s: value must be a whole number, got 'soon'" % INTERVAL),
    ({"name": "router.health.checks.enable", "value": "maybe"},
     "update setting router.health.checks.enable: value must be true or false, got 'maybe'"),
    ({"name": "default.page.size", "value": 100, "zone": "lab-zone1"},
     "update setting default.page.size: it cannot be set per zone"),
    ({"name": INTERVAL, "value": 1, "zone": "no-such-zone"}, "zone no-such-zone: not found"),
    ({"settings": []}, "update settings: settings must be a non-empty mapping of name to value or list of mappings"),
])
def test_bad_input_is_one_line_and_writes_nothing(ansible, control, args, message):
    mark = control.mark()
    result = ansible.module("setting", args)
    assert result["failed"] is True
    assert result["msg"] == message
    assert writes(control, mark) == []


def test_api_failure_reports_cloudstack_error(ansible, control):
    control.add_fault({"kind": "api_error", "command": "updateConfiguration", "errorcode": 530, "nth": 1})
    result = ansible.module("setting", {"name": INTERVAL, "value": 13})
    assert result["failed"] is True
    assert result["msg"].startswith("update setting %s: updateConfiguration failed:" % INTERVAL)
    assert result["errorcode"] == 530 and "\n" not in result["msg"]


def test_secret_never_reaches_output(ansible, lab_env):
    result = ansible.module("setting", {"name": INTERVAL, "value": 3, "api_url": "http://127.0.0.1:9/client/api"})
    assert result["failed"] is True
    secret = lab_env["CLOUDSTACK_SECRET"]
    assert secret not in result["_stdout"] and secret not in str(result)
