# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The quick subset of the bad-input campaign (bench/bad_input_campaign.py --quick): every module of the
collection in real ansible-playbook runs, the API modules against a private simulator on 127.0.0.1, the host
modules over a temporary tree. Every column but runs must be zero.

The first tests check the campaign's own judgement on results built by hand (they stand for a module that
misbehaves, which the collection does not ship); the rest run the campaign itself. Nothing is mocked there.
"""

import os
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "bench"))

import bad_input_campaign as campaign  # noqa: E402  (path set just above)

ALL_MODULES = campaign.API_MODULES + campaign.HOST_MODULES


def clean_failure(msg):
    return {"id": "c0001", "status": "failed", "elapsed": 1.0, "files_changed": [],
            "result": {"failed": True, "changed": False, "msg": msg}}


# ----- the judge finds what it is meant to find -----

def test_judge_counts_a_write_a_leak_and_an_unclear_message():
    case = campaign.Case("systemvm", {"name": "", "state": "stopped"}, option="name")
    rec = clean_failure("stopped system VMs: %s\nsee the log" % campaign.DEFAULT_SECRET_KEY)
    writes = [{"index": 3, "command": "stopSystemVm", "params": {"id": "a"}, "write": True},
              {"index": 4, "command": "stopSystemVm", "params": {"id": "a"}, "write": True}]
    found = campaign.judge(case, rec, "", "", writes)
    assert found["state_changed"] and found["leaks"] and found["duplicate_writes"]
    assert any("lines" in reason for reason in found["unclear"])
    assert any("does not name name" in reason for reason in found["unclear"])


def test_judge_accepts_a_clean_refusal():
    case = campaign.Case("systemvm", {"name": "", "state": "stopped"}, option="name")
    found = campaign.judge(case, clean_failure("name: must not be empty"), "", "", [])
    assert not any(found.values()), found


def test_judge_tells_a_crash_from_a_displayed_failure():
    # What ansible-core 2.19 shows with ANSIBLE_DISPLAY_TRACEBACK=always: for fail_json, a block ending in
    # "Message:"; for a module that raised, one ending in the exception.
    clean = ("Traceback (most recent call last):\n  File \"x.py\", line 1, in main\nMessage: name: must not be empty\n"
             "\nThe above target exception was the direct cause of the following controller exception:\n\n"
             "Traceback (most recent call last):\n  File \"t.py\", line 2\n"
             "ansible._internal._errors._captured.AnsibleModuleCapturedError: Module failed: name: must not be empty\n")
    crash = clean.replace("Message: name: must not be empty", "KeyError: 'zoneid'")
    assert campaign.crash_lines(clean, "name: must not be empty") == []
    assert campaign.crash_lines(crash, "name: must not be empty") == ["KeyError: 'zoneid'"]
    case = campaign.Case("host_info", {"zone": ""}, option="zone")
    rec = clean_failure("Task failed: Module failed: 'zoneid'")
    assert campaign.judge(case, rec, crash, "", [])["tracebacks"]


def test_judge_wants_bad_input_refused_and_lost_writes_named():
    accepted = campaign.Case("router_upgrade", {"zone": ""}, option="zone")
    rec = {"id": "c0001", "status": "ok", "elapsed": 1.0, "files_changed": [], "result": {"changed": False}}
    assert campaign.judge(accepted, rec, "", "", [])["unclear"]
    lost = campaign.Case("setting", {"name": "x", "value": "y"}, expect="any", lost_write=True)
    assert campaign.judge(lost, clean_failure("updateConfiguration failed: timed out"), "", "", [])["unclear"]
    named = clean_failure("updateConfiguration timed out: the change may have been made; check before retrying")
    assert not campaign.judge(lost, named, "", "", [])["unclear"]


def stand_in_hook(tmp_path, body):
    """A hook file of our own at <tmp>/hooks/qemu (a stand-in for one rendered from hostile settings)."""
    case = campaign.Case("libvirt_hook", {"custom_dir": str(tmp_path / "hooks" / "c$(touch PWNED)")}, expect="any",
                         probe=True)
    case.dir = str(tmp_path)
    (tmp_path / "hooks").mkdir()
    hook = tmp_path / "hooks" / "qemu"
    hook.write_text("#!/bin/bash\n" + body)
    hook.chmod(0o755)
    return case


def test_probe_catches_an_injected_command(tmp_path):
    # Expands the setting unquoted, the way a careless rendering would.
    case = stand_in_hook(tmp_path, 'custom=%s\nfor s in $custom/all_*; do "$s"; done\n'
                         % case_dir_text(tmp_path))
    found = campaign.probe_hook(case)
    assert "injected command ran" in found


def test_probe_accepts_a_hook_that_keeps_the_setting_as_text(tmp_path):
    case = stand_in_hook(tmp_path, "custom='%s'\nfor s in \"$custom\"/all_*; do \"$s\"; done\n"
                         % case_dir_text(tmp_path).replace("'", "'\\''"))
    assert campaign.probe_hook(case) == []


def case_dir_text(tmp_path):
    return str(tmp_path / "hooks" / "c$(touch PWNED)")


# ----- the campaign itself -----

@pytest.fixture(scope="module")
def report():
    return campaign.campaign(quick=True, progress=lambda line: None)


def test_quick_campaign_tries_every_module(report):
    assert set(ALL_MODULES) <= set(report["rows"]), sorted(report["rows"])
    assert report["runs"] >= 40


@pytest.mark.parametrize("column", campaign.COLUMNS[1:])
def test_quick_campaign_column_is_zero(report, column):
    found = [f for f in report["findings"] if f["column"] == column]
    lines = ["%s %s: %s -- %s" % (f["case"], f["module"], f["input"][:120], f["symptom"]) for f in found]
    assert report["rows"]["total"][column] == 0 and not found, "%s:\n%s" % (column, "\n".join(lines))
