"""rolling_maintenance_scripts in-process against a temporary hooks directory and agent.properties."""

import os
import shutil
import stat
import subprocess
import tempfile

import pytest

from ansible_collections.csops.cloudstack.plugins.module_utils._rolling_scripts import rules
from ansible_collections.csops.cloudstack.plugins.modules import rolling_maintenance_scripts as mod

AGENT = "# agent\nhost=10.0.0.1\nkeystore.passphrase=TopSecret42\nport=8250\n"
MAINT = "#!/bin/sh\necho maintenance \"$@\"\n"
PREFLIGHT = "#!/bin/sh\nexit 70\n"


@pytest.fixture
def base(me):
    # a short directory: under pytest's long temporary paths the service executor's unit names would be too long
    short = tempfile.mkdtemp(prefix="rm")
    props = os.path.join(short, "agent.properties")
    with open(props, "w") as handle:
        handle.write(AGENT)
    os.chmod(props, 0o640)
    yield dict(hooks_dir=os.path.join(short, "hooks.d"), agent_properties=props, **me)
    shutil.rmtree(short)


def test_check_apply_idempotent(run, base):
    args = dict(base, scripts=[{"stage": "Maintenance", "extension": ".sh", "content": MAINT},
                               {"stage": "PreFlight", "content": PREFLIGHT}])
    checked = run(mod, args, check=True, diff=True)
    assert checked["changed"] and checked["restart_required"]
    assert [s["state"] for s in checked["scripts"]] == ["created", "created"]
    assert not os.path.exists(base["hooks_dir"])
    assert "rolling.maintenance.hooks.dir" not in open(base["agent_properties"]).read()
    diff_after = "".join(d["after"] for d in checked["diff"])
    assert "echo maintenance" in diff_after and "rolling.maintenance.hooks.dir=%s" % base["hooks_dir"] in diff_after
    assert "TopSecret42" not in str(checked)

    applied = run(mod, args)
    assert applied["changed"] and applied["restart_required"]
    path = os.path.join(base["hooks_dir"], "Maintenance.sh")
    assert open(path).read() == MAINT and stat.S_IMODE(os.stat(path).st_mode) == 0o755
    assert applied["active"] == {"PreFlight": os.path.join(base["hooks_dir"], "PreFlight"), "PreMaintenance": None,
                                 "Maintenance": path, "PostMaintenance": None}
    text = open(base["agent_properties"]).read()
    assert text == AGENT + "rolling.maintenance.hooks.dir=%s\n" % base["hooks_dir"]
    assert stat.S_IMODE(os.stat(base["agent_properties"]).st_mode) == 0o640
    assert applied["agent_properties"]["changed_keys"] == ["rolling.maintenance.hooks.dir"]

    again = run(mod, args, diff=True)
    assert not again["changed"] and not again["restart_required"] and again["diff"] == []
    assert [s["state"] for s in again["scripts"]] == ["unchanged", "unchanged"]


def test_other_variants_removed_so_the_installed_one_runs(run, base):
    os.makedirs(base["hooks_dir"])
    shadow = os.path.join(base["hooks_dir"], "Maintenance")  # the agent would take this one before Maintenance.py
    with open(shadow, "w") as handle:
        handle.write("#!/bin/sh\nold\n")
    args = dict(base, scripts=[{"stage": "Maintenance", "extension": ".py", "content": "#!/usr/bin/python3\n"}])
    result = run(mod, args)
    assert result["scripts"][0]["removed"] == [shadow] and result["scripts"][0]["state"] == "created"
    assert not os.path.exists(shadow)
    assert result["active"]["Maintenance"] == os.path.join(base["hooks_dir"], "Maintenance.py")


def test_absent_removes_every_variant(run, base):
    os.makedirs(base["hooks_dir"])
    for name in ("PostMaintenance", "PostMaintenance.sh"):
        with open(os.path.join(base["hooks_dir"], name), "w") as handle:
            handle.write("#!/bin/sh\n")
    args = dict(base, scripts=[{"stage": "PostMaintenance", "state": "absent"}])
    checked = run(mod, args, check=True)
    assert checked["changed"] and checked["scripts"][0]["state"] == "removed"
    assert len(os.listdir(base["hooks_dir"])) == 2
    result = run(mod, args)
    removed = [os.path.join(base["hooks_dir"], n) for n in ("PostMaintenance", "PostMaintenance.sh")]
    assert result["scripts"][0]["removed"] == removed
    assert os.listdir(base["hooks_dir"]) == [] and result["active"]["PostMaintenance"] is None
    assert not run(mod, args)["scripts"][0]["removed"]


def test_executor_key_and_src(run, base, tmp_path):
    src = tmp_path / "pre.sh"
    src.write_text(PREFLIGHT)
    args = dict(base, executor="agent", scripts=[{"stage": "PreMaintenance", "src": str(src), "extension": ".sh"}])
    result = run(mod, args)
    assert result["changed"] and result["unit_name_headroom"] is None
    assert open(os.path.join(base["hooks_dir"], "PreMaintenance.sh")).read() == PREFLIGHT
    assert "rolling.maintenance.service.executor.disabled=true\n" in open(base["agent_properties"]).read()
    assert run(mod, dict(args, executor="service"))["agent_properties"]["changed_keys"] == [
        "rolling.maintenance.service.executor.disabled"]


def test_unit_name_headroom_matches_systemd_escape():
    # the documented directory leaves 8 characters for the longest unit (PostMaintenance.sh, 4-digit timeout)
    assert rules.unit_headroom("/etc/cloudstack/agent/hooks.d", ["PostMaintenance.sh"]) == 8
    instance = "Maintenance,/etc/cloudstack/agent/hooks.d/Maintenance.sh,1800,/x-y/rolling-maintenance-results,a b"
    escaped = rules.systemd_escape(instance)
    try:
        real = subprocess.run(["systemd-escape", instance], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("systemd-escape is not installed")
    assert escaped == real


def test_too_long_hooks_dir_refused_for_the_service_executor(run, base, tmp_path):
    deep = str(tmp_path / ("d" * 60))
    args = dict(base, hooks_dir=deep, scripts=[{"stage": "PostMaintenance", "extension": ".sh", "content": MAINT}])
    result = run(mod, args)
    assert result["failed"] and "characters too long" in result["msg"] and not os.path.exists(deep)
    assert run(mod, dict(args, executor="agent"))["changed"]


@pytest.mark.parametrize("scripts, hooks_dir, words", [
    ([{"stage": "preflight", "content": MAINT}], None, ["scripts[0].stage", "case-sensitive: PreFlight"]),
    ([{"stage": "Maintenance", "content": MAINT, "src": "/etc/hosts"}], None, ["both content and src"]),
    ([{"stage": "Maintenance"}], None, ["needs content or src"]),
    ([{"stage": "Maintenance", "content": "echo hi\n"}], None, ["no #! line"]),
    ([{"stage": "Maintenance", "content": MAINT}, {"stage": "Maintenance", "state": "absent"}], None,
     ["scripts[1].stage", "more than once"]),
    ([], "relative/dir", ["hooks_dir", "absolute"]),
    ([], "/etc/a,b", ["hooks_dir", "comma"]),
    ([{"stage": "Maintenance", "src": "/nonexistent/x.sh"}], None, ["scripts[0].src", "not a file"]),
])
def test_bad_input_one_line_nothing_written(run, base, one_line, scripts, hooks_dir, words):
    args = dict(base, scripts=scripts)
    if hooks_dir:
        args["hooks_dir"] = hooks_dir
    result = run(mod, args)
    one_line(result, *words)
    assert not result["changed"]
    assert not os.path.exists(base["hooks_dir"]) and open(base["agent_properties"]).read() == AGENT


@pytest.mark.parametrize("scripts,words", [
    # ansible-core's own refusal of these names no option ("dictionary requested, could not parse JSON ...")
    ("Maintenance", ["scripts must be a list of dicts", "'Maintenance'"]),
    (["Maintenance"], ["scripts[0] must be a dict", "'Maintenance'"]),
    ([{"stage": "PreFlight", "content": PREFLIGHT}, 42], ["scripts[1] must be a dict", "42"]),
])
@pytest.mark.parametrize("check", [False, True])
def test_scripts_that_are_not_dicts_are_refused_naming_scripts(run, base, one_line, scripts, words, check):
    result = run(mod, dict(base, scripts=scripts), check=check)
    one_line(result, *words)
    assert not result["changed"]
    assert not os.path.exists(base["hooks_dir"]) and open(base["agent_properties"]).read() == AGENT


def test_scripts_as_key_value_strings_still_work(run, base):
    result = run(mod, dict(base, scripts=["stage=PostMaintenance state=absent"]))
    assert result["scripts"][0]["stage"] == "PostMaintenance" and "failed" not in result


@pytest.mark.parametrize("check", [False, True])
def test_agent_properties_that_is_a_directory_is_refused_naming_the_option(run, base, one_line, check):
    result = run(mod, dict(base, agent_properties=os.path.dirname(base["agent_properties"]),
                           scripts=[{"stage": "PreFlight", "content": PREFLIGHT}]), check=check)
    one_line(result, "agent_properties:", "is a directory")
    assert not result["msg"].startswith("path")
    assert not result["changed"] and not os.path.exists(base["hooks_dir"])
