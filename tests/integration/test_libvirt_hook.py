"""The qemu hook dispatcher and the libvirt_hook* modules on kvm1, against the lab's real libvirtd.

The modules run through real ansible-playbook tasks on kvm1; the guest is driven with virsh; the custom
scripts record their arguments and stdin; the assertions read those records and the real hook log.
"""

import hashlib
import os
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lab", "libvirt"))
import hooklab  # noqa: E402
from hooklab import CUSTOM_DIR, GUEST, HOOK, RECORDER, RECORDER_PY, SUBOP  # noqa: E402

TIMEOUT = 3
GRACE = 1
HOOK_ARGS = {"timeout": TIMEOUT, "grace_period": GRACE}


@pytest.fixture(scope="module")
def kvm1(ansible):
    if not hooklab.libvirt_up():
        pytest.fail("the lab's libvirtd is not up: run `python3 tests/lab/libvirt/labvirt.py up` (make lab-up does)")
    hooklab.guest_off()
    hooklab.remove_hooks()
    hooklab.clear_records()
    yield lambda name, args=None, **kw: ansible.module(name, args, hosts="kvm1", **kw)
    hooklab.cleanup()


def script(kvm1, name, content, actions=("all",), **extra):
    args = dict(name=name, content=content, actions=list(actions), **extra)
    result = kvm1("libvirt_hook_script", args)
    assert not result.get("failed"), result
    return result


def digest(path):
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def test_install_dispatcher_check_apply_idempotent(kvm1):
    checked = kvm1("libvirt_hook", HOOK_ARGS, check=True, diff=True)
    assert checked["changed"] and checked["restart_required"], checked
    assert checked["dispatcher"] == "csops" and checked["previous"] == "absent"
    assert "csops.cloudstack qemu hook dispatcher" in checked["diff"]["after"]
    assert not os.path.exists(HOOK) and not os.path.exists(CUSTOM_DIR), "check mode wrote files"

    applied = kvm1("libvirt_hook", HOOK_ARGS)
    assert applied["changed"] and applied["restart_required"], applied
    assert applied["custom_dir"] == {"path": CUSTOM_DIR, "created": True}
    st = os.stat(HOOK)
    assert (st.st_mode & 0o7777, st.st_uid, st.st_gid) == (0o755, 0, 0)
    assert os.path.isdir(CUSTOM_DIR)

    again = kvm1("libvirt_hook", HOOK_ARGS)
    assert not again["changed"] and not again["restart_required"], again

    # A new setting rewrites the file in place: no restart needed, libvirt runs the path it found at start.
    before = digest(HOOK)
    changed = kvm1("libvirt_hook", dict(HOOK_ARGS, timeout=TIMEOUT + 1), diff=True)
    assert changed["changed"] and not changed["restart_required"]
    assert "setting timeout=%d" % (TIMEOUT + 1) in changed["diff"]["after"]
    assert digest(HOOK) != before
    assert not kvm1("libvirt_hook", HOOK_ARGS)["restart_required"]
    assert kvm1("libvirt_hook", HOOK_ARGS)["changed"] is False

    bad = kvm1("libvirt_hook", dict(HOOK_ARGS, timeout=0))
    assert bad["failed"] and bad["msg"] == ("install qemu hook %s: timeout: must be a whole number of seconds "
                                            "from 1 to 86400, got 0" % HOOK), bad
    assert kvm1("libvirt_hook", HOOK_ARGS)["changed"] is False


def test_scripts_check_mode_diff_idempotent_and_move(kvm1):
    args = dict(name="10-record.sh", content=RECORDER, actions=["all"])
    checked = kvm1("libvirt_hook_script", args, check=True, diff=True)
    assert checked["changed"] and checked["files"] == [
        {"path": os.path.join(CUSTOM_DIR, "all_10-record.sh"), "action": "all", "state": "created"}]
    assert "#!/bin/sh" in checked["diff"][0]["after"]
    assert not os.path.exists(os.path.join(CUSTOM_DIR, "all_10-record.sh"))

    assert kvm1("libvirt_hook_script", args)["changed"]
    assert kvm1("libvirt_hook_script", args)["changed"] is False

    # Moving a script to other actions renames it; state=absent removes every file of the name.
    moved = script(kvm1, "05-early.sh", RECORDER, actions=["start", "stopped"])
    assert sorted(f["path"] for f in moved["files"]) == [os.path.join(CUSTOM_DIR, "start_05-early.sh"),
                                                         os.path.join(CUSTOM_DIR, "stopped_05-early.sh")]
    moved = script(kvm1, "05-early.sh", RECORDER, actions=["start"])
    states = {os.path.basename(f["path"]): f["state"] for f in moved["files"]}
    assert states == {"start_05-early.sh": "unchanged", "stopped_05-early.sh": "removed"}
    gone = kvm1("libvirt_hook_script", {"name": "05-early.sh", "state": "absent"})
    assert gone["changed"] and not os.path.exists(os.path.join(CUSTOM_DIR, "start_05-early.sh"))
    assert kvm1("libvirt_hook_script", {"name": "05-early.sh", "state": "absent"})["changed"] is False

    bad = kvm1("libvirt_hook_script", {"name": "x.sh", "actions": ["stop"], "content": RECORDER})
    assert bad["failed"] and bad["msg"].startswith("install hook script x.sh: actions: unknown action 'stop'"), bad
    bad = kvm1("libvirt_hook_script", {"name": "x.sh", "actions": ["all", "start"], "content": RECORDER})
    assert bad["failed"] and "all cannot be combined" in bad["msg"]
    assert not any(n.endswith("_x.sh") for n in os.listdir(CUSTOM_DIR))


def install_event_scripts(kvm1):
    script(kvm1, "10-record.sh", RECORDER)
    script(kvm1, "05-early.sh", RECORDER, actions=["start"])
    script(kvm1, "abc.py", RECORDER_PY, actions=["migrate"])
    script(kvm1, "cde.sh", RECORDER)
    disabled = script(kvm1, "40-disabled.sh", RECORDER, mode="0644")
    assert any("without execute permission" in w for w in disabled.get("warnings", []))
    # Files the module would never write: a misnamed script (no such action) and a note without a prefix.
    for name in ("stop_50-misnamed.sh", "README"):
        path = os.path.join(CUSTOM_DIR, name)
        with open(path, "w") as handle:
            handle.write(RECORDER)
        os.chmod(path, 0o755)


EXPECTED = {
    "prepare": ["all_10-record.sh", "all_cde.sh"],
    "start": ["start_05-early.sh", "all_10-record.sh", "all_cde.sh"],
    "started": ["all_10-record.sh", "all_cde.sh"],
    "stopped": ["all_10-record.sh", "all_cde.sh"],
    "release": ["all_10-record.sh", "all_cde.sh"],
    "restore": ["all_10-record.sh", "all_cde.sh"],
    "reconnect": ["all_10-record.sh", "all_cde.sh"],
    "migrate": ["all_10-record.sh", "migrate_abc.py", "all_cde.sh"],  # "10-record.sh" < "abc.py" < "cde.sh"
}


def check_calls(recorded, actions):
    """Every call of these actions: expected order, the four arguments libvirt passed, the XML on stdin."""
    grouped = hooklab.by_action(recorded)
    for action in actions:
        assert grouped.get(action) == EXPECTED[action], (action, recorded)
    for name, domain, action, subop, extra, seen in recorded:
        assert (domain, subop, extra, seen) == (GUEST, SUBOP[action], "-", "xml"), recorded


def check_log(text, actions):
    for action in actions:
        for name in EXPECTED[action]:
            assert "INFO %s %s %s -: %s exit=0 time=" % (GUEST, action, SUBOP[action], name) in text, (action, name,
                                                                                                       text)
        assert "WARNING %s %s %s -: all_40-disabled.sh is not executable; skipped" % (
            GUEST, action, SUBOP[action]) in text, text
    assert "misnamed" not in text and "README" not in text


def test_real_libvirtd_events_run_scripts_in_order(kvm1):
    kvm1("libvirt_hook", HOOK_ARGS)
    install_event_scripts(kvm1)
    hooklab.restart_libvirtd()
    hooklab.clear_records()
    hooklab.guest_off()

    # start: prepare, start, started
    offset = hooklab.log_offset()
    hooklab.virsh("start", GUEST)
    assert hooklab.guest_state() == "running"
    got = hooklab.wait_for_records(lambda r: len(hooklab.by_action(r).get("started", [])) == 2)
    assert list(dict.fromkeys(r[2] for r in got)) == ["prepare", "start", "started"], got
    check_calls(got, ["prepare", "start", "started"])
    check_log(hooklab.log_since(offset), ["prepare", "start", "started"])

    # restarting libvirtd with the guest running: reconnect
    hooklab.clear_records()
    offset = hooklab.log_offset()
    hooklab.restart_libvirtd()
    got = hooklab.wait_for_records(lambda r: len(r) >= 2)
    assert hooklab.guest_state() == "running"
    check_calls(got, ["reconnect"])
    check_log(hooklab.log_since(offset), ["reconnect"])

    # save (stops the guest) and restore
    saved = os.path.join(hooklab.WORK, "guest.save")
    if os.path.exists(saved):
        os.unlink(saved)
    hooklab.clear_records()
    hooklab.virsh("save", GUEST, saved)
    got = hooklab.wait_for_records(lambda r: len(hooklab.by_action(r).get("release", [])) == 2)
    check_calls(got, ["stopped", "release"])
    hooklab.clear_records()
    offset = hooklab.log_offset()
    hooklab.virsh("restore", saved)
    assert hooklab.guest_state() == "running"
    got = hooklab.wait_for_records(lambda r: len(hooklab.by_action(r).get("started", [])) == 2)
    assert "restore" in hooklab.by_action(got), got
    check_calls(got, [a for a in ("restore", "prepare", "start", "started") if a in hooklab.by_action(got)])
    check_log(hooklab.log_since(offset), ["restore"])
    os.unlink(saved)

    # destroy: stopped, release
    hooklab.clear_records()
    offset = hooklab.log_offset()
    hooklab.virsh("destroy", GUEST)
    got = hooklab.wait_for_records(lambda r: len(hooklab.by_action(r).get("release", [])) == 2)
    assert list(dict.fromkeys(r[2] for r in got)) == ["stopped", "release"], got
    check_calls(got, ["stopped", "release"])
    check_log(hooklab.log_since(offset), ["stopped", "release"])


def call_hook(*args, xml="<domain type='qemu'><name>%s</name></domain>\n" % GUEST):
    """Run the installed hook the way libvirt does (the four arguments, the XML on stdin)."""
    return subprocess.run([HOOK] + list(args), input=xml, capture_output=True, text=True, timeout=60, check=False,
                          env={"LC_ALL": "C", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"})


def test_migrate_order_invalid_action_and_bad_calls(kvm1):
    # A live migration needs a second libvirtd; the migrate event is checked by calling the hook like libvirt.
    hooklab.clear_records()
    offset = hooklab.log_offset()
    proc = call_hook(GUEST, "migrate", "begin", "-")
    assert proc.returncode == 0 and proc.stdout == "" and proc.stderr == ""
    check_calls(hooklab.records(), ["migrate"])

    hooklab.clear_records()
    proc = call_hook(GUEST, "bogus", "begin", "-")
    assert proc.returncode == 0 and proc.stdout == ""
    assert hooklab.records() == []
    assert "ERROR %s bogus begin -: invalid action 'bogus'; no custom scripts run" % GUEST in hooklab.log_since(offset)

    proc = call_hook(GUEST, "start", "begin")  # three arguments: not a libvirt call, nothing runs
    assert proc.returncode == 0 and hooklab.records() == []


def test_info_reports_plan_and_skipped_files(kvm1):
    info = kvm1("libvirt_hook_info")
    assert not info["changed"]
    assert info["dispatcher"]["kind"] == "csops" and info["dispatcher"]["executable"]
    assert info["dispatcher"]["settings"]["timeout"] == TIMEOUT
    assert info["dispatcher"]["settings"]["grace_period"] == GRACE
    for action, names in EXPECTED.items():
        assert info["plan"][action] == names, (action, info["plan"])
    assert info["plan"]["attach"] == ["all_10-record.sh", "all_cde.sh"]
    reasons = {item["name"]: item["reason"] for item in info["ignored"]}
    assert reasons == {"all_40-disabled.sh": "not_executable", "stop_50-misnamed.sh": "unknown_action",
                       "README": "no_action_prefix"}, info["ignored"]
    warnings = " ".join(info.get("warnings", []))
    for name in reasons:
        assert name in warnings


def test_timeout_terminates_then_kills_and_the_guest_still_starts(kvm1):
    # Each of these outlives the 3 s timeout: one stops on SIGTERM (it and the child it started), one ignores
    # SIGTERM and is killed after the 1 s grace period. The scripts after them still run.
    script(kvm1, "20-slow.sh", "#!/bin/sh\nsleep 41 &\nwait\n", actions=["started"])
    script(kvm1, "25-stubborn.sh", "#!/bin/sh\ntrap '' TERM\nsleep 42\nsleep 42\n", actions=["started"])
    script(kvm1, "30-after.sh", RECORDER, actions=["started"])
    hooklab.clear_records()
    offset = hooklab.log_offset()
    began = time.monotonic()
    hooklab.virsh("start", GUEST, timeout=120)
    took = time.monotonic() - began
    assert hooklab.guest_state() == "running"
    assert took >= 2 * TIMEOUT + GRACE - 0.5, took
    got = hooklab.records()
    assert hooklab.by_action(got)["started"] == ["all_10-record.sh", "started_30-after.sh", "all_cde.sh"], got
    text = hooklab.log_since(offset)
    assert "INFO %s started begin -: started_20-slow.sh running\n" % GUEST in text, text
    assert "ERROR %s started begin -: started_20-slow.sh exit=143 " % GUEST in text, text
    assert "terminated after the timeout of %ds" % TIMEOUT in text
    assert "ERROR %s started begin -: started_25-stubborn.sh exit=137 " % GUEST in text, text
    assert "killed after the timeout of %ds and %ds grace" % (TIMEOUT, GRACE) in text
    assert "INFO %s started begin -: started_30-after.sh exit=0" % GUEST in text
    leftovers = subprocess.run(["pgrep", "-f", "^sleep 4[12]$"], capture_output=True, text=True, check=False)
    assert leftovers.stdout == "", "the timed-out scripts' processes are still running: %s" % leftovers.stdout
    hooklab.virsh("destroy", GUEST)
    for name in ("20-slow.sh", "25-stubborn.sh", "30-after.sh"):
        kvm1("libvirt_hook_script", {"name": name, "state": "absent"})


def test_a_failing_script_does_not_stop_the_others(kvm1):
    script(kvm1, "07-fails.sh", "#!/bin/sh\necho broken >&2\nexit 3\n", actions=["prepare"])
    hooklab.clear_records()
    offset = hooklab.log_offset()
    hooklab.virsh("start", GUEST)
    assert hooklab.guest_state() == "running"
    got = hooklab.wait_for_records(lambda r: len(hooklab.by_action(r).get("started", [])) == 2)
    check_calls(got, ["prepare", "start", "started"])
    text = hooklab.log_since(offset)
    assert "broken\n" in text
    assert "ERROR %s prepare begin -: prepare_07-fails.sh exit=3 " % GUEST in text
    hooklab.virsh("destroy", GUEST)
    kvm1("libvirt_hook_script", {"name": "07-fails.sh", "state": "absent"})


def test_remove_dispatcher(kvm1):
    checked = kvm1("libvirt_hook", {"state": "absent"}, check=True)
    assert checked["changed"] and checked["restart_required"] and os.path.exists(HOOK)
    removed = kvm1("libvirt_hook", {"state": "absent"})
    assert removed["changed"] and removed["restart_required"] and removed["dispatcher"] == "absent"
    assert not os.path.exists(HOOK) and os.path.isdir(CUSTOM_DIR)
    assert kvm1("libvirt_hook", {"state": "absent"})["changed"] is False
    hooklab.restart_libvirtd()
    hooklab.clear_records()
    hooklab.virsh("start", GUEST)
    hooklab.virsh("destroy", GUEST)
    assert hooklab.records() == []
