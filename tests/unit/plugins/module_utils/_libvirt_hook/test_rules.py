"""Rules of the qemu hook's custom scripts: names, actions, order, what is ignored and why."""

import pytest

from ansible_collections.csops.cloudstack.plugins.module_utils._libvirt_hook import rules as lh
from ansible_collections.csops.cloudstack.plugins.module_utils._libvirt_hook.dispatcher import render


def entry(name, is_file=True, executable=True):
    return {"name": name, "is_file": is_file, "executable": executable}


def test_valid_actions_are_cloudstacks():
    assert lh.VALID_ACTIONS == ("prepare", "start", "started", "stopped", "release", "migrate", "restore",
                                "reconnect", "attach")


@pytest.mark.parametrize("name, expected", [
    ("all_10-x.sh", ("all", "10-x.sh")),
    ("start_a_b", ("start", "a_b")),
    ("all_", ("all", "")),
    ("noprefix.sh", None),
])
def test_split_name(name, expected):
    assert lh.split_name(name) == expected


def test_actions_of():
    assert lh.actions_of("all_x") == lh.VALID_ACTIONS
    assert lh.actions_of("migrate_x") == ("migrate",)
    assert lh.actions_of("stop_x") == ()
    assert lh.actions_of("Start_x") == ()
    assert lh.actions_of("x") == ()


def test_order_is_by_text_after_first_underscore():
    # The example of CloudStack's guide: migrate_abc.py runs before all_cde.sh.
    names = ["all_cde.sh", "migrate_abc.py"]
    assert sorted(names, key=lh.order_key) == ["migrate_abc.py", "all_cde.sh"]
    # Equal keys: the whole name decides, byte order (upper case before lower case, digits first).
    assert sorted(["start_x", "all_x", "attach_x"], key=lh.order_key) == ["all_x", "attach_x", "start_x"]
    assert sorted(["all_b", "all_B", "all_1"], key=lh.order_key) == ["all_1", "all_B", "all_b"]


def test_plan_orders_each_action_and_explains_ignored_files():
    outcome = lh.execution_plan([
        entry("all_cde.sh"), entry("migrate_abc.py"), entry("start_05-net.sh"),
        entry("all_40-off.sh", executable=False), entry("all_50-dir", is_file=False),
        entry("stop_x.sh"), entry("README"), entry("all_60-old.sh~"),
    ])
    plan = outcome["plan"]
    assert plan["migrate"] == ["all_60-old.sh~", "migrate_abc.py", "all_cde.sh"]
    assert plan["start"] == ["start_05-net.sh", "all_60-old.sh~", "all_cde.sh"]
    assert plan["stopped"] == ["all_60-old.sh~", "all_cde.sh"]
    assert set(plan) == set(lh.VALID_ACTIONS)
    reasons = {i["name"]: i["reason"] for i in outcome["ignored"]}
    assert reasons == {"all_40-off.sh": lh.NOT_EXECUTABLE, "all_50-dir": lh.NOT_A_FILE, "stop_x.sh": lh.UNKNOWN_ACTION,
                       "README": lh.NO_PREFIX}
    assert [n["name"] for n in outcome["notices"]] == ["all_60-old.sh~"]
    for item in outcome["ignored"]:
        assert item["message"].startswith(item["name"] + ": ")
    assert "'stop' is not a valid action" in next(i["message"] for i in outcome["ignored"] if i["name"] == "stop_x.sh")


def test_plan_of_nothing():
    outcome = lh.execution_plan([])
    assert outcome == {"plan": {a: [] for a in lh.VALID_ACTIONS}, "ignored": [], "notices": []}


@pytest.mark.parametrize("actions, expected", [
    (None, ("all",)),
    (["all"], ("all",)),
    ("start", ("start",)),
    (["stopped", "start", "start"], ("start", "stopped")),
])
def test_normalize_actions(actions, expected):
    assert lh.normalize_actions(actions) == expected


@pytest.mark.parametrize("actions, message", [
    (["stop"], "unknown action 'stop'"),
    (["all", "start"], "all cannot be combined"),
    ([], "must not be empty"),
    ([3], "must be action names"),
])
def test_normalize_actions_rejects(actions, message):
    with pytest.raises(lh.HookInputError, match=message):
        lh.normalize_actions(actions)


def test_file_names():
    assert lh.file_names("10-x.sh", ["all"]) == ["all_10-x.sh"]
    assert lh.file_names("10-x.sh", ["stopped", "prepare"]) == ["prepare_10-x.sh", "stopped_10-x.sh"]
    assert len(lh.candidate_names("x")) == len(lh.VALID_ACTIONS) + 1


@pytest.mark.parametrize("name", ["", "a/b", ".", "..", "a\nb", "x" * 250])
def test_check_name_rejects(name):
    with pytest.raises(lh.HookInputError):
        lh.check_name(name)


def test_check_name_accepts_plain_names():
    assert lh.check_name("10-register dns.sh") == "10-register dns.sh"


@pytest.mark.parametrize("mode, expected", [("0755", 0o755), ("750", 0o750), (0o644, 0o644), ("04755", 0o4755)])
def test_parse_mode(mode, expected):
    assert lh.parse_mode(mode) == expected


@pytest.mark.parametrize("mode", ["rwx", "0799", True, "12345", 0o17777])
def test_parse_mode_rejects(mode):
    with pytest.raises(lh.HookInputError):
        lh.parse_mode(mode)


def test_hook_kind():
    assert lh.hook_kind(None) == lh.HOOK_ABSENT
    assert lh.hook_kind(render("/c", "/l", 600, 10)) == lh.HOOK_CSOPS
    cloudstack_like = ('#!/usr/bin/python3\nfrom cloudutils.configFileOps import configFileOps\n'
                       'customDir = "/etc/libvirt/hooks/custom"\n')
    assert lh.hook_kind(cloudstack_like) == lh.HOOK_CLOUDSTACK
    assert lh.hook_kind("#!/bin/sh\n# mentions cloudutils once\nexit 0\n") == lh.HOOK_OTHER
    assert lh.hook_kind("#!/bin/sh\nexit 0\n") == lh.HOOK_OTHER
