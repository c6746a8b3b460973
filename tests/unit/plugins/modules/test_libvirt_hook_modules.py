"""libvirt_hook, libvirt_hook_script and libvirt_hook_info run in-process against a temporary hook directory.

These cover the modules' decisions (check mode, diff, idempotence, errors) quickly; the integration tests
run the same modules through ansible-playbook on the lab host with its real libvirtd.
"""

import json
import os

import pytest

from ansible.module_utils.common import warnings as ansible_warnings
from ansible.module_utils.testing import patch_module_args

from ansible_collections.csops.cloudstack.plugins.modules import libvirt_hook, libvirt_hook_info, libvirt_hook_script

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="writes files owned by root:root")


def run(module, args, capsys, check=False, diff=False):
    """The module's result; ``warnings`` as plain messages."""
    args = dict(args, _ansible_check_mode=check, _ansible_diff=diff)
    ansible_warnings._global_warnings.clear()  # module runs in one process share the warning list
    with patch_module_args(args), pytest.raises(SystemExit):
        module.main()
    result = json.loads(capsys.readouterr().out)
    result["warnings"] = [w["event"]["msg"] if isinstance(w, dict) else w for w in result.get("warnings", [])]
    return result


@pytest.fixture
def paths(tmp_path):
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (tmp_path / "log").mkdir()
    return {"hooks_dir": str(hooks), "custom_dir": str(hooks / "custom"), "log_path": str(tmp_path / "log" / "q.log")}


def hook_args(paths, **extra):
    args = dict(paths, timeout=30, grace_period=2)
    args.update(extra)
    return args


def test_hook_check_apply_idempotent(paths, capsys):
    hook = os.path.join(paths["hooks_dir"], "qemu")
    checked = run(libvirt_hook, hook_args(paths), capsys, check=True, diff=True)
    assert checked["changed"] and checked["restart_required"] and not os.path.exists(hook)
    assert checked["diff"]["before"] == "" and "setting timeout=30" in checked["diff"]["after"]
    applied = run(libvirt_hook, hook_args(paths), capsys)
    assert applied["changed"] and applied["restart_required"] and applied["dispatcher"] == "csops"
    assert os.stat(hook).st_mode & 0o7777 == 0o755 and os.path.isdir(paths["custom_dir"])
    again = run(libvirt_hook, hook_args(paths), capsys)
    assert not again["changed"] and not again["restart_required"]
    updated = run(libvirt_hook, dict(hook_args(paths), timeout=31), capsys)
    assert updated["changed"] and not updated["restart_required"]
    os.chmod(hook, 0o644)
    fixed = run(libvirt_hook, dict(hook_args(paths), timeout=31), capsys)
    assert fixed["changed"] and fixed["restart_required"], "libvirt ignored the non-executable hook at start"


def test_hook_rejects_bad_settings_without_changes(paths, capsys):
    failed = run(libvirt_hook, hook_args(paths, grace_period=-1), capsys)
    assert failed["failed"] and failed["msg"].endswith("grace_period must be a whole number of seconds >= 0, got -1")
    assert os.listdir(paths["hooks_dir"]) == []


def test_hook_foreign_and_cloudstack(paths, capsys):
    hook = os.path.join(paths["hooks_dir"], "qemu")
    with open(hook, "w") as handle:
        handle.write("#!/bin/sh\nexit 0\n")
    failed = run(libvirt_hook, hook_args(paths), capsys)
    assert failed["failed"] and "set force=true" in failed["msg"]
    forced = run(libvirt_hook, hook_args(paths, force=True), capsys, check=True)
    assert forced["changed"] and "backup_file" not in forced
    with open(hook, "w") as handle:
        handle.write("#!/usr/bin/python3\nimport cloudutils\ncustomDir = '/etc/libvirt/hooks/custom'\n")
    kept = run(libvirt_hook, hook_args(paths), capsys)
    assert kept["dispatcher"] == "cloudstack" and kept["settings"]["timeout"] == 600
    assert any("left in place" in w for w in kept["warnings"])
    assert any("runs the scripts in /etc/libvirt/hooks/custom" in w for w in kept["warnings"])
    with open(hook) as handle:
        assert "cloudutils" in handle.read()


def test_hook_absent(paths, capsys):
    run(libvirt_hook, hook_args(paths), capsys)
    gone = run(libvirt_hook, dict(paths, state="absent"), capsys, diff=True)
    assert gone["changed"] and gone["restart_required"] and gone["diff"]["after"] == ""
    assert not os.path.exists(os.path.join(paths["hooks_dir"], "qemu"))
    assert not run(libvirt_hook, dict(paths, state="absent"), capsys)["changed"]


def test_script_content_mode_check_and_move(paths, capsys):
    args = {"name": "10-a.sh", "content": "#!/bin/sh\nexit 0\n", "actions": ["start", "stopped"],
            "custom_dir": paths["custom_dir"], "mode": "0750"}
    checked = run(libvirt_hook_script, args, capsys, check=True, diff=True)
    assert checked["changed"] and not os.path.exists(paths["custom_dir"])
    assert [d["after_header"] for d in checked["diff"]] == [os.path.join(paths["custom_dir"], n)
                                                            for n in ("start_10-a.sh", "stopped_10-a.sh")]
    assert run(libvirt_hook_script, args, capsys)["changed"]
    assert sorted(os.listdir(paths["custom_dir"])) == ["start_10-a.sh", "stopped_10-a.sh"]
    assert os.stat(os.path.join(paths["custom_dir"], "start_10-a.sh")).st_mode & 0o7777 == 0o750
    assert not run(libvirt_hook_script, args, capsys)["changed"]
    moved = run(libvirt_hook_script, dict(args, actions=["all"]), capsys)
    assert {f["state"] for f in moved["files"]} == {"created", "removed"}
    assert os.listdir(paths["custom_dir"]) == ["all_10-a.sh"]
    assert moved["paths"] == [os.path.join(paths["custom_dir"], "all_10-a.sh")]


def test_script_from_src_and_warnings(paths, capsys, tmp_path):
    src = tmp_path / "script"
    src.write_bytes(b"echo no shebang\n")
    result = run(libvirt_hook_script, {"name": "20-b", "src": str(src), "custom_dir": paths["custom_dir"],
                                       "mode": "0644"}, capsys)
    assert result["changed"]
    assert any("no #! line" in w for w in result["warnings"])
    assert any("without execute permission" in w for w in result["warnings"])
    with open(os.path.join(paths["custom_dir"], "all_20-b"), "rb") as handle:
        assert handle.read() == b"echo no shebang\n"


@pytest.mark.parametrize("args, message", [
    ({"name": "a/b", "content": "#!/bin/sh\n"}, "install hook script a/b: name 'a/b' must not contain"),
    ({"name": "x", "content": "#!/bin/sh\n", "actions": ["bogus"]}, "install hook script x: unknown action 'bogus'"),
    ({"name": "x", "content": "#!/bin/sh\n", "mode": "u+x"}, "install hook script x: mode must be"),
    ({"name": "x", "content": "#!/bin/sh\n", "owner": "no-such-user-xyz"}, "no such user 'no-such-user-xyz'"),
    ({"name": "x", "src": "/nonexistent/file"}, "install hook script x: src /nonexistent/file is not a file"),
])
def test_script_bad_input_changes_nothing(paths, capsys, args, message):
    result = run(libvirt_hook_script, dict(args, custom_dir=paths["custom_dir"]), capsys)
    assert result["failed"] and message in result["msg"], result
    assert not os.path.exists(paths["custom_dir"])


def test_info_plan(paths, capsys):
    run(libvirt_hook, hook_args(paths), capsys)
    custom = paths["custom_dir"]
    for name, mode in (("all_cde.sh", 0o755), ("migrate_abc.py", 0o755), ("all_x.sh", 0o644), ("stop_y", 0o755)):
        with open(os.path.join(custom, name), "w") as handle:
            handle.write("#!/bin/sh\n")
        os.chmod(os.path.join(custom, name), mode)
    info = run(libvirt_hook_info, {"hooks_dir": paths["hooks_dir"]}, capsys)
    assert info["custom_dir"] == {"path": custom, "exists": True}
    assert info["plan"]["migrate"] == ["migrate_abc.py", "all_cde.sh"]
    assert info["plan"]["start"] == ["all_cde.sh"]
    assert {i["name"]: i["reason"] for i in info["ignored"]} == {"all_x.sh": "not_executable",
                                                                 "stop_y": "unknown_action"}
    assert [s["name"] for s in info["scripts"]] == ["all_cde.sh", "migrate_abc.py"]
    assert len(info["warnings"]) == 2
