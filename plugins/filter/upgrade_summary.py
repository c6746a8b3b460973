# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The upgrade_summary filter: versions of system VMs, routers and settings before and after an upgrade.

The documentation is in upgrade_summary.yml beside this file.
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

_KINDS = ("systemvms", "routers", "settings")
_UNKNOWN = "?"


def _shorten(value, limit=60):
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _rows(snapshot, which, kind):
    """The list ``snapshot[kind]`` (empty when the key is missing), checked to hold only mappings."""
    rows = snapshot.get(kind)
    if rows is None:
        return []
    if isinstance(rows, (str, bytes, Mapping)) or not isinstance(rows, (list, tuple)):
        raise AnsibleFilterError("upgrade_summary: %s.%s must be a list, got %s" % (which, kind, _shorten(rows)))
    for row in rows:
        if not isinstance(row, Mapping):
            raise AnsibleFilterError("upgrade_summary: every item of %s.%s must be a dict, got %s"
                                     % (which, kind, _shorten(row)))
    return list(rows)


def _snapshot(value, which):
    if not isinstance(value, Mapping):
        raise AnsibleFilterError("upgrade_summary: %s must be a dict with %s, got %s"
                                 % (which, ", ".join(_KINDS), _shorten(value)))
    return {kind: _rows(value, which, kind) for kind in _KINDS}


def _text(value):
    """``value`` as shown in a line: a placeholder for a missing or empty value."""
    return _UNKNOWN if value is None or value == "" else str(value)


def _vm(row):
    return {"name": row.get("name"), "version": row.get("version"), "template": row.get("templatename"),
            "state": row.get("state")}


def _vm_text(vms):
    if not vms:
        return "none"
    return ", ".join("%s %s (%s)" % (vm["name"], _text(vm["version"]), _text(vm["template"])) for vm in vms)


def _systemvms(before, after):
    """One entry per zone and system VM type seen before or after (recreated VMs get new names), in order."""
    def group(rows):
        groups = {}
        for row in rows:
            groups.setdefault((row.get("zonename"), row.get("systemvmtype")), []).append(_vm(row))
        return groups

    grouped_before, grouped_after = group(before), group(after)
    keys = sorted(set(grouped_before) | set(grouped_after), key=lambda key: tuple(_text(part) for part in key))
    entries, lines = [], []
    for zone, kind in keys:
        vms_before, vms_after = grouped_before.get((zone, kind), []), grouped_after.get((zone, kind), [])
        entries.append({"zone": zone, "type": kind, "before": vms_before, "after": vms_after})
        lines.append("%s %s: %s -> %s" % (_text(zone), _text(kind), _vm_text(vms_before), _vm_text(vms_after)))
    return entries, lines


def _routers(before, after):
    """One entry per router listed after, matched by id with the list before."""
    by_id = {row.get("id"): row for row in before}
    entries, lines = [], []
    for row in after:
        old = by_id.get(row.get("id"))
        entries.append({
            "name": row.get("name"),
            "version_before": old.get("version") if old is not None else None,
            "version_after": row.get("version"),
            "requiresupgrade_before": old.get("requiresupgrade") if old is not None else None,
            "requiresupgrade_after": row.get("requiresupgrade"),
        })
        lines.append("router %s: %s -> %s%s" % (
            _text(row.get("name")), _text(old.get("version")) if old is not None else "(new)",
            _text(row.get("version")), " (still requires upgrade)" if row.get("requiresupgrade") else ""))
    return entries, lines


def _settings(before, after):
    """One entry per setting listed after, matched by name with the list before."""
    by_name = {row.get("name"): row for row in before}
    entries, lines = [], []
    for row in after:
        old = by_name.get(row.get("name"))
        value_before = old.get("value") if old is not None else None
        entries.append({"name": row.get("name"), "before": value_before, "after": row.get("value")})
        lines.append("%s: %s -> %s" % (_text(row.get("name")), _text(value_before), _text(row.get("value"))))
    return entries, lines


def upgrade_summary(before, after):
    """Compare two snapshots (dicts with the lists systemvms, routers and settings, as systemvm_info, router_info
    and setting_info return them) and return a dict with the keys systemvms, routers, settings and lines."""
    before, after = _snapshot(before, "before"), _snapshot(after, "after")
    summary = {}
    lines = []
    for kind, compare in (("systemvms", _systemvms), ("routers", _routers), ("settings", _settings)):
        summary[kind], kind_lines = compare(before[kind], after[kind])
        lines.extend(kind_lines)
    summary["lines"] = lines
    return summary


class FilterModule:
    """The collection's filters for upgrade reports."""

    def filters(self):
        return {"upgrade_summary": upgrade_summary}
