"""Process helpers: pidfiles, namespace identity and stopping only what the lab started."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

NETNS_DIR = Path("/run/netns")


def run(cmd: list[str], check: bool = True, quiet: bool = False, **kw) -> subprocess.CompletedProcess:
    """Run a command, capturing output; raise with its stderr when `check` and it fails."""
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         stdin=subprocess.DEVNULL, check=False, **kw)
    if check and res.returncode != 0:
        err = (res.stderr or res.stdout).strip()
        raise RuntimeError(f"command failed ({res.returncode}): {' '.join(cmd)}\n{err}")
    if not quiet and os.environ.get("LABCTL_DEBUG"):
        print("+", " ".join(cmd))
    return res


def read_pid(pidfile: Path) -> int | None:
    try:
        text = pidfile.read_text().strip()
    except (FileNotFoundError, PermissionError):
        return None
    return int(text) if text.isdigit() else None


def alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is not alive for our purposes.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            state = fh.read().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    except (FileNotFoundError, IndexError):
        return False


def cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return ""


def comm(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm", encoding="utf-8", errors="replace") as fh:
            return fh.read().strip()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return ""


def netns_inode(namespace: str) -> int | None:
    """Inode of a named network namespace (what /proc/PID/ns/net of its members points at)."""
    try:
        return os.stat(NETNS_DIR / namespace).st_ino
    except FileNotFoundError:
        return None


def pid_netns_inode(pid: int) -> int | None:
    try:
        return os.stat(f"/proc/{pid}/ns/net").st_ino
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None


def in_namespace(pid: int, namespace: str) -> bool:
    ino = netns_inode(namespace)
    return ino is not None and pid_netns_inode(pid) == ino


def namespace_pids(namespace: str) -> list[int]:
    """Processes inside a named namespace (`ip netns pids`)."""
    if netns_inode(namespace) is None:
        return []
    res = run(["ip", "netns", "pids", namespace], check=False, quiet=True)
    return [int(p) for p in res.stdout.split() if p.isdigit() and int(p) != os.getpid()]


def all_pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def stop(pids: list[int], timeout: float = 5.0) -> list[int]:
    """SIGTERM the given pids, SIGKILL what is left after `timeout`; returns the pids signalled."""
    pids = [p for p in dict.fromkeys(pids) if p and p != os.getpid() and alive(p)]
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.05)
    for pid in pids:
        if alive(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.05)
    return pids
