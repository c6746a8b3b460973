"""The libvirt_hooks role on kvm1: check mode, converge, idempotence, removal of undeclared scripts, and the
handler that restarts the lab's real libvirtd only when the hook file is new."""

import os
import re
import sys

import pytest
import yaml

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lab", "libvirt"))
import hooklab  # noqa: E402
from hooklab import CUSTOM_DIR, GUEST, HOOK, RECORDER  # noqa: E402

INVENTORY = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lab", ".state",
                         "inventory.yml")

ROLE_VARS = {
    "libvirt_hooks_timeout": 5,
    "libvirt_hooks_grace_period": 2,
    "libvirt_hooks_remove_unmanaged": True,
    "libvirt_hooks_scripts": [
        {"name": "10-record.sh", "content": RECORDER},
        {"name": "20-started.sh", "actions": ["started"], "content": RECORDER, "mode": "0750"},
        {"name": "30-gone.sh", "state": "absent"},
    ],
}
STRAY = os.path.join(CUSTOM_DIR, "all_99-stray.sh")


@pytest.fixture(scope="module")
def role_play(ansible, tmp_path_factory):
    if not hooklab.libvirt_up():
        pytest.fail("the lab's libvirtd is not up: run `python3 tests/lab/libvirt/labvirt.py up` (make lab-up does)")
    hooklab.guest_off()
    hooklab.remove_hooks()
    # The lab inventory sets the command that restarts the lab's libvirtd; pass it if it does not (yet).
    extra = {} if hooklab.inventory_sets_restart_command(INVENTORY) else {
        "libvirt_hooks_restart_command": hooklab.RESTART_COMMAND}
    path = tmp_path_factory.mktemp("role") / "play.yml"
    path.write_text(yaml.safe_dump([{
        "hosts": "kvm1",
        "gather_facts": False,
        "roles": [{"role": "csops.cloudstack.libvirt_hooks", "vars": ROLE_VARS}],
    }]))

    def play(check=False):
        proc = ansible.playbook(str(path), check=check, diff=True, extra_vars=extra or None)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        recap = re.search(r"^kvm1\s+:\s+ok=(\d+)\s+changed=(\d+)", proc.stdout, re.M)
        assert recap, proc.stdout
        return int(recap.group(2)), proc.stdout

    yield play
    hooklab.cleanup()


def stray():
    os.makedirs(CUSTOM_DIR, exist_ok=True)
    with open(STRAY, "w") as handle:
        handle.write("#!/bin/sh\nexit 0\n")
    os.chmod(STRAY, 0o755)


def test_check_mode_changes_nothing(role_play):
    stray()
    pid = hooklab.libvirtd_pid()
    changed, out = role_play(check=True)
    assert changed > 0, out
    assert not os.path.exists(HOOK)
    assert os.listdir(CUSTOM_DIR) == ["all_99-stray.sh"]
    assert hooklab.libvirtd_pid() == pid, "check mode restarted libvirtd"


def test_converge_restarts_libvirtd_once_and_runs_the_scripts(role_play):
    pid = hooklab.libvirtd_pid()
    changed, out = role_play()
    assert changed > 0, out
    assert "RUNNING HANDLER [csops.cloudstack.libvirt_hooks : Restart libvirtd to load the qemu hook]" in out
    assert hooklab.libvirtd_pid() != pid, "the handler did not restart libvirtd"
    assert sorted(os.listdir(CUSTOM_DIR)) == ["all_10-record.sh", "started_20-started.sh"]
    assert os.stat(os.path.join(CUSTOM_DIR, "started_20-started.sh")).st_mode & 0o7777 == 0o750
    with open(HOOK) as handle:
        assert "# setting timeout=5\n" in handle.read()

    # The restarted libvirtd has loaded the hook: a guest start runs the role's scripts.
    hooklab.clear_records()
    hooklab.virsh("start", GUEST)
    got = hooklab.wait_for_records(lambda r: len(hooklab.by_action(r).get("started", [])) == 2)
    assert hooklab.by_action(got) == {
        "prepare": ["all_10-record.sh"],
        "start": ["all_10-record.sh"],
        "started": ["all_10-record.sh", "started_20-started.sh"],
    }, got
    hooklab.virsh("destroy", GUEST)


def test_second_run_and_check_mode_report_no_change(role_play):
    pid = hooklab.libvirtd_pid()
    changed, out = role_play()
    assert changed == 0, out
    assert "RUNNING HANDLER" not in out
    changed, out = role_play(check=True)
    assert changed == 0, out
    assert hooklab.libvirtd_pid() == pid


def test_updating_the_dispatcher_does_not_restart_libvirtd(role_play):
    # The hook file changes (the role puts the timeout back), but libvirt already knows the hook: the handler
    # is notified and skipped.
    pid = hooklab.libvirtd_pid()
    hooklab.run(["sed", "-i", "s/^timeout=5$/timeout=6/", HOOK])
    changed, out = role_play()
    assert changed == 1, out
    assert re.search(r"RUNNING HANDLER \[[^]]*Restart libvirtd[^]]*\] \*+\nskipping: \[kvm1\]", out), out
    assert hooklab.libvirtd_pid() == pid
