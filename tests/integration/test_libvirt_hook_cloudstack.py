"""A CloudStack qemu hook at /etc/libvirt/hooks/qemu is left in place; a foreign hook is replaced only with force.

The hook used here is a STAND-IN written for these tests, not CloudStack's code: a small Python hook with
the behaviour of CloudStack's that matters to the collection (fixed custom directory, the same selection and
order of custom scripts, logging to qemu-hook.log, and on migrate/begin printing the domain XML with its
cloudVirBr<vlan> bridges renamed, which libvirt then uses for the migration).
"""

import glob
import hashlib
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lab", "libvirt"))
import hooklab  # noqa: E402
from hooklab import CUSTOM_DIR, GUEST, HOOK, HOOKS_DIR, RECORDER  # noqa: E402

STAND_IN = r'''#!/usr/bin/python3
# Test stand-in for CloudStack's KVM qemu hook (written for csops.cloudstack's tests; not CloudStack's code).
import logging
import os
import re
import subprocess
import sys
import threading

customDir = "/etc/libvirt/hooks/custom"
validQemuActions = ["prepare", "start", "started", "stopped", "release", "migrate", "restore", "reconnect",
                    "attach"]
timeoutSeconds = 600
logging.basicConfig(filename="/var/log/libvirt/qemu-hook.log", level=logging.INFO,
                    format="%(asctime)s %(name)s %(levelname)s %(message)s")
log = logging.getLogger("qemu-hook")


def rewrite_bridges(xml):
    return re.sub(r"cloudVirBr(\d+)", r"breth1-\1", xml)


def executeCustomScripts(args):
    if not os.path.isdir(customDir):
        return
    action = args[1]
    names = [n for n in os.listdir(customDir) if "_" in n and (n.startswith(action + "_") or n.startswith("all_"))]
    for name in sorted(names, key=lambda n: n.split("_", 1)[1]):
        path = os.path.join(customDir, name)
        if not os.access(path, os.X_OK):
            log.warning("stand-in: %s is not executable; skipped", name)
            continue
        proc = subprocess.Popen([path] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        timer = threading.Timer(timeoutSeconds, proc.terminate)
        timer.start()
        out, err = proc.communicate()
        timer.cancel()
        log.info("stand-in: %s exit %d %s%s", name, proc.returncode, out.decode(), err.decode())


def main():
    if len(sys.argv) != 5:
        return
    action, status = sys.argv[2:4]
    if action not in validQemuActions:
        log.error("stand-in: invalid action %s", action)
        return
    if action == "migrate" and status == "begin":
        print(rewrite_bridges(sys.stdin.read()))
    executeCustomScripts(sys.argv[1:])


main()
'''

MIGRATE_XML = """<domain type='qemu'>
  <name>%s</name>
  <devices>
    <interface type='bridge'><source bridge='cloudVirBr100'/></interface>
    <interface type='bridge'><source bridge='brvx-3001'/></interface>
  </devices>
</domain>
""" % GUEST


@pytest.fixture(scope="module")
def kvm1(ansible):
    if not hooklab.libvirt_up():
        pytest.fail("the lab's libvirtd is not up: run `python3 tests/lab/libvirt/labvirt.py up` (make lab-up does)")
    hooklab.guest_off()
    hooklab.remove_hooks()
    hooklab.clear_records()
    yield lambda name, args=None, **kw: ansible.module(name, args, hosts="kvm1", **kw)
    for backup in glob.glob(os.path.join(HOOKS_DIR, "qemu.*~")):
        os.unlink(backup)
    hooklab.cleanup()


def digest(path):
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def write_hook(text):
    with open(HOOK, "w") as handle:
        handle.write(text)
    os.chmod(HOOK, 0o755)


def test_cloudstack_hook_is_left_in_place(kvm1):
    write_hook(STAND_IN)
    before = digest(HOOK)
    checked = kvm1("libvirt_hook", {"timeout": 30}, check=True)
    assert checked["dispatcher"] == "cloudstack" and checked["previous"] == "cloudstack"
    assert checked["changed"] and checked["custom_dir"]["created"] and not os.path.exists(CUSTOM_DIR)
    applied = kvm1("libvirt_hook", {"timeout": 30})
    assert applied["changed"] and not applied["restart_required"]
    assert applied["settings"] == {"custom_dir": CUSTOM_DIR, "log_path": hooklab.HOOK_LOG, "timeout": 600,
                                   "grace_period": None}
    assert any("left in place" in w and "600 s timeout" in w for w in applied["warnings"]), applied
    assert digest(HOOK) == before and os.path.isdir(CUSTOM_DIR)
    assert kvm1("libvirt_hook", {"timeout": 30})["changed"] is False
    removed = kvm1("libvirt_hook", {"state": "absent"})
    assert not removed["changed"] and digest(HOOK) == before
    assert any("left in place" in w for w in removed["warnings"])

    info = kvm1("libvirt_hook_info")
    assert info["dispatcher"]["kind"] == "cloudstack"
    assert info["dispatcher"]["settings"]["timeout"] == 600


def test_scripts_run_once_under_the_cloudstack_hook(kvm1):
    assert kvm1("libvirt_hook_script", {"name": "10-record.sh", "content": RECORDER})["changed"]
    hooklab.restart_libvirtd()
    hooklab.clear_records()
    hooklab.virsh("start", GUEST)
    got = hooklab.wait_for_records(lambda r: "started" in hooklab.by_action(r))
    hooklab.virsh("destroy", GUEST)
    got = hooklab.wait_for_records(lambda r: "release" in hooklab.by_action(r))
    assert hooklab.by_action(got) == {a: ["all_10-record.sh"] for a in
                                      ("prepare", "start", "started", "stopped", "release")}, got


def test_migrate_output_still_reaches_libvirt(kvm1):
    hooklab.clear_records()
    proc = subprocess.run([HOOK, GUEST, "migrate", "begin", "-"], input=MIGRATE_XML, capture_output=True,
                          text=True, timeout=60, check=False, env={"LC_ALL": "C", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"})
    assert proc.returncode == 0, proc.stderr
    assert "<source bridge='breth1-100'/>" in proc.stdout and "cloudVirBr" not in proc.stdout, proc.stdout
    assert "<source bridge='brvx-3001'/>" in proc.stdout
    assert [r[0] for r in hooklab.records()] == ["all_10-record.sh"]


def test_foreign_hook_needs_force(kvm1):
    foreign = "#!/bin/sh\n# some other qemu hook\nexit 0\n"
    write_hook(foreign)
    refused = kvm1("libvirt_hook", {})
    assert refused["failed"] and refused["msg"] == (
        "install qemu hook %s: a hook that is neither this collection's dispatcher nor CloudStack's is installed "
        "there; set force=true to replace it (a backup copy is kept)" % HOOK), refused
    with open(HOOK) as handle:
        assert handle.read() == foreign

    forced = kvm1("libvirt_hook", {"force": True}, diff=True)
    assert forced["changed"] and forced["dispatcher"] == "csops" and forced["previous"] == "other"
    assert not forced["restart_required"], "libvirt already knew an executable hook at that path"
    with open(forced["backup_file"]) as handle:
        assert handle.read() == foreign
    assert forced["diff"]["before"] == foreign
    assert kvm1("libvirt_hook", {})["changed"] is False
