"""What makes a lab namespace look like a system VM or router from inside, and the hosts' side of reaching it.

Each machine's sshd runs in a mount namespace of its own (`ip netns exec` makes one); bind mounts made there
before sshd starts are what its ssh sessions see, and nothing outside:

- a system VM / router gets its own `/root` (where get_diagnostics_files.py writes its zip), `/opt` (with the
  lab's `/opt/cloud/bin` scripts from tests/lab/hosts/vm/) and `/var/log` (with a `cloud.log` and `daemon.log`),
  all under `.state/machines/<name>/`;
- a KVM host gets its own `/root/.ssh` holding `id_rsa.cloud` / `id_rsa.pub.cloud`, the key CloudStack puts on
  its hosts to reach system VMs on 3922; every VM's sshd accepts that key besides the lab key.

The SSVM of the first zone also gets an address on the lab bridge (`SSVM_WEB_ADDRESS`), where `web.py` serves
the diagnostics archives the simulator publishes (as CloudStack's SSVM serves extract URLs).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from . import model, proc

VM_SCRIPTS = Path(__file__).resolve().parent / "vm"
# The Python scripts of VM_SCRIPTS are kept without a shebang (ansible-test allows only `/usr/bin/env python`,
# which a VM's ssh session would not find); they get CloudStack's when installed.
PYTHON_SHEBANG = b"#!/usr/bin/python3\n"
CLOUD_KEY = "id_rsa.cloud"
ROOT_SSH = Path("/root/.ssh")
SSVM_WEB_ADDRESS = "10.250.0.21"
SSVM_WEB_PORT = 80
SSVM_WEB_IFNAME = "eth1"


def machine_dir(state: Path, m: model.Machine) -> Path:
    return state / "machines" / m.name


def cloud_key(state: Path) -> Path:
    return state / "ssh" / CLOUD_KEY


def ensure_cloud_key(state: Path) -> int:
    """The RSA key pair the management server gives its KVM hosts (`id_rsa.cloud`, `id_rsa.cloud.pub`)."""
    key = cloud_key(state)
    if key.exists() and key.with_suffix(".cloud.pub").exists():
        return 0
    key.parent.mkdir(parents=True, exist_ok=True)
    for p in (key, key.with_suffix(".cloud.pub")):
        if p.exists():
            p.unlink()
    proc.run(["ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "", "-C", "root@cloud", "-f", str(key)])
    os.chmod(key, 0o600)
    return 1


def _write(path: Path, data: bytes, mode: int) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and path.read_bytes() == data:
        if (path.stat().st_mode & 0o777) != mode:
            os.chmod(path, mode)
        return 0
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.chmod(tmp, mode)
    os.replace(tmp, path)
    return 1


def install_scripts(target: Path) -> int:
    """The VM-side scripts of VM_SCRIPTS in ``target`` (an existing directory, the VM's /opt/cloud/bin),
    executable and with their shebang; returns the number of files written."""
    changed = 0
    for script in sorted(VM_SCRIPTS.iterdir()):
        if script.is_file() and not script.name.startswith("."):
            data = script.read_bytes()
            if script.suffix == ".py" and not data.startswith(b"#!"):
                data = PYTHON_SHEBANG + data
            changed += _write(target / script.name, data, 0o755)
    return changed


def prepare(state: Path, m: model.Machine, version: str = "") -> int:
    """The files a machine's mounts show; returns the number of files written."""
    base = machine_dir(state, m)
    changed = 0
    if m.is_vm:
        for sub in ("root", "opt/cloud/bin", "var-log"):
            (base / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(base / "root", 0o700)
        changed += install_scripts(base / "opt/cloud/bin")
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        for name, line in (("cloud.log", "%s INFO  [lab] %s (%s) ready\n" % (stamp, m.name, m.vmtype)),
                           ("daemon.log", "%s %s systemd[1]: Started cloud.service.\n" % (stamp, m.name))):
            path = base / "var-log" / name
            if not path.exists():
                path.write_text(line)
                changed += 1
    elif m.kind == "kvm":
        ssh_dir = base / "root-ssh"
        ssh_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(ssh_dir, 0o700)
        key = cloud_key(state)
        changed += _write(ssh_dir / "id_rsa.cloud", key.read_bytes(), 0o600)
        changed += _write(ssh_dir / "id_rsa.pub.cloud", key.with_suffix(".cloud.pub").read_bytes(), 0o644)
    return changed


def mounts(state: Path, m: model.Machine) -> list[tuple[str, str]]:
    """(source, mount point) bind mounts for the machine's sshd (and so for its ssh sessions)."""
    base = machine_dir(state, m)
    if m.is_vm:
        return [(str(base / "root"), "/root"), (str(base / "opt"), "/opt"), (str(base / "var-log"), "/var/log")]
    if m.kind == "kvm":
        return [(str(base / "root-ssh"), str(ROOT_SSH))]
    return []


def extra_authorized_keys(state: Path, m: model.Machine) -> list[Path]:
    """System VMs and routers also let in the hosts' `id_rsa.cloud`."""
    return [cloud_key(state).with_suffix(".cloud.pub")] if m.is_vm else []


def ensure_root_ssh_mountpoint(record: dict) -> int:
    """`/root/.ssh` must exist to be a mount point; made (empty, 0700) when missing and removed by `down`."""
    if ROOT_SSH.is_dir():
        return 0
    ROOT_SSH.mkdir(mode=0o700)
    record["made_root_ssh"] = True
    return 1


def remove_root_ssh_mountpoint(record: dict) -> int:
    if not record.get("made_root_ssh"):
        return 0
    try:
        ROOT_SSH.rmdir()  # only when still empty
    except OSError:
        return 0
    return 1


def web_vm(lab: model.Lab) -> model.Machine | None:
    """The namespaced SSVM that serves the diagnostics URL (the first one in the topology)."""
    return next((m for m in lab.vms if m.vmtype == "secondarystoragevm"), None)
