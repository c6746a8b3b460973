# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one settings writer against a private simulator: plans read every value at every scope before any write,
only differing values are written, nothing in check mode, values compare the way CloudStack stores them, and a
failed write reports what was written before it."""

import pytest

from ansible_collections.csops.cloudstack.plugins.module_utils._api.errors import (
    ApiError, NotFoundError, ValidationError)
from ansible_collections.csops.cloudstack.plugins.module_utils._settings.writer import (
    GLOBAL, Scope, apply, plan, read, zone_scopes)

TEMPLATE = "router.template.kvm"
INTERVAL = "router.health.checks.basic.interval"  # Integer, global only


def stored(client, name, scope=GLOBAL):
    return read(client, [name], scope)[name].get("value") or ""


def writes(control, mark):
    return [(r["command"], r["params"]) for r in control.write_calls(mark)]


def zones(world):
    return sorted((zone_id, name) for name, zone_id in world["zone"].items())


def test_router_template_globally_and_per_zone(client, control, world):
    zone_list = zones(world)
    scopes = [GLOBAL] + zone_scopes(zone_list)
    first_zone = Scope("zone", zone_list[0][0], zone_list[0][1])
    apply(client, plan(client, [(TEMPLATE, "new")], [first_zone]), check_mode=False)
    mark = control.mark()
    changes = plan(client, [(TEMPLATE, "new")], scopes, only_offered=True)
    assert [(c["scope"].kind, c["scope"].label, c["changed"]) for c in changes] == [
        ("global", None, True), ("zone", zone_list[0][1], False), ("zone", zone_list[1][1], True)]
    results = apply(client, changes, check_mode=False)
    sent = writes(control, mark)
    assert [(p.get("zoneid"), p["value"]) for _c, p in sent] == [(None, "new"), (zone_list[1][0], "new")]
    assert [r.get("zone") for r in results] == [None, zone_list[0][1], zone_list[1][1]]
    assert all(r["after"] == "new" for r in results) and not any(r["restart_required"] for r in results)
    assert stored(client, TEMPLATE) == "new"
    assert not any(c["changed"] for c in plan(client, [(TEMPLATE, "new")], scopes, only_offered=True))


def test_check_mode_writes_nothing_but_predicts(client, control, world):
    before = stored(client, TEMPLATE)
    mark = control.mark()
    changes = plan(client, [(TEMPLATE, "new")], [GLOBAL] + zone_scopes(zones(world)), only_offered=True)
    results = apply(client, changes, check_mode=True)
    assert writes(control, mark) == []
    assert [(r["before"], r["after"], r["changed"]) for r in results] == [(before, "new", True)] * 3
    assert stored(client, TEMPLATE) == before


def test_only_offered_leaves_out_scopes_the_setting_lacks(client, world):
    changes = plan(client, [(INTERVAL, 5)], [GLOBAL] + zone_scopes(zones(world)), only_offered=True)
    assert [c["scope"].kind for c in changes] == ["global"]


def test_a_scope_the_setting_lacks_is_an_error_otherwise(client, control, world):
    mark = control.mark()
    with pytest.raises(ValidationError, match="^update setting %s: it cannot be set per zone$" % INTERVAL):
        plan(client, [(INTERVAL, 5)], zone_scopes(zones(world)))
    with pytest.raises(ValidationError, match="^update setting %s: it cannot be set per cluster$" % TEMPLATE):
        plan(client, [(TEMPLATE, "x")], [Scope("cluster", world["cluster"]["lab-cluster1"], "lab-cluster1")])
    assert writes(control, mark) == []


def test_unknown_setting_is_not_found(client, control):
    mark = control.mark()
    with pytest.raises(NotFoundError, match="^update setting router.template.nope: CloudStack has no setting by this name$"):
        plan(client, [(INTERVAL, 5), ("router.template.nope", "x")], [GLOBAL])
    assert writes(control, mark) == []


@pytest.mark.parametrize("bad", [
    ("router.health.checks.max.cpu.usage.threshold", float("nan")),
    ("router.health.checks.max.cpu.usage.threshold", "inf"),
    ("router.health.checks.to.exclude", ["dns_check.py", {"nested": 1}]),
    ("router.health.checks.enable", ""),
    ("vm.allocation.algorithm", "fastest"),
    (TEMPLATE, None),
])
def test_every_value_is_checked_before_the_first_write(client, control, bad):
    mark = control.mark()
    with pytest.raises(ValidationError, match="^update setting %s: " % bad[0]):
        apply(client, plan(client, [(INTERVAL, 42), (TEMPLATE, "ok"), bad], [GLOBAL]), check_mode=False)
    assert writes(control, mark) == []
    assert stored(client, INTERVAL) != "42"


@pytest.mark.parametrize("name,written,again", [
    (TEMPLATE, "systemvm-kvm-4.20.1\n", ["systemvm-kvm-4.20.1", " systemvm-kvm-4.20.1 ", "systemvm-kvm-4.20.1\n"]),
    (TEMPLATE, "null", ["", "null", " null\n"]),
    (INTERVAL, " 42\n", [42, "42", "042"]),
    (INTERVAL, "null", ["", "null"]),
    ("router.health.checks.enable", "FALSE\n", [False, "false", "no"]),
    ("router.health.checks.to.exclude", "a.py, b.py\n", [["a.py", "b.py"], "a.py,b.py"]),
])
def test_values_compare_the_way_cloudstack_stores_them(client, control, name, written, again):
    apply(client, plan(client, [(name, written)], [GLOBAL]), check_mode=False)
    mark = control.mark()
    for value in again:
        changes = plan(client, [(name, value)], [GLOBAL])
        assert not changes[0]["changed"], (value, stored(client, name))
        apply(client, changes, check_mode=False)
    assert writes(control, mark) == []


def test_values_are_written_as_cloudstack_stores_them(client, control):
    mark = control.mark()
    apply(client, plan(client, [(TEMPLATE, "  systemvm-kvm-4.20.1\n")], [GLOBAL]), check_mode=False)
    assert [p["value"] for _c, p in writes(control, mark)] == ["systemvm-kvm-4.20.1"]
    assert stored(client, TEMPLATE) == "systemvm-kvm-4.20.1"


@pytest.mark.parametrize("kind,obj,name,value", [
    ("cluster", "lab-cluster1", "ca.framework.cert.expiry.alert.period", 21),
    ("account", "tenant1", "router.service.offering", "big-router"),
    ("domain", "ROOT", "enable.user.2fa", True),
    ("storagepool", "lab-cluster1-primary", "storage.overprovisioning.factor", 3.5),
    ("imagestore", "lab-zone1-secondary", "secstorage.nfs.version", "4.1"),
])
def test_every_scope_is_written_there_only(client, control, world, kind, obj, name, value):
    scope = Scope(kind, world[kind][obj], obj)
    global_before = stored(client, name)
    results = apply(client, plan(client, [(name, value)], [scope]), check_mode=False)
    assert results[0]["scope"] == kind and results[0][kind] == obj and results[0]["changed"] is True
    assert stored(client, name, scope) == results[0]["after"]
    assert stored(client, name) == global_before
    assert not plan(client, [(name, value)], [scope])[0]["changed"]


def test_a_failed_write_reports_the_settings_written_before_it(client, control):
    control.add_fault({"kind": "api_error", "command": "updateConfiguration", "errorcode": 530, "nth": 2})
    changes = plan(client, [(INTERVAL, 44), (TEMPLATE, "t2"), ("router.health.checks.enable", False)], [GLOBAL])
    with pytest.raises(ApiError) as failure:
        apply(client, changes, check_mode=False)
    error = failure.value
    assert error.message.startswith("update setting %s: updateConfiguration failed:" % TEMPLATE)
    assert error.errorcode == 530
    assert error.result["changed"] is True
    assert [(s["name"], s["after"]) for s in error.result["settings"]] == [(INTERVAL, "44")]
    assert stored(client, INTERVAL) == "44" and stored(client, TEMPLATE) != "t2"
