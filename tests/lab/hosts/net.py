"""Build and remove the lab network with iproute2.

Every `ensure_*` function looks at what exists first and only runs the commands that are needed, so
`up` can repair a half-built lab and a second `up` changes nothing. Each returns the number of changes.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from . import model
from .proc import NETNS_DIR, netns_inode, run

ETC_NETNS = Path("/etc/netns")


def _ip(ns: str | None, *args: str, check: bool = True):
    cmd = ["ip"] + (["-n", ns] if ns else []) + list(args)
    return run(cmd, check=check)


def links(ns: str | None) -> dict[str, dict]:
    """Interfaces of a namespace (None = root) with addresses, kind and master, keyed by name."""
    res = _ip(ns, "-j", "-d", "addr", "show", check=False)
    if res.returncode != 0:
        return {}
    try:
        data = json.loads(res.stdout or "[]")
    except json.JSONDecodeError:
        return {}
    return {d["ifname"]: d for d in data if "ifname" in d}


def _kind(info: dict | None) -> str | None:
    if not info:
        return None
    return (info.get("linkinfo") or {}).get("info_kind")


def _inet(info: dict) -> set[str]:
    return {f"{a['local']}/{a['prefixlen']}" for a in info.get("addr_info", []) if a.get("family") == "inet"}


def _is_up(info: dict) -> bool:
    return "UP" in info.get("flags", [])


# --- root namespace ---------------------------------------------------------------------------------


def guard_route_present() -> bool:
    res = run(["ip", "route", "show", "type", "unreachable", str(model.LAB_NET)], check=False)
    return f"metric {model.GUARD_METRIC}" in res.stdout


def ensure_guard_route() -> int:
    """`unreachable 10.250.0.0/24 metric 4000`: lab addresses can never be routed off the machine."""
    if guard_route_present():
        return 0
    run(["ip", "route", "replace", "unreachable", str(model.LAB_NET), "metric", str(model.GUARD_METRIC)])
    return 1


def remove_guard_route() -> int:
    changed = 0
    while guard_route_present():
        run(["ip", "route", "del", "unreachable", str(model.LAB_NET), "metric", str(model.GUARD_METRIC)],
            check=False)
        changed += 1
        if changed > 5:
            break
    return changed


def ensure_bridge(ns: str | None, name: str, cidr: str) -> int:
    changed = 0
    info = links(ns).get(name)
    if info is not None and _kind(info) != "bridge":
        _ip(ns, "link", "del", name)
        info = None
    if info is None:
        # No STP: ports forward at once.
        _ip(ns, "link", "add", name, "type", "bridge", "stp_state", "0")
        changed += 1
        info = links(ns)[name]
    changed += _ensure_addrs(ns, name, info, {cidr})
    if not _is_up(info):
        _ip(ns, "link", "set", name, "up")
        changed += 1
    return changed


def _ensure_addrs(ns: str | None, dev: str, info: dict, wanted: set[str]) -> int:
    changed = 0
    have = _inet(info)
    for cidr in sorted(have - wanted):
        _ip(ns, "addr", "del", cidr, "dev", dev)
        changed += 1
    for cidr in sorted(wanted - have):
        _ip(ns, "addr", "add", cidr, "dev", dev)
        changed += 1
    return changed


# --- namespaces -------------------------------------------------------------------------------------


def namespace_ok(ns: str) -> bool:
    return netns_inode(ns) is not None and _ip(ns, "link", "show", "lo", check=False).returncode == 0


def ensure_namespace(ns: str) -> int:
    if namespace_ok(ns):
        return 0
    if (NETNS_DIR / ns).exists():  # stale entry from an interrupted run
        run(["ip", "netns", "del", ns], check=False)
        try:
            (NETNS_DIR / ns).unlink()
        except FileNotFoundError:
            pass
    run(["ip", "netns", "add", ns])
    return 1


def existing_lab_namespaces() -> list[str]:
    try:
        return sorted(n for n in os.listdir(NETNS_DIR) if n.startswith("csl-"))
    except FileNotFoundError:
        return []


def delete_namespace(ns: str) -> int:
    if not (NETNS_DIR / ns).exists():
        return 0
    run(["ip", "netns", "del", ns], check=False)
    return 1


def write_netns_etc(ns: str, hosts_text: str) -> int:
    """/etc/netns/NS/{hosts,resolv.conf}: `ip netns exec` bind-mounts them over /etc inside the namespace,
    so lab names resolve from a file and nothing inside a lab namespace ever asks a DNS server."""
    d = ETC_NETNS / ns
    files = {
        "hosts": hosts_text,
        "resolv.conf": "# csops.cloudstack lab namespace: no DNS server (names come from /etc/hosts)\n"
                       "options attempts:1 timeout:1\n",
    }
    changed = 0
    d.mkdir(parents=True, exist_ok=True)
    for fname, text in files.items():
        p = d / fname
        if not p.exists() or p.read_text() != text:
            p.write_text(text)
            changed += 1
    return changed


def remove_netns_etc(ns: str) -> int:
    d = ETC_NETNS / ns
    if not d.is_dir():
        return 0
    for fname in ("hosts", "resolv.conf"):
        try:
            (d / fname).unlink()
        except FileNotFoundError:
            pass
    try:
        d.rmdir()
    except OSError:
        pass
    try:
        ETC_NETNS.rmdir()  # only succeeds when nothing else uses /etc/netns
    except OSError:
        pass
    return 1


# --- veth pairs -------------------------------------------------------------------------------------


def ensure_veth(outer_ns: str | None, outer: str, master: str, inner_ns: str, cidr: str,
                inner: str = model.NS_IFNAME) -> int:
    """A veth pair: `outer` in outer_ns enslaved to bridge `master`, `inner` (eth0) with `cidr` inside inner_ns."""
    changed = 0
    o = links(outer_ns).get(outer)
    i = links(inner_ns).get(inner)
    paired = (o is not None and i is not None and _kind(o) == "veth" and _kind(i) == "veth"
              and o.get("link_index") == i.get("ifindex") and i.get("link_index") == o.get("ifindex")
              and "link_netnsid" in o and "link_netnsid" in i)
    if not paired:
        if o is not None:
            _ip(outer_ns, "link", "del", outer)
        if inner in links(inner_ns):
            _ip(inner_ns, "link", "del", inner)
        _ip(outer_ns, "link", "add", outer, "type", "veth", "peer", "name", inner, "netns", inner_ns)
        changed += 1
        o = links(outer_ns)[outer]
        i = links(inner_ns)[inner]
    if o.get("master") != master:
        _ip(outer_ns, "link", "set", outer, "master", master)
        changed += 1
    if not _is_up(o):
        _ip(outer_ns, "link", "set", outer, "up")
        changed += 1
    changed += _ensure_addrs(inner_ns, inner, i, {cidr})
    if not _is_up(i):
        _ip(inner_ns, "link", "set", inner, "up")
        changed += 1
    lo = links(inner_ns).get("lo")
    if lo is not None and not _is_up(lo):
        _ip(inner_ns, "link", "set", "lo", "up")
        changed += 1
    return changed


def flush_neighbours(namespaces: list[str]) -> None:
    """Forget cached MAC addresses on the lab bridge and inside the lab namespaces.

    A re-created veth or bridge has a new MAC; a stale neighbour entry would black-hole traffic to it until the
    kernel re-probes (about 30 s)."""
    if model.ROOT_BRIDGE in links(None):
        _ip(None, "neigh", "flush", "dev", model.ROOT_BRIDGE, check=False)
    for ns in namespaces:
        _ip(ns, "neigh", "flush", "all", check=False)


def delete_root_link(name: str) -> int:
    if name in links(None):
        _ip(None, "link", "del", name, check=False)
        return 1
    return 0


def root_lab_links() -> list[str]:
    """Root-namespace interfaces that belong to the lab (the bridge and the csl-* veth ends)."""
    return sorted(n for n in links(None) if n == model.ROOT_BRIDGE or n.startswith("csl"))
