# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The GitOps plan of docs/gitops.md: every playbook of playbooks/ run with ``--check --diff`` against the lab, as
a merge-request pipeline runs it. Each plan exits 0, changes nothing (the simulator's request log has no write
call, the KVM hosts' files are untouched), and every diff a task shows is a small ``{before, after}`` of the
values it manages, never a whole API object. The runs go through ansible-runner only to read each task's result
as a job event; the command is the same ansible-playbook a pipeline runs. Nothing is mocked."""

import hashlib
import json
import os
import subprocess
import sys

import ansible_runner
import pytest
import yaml

from conftest import INVENTORY, REPO, VENV_BIN

LABVIRT = os.path.join(REPO, "tests", "lab", "libvirt", "labvirt.py")
sys.path.insert(0, os.path.dirname(LABVIRT))
import labvirt  # noqa: E402  (path set just above)

KVM_HOSTS = ("kvm1", "kvm2")
# The variables each playbook needs on the lab (docs/gitops.md keeps them in a file per playbook).
with open(os.path.join(REPO, "tests", "lab", "demo", "upgrade-vars.yml")) as _handle:
    UPGRADE_VARS = yaml.safe_load(_handle)
PLAYBOOKS = {
    "cloud_report.yml": {},
    "secure_kvm_hosts.yml": {},
    "upgrade_systemvms.yml": UPGRADE_VARS,
    "rolling_maintenance.yml": {
        "kvm_rolling_maintenance_clusters": ["lab-cluster1"],
        "kvm_rolling_maintenance_not_in_inventory": "api_only",
    },
}
# Keys that only a whole API object has: a diff carrying one shows the object, not the values a task manages.
API_OBJECT_KEYS = {"id", "created", "zoneid", "podid", "clusterid", "hostid", "templateid", "domainid", "jobid",
                   "account", "ipaddress", "linklocalip", "hypervisorversion"}
DIFF_KEYS = {"before", "after", "before_header", "after_header"}
MAX_DIFF_CHARS = 4096  # a reviewer reads every diff of a plan; one screen each at most


def host_trees():
    """Every file and link of the KVM hosts' lab trees with its content hash (or target) and mode."""
    out = {}
    for host in KVM_HOSTS:
        root = labvirt.host_file(host, "etc")
        for base, dirs, files in os.walk(root):
            for name in dirs + files:
                path = os.path.join(base, name)
                if os.path.islink(path):
                    what = "-> " + os.readlink(path)
                elif os.path.isdir(path):
                    what = "dir"
                else:
                    with open(path, "rb") as handle:
                        what = hashlib.sha256(handle.read()).hexdigest()
                out[path] = (what, oct(os.lstat(path).st_mode))
    return out


@pytest.fixture(scope="module")
def plans(lab_env, control, tmp_path_factory):
    """Each playbook's check-and-diff run on a freshly seeded lab: {playbook: (runner, write calls, events)}."""
    control.reset()
    for host in KVM_HOSTS:
        subprocess.run([sys.executable, LABVIRT, "reset-host", "--host", host], check=True, capture_output=True,
                       timeout=300)
    before = host_trees()
    state_dir = tmp_path_factory.mktemp("markers")
    envvars = dict(lab_env, ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, ".build", "collections"),
                   ANSIBLE_HOST_KEY_CHECKING="False", ANSIBLE_NOCOLOR="1",
                   PATH=VENV_BIN + os.pathsep + os.environ.get("PATH", ""))
    out = {}
    for name, extra in PLAYBOOKS.items():
        extra = dict(extra)
        if name == "rolling_maintenance.yml":
            extra["kvm_rolling_maintenance_state_dir"] = str(state_dir)
        mark = control.mark()
        runner = ansible_runner.run(private_data_dir=str(tmp_path_factory.mktemp("plan")),
                                    playbook=os.path.join(REPO, "playbooks", name), inventory=INVENTORY,
                                    envvars=envvars, extravars=extra, cmdline="--check --diff", quiet=True,
                                    timeout=600, suppress_env_files=True)
        out[name] = (runner, control.write_calls(mark), list(runner.events))
    out["_trees"] = (before, host_trees())
    yield out
    for host in KVM_HOSTS:
        subprocess.run([sys.executable, LABVIRT, "reset-host", "--host", host], check=False, capture_output=True,
                       timeout=300)
    control.reset()


def results(events):
    """(task, action, result) of every task result of a run, one per host and loop item."""
    out = []
    for event in events:
        if event["event"] not in ("runner_on_ok", "runner_item_on_ok", "runner_on_failed", "runner_item_on_failed"):
            continue
        data = event["event_data"]
        if isinstance(data["res"].get("results"), list):
            continue  # a loop's summary: its items come as events of their own
        out.append((data.get("task", ""), data.get("resolved_action") or data.get("task_action", ""), data["res"]))
    return out


def diffs(result):
    found = result.get("diff")
    if found is None:
        return []
    return found if isinstance(found, list) else [found]


def keys_at_any_depth(value):
    if isinstance(value, dict):
        keys = set(value)
        for item in value.values():
            keys |= keys_at_any_depth(item)
        return keys
    if isinstance(value, list):
        keys = set()
        for item in value:
            keys |= keys_at_any_depth(item)
        return keys
    return set()


@pytest.mark.parametrize("playbook", sorted(PLAYBOOKS))
def test_plan_exits_zero(plans, playbook):
    runner, _writes, _events = plans[playbook]
    assert (runner.status, runner.rc) == ("successful", 0), runner.stdout.read()[-4000:]
    assert not runner.stats["failures"] and not runner.stats["dark"], runner.stats


@pytest.mark.parametrize("playbook", sorted(PLAYBOOKS))
def test_plan_changes_nothing_in_the_cloud(plans, playbook):
    _runner, writes, _events = plans[playbook]
    assert [w["command"] for w in writes] == []


def test_plans_change_nothing_on_the_hosts(plans):
    before, after = plans["_trees"]
    assert before and after == before


@pytest.mark.parametrize("playbook", sorted(PLAYBOOKS))
def test_every_diff_is_a_small_before_after_of_managed_values(plans, playbook):
    _runner, _writes, events = plans[playbook]
    bad = []
    for task, action, result in results(events):
        for diff in diffs(result):
            text = json.dumps(diff, sort_keys=True, default=str)
            if not diff:
                continue  # no change: an empty diff
            if not isinstance(diff, dict) or not {"before", "after"} <= set(diff) or set(diff) - DIFF_KEYS:
                bad.append("%s (%s): not {before, after}: %s" % (task, action, text[:300]))
            elif len(text) > MAX_DIFF_CHARS:
                bad.append("%s (%s): %d characters" % (task, action, len(text)))
            elif keys_at_any_depth([diff["before"], diff["after"]]) & API_OBJECT_KEYS:
                bad.append("%s (%s): a whole API object: %s" % (task, action, text[:300]))
    assert bad == []


@pytest.mark.parametrize("playbook", ["secure_kvm_hosts.yml", "upgrade_systemvms.yml"])
def test_each_change_of_the_collection_shows_its_diff(plans, playbook):
    """The plan is readable: every task of the collection that would change something says what, as a diff."""
    _runner, _writes, events = plans[playbook]
    changed = [(task, action, result) for task, action, result in results(events)
               if result.get("changed") and action.startswith("csops.cloudstack.")]
    assert changed, "the plan of a fresh lab shows no change of %s" % playbook
    silent = ["%s (%s)" % (task, action) for task, action, result in changed
              if not any(diffs(result))]
    assert silent == []
