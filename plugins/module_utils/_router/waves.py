# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where router upgrade waves are planned: pure rules, no API calls (``upgrade.py`` runs the waves).

Rules, in order:

- Routers are grouped (by zone, by pod, or not at all); a wave never mixes two groups, so a bad wave stops
  the run before the next zone or pod is touched.
- Inside a group routers are ordered by zone, pod, redundancy role (BACKUP first, so the primary of a pair
  is upgraded last and fails over once) and name.
- The first wave of the run is a canary of ``first_wave_size`` routers; the others hold up to ``wave_size``.
- The two routers of a redundant pair (same VPC or guest network) never share a wave, so a pair never loses
  both routers at once.

After its upgrade job, a router is right when ``router_problem`` finds nothing wrong with it.
"""

from __future__ import annotations

from .._api.errors import ValidationError, shorten

GROUP_KEYS = {
    "none": lambda r: "",
    "zone": lambda r: r.get("zonename") or r.get("zoneid") or "",
    "pod": lambda r: (r.get("zonename") or r.get("zoneid") or "", r.get("podname") or r.get("podid") or ""),
}

_ROLE_RANK = {"BACKUP": 0, "UNKNOWN": 1, "FAULT": 1}

# States from which a router will not become Running by itself: no point in watching it any longer.
SETTLED_BAD_STATES = ("Stopped", "Error", "Destroyed", "Expunging", "Unknown", "Shutdown")


def _at_least_one(name, value):
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValidationError("%s must be at least 1, got %s" % (name, shorten(value)))


def _check_plan(wave_size, first_wave_size, group_by):
    _at_least_one("wave_size", wave_size)
    if first_wave_size is not None:
        _at_least_one("first_wave_size", first_wave_size)
    if group_by not in GROUP_KEYS:
        raise ValidationError("group_by must be one of %s, got %s" % (", ".join(sorted(GROUP_KEYS)), shorten(group_by)))


def check_options(wave_size, first_wave_size, concurrency, group_by):
    """Raise ValidationError, naming the option and its value, unless the wave options can be acted on."""
    _check_plan(wave_size, first_wave_size, group_by)
    _at_least_one("concurrency", concurrency)


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
    """The sort key of a router: zone, pod, redundancy role (BACKUP first), name, id."""
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
    """The waves, in the order they are to be run: a list of lists of routers (empty for no routers).

    ``first_wave_size`` None means the first wave is as large as the others. Raises ValidationError for sizes
    below 1 or an unknown ``group_by``.
    """
    _check_plan(wave_size, first_wave_size, group_by)
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


def router_problem(router):
    """Why an upgraded router is not right (a one-line reason), or None when it is Running and no longer requires
    an upgrade. ``router`` is its listRouters item, None when CloudStack no longer lists it."""
    if router is None:
        return "no longer listed by CloudStack"
    state = router.get("state")
    if state != "Running":
        return "state is %s, expected Running" % state
    if router.get("requiresupgrade"):
        return "still requires upgrade (version %s)" % (router.get("version") or "unknown")
    return None


def settled(router):
    """Whether watching ``router`` (a listRouters item or None) longer can change ``router_problem``'s verdict."""
    return router is None or router_problem(router) is None or router.get("state") in SETTLED_BAD_STATES
