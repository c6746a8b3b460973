"""The lab key pair, one sshd per namespace, and the client side (`ssh_config`, `known_hosts`)."""

from __future__ import annotations

import os
import shlex
import subprocess
import time
from pathlib import Path

from . import model, proc

SSHD = "/usr/sbin/sshd"
PRIVSEP_DIR = Path("/run/sshd")


def _q(path: Path | str) -> str:
    """Quote a path for ssh/sshd config files when it needs it."""
    s = str(path)
    return f'"{s}"' if any(c.isspace() for c in s) else s


def ensure_keypair(key: Path) -> int:
    """ed25519 key pair without passphrase at `key` / `key.pub`."""
    if key.exists() and key.with_suffix(".pub").exists():
        return 0
    key.parent.mkdir(parents=True, exist_ok=True)
    for p in (key, key.with_suffix(".pub")):
        if p.exists():
            p.unlink()
    proc.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"csl-{key.parent.name}", "-f", str(key)])
    os.chmod(key, 0o600)
    return 1


def write_if_changed(path: Path, text: str, mode: int | None = None) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and path.read_text() == text:
        if mode is not None and (path.stat().st_mode & 0o777) != mode:
            os.chmod(path, mode)
        return 0
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    if mode is not None:
        os.chmod(tmp, mode)
    os.replace(tmp, path)
    return 1


class SshdPaths:
    def __init__(self, state: Path, machine: model.Machine):
        self.dir = state / "sshd" / machine.name
        self.config = self.dir / "sshd_config"
        self.hostkey = self.dir / "ssh_host_ed25519_key"
        self.pidfile = self.dir / "sshd.pid"
        self.log = state / "logs" / f"sshd-{machine.name}.log"


def sshd_config(machine: model.Machine, paths: SshdPaths, authorized_keys: Path,
                extra_keys: tuple[Path, ...] = (), mounts: tuple[tuple[str, str], ...] = ()) -> str:
    keys = " ".join(_q(k) for k in (authorized_keys, *extra_keys))
    return "\n".join([
        f"# csops.cloudstack lab: sshd of {machine.name} in namespace {machine.namespace} (written by labctl)",
        *(f"# bind mount in its mount namespace: {src} on {dst}" for src, dst in mounts),
        f"Port {machine.port}",
        f"ListenAddress {machine.address}",
        "AddressFamily inet",
        f"HostKey {_q(paths.hostkey)}",
        f"PidFile {_q(paths.pidfile)}",
        "UsePAM no",
        "StrictModes no",
        "PermitRootLogin prohibit-password",
        "PubkeyAuthentication yes",
        f"AuthorizedKeysFile {keys}",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "HostbasedAuthentication no",
        "AllowTcpForwarding yes",  # the KVM hosts are ProxyJump hops to their system VMs
        "X11Forwarding no",
        "PrintMotd no",
        "PrintLastLog no",
        "UseDNS no",
        "ClientAliveInterval 10",  # sessions whose client vanished (namespace torn away) end on their own
        "ClientAliveCountMax 3",
        "MaxStartups 100",
        "MaxSessions 100",
        "LogLevel INFO",
        f"SetEnv CSLAB_MACHINE={machine.name} CSLAB_NAMESPACE={machine.namespace}",
        "Subsystem sftp internal-sftp",
        "",
    ])


def sshd_pid(machine: model.Machine, paths: SshdPaths) -> int | None:
    """Pid of this machine's sshd listener if it runs, in the right namespace, with our config."""
    pid = proc.read_pid(paths.pidfile)
    if not proc.alive(pid):
        return None
    if proc.comm(pid) != "sshd" or str(paths.config) not in proc.cmdline(pid):
        return None
    if not proc.in_namespace(pid, machine.namespace):
        return None
    return pid


def stop_sshd(paths: SshdPaths) -> int:
    pid = proc.read_pid(paths.pidfile)
    changed = 0
    if proc.alive(pid) and proc.comm(pid) == "sshd" and str(paths.config) in proc.cmdline(pid):
        proc.stop([pid])
        changed = 1
    try:
        paths.pidfile.unlink()
    except FileNotFoundError:
        pass
    return changed


def ensure_sshd(machine: model.Machine, state: Path, authorized_keys: Path, timeout: float = 10.0,
                extra_keys: tuple[Path, ...] = (), mounts: tuple[tuple[str, str], ...] = ()) -> int:
    """Host key, config and a running sshd for one machine; restarts it if its config changed.

    `mounts` are bind mounts made in the sshd's own mount namespace before it starts (see vms.py)."""
    paths = SshdPaths(state, machine)
    changed = ensure_keypair(paths.hostkey)
    config_changed = write_if_changed(
        paths.config, sshd_config(machine, paths, authorized_keys, tuple(extra_keys), tuple(mounts)), 0o644)
    changed += config_changed
    pid = sshd_pid(machine, paths)
    if pid and not config_changed and not changed:
        return changed
    if pid or proc.read_pid(paths.pidfile):
        stop_sshd(paths)
    PRIVSEP_DIR.mkdir(mode=0o755, exist_ok=True)
    paths.log.parent.mkdir(parents=True, exist_ok=True)
    # Own UTS namespace so `hostname` inside the machine says its name; sshd daemonizes, writes its pidfile
    # after binding, and the command returns.
    # `ip netns exec` gives the command a mount namespace of its own (a slave of the root one), so the bind
    # mounts stay inside it.
    binds = "".join(f"mount --bind {shlex.quote(src)} {shlex.quote(dst)} && " for src, dst in mounts)
    cmd = ["ip", "netns", "exec", machine.namespace, "unshare", "--uts", "--", "/bin/sh", "-c",
           binds + 'hostname "$0" && exec "$1" -f "$2" -E "$3"', machine.name, SSHD, str(paths.config),
           str(paths.log)]
    res = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, timeout=timeout, check=False)
    deadline = time.monotonic() + timeout
    while True:
        if sshd_pid(machine, paths):
            return changed + 1
        if res.returncode != 0 or time.monotonic() > deadline:
            tail = _tail(paths.log)
            raise RuntimeError(f"sshd for {machine.name} in {machine.namespace} did not start "
                               f"(rc={res.returncode}): {res.stdout.strip()}\n{tail}")
        time.sleep(0.02)


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return ""


def known_hosts(lab: model.Lab, state: Path) -> str:
    out = []
    for m in lab.machines:
        pub = SshdPaths(state, m).hostkey.with_suffix(".pub").read_text().split()
        keytext = " ".join(pub[:2])
        names = [m.name, m.address] if m.port == 22 else [f"[{m.name}]:{m.port}", f"[{m.address}]:{m.port}"]
        out.append(f"{','.join(names)} {keytext}")
    return "\n".join(out) + "\n"


def client_config(lab: model.Lab, identity: Path, known_hosts_file: Path) -> str:
    lines = [
        "# csops.cloudstack lab: client config written by `labctl up`; use with `ssh -F THIS_FILE <name>`.",
        "# System VMs and routers are reached through their KVM host (ProxyJump), like on a real cloud.",
        "",
    ]
    for m in lab.machines:
        lines.append(f"Host {m.name} {m.address}")
        lines.append(f"  HostName {m.address}")
        lines.append(f"  Port {m.port}")
        if m.is_vm:
            lines.append(f"  ProxyJump {m.parent}")
        lines.append("")
    everyone = " ".join(f"{m.name} {m.address}" for m in lab.machines)
    lines += [
        f"Host {everyone}",
        "  User root",
        f"  IdentityFile {_q(identity)}",
        "  IdentitiesOnly yes",
        "  IdentityAgent none",
        "  StrictHostKeyChecking no",
        f"  UserKnownHostsFile {_q(known_hosts_file)}",
        "  GlobalKnownHostsFile /dev/null",
        "  PasswordAuthentication no",
        "  KbdInteractiveAuthentication no",
        "  BatchMode yes",
        "  ConnectTimeout 10",
        "  ServerAliveInterval 15",
        "  LogLevel ERROR",
        "",
    ]
    return "\n".join(lines)
