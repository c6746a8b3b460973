"""libvirt_hook in-process against a temporary hook directory: check mode, diff, idempotence, bad input.

The integration tests run the same module through ansible-playbook on the lab host with its real libvirtd.
"""

import os

import pytest

from ansible_collections.csops.cloudstack.plugins.modules import libvirt_hook


@pytest.fixture
def args(paths, me):
    return dict(paths, timeout=30, grace_period=2, **me)


def test_check_apply_idempotent(run, args):
    hook = os.path.join(args["hooks_dir"], "qemu")
    checked = run(libvirt_hook, args, check=True, diff=True)
    assert checked["changed"] and checked["restart_required"] and not os.path.exists(hook)
    assert checked["diff"]["before"] == "" and "setting timeout=30" in checked["diff"]["after"]
    applied = run(libvirt_hook, args)
    assert applied["changed"] and applied["restart_required"] and applied["dispatcher"] == "csops"
    st = os.stat(hook)
    assert (st.st_mode & 0o7777, st.st_uid, st.st_gid) == (0o755, os.getuid(), os.getgid())
    assert os.path.isdir(args["custom_dir"])
    again = run(libvirt_hook, args)
    assert not again["changed"] and not again["restart_required"]
    updated = run(libvirt_hook, dict(args, timeout=31))
    assert updated["changed"] and not updated["restart_required"]
    os.chmod(hook, 0o644)
    fixed = run(libvirt_hook, dict(args, timeout=31))
    assert fixed["changed"] and fixed["restart_required"], "libvirt ignored the non-executable hook at start"


@pytest.mark.parametrize("change, parts", [
    ({"grace_period": -1}, ["grace_period: must be a whole number of seconds from 0 to 86400, got -1"]),
    ({"timeout": 10 ** 15}, ["timeout: must be a whole number of seconds from 1 to 86400"]),
    ({"custom_dir": "relative/dir"}, ["custom_dir: must be an absolute path, got 'relative/dir'"]),
    ({"custom_dir": ""}, ["custom_dir: must be an absolute path, got ''"]),
    ({"log_path": "/var/log/x\nnext"}, ["log_path: must not contain line breaks", "'/var/log/x\\nnext'"]),
    ({"custom_dir": "/c/" + "x" * 10000}, ["custom_dir: too long for a path", "(10003 characters)"]),
    ({"owner": "4294967295"}, ["owner: '4294967295' is not a user id (0 to 4294967294)"]),
    ({"group": "99999999999999999999"}, ["group: '99999999999999999999' is not a group id"]),
    ({"owner": "no-such-user-xyz"}, ["owner: no such user 'no-such-user-xyz'"]),
])
def test_bad_settings_change_nothing(run, args, change, parts, one_line):
    one_line(run(libvirt_hook, dict(args, **change)), *parts)
    assert os.listdir(args["hooks_dir"]) == []


def test_an_unusable_custom_dir_or_log_path_is_refused_before_the_hook_is_installed(run, args, tmp_path, one_line):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    one_line(run(libvirt_hook, dict(args, custom_dir=str(blocker / "custom"))),
             "custom_dir: '%s/custom' cannot be created: '%s' is not a directory" % (blocker, blocker))
    one_line(run(libvirt_hook, dict(args, custom_dir=str(blocker))), "custom_dir: '%s' exists and is not a directory"
             % blocker)
    one_line(run(libvirt_hook, dict(args, log_path=str(tmp_path))), "log_path: '%s' is a directory" % tmp_path)
    assert os.listdir(args["hooks_dir"]) == []


def test_a_failure_after_a_write_reports_changed(run, args):
    # The custom directory's parent exists but the directory cannot be made: the hook file is already written.
    parent = os.path.dirname(args["custom_dir"])
    os.chmod(parent, 0o555)
    try:
        if os.geteuid() == 0:
            pytest.skip("root can write into a read-only directory")
        result = run(libvirt_hook, args)
    finally:
        os.chmod(parent, 0o755)
    assert result["failed"] and result["changed"] and result["dispatcher"] == "csops"


def test_foreign_and_cloudstack_hooks(run, args, one_line):
    hook = os.path.join(args["hooks_dir"], "qemu")
    with open(hook, "w") as handle:
        handle.write("#!/bin/sh\nexit 0\n")
    one_line(run(libvirt_hook, args), "set force=true")
    forced = run(libvirt_hook, dict(args, force=True), check=True)
    assert forced["changed"] and "backup_file" not in forced
    with open(hook, "w") as handle:
        handle.write("#!/usr/bin/python3\nimport cloudutils\ncustomDir = '/etc/libvirt/hooks/custom'\n")
    kept = run(libvirt_hook, args)
    assert kept["dispatcher"] == "cloudstack" and kept["settings"]["timeout"] == 600
    assert any("left in place" in w for w in kept["warnings"])
    assert any("runs the scripts in /etc/libvirt/hooks/custom" in w for w in kept["warnings"])
    with open(hook) as handle:
        assert "cloudutils" in handle.read()


def test_diff_over_a_hook_that_is_not_utf8(run, args):
    hook = os.path.join(args["hooks_dir"], "qemu")
    with open(hook, "wb") as handle:
        handle.write(b"#!/bin/sh\n# caf\xe9\nexit 0\n")
    replaced = run(libvirt_hook, dict(args, force=True), diff=True)
    assert replaced["changed"] and "caf\\xe9" in replaced["diff"]["before"]
    assert os.path.exists(replaced["backup_file"])


def test_absent(run, args):
    run(libvirt_hook, args)
    gone = run(libvirt_hook, dict(args, state="absent"), diff=True)
    assert gone["changed"] and gone["restart_required"] and gone["diff"]["after"] == ""
    assert not os.path.exists(os.path.join(args["hooks_dir"], "qemu"))
    assert not run(libvirt_hook, dict(args, state="absent"))["changed"]


def test_a_log_path_in_a_missing_directory_is_refused_and_nothing_installed(run, paths, me, one_line):
    args = dict(paths, log_path=os.path.join(os.path.dirname(paths["log_path"]), "missing", "q.log"), **me)
    one_line(run(libvirt_hook, args), "log_path: its directory", "does not exist")
    assert not os.path.exists(os.path.join(paths["hooks_dir"], "qemu"))
