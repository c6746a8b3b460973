"""Helpers for the qemu hook integration tests: the lab's real libvirtd, its guest, the hook files and logs.

The lab host kvm1 shares the machine's file system, so the tests read kvm1's files (the hook log, the
records the test scripts write) directly, and drive libvirtd with virsh over its socket.
"""

import os
import shlex
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
LABVIRT = os.path.join(HERE, "labvirt.py")
sys.path.insert(0, HERE)
import labvirt  # noqa: E402  (same directory)

URI = labvirt.URI
GUEST = labvirt.GUEST
HOOKS_DIR = "/etc/libvirt/hooks"
HOOK = os.path.join(HOOKS_DIR, "qemu")
CUSTOM_DIR = os.path.join(HOOKS_DIR, "custom")
HOOK_LOG = "/var/log/libvirt/qemu-hook.log"
WORK = "/var/tmp/csops-hook-tests"
RECORDS = os.path.join(WORK, "records.log")

# The command the role's handler runs on kvm1 to restart the lab's libvirtd (the lab inventory sets it too).
RESTART_COMMAND = "/usr/bin/python3 %s restart" % shlex.quote(LABVIRT)

# Sub-operation libvirt passes with each action (https://libvirt.org/hooks.html).
SUBOP = {"prepare": "begin", "start": "begin", "started": "begin", "stopped": "end", "release": "end",
         "migrate": "begin", "restore": "begin", "reconnect": "begin", "attach": "begin"}

# A custom script that records its name, its four arguments and whether stdin held this guest's XML.
RECORDER = """#!/bin/sh
xml=$(cat)
case $xml in
    *"<domain"*"<name>$1</name>"*) seen=xml ;;
    *) seen=no-xml ;;
esac
printf '%%s|%%s|%%s|%%s|%%s|%%s\\n' "${0##*/}" "$1" "$2" "$3" "$4" "$seen" >> %s
""" % RECORDS

# The same in Python, for a script with another interpreter.
RECORDER_PY = """#!/usr/bin/python3
import os, sys
xml = sys.stdin.read()
seen = "xml" if "<domain" in xml and "<name>%%s</name>" %% sys.argv[1] in xml else "no-xml"
with open(%r, "a") as out:
    out.write("|".join([os.path.basename(sys.argv[0])] + sys.argv[1:] + [seen]) + "\\n")
""" % RECORDS


def run(cmd, check=True, timeout=120, **kwargs):
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False, **kwargs)
    if check and proc.returncode != 0:
        raise AssertionError("%s failed (%d):\n%s\n%s" % (" ".join(cmd), proc.returncode, proc.stdout, proc.stderr))
    return proc


def virsh(*args, check=True, timeout=120):
    return run(["virsh", "-c", URI] + list(args), check=check, timeout=timeout)


def libvirtd_pid():
    return labvirt.read_pid(labvirt.LIBVIRTD_PID, "libvirtd")


def libvirt_up():
    return bool(libvirtd_pid()) and labvirt.libvirtd_ready()


def restart_libvirtd():
    run([sys.executable, LABVIRT, "restart"], timeout=180)


def guest_state():
    return virsh("domstate", GUEST, check=False).stdout.strip()


def guest_off():
    if guest_state() not in ("shut off", ""):
        virsh("destroy", GUEST, check=False)
    deadline = time.monotonic() + 30
    while guest_state() != "shut off" and time.monotonic() < deadline:
        time.sleep(0.2)


def remove_hooks():
    """Remove the hook and the custom directory; restart libvirtd if a hook was loaded, so none is."""
    had_hook = os.path.lexists(HOOK)
    if had_hook:
        os.unlink(HOOK)
    if os.path.isdir(CUSTOM_DIR):
        for name in os.listdir(CUSTOM_DIR):
            path = os.path.join(CUSTOM_DIR, name)
            if os.path.isdir(path) and not os.path.islink(path):
                os.rmdir(path)
            else:
                os.unlink(path)
        os.rmdir(CUSTOM_DIR)
    if had_hook:
        restart_libvirtd()


def cleanup():
    """After a test module: guest off, no hook files, no records."""
    guest_off()
    remove_hooks()
    shutil.rmtree(WORK, ignore_errors=True)


def clear_records():
    os.makedirs(WORK, exist_ok=True)
    with open(RECORDS, "w"):
        pass


def records():
    """The recorded calls: a list of (script, domain, action, subop, extra, xml-seen)."""
    try:
        with open(RECORDS) as handle:
            return [tuple(line.rstrip("\n").split("|")) for line in handle if line.strip()]
    except FileNotFoundError:
        return []


def log_offset():
    try:
        return os.path.getsize(HOOK_LOG)
    except OSError:
        return 0


def log_since(offset):
    try:
        with open(HOOK_LOG, errors="replace") as handle:
            handle.seek(offset)
            return handle.read()
    except OSError:
        return ""


def by_action(recorded):
    """Recorded calls grouped by action, keeping the order of the calls: {action: [script, ...]}."""
    grouped = {}
    for item in recorded:
        grouped.setdefault(item[2], []).append(item[0])
    return grouped


def wait_for_records(predicate, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        got = records()
        if predicate(got):
            return got
        time.sleep(0.1)
    return records()


def inventory_sets_restart_command(inventory_path):
    try:
        with open(inventory_path) as handle:
            return "libvirt_hooks_restart_command" in handle.read()
    except OSError:
        return False
