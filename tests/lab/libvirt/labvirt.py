"""A real libvirtd with qemu (TCG) on the lab machine, "on kvm1": `up`, `down`, `status`, `restart`.

    python3 tests/lab/libvirt/labvirt.py up        # packages, qemu.conf, virtlogd + libvirtd, the guest
    python3 tests/lab/libvirt/labvirt.py restart   # stop and start libvirtd (running guests stay up)
    python3 tests/lab/libvirt/labvirt.py status
    python3 tests/lab/libvirt/labvirt.py down      # stop only what `up` started; undefine the guest

    python3 tests/lab/libvirt/labvirt.py restart --host kvm2         # kvm2's own libvirtd
    python3 tests/lab/libvirt/labvirt.py agent-restart --host kvm1   # the stand-in CloudStack agent
    python3 tests/lab/libvirt/labvirt.py reset-host --host kvm1      # kvm1's lab files as `up` made them

The machine has no systemd, so the daemons are started by hand (`virtlogd -d`, `libvirtd -d`), inside the
network namespace of the lab host kvm1 (`csl-kvm1`) when it exists. Namespaces share the machine's file
system, so kvm1's /etc/libvirt is the machine's /etc/libvirt: what Ansible installs on kvm1 is what this
libvirtd runs.

The guest `cslab-guest1` is persistent, diskless and tiny (32 MiB, no network, `<domain type='qemu'>`): it
starts in about half a second and fires the qemu hook events prepare, start, started; destroy fires stopped
and release; save/restore fires restore; restarting libvirtd while it runs fires reconnect.

Host files for KVM host security. Each KVM host (kvm1, kvm2) has its own tree under
tests/lab/.state/libvirt/hosts/<host>/etc/: the agent directory (cloudstack/agent, with an agent.properties),
the pki directory and libvirtd.conf. The lab inventory points the kvm_host_security role at them, so nothing
writes the machine's /etc/pki or /etc/cloudstack. Each host's libvirtd runs with `--config` set to its
libvirtd.conf, and with `--listen` when that file turns on listen_tls or listen_tcp (as CloudStack's
LIBVIRTD_ARGS="-l" does), so it serves TLS on 16514 with the files the role installs.

kvm2's libvirtd is a second daemon in csl-kvm2, in a mount namespace of its own (its own /run/libvirt,
/var/lib/libvirt, empty /etc/libvirt/qemu and hooks; its sockets under its host directory), so that each
host can be the TLS client of the other. It is for TLS only: it runs no guests.

The stand-in CloudStack agent (`agent-run`, started by `up`, restarted by `agent-restart`, the inventory's
agent restart command) is a small process in the host's namespace. When it starts it does what the agent
needs of its files: it reads keystore.passphrase from agent.properties and, on a secured host (cloud.crt
present), opens cloud.jks with it (keytool -list) and records the aliases and the cloud.crt it found, the
start count and its pid in hosts/<host>/agent.json. A keystore it cannot open makes `agent-restart` fail,
as the real agent fails to connect.

Standard library only: `restart` is the lab inventory's libvirtd restart command, run on kvm1 by Ansible
with /usr/bin/python3. Everything is idempotent; state (pidfiles, what was started) lives in
tests/lab/.state/libvirt/.
"""

import argparse
import hashlib
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

# KVM hosts with their own files (and libvirtd); kvm1's daemon is the main one above, the others run in a
# mount namespace of their own.
KVM_HOSTS = {"kvm1": "csl-kvm1", "kvm2": "csl-kvm2"}
MAIN_HOST = "kvm1"
HOSTS_DIR = os.path.join(STATE, "hosts")
CONF_MARK = "# csops.cloudstack lab (tests/lab/libvirt/labvirt.py)"
AGENT_PROPERTIES = """%s: agent.properties of %%s, as a freshly installed agent has it.
host=10.250.0.2
port=8250
hypervisor.type=kvm
resource=com.cloud.hypervisor.kvm.resource.LibvirtComputingResource
""" % CONF_MARK

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


def netns_prefix(namespace=NAMESPACE):
    """`ip netns exec <namespace>` when that namespace exists and we are not already in it."""
    target = os.path.join("/run/netns", namespace)
    try:
        wanted = os.stat(target).st_ino
    except OSError:
        return []
    if os.stat("/proc/self/ns/net").st_ino == wanted:
        return []
    return ["ip", "netns", "exec", namespace]


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
        subprocess.run(netns_prefix() + ["libvirtd", "--daemon", "--pid-file", LIBVIRTD_PID]
                       + config_args(MAIN_HOST), check=True,
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
    for host in KVM_HOSTS:
        ensure_host_files(host)
    start_virtlogd(marks)
    start_libvirtd(marks)
    ensure_guest(marks)
    for host in KVM_HOSTS:
        if host != MAIN_HOST:
            start_other_libvirtd(host)
        agent_start(host)
    write_marks(marks)
    log("libvirtd is up (%s, pid %s%s); guest %s defined" % (
        URI, read_pid(LIBVIRTD_PID, "libvirtd"), ", namespace %s" % NAMESPACE if netns_prefix() or in_namespace()
        else "", GUEST))


def in_namespace():
    try:
        return os.stat("/proc/self/ns/net").st_ino == os.stat(os.path.join("/run/netns", NAMESPACE)).st_ino
    except OSError:
        return False


def restart(args):
    """Stop and start libvirtd the way a service manager would; running guests keep running."""
    if args.host != MAIN_HOST:
        stop_pid(host_file(args.host, "libvirtd.pid"), "libvirtd")
        start_other_libvirtd(args.host)
        pid = read_pid(host_file(args.host, "libvirtd.pid"), "libvirtd")
        log("libvirtd of %s restarted (pid %s)" % (args.host, pid))
        return
    marks = read_marks()
    stop_pid(LIBVIRTD_PID, "libvirtd")
    start_virtlogd(marks)
    start_libvirtd(marks)
    write_marks(marks)
    log("libvirtd restarted (pid %s)" % read_pid(LIBVIRTD_PID, "libvirtd"))


def down(_args):
    marks = read_marks()
    for host in KVM_HOSTS:
        stop_pid(host_file(host, "agent.pid"), "python3")
        if host != MAIN_HOST:
            stop_pid(host_file(host, "libvirtd.pid"), "libvirtd")
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
    others = True
    for host in KVM_HOSTS:
        if host != MAIN_HOST:
            pid = read_pid(host_file(host, "libvirtd.pid"), "libvirtd")
            others = others and bool(pid)
            print("libvirtd of %s: %s" % (host, "running, pid %d" % pid if pid else "not running"))
        agent = agent_status(host)
        print("agent stand-in of %s: %s" % (host, "running, pid %d, started %d time(s)" % (
            agent["pid"], agent["starts"]) if agent.get("running") else "not running"))
    return 0 if libvirtd and virtlogd and others else 3

# --- KVM host security: each host's files, kvm2's libvirtd, the stand-in agent ---------------------------


def host_file(host, *parts):
    return os.path.join(HOSTS_DIR, host, *parts)


def host_paths(host):
    """The paths the lab inventory gives the kvm_host_security role for ``host``."""
    return {
        "agent_dir": host_file(host, "etc", "cloudstack", "agent"),
        "pki_dir": host_file(host, "etc", "pki"),
        "libvirtd_conf": host_file(host, "etc", "libvirt", "libvirtd.conf"),
    }


def libvirtd_conf_text(host):
    lines = [CONF_MARK + ": libvirtd.conf of %s; libvirtd runs with --config <this file>." % host,
             "# Everything at libvirt's defaults, as in a host's packaged file, until something sets it."]
    if host != MAIN_HOST:
        lines.append('unix_sock_dir = "%s"' % host_file(host, "run"))
    return "\n".join(lines) + "\n"


def ensure_host_files(host, fresh=False):
    """The host's agent directory (with agent.properties), pki directory and libvirtd.conf."""
    paths = host_paths(host)
    if fresh:
        for name in ("etc", "empty"):
            shutil.rmtree(host_file(host, name), ignore_errors=True)
    for directory in (paths["agent_dir"], os.path.dirname(paths["libvirtd_conf"]), host_file(host, "run"),
                      host_file(host, "empty", "qemu"), host_file(host, "empty", "hooks")):
        os.makedirs(directory, exist_ok=True)
    for path, text, mode in ((os.path.join(paths["agent_dir"], "agent.properties"), AGENT_PROPERTIES % host, 0o644),
                             (paths["libvirtd_conf"], libvirtd_conf_text(host), 0o644)):
        if not os.path.exists(path):
            with open(path + ".tmp", "w") as handle:
                handle.write(text)
            os.chmod(path + ".tmp", mode)
            os.replace(path + ".tmp", path)


def config_args(host):
    """libvirtd's --config, and --listen when the file turns on listen_tls or listen_tcp."""
    conf = host_paths(host)["libvirtd_conf"]
    if not os.path.exists(conf):
        return []
    listen = False
    with open(conf) as handle:
        for line in handle:
            key, sep, value = line.split("#", 1)[0].partition("=")
            if sep and key.strip() in ("listen_tls", "listen_tcp") and value.strip().strip("\"'") == "1":
                listen = True
    return ["--config", conf] + (["--listen"] if listen else [])


OTHER_LIBVIRTD = r"""set -e
mount -t tmpfs -o mode=0755 csl-libvirt-run /run/libvirt
mount -t tmpfs -o mode=0755 csl-libvirt-lib /var/lib/libvirt
mount --bind "$1/qemu" /etc/libvirt/qemu
mount --bind "$1/hooks" /etc/libvirt/hooks
shift
exec "$@"
"""


def other_uri(host):
    return "qemu:///system?socket=%s" % host_file(host, "run", "libvirt-sock")


def start_other_libvirtd(host):
    """libvirtd of a host other than kvm1: in the host's namespace, in a mount namespace of its own."""
    pidfile = host_file(host, "libvirtd.pid")
    if read_pid(pidfile, "libvirtd"):
        return
    ensure_host_files(host)
    command = (netns_prefix(KVM_HOSTS[host]) + ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
                                                OTHER_LIBVIRTD, "libvirtd", host_file(host, "empty"), "libvirtd",
                                                "--daemon", "--pid-file", pidfile] + config_args(host))
    with open(host_file(host, "libvirtd.log"), "a") as out:
        subprocess.run(command, check=True, stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True,
                       env={"PATH": PATH, "LC_ALL": "C", "HOME": "/root", "USER": "root", "LOGNAME": "root"},
                       timeout=60)

    def answers():
        if not read_pid(pidfile, "libvirtd"):
            return False
        return run(["virsh", "-c", other_uri(host), "version"], check=False, timeout=30).returncode == 0

    wait_for(answers, 90, "libvirtd of %s to answer" % host)


def agent_status(host):
    try:
        with open(host_file(host, "agent.json")) as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        data = {"starts": 0}
    data["running"] = bool(data.get("pid")) and read_pid(host_file(host, "agent.pid"), "python3") == data["pid"]
    return data


def agent_start(host):
    """Start the stand-in agent (unless it runs) and wait until it has read its files."""
    if read_pid(host_file(host, "agent.pid"), "python3"):
        return agent_status(host)
    ensure_host_files(host)
    before = agent_status(host).get("starts", 0)
    with open(host_file(host, "agent.log"), "a") as out:
        subprocess.Popen(netns_prefix(KVM_HOSTS[host]) + ["/usr/bin/python3", os.path.abspath(__file__), "agent-run",
                                                          "--host", host],
                         stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True,
                         env={"PATH": PATH, "LC_ALL": "C", "HOME": "/root"})
    wait_for(lambda: agent_status(host).get("starts", 0) > before and agent_status(host)["running"], 60,
             "the agent stand-in of %s to start" % host)
    return agent_status(host)


def agent_restart(args):
    stop_pid(host_file(args.host, "agent.pid"), "python3")
    status = agent_start(args.host)
    if status.get("error"):
        raise LabError("agent of %s: %s" % (args.host, status["error"]))
    log("agent stand-in of %s restarted (pid %d, %s)" % (
        args.host, status["pid"], "secured, aliases %s" % ",".join(status["aliases"]) if status["secured"]
        else "not secured"))


def read_passphrase(path):
    passphrase = None
    with open(path) as handle:
        for line in handle:
            key, sep, value = line.strip().partition("=")
            if sep and key.strip() == "keystore.passphrase":
                passphrase = value.strip()
    return passphrase


def agent_run(args):
    """The stand-in agent: read agent.properties and the keystore as the agent does at start, then wait."""
    host = args.host
    agent_dir = host_paths(host)["agent_dir"]
    status = agent_status(host)
    info = {"pid": os.getpid(), "starts": status.get("starts", 0) + 1, "started_at": time.time(), "secured": False,
            "aliases": [], "cloud_crt_sha256": None, "error": None}
    cert = os.path.join(agent_dir, "cloud.crt")
    try:
        if os.path.exists(cert):
            info["secured"] = True
            with open(cert, "rb") as handle:
                info["cloud_crt_sha256"] = hashlib.sha256(handle.read()).hexdigest()
            passphrase = read_passphrase(os.path.join(agent_dir, "agent.properties"))
            if not passphrase:
                raise LabError("agent.properties has no keystore.passphrase")
            listing = subprocess.run(["keytool", "-list", "-keystore", os.path.join(agent_dir, "cloud.jks"),
                                      "-storepass:env", "CSL_KEYSTORE_PASS"], stdin=subprocess.DEVNULL,
                                     capture_output=True, text=True, timeout=60, check=False,
                                     env={"PATH": PATH, "LC_ALL": "C", "CSL_KEYSTORE_PASS": passphrase})
            if listing.returncode != 0:
                lines = (listing.stdout + listing.stderr).strip().splitlines() or ["keytool failed"]
                raise LabError("cannot open cloud.jks: %s" % lines[-1])
            info["aliases"] = sorted(line.split(",", 1)[0] for line in listing.stdout.splitlines()
                                     if line.count(",") >= 2)
    except (LabError, OSError, subprocess.SubprocessError) as error:
        info["error"] = str(error)
    with open(host_file(host, "agent.pid"), "w") as handle:
        handle.write("%d\n" % os.getpid())
    with open(host_file(host, "agent.json") + ".tmp", "w") as handle:
        json.dump(info, handle, indent=2, sort_keys=True)
    os.replace(host_file(host, "agent.json") + ".tmp", host_file(host, "agent.json"))
    print("agent stand-in of %s: start %d, %s" % (host, info["starts"], info["error"] or (
        "aliases %s" % ",".join(info["aliases"]) if info["secured"] else "not secured")), flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        time.sleep(3600)


def reset_host(args):
    """The host's lab files as `up` made them (no keystore, no certificates, TLS off), daemons restarted."""
    host = args.host
    stop_pid(host_file(host, "agent.pid"), "python3")
    ensure_host_files(host, fresh=True)
    restart(args)
    agent_start(host)
    log("%s reset" % host)


def main():
    parser = argparse.ArgumentParser(description="real libvirtd for the csops.cloudstack lab")
    parser.add_argument("command", choices=("up", "down", "status", "restart", "agent-restart", "agent-run",
                                            "reset-host"))
    parser.add_argument("--host", choices=sorted(KVM_HOSTS), default=MAIN_HOST,
                        help="the KVM host for restart, agent-restart, agent-run and reset-host")
    args = parser.parse_args()
    commands = {"up": up, "down": down, "status": status, "restart": restart, "agent-restart": agent_restart,
                "agent-run": agent_run, "reset-host": reset_host}
    try:
        return commands[args.command](args) or 0
    except (LabError, subprocess.SubprocessError, OSError) as error:
        print("labvirt %s: %s" % (args.command, error), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
