# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""csops.cloudstack.allocation_state through real playbook runs against the lab: a zone, a pod and a cluster
disabled and enabled again, each with check mode first, diff {before, after}, the API's own view afterwards and a
second run that changes nothing; names narrowed by zone, ids; bad input refused in one line with no API write (the
simulator's request log proves it). Every zone, pod and cluster is Enabled again at the end."""

import json
import os
import tempfile

import pytest
import yaml
from cs import CloudStack

UPDATE = {"zone": "updateZone", "pod": "updatePod", "cluster": "updateCluster"}
LIST = {"zone": ("listZones", "zone"), "pod": ("listPods", "pod"), "cluster": ("listClusters", "cluster")}


@pytest.fixture(scope="module")
def api(lab_env):
    return CloudStack(endpoint=lab_env["CLOUDSTACK_ENDPOINT"], key=lab_env["CLOUDSTACK_KEY"],
                      secret=lab_env["CLOUDSTACK_SECRET"], fetch_result=False)


def rows(api, kind):
    command, key = LIST[kind]
    return getattr(api, command)().get(key) or []


def states(api):
    """(kind, name) -> allocationstate of every zone, pod and cluster."""
    return {(kind, row["name"]): row["allocationstate"] for kind in LIST for row in rows(api, kind)}


def state_of(api, kind, name):
    return states(api)[(kind, name)]


@pytest.fixture(scope="module", autouse=True)
def restored(request, api):
    control = request.getfixturevalue("control")
    control.reset()
    seeded = states(api)
    assert set(seeded.values()) == {"Enabled"}, seeded
    yield
    # Whatever a test left: enabled again through the API, then the world reseeded; both checked.
    for (kind, name), value in states(api).items():
        if value != "Enabled":
            row = next((r for r in rows(api, kind) if r["name"] == name), None)
            assert row is not None, "%s %s is no longer listed" % (kind, name)
            getattr(api, UPDATE[kind])(id=row["id"], allocationstate="Enabled")
    assert set(states(api).values()) == {"Enabled"}
    control.reset()


def writes(control, mark):
    return [(r["command"], r["params"].get("allocationstate")) for r in control.write_calls(mark)]


def run_tasks(ansible, tasks, check=False, diff=False):
    """Run several tasks in one playbook (one ansible-playbook start for them all); returns their results."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "results.json")
        play_tasks = []
        for i, (module, args) in enumerate(tasks):
            play_tasks.append({"name": "task %d" % i, "csops.cloudstack." + module: args, "register": "r%d" % i,
                               "ignore_errors": True})
        names = ", ".join("r%d" % i for i in range(len(tasks)))
        play_tasks.append({"name": "save results", "ansible.builtin.copy": {
            "content": "{{ [%s] | to_json }}" % names, "dest": out, "mode": "0600"},
            "check_mode": False, "diff": False})
        path = os.path.join(tmp, "play.yml")
        with open(path, "w") as handle:
            yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": play_tasks}], handle)
        proc = ansible.playbook(path, check=check, diff=diff)
        if not os.path.exists(out):
            raise AssertionError("playbook did not run its tasks:\n%s\n%s" % (proc.stdout, proc.stderr))
        with open(out) as handle:
            results = json.load(handle)
        assert "Traceback" not in proc.stdout, proc.stdout[-3000:]
        return results


@pytest.mark.parametrize("kind,name", [("cluster", "lab-cluster2"), ("pod", "lab-pod2"), ("zone", "lab-zone2")])
def test_disable_and_enable(ansible, control, api, kind, name):
    others = {key: value for key, value in states(api).items() if key != (kind, name)}

    mark = control.mark()
    check = ansible.module("allocation_state", {kind: name, "state": "disabled"}, check=True, diff=True)
    assert not check.get("failed"), check.get("msg")
    assert check["changed"] is True and check["kind"] == kind and check["name"] == name
    assert check["allocationstate"] == "Disabled"
    assert check["diff"] == {"before": {"allocationstate": "Enabled"}, "after": {"allocationstate": "Disabled"}}
    assert writes(control, mark) == [] and state_of(api, kind, name) == "Enabled"

    mark = control.mark()
    done = ansible.module("allocation_state", {kind: name, "state": "disabled"}, diff=True)
    assert not done.get("failed"), done.get("msg")
    assert done["changed"] is True and done["allocationstate"] == "Disabled"
    assert done["diff"] == check["diff"]
    assert writes(control, mark) == [(UPDATE[kind], "Disabled")]
    row = next(r for r in rows(api, kind) if r["name"] == name)
    assert done["id"] == row["id"] and row["allocationstate"] == "Disabled"
    # only the target changed: a disabled zone does not disable its pods and clusters (CloudStack keeps them)
    assert {key: value for key, value in states(api).items() if key != (kind, name)} == others

    # a second run, and the same in check mode, change nothing
    mark = control.mark()
    again = run_tasks(ansible, [("allocation_state", {kind: name, "state": "disabled"}),
                                ("allocation_state", {kind: row["id"], "state": "disabled"})], diff=True)
    for result in again:
        assert not result.get("failed"), result.get("msg")
        assert result["changed"] is False and result["allocationstate"] == "Disabled"
        assert result["diff"]["before"] == result["diff"]["after"] == {"allocationstate": "Disabled"}
    assert writes(control, mark) == []

    mark = control.mark()
    check = ansible.module("allocation_state", {kind: name, "state": "enabled"}, check=True)
    assert check["changed"] is True and check["allocationstate"] == "Enabled", check.get("msg")
    assert writes(control, mark) == [] and state_of(api, kind, name) == "Disabled"

    mark = control.mark()
    back = ansible.module("allocation_state", {kind: name, "state": "enabled"}, diff=True)
    assert back["changed"] is True and back["allocationstate"] == "Enabled", back.get("msg")
    assert back["diff"] == {"before": {"allocationstate": "Disabled"}, "after": {"allocationstate": "Enabled"}}
    assert writes(control, mark) == [(UPDATE[kind], "Enabled")]
    assert states(api) == {**others, (kind, name): "Enabled"}

    mark = control.mark()
    assert ansible.module("allocation_state", {kind: name, "state": "enabled"})["changed"] is False
    assert writes(control, mark) == []


def test_names_narrowed_by_zone_and_pod(ansible, control, api):
    """zone and pod narrow the search for a cluster or pod name; a name outside them is not found."""
    mark = control.mark()
    results = run_tasks(ansible, [
        ("allocation_state", {"zone": "lab-zone1", "cluster": "lab-cluster2", "state": "disabled"}),
        ("allocation_state", {"zone": "lab-zone1", "pod": "lab-pod2", "cluster": "lab-cluster2",
                              "state": "enabled"}),
        ("allocation_state", {"zone": "lab-zone2", "pod": "lab-pod3", "state": "disabled"}),
        ("allocation_state", {"zone": "lab-zone2", "pod": "lab-pod3", "state": "enabled"}),
    ])
    for result in results:
        assert not result.get("failed"), result.get("msg")
        assert result["changed"] is True
    assert [r["kind"] for r in results] == ["cluster", "cluster", "pod", "pod"]
    assert writes(control, mark) == [("updateCluster", "Disabled"), ("updateCluster", "Enabled"),
                                     ("updatePod", "Disabled"), ("updatePod", "Enabled")]
    assert set(states(api).values()) == {"Enabled"}


BAD = [
    ({"cluster": "", "state": "disabled"}, "cluster"),
    ({"pod": "   ", "state": "disabled"}, "pod"),
    ({"zone": "", "cluster": "lab-cluster1", "state": "disabled"}, "zone"),
    ({"cluster": "no-such-cluster", "state": "disabled"}, "cluster"),
    ({"zone": "lab-zone2", "cluster": "lab-cluster1", "state": "disabled"}, "cluster"),
    ({"pod": "lab-pod1", "cluster": "lab-cluster2", "state": "disabled"}, "cluster"),
    ({"zone": "no-such-zone", "state": "disabled"}, "zone"),
    ({"cluster": "lab-cluster1\nlab-cluster2", "state": "disabled"}, "cluster"),
    ({"cluster": "x" * 5000, "state": "disabled"}, "cluster"),
    ({"state": "disabled"}, "zone"),
    ({"cluster": "lab-cluster1", "state": "off"}, "state"),
    ({"cluster": "lab-cluster1"}, "state"),
    ({"cluster": "lab-cluster1", "state": "disabled", "api_timeout": 0}, "api_timeout"),
]


@pytest.mark.parametrize("check", [False, True], ids=["run", "check"])
def test_bad_input_is_one_line_and_writes_nothing(ansible, control, api, check):
    mark = control.mark()
    results = run_tasks(ansible, [("allocation_state", args) for args, _option in BAD], check=check)
    for (args, option), result in zip(BAD, results):
        shown = json.dumps(args)[:80]
        assert result.get("failed") is True, (shown, result)
        msg = result["msg"]
        assert msg and "\n" not in msg.strip() and len(msg) <= 300, (shown, msg)
        assert option in msg, (shown, msg)
        assert "x" * 200 not in msg, (shown, msg)
        assert result.get("changed") is not True, (shown, result)
    assert control.write_calls(mark) == []
    assert set(states(api).values()) == {"Enabled"}
