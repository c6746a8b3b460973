"""A qemu hook dispatcher written the obvious way in Python, for comparison only (never shipped).

It does what the collection's bash dispatcher does (same selection, order, arguments, XML on stdin, log,
timeout with grace period, a log line when each script starts and one when it ends), with the standard
library and no tricks (its scripts' output goes straight to the log, not kept together with the line).
bench/hook_dispatch.py installs a copy with a `#!/usr/bin/python3` line and CUSTOM_DIR and LOG_PATH pointed at
its scratch directory.
"""

import logging
import os
import subprocess
import sys
import time

CUSTOM_DIR = "/etc/libvirt/hooks/custom"
LOG_PATH = "/var/log/libvirt/qemu-hook.log"
TIMEOUT = 600
GRACE = 10
ACTIONS = ("prepare", "start", "started", "stopped", "release", "migrate", "restore", "reconnect", "attach")


def main():
    if len(sys.argv) != 5:
        return 0
    logging.basicConfig(filename=LOG_PATH, level=logging.INFO,
                        format="%(asctime)s qemu-hook[%(process)d] %(levelname)s %(message)s")
    log = logging.getLogger("qemu-hook")
    domain, action, subop, extra = sys.argv[1:]
    where = " ".join(sys.argv[1:])
    if action not in ACTIONS:
        log.error("%s: invalid action %r; no custom scripts run", where, action)
        return 0
    if not os.path.isdir(CUSTOM_DIR):
        return 0
    names = [n for n in os.listdir(CUSTOM_DIR) if n.startswith(("all_", action + "_"))]
    names.sort(key=lambda n: (n.split("_", 1)[1], n))
    xml = None
    with open(LOG_PATH, "ab") as out:
        for name in names:
            path = os.path.join(CUSTOM_DIR, name)
            if not os.path.isfile(path) or not os.access(path, os.X_OK):
                log.warning("%s: %s is not executable; skipped", where, name)
                continue
            if xml is None:
                xml = sys.stdin.buffer.read()
            log.info("%s: %s running", where, name)
            start = time.monotonic()
            proc = subprocess.Popen([path, domain, action, subop, extra], stdin=subprocess.PIPE, stdout=out,
                                    stderr=out, start_new_session=True)
            verdict = ""
            try:
                proc.communicate(xml, timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.terminate()
                verdict = " terminated after the timeout of %ds" % TIMEOUT
                try:
                    proc.wait(GRACE)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
                    verdict = " killed after the timeout of %ds and %ds grace" % (TIMEOUT, GRACE)
            took = time.monotonic() - start
            level = logging.INFO if proc.returncode == 0 else logging.ERROR
            log.log(level, "%s: %s exit=%d time=%.3fs%s", where, name, proc.returncode, took, verdict)
    return 0


if __name__ == "__main__":
    sys.exit(main())
