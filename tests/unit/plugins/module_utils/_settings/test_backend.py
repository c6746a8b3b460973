# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``setting`` and ``setting_info`` backends against a private simulator, called directly: bad input is one
line naming the option and nothing is sent, scopes come from the options, results, diff and check mode."""

import pytest

from ansible_collections.csops.cloudstack.plugins.module_utils._api.errors import (
    ApiError, CloudStackError, NotFoundError, ValidationError)
from ansible_collections.csops.cloudstack.plugins.module_utils._settings.backend import SettingTask, read_settings

TEMPLATE = "router.template.kvm"
INTERVAL = "router.health.checks.basic.interval"
OPTIONS = ("name", "value", "settings", "zone", "cluster", "account_id", "domain_id", "storage_id", "image_store_id")
INFO_OPTIONS = ("names", "keyword", "category", "zone", "cluster", "account_id", "domain_id", "storage_id",
                "image_store_id")


def task(client, check_mode=False, diff=False, **params):
    return SettingTask(client, dict(dict.fromkeys(OPTIONS), **params), check_mode, diff)


def info(client, **params):
    return read_settings(client, dict(dict.fromkeys(INFO_OPTIONS), **params))


def value_of(client, name, **scope):
    return info(client, names=[name], **scope)["settings"][0]["value"]


@pytest.mark.parametrize("params,message", [
    # an empty scope option never means "global"
    (dict(name=TEMPLATE, value="x", zone=""), "zone must not be empty"),
    (dict(name=TEMPLATE, value="x", cluster=" "), "cluster must not be empty"),
    (dict(name=TEMPLATE, value="x", account_id=""), "account_id must not be empty"),
    (dict(name=TEMPLATE, value="x", domain_id=""), "domain_id must not be empty"),
    (dict(name=TEMPLATE, value="x", storage_id=""), "storage_id must not be empty"),
    (dict(name=TEMPLATE, value="x", image_store_id=""), "image_store_id must not be empty"),
    (dict(name=TEMPLATE, value="x", storage_id="pool\n1"), r"^storage_id must be the id of the storagepool, got"),
    # an omitted value never empties a setting
    (dict(name=TEMPLATE), "value is required with name"),
    (dict(name=TEMPLATE, value="__omit_place_holder__4f3a"), "value is required with name"),
    (dict(settings=[{"name": TEMPLATE}]), r"settings\[0\] \(%s\) has no value" % TEMPLATE),
    (dict(settings={TEMPLATE: None}), "settings.%s has no value" % TEMPLATE),
    # names
    (dict(name="", value="x"), "^update settings: name must not be empty$"),
    (dict(name="router.template.kvm\nzone", value="x"), r"^update settings: name 'router.template.kvm\\nzone'"),
    (dict(settings=[{"name": TEMPLATE, "value": "a"}, {"name": TEMPLATE, "value": "b"}]), "more than once"),
])
def test_bad_input_sends_nothing(client, control, params, message):
    mark = control.mark()
    with pytest.raises(ValidationError, match=message) as failure:
        task(client, **params).run()
    assert "\n" not in failure.value.message
    assert control.requests(mark) == []


def test_a_huge_value_is_not_echoed_whole(client, control):
    mark = control.mark()
    with pytest.raises(ValidationError) as failure:
        task(client, name=INTERVAL, value="9" * 5000 + "x" * 5000).run()
    assert failure.value.message.startswith("update setting %s: value must be a whole number, got " % INTERVAL)
    assert len(failure.value.message) < 160
    assert control.write_calls(mark) == []


def test_apply_diff_and_second_run(client, control):
    before = value_of(client, INTERVAL)
    predicted = task(client, check_mode=True, diff=True, name=INTERVAL, value=7).run()
    assert predicted["changed"] is True
    assert predicted["diff"] == {"before": {INTERVAL: before}, "after": {INTERVAL: "7"}}
    assert value_of(client, INTERVAL) == before
    done = task(client, name=INTERVAL, value=7).run()
    assert done["changed"] is True and done["settings"][0]["after"] == "7" and "diff" not in done
    assert value_of(client, INTERVAL) == "7"
    mark = control.mark()
    assert task(client, name=INTERVAL, value="7\n").run()["changed"] is False
    assert control.write_calls(mark) == []


def test_zone_by_name(client, world):
    result = task(client, name="ca.framework.cert.systemvm.allow.host.ip", value=True, zone="lab-zone1").run()
    assert result["settings"][0]["scope"] == "zone" and result["settings"][0]["zone"] == "lab-zone1"
    assert value_of(client, "ca.framework.cert.systemvm.allow.host.ip", zone=world["zone"]["lab-zone1"]) == "true"
    assert value_of(client, "ca.framework.cert.systemvm.allow.host.ip", zone="lab-zone2") == "false"
    assert value_of(client, "ca.framework.cert.systemvm.allow.host.ip") == "false"


def test_unknown_zone(client, control):
    mark = control.mark()
    with pytest.raises(NotFoundError, match="^zone no-such-zone: not found$"):
        task(client, name=INTERVAL, value=1, zone="no-such-zone").run()
    assert control.write_calls(mark) == []


def test_empty_value_is_written_only_when_asked(client):
    task(client, name="consoleproxy.url.domain", value="console.example.com").run()
    assert value_of(client, "consoleproxy.url.domain") == "console.example.com"
    result = task(client, name="consoleproxy.url.domain", value="").run()
    assert result["changed"] is True and result["settings"][0]["after"] == ""
    assert value_of(client, "consoleproxy.url.domain") == ""


def test_restart_required_is_kept_when_a_later_write_fails(client, control):
    static = "router.health.checks.config.refresh.interval"
    control.add_fault({"kind": "api_error", "command": "updateConfiguration", "errorcode": 530, "nth": 2})
    with pytest.raises(ApiError) as failure:
        task(client, settings={static: 31, INTERVAL: 12}).run()
    result = failure.value.result
    assert result["changed"] is True and result["restart_required"] is True
    assert [s["name"] for s in result["settings"]] == [static]
    assert client.writes_done


def test_info_reads_named_settings_in_order_of_name(client):
    rows = info(client, names=[TEMPLATE, INTERVAL])["settings"]
    assert [r["name"] for r in rows] == sorted([TEMPLATE, INTERVAL])
    assert {r["name"]: r["is_default"] for r in rows}[INTERVAL] is True
    default = {r["name"]: r["defaultvalue"] for r in rows}[INTERVAL]
    task(client, name=INTERVAL, value=int(default) + 1).run()
    assert info(client, names=[INTERVAL])["settings"][0]["is_default"] is False


@pytest.mark.parametrize("params,message", [
    (dict(names=[]), "names must not be empty"),
    (dict(names=[""]), r"names\[0\] must not be empty"),
    (dict(names=[TEMPLATE, " "]), r"names\[1\] must not be empty"),
    (dict(keyword=""), "keyword must not be empty"),
    (dict(category=""), "category must not be empty"),
    (dict(zone=""), "zone must not be empty"),
    (dict(names=["a\nb"]), r"names\[0\] 'a\\nb' is not a setting name"),
    (dict(names=["['nested']"]), r"names\[0\] \['nested'\] is not a setting name"),
    (dict(keyword="router\ntemplate"), r"^keyword 'router\\ntemplate' must be one line of text$"),
    (dict(category="Advanced\r"), r"^category 'Advanced\\r' must be one line of text$"),
    (dict(account_id="x" * 10000), "^account_id must be the id of the account, got 'xxx"),
    (dict(domain_id="lab-zone1\nlab-zone2"), "^domain_id must be the id of the domain, got 'lab-zone1"),
])
def test_info_never_reads_everything_for_empty_input(client, control, params, message):
    mark = control.mark()
    with pytest.raises(ValidationError, match=message):
        info(client, **params)
    assert control.requests(mark) == []


def test_info_unknown_name_and_scope(client):
    with pytest.raises(CloudStackError, match="^read setting router.template.nope: no such setting$"):
        info(client, names=["router.template.nope"])
    with pytest.raises(CloudStackError, match="^read setting %s: no such setting at zone scope$" % INTERVAL):
        info(client, names=[INTERVAL], zone="lab-zone1")


def test_info_keyword_matches_names_only(client):
    rows = info(client, keyword="router.template")["settings"]
    assert rows and all("router.template" in r["name"] for r in rows)
