# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""csops.cloudstack.setting through real playbook runs against the lab: check mode, apply, idempotence,
diff, scopes, bad input, and API failures; the simulator's request log proves which calls were made."""

import pytest

INTERVAL = "router.health.checks.basic.interval"
TEMPLATE = "router.template.kvm"
STATIC = "router.health.checks.config.refresh.interval"


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
    assert result["msg"] == "update setting router.health.checks.no.such: CloudStack has no setting by this name"
    assert writes(control, mark) == []
    assert value_of(ansible, INTERVAL) == before


@pytest.mark.parametrize("args,message", [
    ({"name": INTERVAL, "value": "soon"}, "update setting %s: value must be a whole number, got soon" % INTERVAL),
    ({"name": "router.health.checks.enable", "value": "maybe"},
     "update setting router.health.checks.enable: value must be true or false, got maybe"),
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


@pytest.mark.parametrize("option", ["zone", "cluster", "account_id", "domain_id", "storage_id", "image_store_id"])
def test_empty_scope_option_never_writes_the_global_value(ansible, control, option):
    before = value_of(ansible, TEMPLATE)
    mark = control.mark()
    result = ansible.module("setting", {"name": TEMPLATE, "value": "systemvm-kvm-9.9", option: ""})
    assert result["failed"] is True
    assert result["msg"].startswith("%s must not be empty" % option)
    assert control.requests(mark) == []
    assert value_of(ansible, TEMPLATE) == before


@pytest.mark.parametrize("args,message", [
    ({"name": TEMPLATE, "value": "{{ no_such_variable | default(omit) }}"}, "value is required with name"),
    ({"name": TEMPLATE, "value": None}, "value is required with name"),
    ({"settings": [{"name": TEMPLATE, "value": "{{ no_such_variable | default(omit) }}"}]},
     "settings[0] (%s) has no value" % TEMPLATE),
    ({"settings": {TEMPLATE: None}}, "settings.%s has no value" % TEMPLATE),
])
def test_an_omitted_value_never_empties_the_setting(ansible, control, args, message):
    before = value_of(ansible, TEMPLATE)
    assert before
    mark = control.mark()
    result = ansible.module("setting", args)
    assert result["failed"] is True and message in result["msg"], result.get("msg")
    assert writes(control, mark) == []
    assert value_of(ansible, TEMPLATE) == before


def test_explicit_empty_value_empties_it(ansible):
    name = "consoleproxy.url.domain"
    assert ansible.module("setting", {"name": name, "value": "console.example.com"})["changed"] is True
    result = ansible.module("setting", {"name": name, "value": ""})
    assert result["changed"] is True and value_of(ansible, name) == ""
    assert ansible.module("setting", {"name": name, "value": "null"})["changed"] is False


@pytest.mark.parametrize("first,again", [
    ("systemvm-kvm-4.20.1\n", ["systemvm-kvm-4.20.1\n", " systemvm-kvm-4.20.1 ", "systemvm-kvm-4.20.1"]),
    ("null", ["null", ""]),
])
def test_values_compare_the_way_cloudstack_stores_them(ansible, control, first, again):
    assert not ansible.module("setting", {"name": TEMPLATE, "value": first}).get("failed")
    mark = control.mark()
    for value in again:
        result = ansible.module("setting", {"name": TEMPLATE, "value": value})
        assert result["changed"] is False, (value, result)
    assert writes(control, mark) == []


@pytest.mark.parametrize("bad", [
    {"router.health.checks.max.cpu.usage.threshold": "nan"},
    {"router.health.checks.max.cpu.usage.threshold": "{{ 'inf' | float }}"},
    {"router.health.checks.to.exclude": ["dns_check.py", {"name": "haproxy_check.py"}]},
    {"router.health.checks.to.exclude": ["dns_check.py", ["haproxy_check.py"]]},
])
def test_every_setting_is_checked_before_the_first_write(ansible, control, bad):
    before = value_of(ansible, INTERVAL)
    mark = control.mark()
    settings = dict({INTERVAL: 17}, **bad)
    result = ansible.module("setting", {"settings": settings})
    assert result["failed"] is True and result["msg"].startswith("update setting %s: " % list(bad)[0])
    assert writes(control, mark) == []
    assert value_of(ansible, INTERVAL) == before


@pytest.mark.parametrize("args,start", [
    ({"name": "", "value": 1}, "update settings: name must not be empty"),
    ({"name": "router.template.kvm\nzone", "value": 1}, "update settings: name 'router.template.kvm\\nzone' is"),
    ({"name": "['nested']", "value": 1}, "update settings: name ['nested'] is not a setting name"),
    ({"name": INTERVAL, "value": "9" * 10000}, "update setting %s: value must be a whole number, got '999" % INTERVAL),
])
def test_messages_are_one_short_line_naming_the_option(ansible, control, args, start):
    mark = control.mark()
    result = ansible.module("setting", args)
    assert result["failed"] is True
    assert result["msg"].startswith(start), result["msg"]
    assert len(result["msg"]) < 160 and "\n" not in result["msg"]
    assert writes(control, mark) == []


def test_a_failed_run_reports_what_it_changed(ansible, control):
    control.add_fault({"kind": "api_error", "command": "updateConfiguration", "errorcode": 530, "nth": 2})
    result = ansible.module("setting", {"settings": [{"name": STATIC, "value": 33}, {"name": INTERVAL, "value": 14}]})
    assert result["failed"] is True and result["changed"] is True, result.get("msg")
    assert result["restart_required"] is True
    assert [(s["name"], s["after"]) for s in result["settings"]] == [(STATIC, "33")]
    assert value_of(ansible, STATIC) == "33"


@pytest.mark.parametrize("args,message", [
    ({"names": [""]}, "names[0] must not be empty"),
    ({"names": []}, "names must not be an empty list"),
    ({"keyword": ""}, "keyword must not be empty"),
    ({"zone": ""}, "zone must not be empty"),
    ({"keyword": "router\ntemplate"}, "keyword must be one line of text, got 'router\\ntemplate'"),
    ({"account_id": "x" * 10000}, "account_id is longer than 255 characters: 'xxx"),
])
def test_info_never_reads_everything_for_empty_input(ansible, args, message):
    result = ansible.module("setting_info", args)
    assert result["failed"] is True and result["msg"].startswith(message), result.get("msg")
    assert "settings" not in result
