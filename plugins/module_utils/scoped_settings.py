# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Set one CloudStack setting at several scopes (global and per zone), the way the ``setting`` module does:
type-aware comparison, no write when the value is already right, nothing written in check mode."""

from __future__ import annotations

from .settings import kind_of, normalize, same_value


def read_value(client, name, zone_id=None):
    """The listConfigurations item of ``name`` (at zone scope when ``zone_id``), or None if it has no such
    scope there."""
    params = {"name": name}
    if zone_id:
        params["zoneid"] = zone_id
    for item in client.list("listConfigurations", params):
        if item.get("name") == name:
            return item
    return None


def plan_values(client, name, value, zones):
    """What setting ``name`` to ``value`` globally and in each ``(zone id, zone name)`` of ``zones`` means.

    Returns one dict per scope: ``{name, scope, zoneid, zone, before, desired, changed, isdynamic}``; a zone
    scope is left out when CloudStack does not offer the setting per zone. Raises KeyError when the setting
    does not exist at all.
    """
    plan = []
    current = read_value(client, name)
    if current is None:
        raise KeyError(name)
    scopes = [(None, None, current)]
    for zone_id, zone_name in zones:
        item = read_value(client, name, zone_id)
        if item is not None:
            scopes.append((zone_id, zone_name, item))
    for zone_id, zone_name, item in scopes:
        kind = kind_of(item)
        desired = normalize(value, kind)
        before = item.get("value") or ""
        plan.append(dict(
            name=name,
            scope="zone" if zone_id else "global",
            zoneid=zone_id,
            zone=zone_name,
            before=before,
            desired=desired,
            changed=not same_value(before, desired, kind),
            isdynamic=bool(item.get("isdynamic", False)),
        ))
    return plan


def apply_values(client, plan, check_mode):
    """Write the changed entries of ``plan`` (unless ``check_mode``); returns the result items."""
    results = []
    for item in plan:
        after = item["before"]
        if item["changed"]:
            after = item["desired"]
            if not check_mode:
                params = {"name": item["name"], "value": item["desired"]}
                if item["zoneid"]:
                    params["zoneid"] = item["zoneid"]
                updated = (client.request("updateConfiguration", params) or {}).get("configuration") or {}
                after = updated.get("value", item["desired"]) or ""
        results.append(dict(
            name=item["name"],
            scope=item["scope"],
            zone=item["zone"],
            before=item["before"],
            after=after,
            changed=item["changed"],
            isdynamic=item["isdynamic"],
            restart_required=item["changed"] and not item["isdynamic"],
        ))
    return results
