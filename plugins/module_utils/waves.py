# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Wave planning for rolling router upgrades: pure logic, shared by ``router_upgrade`` and its tests.

Rules, in order:

- Routers are grouped (by zone, by pod, or not at all); a wave never mixes two groups, so a bad wave stops
  the run before the next zone or pod is touched.
- Inside a group routers are ordered by zone, pod, redundancy role (BACKUP first, so the primary of a pair
  is upgraded last and fails over once) and name.
- The first wave of the run is a canary of ``first_wave_size`` routers; the others hold up to ``wave_size``.
- The two routers of a redundant pair (same VPC or guest network) never share a wave, so a pair never loses
  both routers at once.
- Inside a wave at most ``concurrency`` upgrade jobs run at the same time.
"""

from __future__ import annotations

GROUP_KEYS = {
    "none": lambda r: "",
    "zone": lambda r: r.get("zonename") or r.get("zoneid") or "",
    "pod": lambda r: (r.get("zonename") or r.get("zoneid") or "", r.get("podname") or r.get("podid") or ""),
}

_ROLE_RANK = {"BACKUP": 0, "UNKNOWN": 1, "FAULT": 1}


class WavePlanError(ValueError):
    """The wave parameters cannot be satisfied."""


def pair_key(router):
    """What a redundant router shares with its peer (VPC or guest network); None for a single router."""
    if not router.get("isredundantrouter"):
        return None
    if router.get("vpcid"):
        return "vpc:%s" % router["vpcid"]
    if router.get("guestnetworkid"):
        return "net:%s" % router["guestnetworkid"]
    return None


def order_key(router):
    role = str(router.get("redundantstate") or "").upper()
    rank = _ROLE_RANK.get(role, 2) if router.get("isredundantrouter") else 2
    return (
        router.get("zonename") or router.get("zoneid") or "",
        router.get("podname") or router.get("podid") or "",
        rank,
        router.get("name") or "",
        router.get("id") or "",
    )


def plan_waves(routers, wave_size, first_wave_size=None, group_by="zone"):
    """Lists of routers, one list per wave, in the order they are to be upgraded."""
    if wave_size < 1:
        raise WavePlanError("wave_size must be at least 1, got %d" % wave_size)
    if first_wave_size is not None and first_wave_size < 1:
        raise WavePlanError("first_wave_size must be at least 1, got %d" % first_wave_size)
    if group_by not in GROUP_KEYS:
        raise WavePlanError("group_by must be one of %s, got %r" % (", ".join(sorted(GROUP_KEYS)), group_by))
    group_of = GROUP_KEYS[group_by]
    groups = []
    index = {}
    for router in sorted(routers, key=order_key):
        key = group_of(router)
        if key not in index:
            index[key] = len(groups)
            groups.append([])
        groups[index[key]].append(router)
    waves = []
    for group in groups:
        pending = group
        while pending:
            size = first_wave_size if (not waves and first_wave_size) else wave_size
            wave, rest, pairs = [], [], set()
            for router in pending:
                key = pair_key(router)
                if len(wave) < size and (key is None or key not in pairs):
                    wave.append(router)
                    if key is not None:
                        pairs.add(key)
                else:
                    rest.append(router)
            waves.append(wave)
            pending = rest
    return waves


def batches(items, concurrency):
    """``items`` cut into consecutive lists of at most ``concurrency``."""
    if concurrency < 1:
        raise WavePlanError("concurrency must be at least 1, got %d" % concurrency)
    return [items[i:i + concurrency] for i in range(0, len(items), concurrency)]


def router_problem(router):
    """Why an upgraded router is not right yet, or None: it must be Running and no longer require upgrade."""
    if router is None:
        return "no longer listed by CloudStack"
    state = router.get("state")
    if state != "Running":
        return "state is %s, expected Running" % state
    if router.get("requiresupgrade"):
        return "still requires upgrade (version %s)" % (router.get("version") or "unknown")
    return None
