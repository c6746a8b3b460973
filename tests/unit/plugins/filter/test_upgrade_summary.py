# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The upgrade_summary filter on snapshots shaped like systemvm_info, router_info and setting_info results, called
directly and by its collection name in a real ``ansible`` run on localhost. Nothing is mocked."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.csops.cloudstack.plugins.filter.upgrade_summary import FilterModule, upgrade_summary

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
COLLECTIONS = os.path.join(REPO, ".build", "collections")
VENV_BIN = os.path.dirname(sys.executable)
OLD = "systemvm-kvm-4.19.0"
NEW = "systemvm-kvm-4.20.1"


def vm(name, zone, kind, version, template, state="Running"):
    # the keys systemvm_info returns that the filter reads, plus one it ignores
    return {"id": "id-" + name, "name": name, "zonename": zone, "systemvmtype": kind, "version": version,
            "templatename": template, "state": state, "hostname": "kvm1"}


def router(rid, name, version, requiresupgrade):
    return {"id": rid, "name": name, "version": version, "requiresupgrade": requiresupgrade, "state": "Running"}


BEFORE = {
    "systemvms": [
        vm("s-1-VM", "zone1", "secondarystoragevm", "4.19.0.0", OLD),
        vm("v-2-VM", "zone1", "consoleproxy", "4.19.0.0", OLD),
        vm("s-3-VM", "zone2", "secondarystoragevm", "4.19.0.0", OLD),
    ],
    "routers": [
        router("r10", "r-10-VM", "4.19.0", True),
        router("r11", "r-11-VM", "4.19.0", True),
        router("r99", "r-99-VM", "4.19.0", True),  # destroyed during the upgrade: not in the summary
    ],
    "settings": [{"name": "router.template.kvm", "value": OLD, "scope": "zone"}],
}

AFTER = {
    "systemvms": [
        vm("s-5-VM", "zone1", "secondarystoragevm", "4.20.1.0", NEW),
        vm("v-6-VM", "zone1", "consoleproxy", "4.20.1.0", NEW),
        vm("s-3-VM", "zone2", "secondarystoragevm", "4.19.0.0", OLD),
        vm("v-7-VM", "zone2", "consoleproxy", None, None, state="Starting"),
    ],
    "routers": [
        router("r10", "r-10-VM", "4.20.1", False),
        router("r11", "r-11-VM", "4.19.0", True),
        router("r12", "r-12-VM", "4.20.1", False),
    ],
    "settings": [
        {"name": "router.template.kvm", "value": NEW},
        {"name": "router.template.xenserver", "value": ""},
    ],
}


def test_versions_per_zone_and_type_routers_and_settings():
    before, after = copy.deepcopy(BEFORE), copy.deepcopy(AFTER)
    summary = upgrade_summary(before, after)

    assert (before, after) == (BEFORE, AFTER)  # the inputs are left as they were
    assert sorted(summary) == ["lines", "routers", "settings", "systemvms"]
    assert summary["systemvms"] == [
        {"zone": "zone1", "type": "consoleproxy",
         "before": [{"name": "v-2-VM", "version": "4.19.0.0", "template": OLD, "state": "Running"}],
         "after": [{"name": "v-6-VM", "version": "4.20.1.0", "template": NEW, "state": "Running"}]},
        {"zone": "zone1", "type": "secondarystoragevm",
         "before": [{"name": "s-1-VM", "version": "4.19.0.0", "template": OLD, "state": "Running"}],
         "after": [{"name": "s-5-VM", "version": "4.20.1.0", "template": NEW, "state": "Running"}]},
        {"zone": "zone2", "type": "consoleproxy",
         "before": [],
         "after": [{"name": "v-7-VM", "version": None, "template": None, "state": "Starting"}]},
        {"zone": "zone2", "type": "secondarystoragevm",
         "before": [{"name": "s-3-VM", "version": "4.19.0.0", "template": OLD, "state": "Running"}],
         "after": [{"name": "s-3-VM", "version": "4.19.0.0", "template": OLD, "state": "Running"}]},
    ]
    assert summary["routers"] == [
        {"name": "r-10-VM", "version_before": "4.19.0", "version_after": "4.20.1",
         "requiresupgrade_before": True, "requiresupgrade_after": False},
        {"name": "r-11-VM", "version_before": "4.19.0", "version_after": "4.19.0",
         "requiresupgrade_before": True, "requiresupgrade_after": True},
        {"name": "r-12-VM", "version_before": None, "version_after": "4.20.1",
         "requiresupgrade_before": None, "requiresupgrade_after": False},
    ]
    assert summary["settings"] == [
        {"name": "router.template.kvm", "before": OLD, "after": NEW},
        {"name": "router.template.xenserver", "before": None, "after": ""},
    ]
    assert summary["lines"] == [
        "zone1 consoleproxy: v-2-VM 4.19.0.0 (%s) -> v-6-VM 4.20.1.0 (%s)" % (OLD, NEW),
        "zone1 secondarystoragevm: s-1-VM 4.19.0.0 (%s) -> s-5-VM 4.20.1.0 (%s)" % (OLD, NEW),
        "zone2 consoleproxy: none -> v-7-VM ? (?)",
        "zone2 secondarystoragevm: s-3-VM 4.19.0.0 (%s) -> s-3-VM 4.19.0.0 (%s)" % (OLD, OLD),
        "router r-10-VM: 4.19.0 -> 4.20.1",
        "router r-11-VM: 4.19.0 -> 4.19.0 (still requires upgrade)",
        "router r-12-VM: (new) -> 4.20.1",
        "router.template.kvm: %s -> %s" % (OLD, NEW),
        "router.template.xenserver: ? -> ?",
    ]


def test_several_vms_of_one_zone_and_type_keep_their_order():
    before = {"systemvms": [vm("v-2-VM", "z", "consoleproxy", "1", "t1"), vm("v-1-VM", "z", "consoleproxy", "1", "t1")]}
    summary = upgrade_summary(before, {"systemvms": []})
    assert [v["name"] for v in summary["systemvms"][0]["before"]] == ["v-2-VM", "v-1-VM"]
    assert summary["lines"] == ["z consoleproxy: v-2-VM 1 (t1), v-1-VM 1 (t1) -> none"]


def test_missing_lists_count_as_empty():
    assert upgrade_summary({}, {"routers": None}) == {"systemvms": [], "routers": [], "settings": [], "lines": []}


def test_nothing_changed_gives_lines_with_equal_sides():
    summary = upgrade_summary(AFTER, AFTER)
    assert all(r["version_before"] == r["version_after"] for r in summary["routers"])
    assert "router r-12-VM: 4.20.1 -> 4.20.1" in summary["lines"]
    assert all(entry["before"] == entry["after"] for entry in summary["systemvms"])


@pytest.mark.parametrize("before, after, message", [
    (["not", "a", "dict"], AFTER, "upgrade_summary: before must be a dict with systemvms, routers, settings, got"),
    (BEFORE, "after", "upgrade_summary: after must be a dict with systemvms, routers, settings, got 'after'"),
    ({"routers": "r-10-VM"}, AFTER, "upgrade_summary: before.routers must be a list, got 'r-10-VM'"),
    ({"settings": {"name": "x"}}, AFTER, "upgrade_summary: before.settings must be a list, got"),
    (BEFORE, {"systemvms": ["s-1-VM"]}, "upgrade_summary: every item of after.systemvms must be a dict, got 's-1-VM'"),
])
def test_bad_input_is_one_line_naming_the_argument(before, after, message):
    with pytest.raises(AnsibleFilterError) as err:
        upgrade_summary(before, after)
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


def test_long_bad_values_are_shortened():
    with pytest.raises(AnsibleFilterError) as err:
        upgrade_summary({"routers": "x" * 500}, AFTER)
    assert len(str(err.value)) < 120 and str(err.value).endswith("...")


def test_registered_under_its_name():
    assert FilterModule().filters() == {"upgrade_summary": upgrade_summary}


def template(expression, variables, tmp_path):
    """Render ``expression`` in a real ``ansible`` run on localhost, where the collection is found by name through
    ANSIBLE_COLLECTIONS_PATH; returns the process and the rendered value (None when the run failed)."""
    (tmp_path / "vars.json").write_text(json.dumps(variables))
    out = tmp_path / "out.json"
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR="1",
               ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    proc = subprocess.run(
        [os.path.join(VENV_BIN, "ansible"), "localhost", "-i", "localhost,", "-c", "local",
         "-e", "@%s" % (tmp_path / "vars.json"), "-m", "ansible.builtin.copy",
         "-a", json.dumps({"content": "{{ %s | to_json }}" % expression, "dest": str(out), "mode": "0600"})],
        env=env, capture_output=True, text=True, timeout=120, check=False)
    return proc, (json.loads(out.read_text()) if out.exists() else None)


def test_through_ansible_by_collection_name(tmp_path):
    proc, summary = template("b | csops.cloudstack.upgrade_summary(a)", {"b": BEFORE, "a": AFTER}, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert summary == upgrade_summary(BEFORE, AFTER)


def test_through_ansible_bad_input_is_one_clear_line(tmp_path):
    proc, summary = template("'text' | csops.cloudstack.upgrade_summary(a)", {"a": AFTER}, tmp_path)
    assert proc.returncode != 0 and summary is None
    assert "upgrade_summary: before must be a dict with systemvms, routers, settings, got 'text'" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr
