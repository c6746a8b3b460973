"""A real libvirtd with qemu (TCG) on the lab machine, "on kvm1": `up`, `down`, `status`, `restart`.

    python3 tests/lab/libvirt/labvirt.py up        # packages, qemu.conf, virtlogd + libvirtd, the guest
    python3 tests/lab/libvirt/labvirt.py restart   # stop and start libvirtd (running guests stay up)
    python3 tests/lab/libvirt/labvirt.py status
    python3 tests/lab/libvirt/labvirt.py down      # stop only what `up` started; undefine the guest

The machine has no systemd, so the daemons are started by hand (`virtlogd -d`, `libvirtd -d`), inside the
network namespace of the lab host kvm1 (`csl-kvm1`) when it exists. Namespaces share the machine's file
system, so kvm1's /etc/libvirt is the machine's /etc/libvirt: what Ansible installs on kvm1 is what this
libvirtd runs.

The guest `cslab-guest1` is persistent, diskless and tiny (32 MiB, no network, `<domain type='qemu'>`): it
starts in about half a second and fires the qemu hook events prepare, start, started; destroy fires stopped
and release; save/restore fires restore; restarting libvirtd while it runs fires reconnect.

Standard library only: `restart` is the lab inventory's libvirtd restart command, run on kvm1 by Ansible
with /usr/bin/python3. Everything is idempotent; state (pidfiles, what was started) lives in
tests/lab/.state/libvirt/.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
LAB = os.path.dirname(HERE)
STATE = os.path.join(LAB, ".state", "libvirt")
MARKS = os.path.join(STATE, "started.json")
LIBVIRTD_PID = os.path.join(STATE, "libvirtd.pid")
VIRTLOGD_PID = os.path.join(STATE, "virtlogd.pid")
LIBVIRTD_LOG = os.path.join(STATE, "libvirtd.log")

NAMESPACE = "csl-kvm1"
URI = "qemu:///system"
GUEST = "cslab-guest1"
SOCKET = "/run/libvirt/libvirt-sock"
QEMU_CONF = "/etc/libvirt/qemu.conf"
QEMU_CONF_MARK = "# csops.cloudstack lab (tests/lab/libvirt/labvirt.py)"
PACKAGES = ("libvirt-daemon", "libvirt-daemon-driver-qemu", "libvirt-clients", "qemu-system-x86")
DIRS = ("/var/log/libvirt/qemu", "/var/lib/libvirt/qemu", "/var/cache/libvirt/qemu", "/etc/libvirt/hooks",
        "/run/libvirt")
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

GUEST_XML = """<domain type='qemu'>
  <name>%s</name>
  <description>csops.cloudstack lab guest: diskless, for qemu hook events</description>
  <memory unit='MiB'>32</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <memballoon model='none'/>
  </devices>
</domain>
""" % GUEST

QEMU_CONF_TEXT = """%s: written by `up`, removed by `down`.
# No systemd and no libvirt-qemu privileges on the lab machine: qemu runs as root, without a security driver.
user = "root"
group = "root"
security_driver = "none"
""" % QEMU_CONF_MARK


class LabError(Exception):
    pass


def log(message):
    print("labvirt: %s" % message, flush=True)


def run(cmd, check=True, timeout=120, **kwargs):
    kwargs.setdefault("stdout", subprocess.PIPE)
    kwargs.setdefault("stderr", subprocess.PIPE)
    proc = subprocess.run(cmd, text=True, timeout=timeout, stdin=subprocess.DEVNULL, check=False,
                          env=dict(os.environ, PATH=PATH, LC_ALL="C"), **kwargs)
    if check and proc.returncode != 0:
        output = (proc.stderr or proc.stdout or "").strip()
        raise LabError("%s failed (%d): %s" % (" ".join(cmd), proc.returncode, output))
    return proc


def read_marks():
    try:
        with open(MARKS) as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return {}


def write_marks(marks):
    os.makedirs(STATE, exist_ok=True)
    tmp = MARKS + ".tmp"
    with open(tmp, "w") as handle:
        json.dump(marks, handle, indent=2, sort_keys=True)
    os.replace(tmp, MARKS)


def read_pid(path, name):
    """The pid in ``path`` if that process is alive and is ``name``; else None."""
    try:
        with open(path) as handle:
            pid = int(handle.read().strip())
        with open("/proc/%d/comm" % pid) as handle:
            comm = handle.read().strip()
    except (OSError, ValueError):
        return None
    try:
        with open("/proc/%d/stat" % pid) as handle:
            state = handle.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None
    return pid if comm == name and state != "Z" else None


def netns_prefix():
    """`ip netns exec csl-kvm1` when that namespace exists and we are not already in it."""
    target = os.path.join("/run/netns", NAMESPACE)
    try:
        wanted = os.stat(target).st_ino
    except OSError:
        return []
    if os.stat("/proc/self/ns/net").st_ino == wanted:
        return []
    return ["ip", "netns", "exec", NAMESPACE]


def ensure_packages():
    missing = []
    for package in PACKAGES:
        proc = run(["dpkg-query", "-W", "-f=${Status}", package], check=False)
        if proc.stdout.strip() != "install ok installed":
            missing.append(package)
    if missing:
        log("installing %s" % " ".join(missing))
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive", PATH=PATH)
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, stdin=subprocess.DEVNULL)
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends"] + missing, check=True,
                       env=env, stdin=subprocess.DEVNULL)


def ensure_accounts():
    if run(["getent", "group", "libvirt-qemu"], check=False).returncode != 0:
        run(["groupadd", "--system", "libvirt-qemu"])
    if run(["getent", "passwd", "libvirt-qemu"], check=False).returncode != 0:
        run(["useradd", "--system", "--gid", "libvirt-qemu", "--home-dir", "/var/lib/libvirt",
             "--no-create-home", "--shell", "/usr/sbin/nologin", "libvirt-qemu"])


def ensure_config(marks):
    for path in DIRS:
        os.makedirs(path, exist_ok=True)
    current = None
    if os.path.exists(QEMU_CONF):
        with open(QEMU_CONF) as handle:
            current = handle.read()
    if current is None or current.startswith(QEMU_CONF_MARK):
        if current != QEMU_CONF_TEXT:
            tmp = QEMU_CONF + ".labvirt.tmp"
            with open(tmp, "w") as handle:
                handle.write(QEMU_CONF_TEXT)
            os.chmod(tmp, 0o644)
            os.replace(tmp, QEMU_CONF)
        marks["qemu_conf"] = True
    else:
        log("%s was not written by the lab; leaving it alone" % QEMU_CONF)


def start_virtlogd(marks):
    if read_pid(VIRTLOGD_PID, "virtlogd"):
        return
    run(netns_prefix() + ["virtlogd", "--daemon", "--pid-file", VIRTLOGD_PID])
    wait_for(lambda: read_pid(VIRTLOGD_PID, "virtlogd"), 20, "virtlogd to start")
    marks["virtlogd"] = True


def libvirtd_ready():
    return run(["virsh", "-c", URI, "version"], check=False, timeout=30).returncode == 0


def start_libvirtd(marks):
    if read_pid(LIBVIRTD_PID, "libvirtd") and libvirtd_ready():
        return
    os.makedirs(STATE, exist_ok=True)
    with open(LIBVIRTD_LOG, "a") as out:
        # --daemon forks into the background and closes its standard streams; it must not hold an ssh
        # session's streams either when `restart` runs over Ansible.
        subprocess.run(netns_prefix() + ["libvirtd", "--daemon", "--pid-file", LIBVIRTD_PID], check=True,
                       stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True,
                       env={"PATH": PATH, "LC_ALL": "C", "HOME": "/root", "USER": "root", "LOGNAME": "root"},
                       timeout=60)
    wait_for(lambda: read_pid(LIBVIRTD_PID, "libvirtd") and libvirtd_ready(), 90, "libvirtd to answer")
    marks["libvirtd"] = True


def stop_pid(pidfile, name, timeout=30):
    pid = read_pid(pidfile, name)
    if not pid:
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and read_pid(pidfile, name) == pid:
        time.sleep(0.05)
    if read_pid(pidfile, name) == pid:
        os.kill(pid, signal.SIGKILL)
        time.sleep(0.2)
    try:
        os.unlink(pidfile)
    except OSError:
        pass
    return True


def wait_for(predicate, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise LabError("timed out after %ds waiting for %s (see %s)" % (seconds, what, LIBVIRTD_LOG))


def guest_defined():
    return run(["virsh", "-c", URI, "dominfo", GUEST], check=False).returncode == 0


def ensure_guest(marks):
    if guest_defined():
        return
    path = os.path.join(STATE, GUEST + ".xml")
    with open(path, "w") as handle:
        handle.write(GUEST_XML)
    run(["virsh", "-c", URI, "define", path])
    marks["guest"] = True


def up(_args):
    if os.geteuid() != 0:
        raise LabError("run as root")
    os.makedirs(STATE, exist_ok=True)
    marks = read_marks()
    ensure_packages()
    ensure_accounts()
    ensure_config(marks)
    start_virtlogd(marks)
    start_libvirtd(marks)
    ensure_guest(marks)
    write_marks(marks)
    log("libvirtd is up (%s, pid %s%s); guest %s defined" % (
        URI, read_pid(LIBVIRTD_PID, "libvirtd"), ", namespace %s" % NAMESPACE if netns_prefix() or in_namespace()
        else "", GUEST))


def in_namespace():
    try:
        return os.stat("/proc/self/ns/net").st_ino == os.stat(os.path.join("/run/netns", NAMESPACE)).st_ino
    except OSError:
        return False


def restart(_args):
    """Stop and start libvirtd the way a service manager would; running guests keep running."""
    marks = read_marks()
    stop_pid(LIBVIRTD_PID, "libvirtd")
    start_virtlogd(marks)
    start_libvirtd(marks)
    write_marks(marks)
    log("libvirtd restarted (pid %s)" % read_pid(LIBVIRTD_PID, "libvirtd"))


def down(_args):
    marks = read_marks()
    if read_pid(LIBVIRTD_PID, "libvirtd") and marks.get("guest"):
        run(["virsh", "-c", URI, "destroy", GUEST], check=False)
        run(["virsh", "-c", URI, "undefine", GUEST], check=False)
    if marks.get("libvirtd") or read_pid(LIBVIRTD_PID, "libvirtd"):
        stop_pid(LIBVIRTD_PID, "libvirtd")
    if marks.get("virtlogd") or read_pid(VIRTLOGD_PID, "virtlogd"):
        stop_pid(VIRTLOGD_PID, "virtlogd")
    if marks.get("qemu_conf") and os.path.exists(QEMU_CONF):
        with open(QEMU_CONF) as handle:
            if handle.read().startswith(QEMU_CONF_MARK):
                os.unlink(QEMU_CONF)
    if os.path.isdir(STATE):
        shutil.rmtree(STATE, ignore_errors=True)
    log("down")


def status(_args):
    libvirtd = read_pid(LIBVIRTD_PID, "libvirtd")
    virtlogd = read_pid(VIRTLOGD_PID, "virtlogd")
    print("virtlogd: %s" % ("running, pid %d" % virtlogd if virtlogd else "not running"))
    print("libvirtd: %s" % ("running, pid %d" % libvirtd if libvirtd else "not running"))
    if libvirtd:
        state = run(["virsh", "-c", URI, "domstate", GUEST], check=False)
        print("guest %s: %s" % (GUEST, state.stdout.strip() or "not defined"))
    return 0 if libvirtd and virtlogd else 3


def main():
    parser = argparse.ArgumentParser(description="real libvirtd for the csops.cloudstack lab")
    parser.add_argument("command", choices=("up", "down", "status", "restart"))
    args = parser.parse_args()
    try:
        return {"up": up, "down": down, "status": status, "restart": restart}[args.command](args) or 0
    except (LabError, subprocess.SubprocessError, OSError) as error:
        print("labvirt %s: %s" % (args.command, error), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
