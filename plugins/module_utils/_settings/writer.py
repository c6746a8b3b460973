# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one planner and writer of CloudStack setting values, for every caller (the ``setting`` module, the
router template step of ``systemvm_template``).

``plan`` reads every wanted setting at every scope and checks every value before anything is written, so a bad
name or value fails the task with nothing changed. ``apply`` writes only the values that differ (nothing in
check mode); when a write fails it raises with the result so far, so the task still reports what it changed.

Setting ``router.template.kvm`` globally and in two zones::

    changes = plan(client, [("router.template.kvm", "systemvm-kvm-4.20.1")],
                   [GLOBAL] + zone_scopes([(zone_id, zone_name), ...]), deadline, only_offered=True)
    results = apply(client, changes, check_mode, deadline)
"""

from __future__ import annotations

from .._api.errors import CloudStackError, NotFoundError, ValidationError
from .._api.lookup import find
from .rules import SCOPE_PARAMS, SettingValueError, check_name, kind_of, normalize, options_of, same_value


class Scope:
    """Where a value is read and written: ``kind`` (global, zone, cluster, account, domain, storagepool or
    imagestore), the object's ``id``, and a ``label`` (its name when known) for results and messages."""

    def __init__(self, kind="global", id=None, label=None):
        if kind != "global" and kind not in SCOPE_PARAMS:
            raise ValueError("unknown setting scope %r" % kind)
        self.kind = kind
        self.id = id
        self.label = label if label is not None else id

    @property
    def params(self):
        """The listConfigurations / updateConfiguration parameter naming this scope's object."""
        return {} if self.kind == "global" else {SCOPE_PARAMS[self.kind]: self.id}

    @property
    def is_global(self):
        return self.kind == "global"


GLOBAL = Scope()


def zone_scopes(zones):
    """One zone Scope per ``(zone id, zone name)``."""
    return [Scope("zone", zone_id, zone_name) for zone_id, zone_name in zones]


def read(client, names, scope, deadline=None):
    """``{name: listConfigurations item}`` for those of ``names`` CloudStack offers at ``scope``."""
    if len(names) == 1:
        items = find(client, "setting", deadline=deadline, name=names[0], **scope.params)
    else:
        # One listing for the whole scope costs less than one request per name.
        items = find(client, "setting", deadline=deadline, **scope.params)
    wanted = set(names)
    return {item["name"]: item for item in items if item.get("name") in wanted}


def plan(client, wanted, scopes, deadline=None, only_offered=False):
    """What setting each ``(name, value)`` of ``wanted`` at each Scope of ``scopes`` means, before any write.

    Returns one change per setting and scope, setting by setting in the order given, then scope by scope:
    ``{name, scope (Scope), before, desired, changed, isdynamic}``. With ``only_offered`` a non-global scope
    where CloudStack does not offer the setting is left out; without it that is an error. Raises
    ValidationError (bad name or value, or a scope the setting lacks) or NotFoundError (no such setting),
    naming the setting, before anything is written."""
    names = []
    for name, _value in wanted:
        try:
            check_name(name)
        except SettingValueError as error:
            raise ValidationError("update setting: %s" % error)
        if name in names:
            raise ValidationError("update setting %s: given more than once" % name)
        names.append(name)
    found = {}
    for scope in scopes:
        found[scope] = read(client, names, scope, deadline)
    known = next((items for scope, items in found.items() if scope.is_global), None)
    changes = []
    for name, value in wanted:
        for scope in scopes:
            item = found[scope].get(name)
            if item is None:
                if known is None:
                    known = read(client, names, GLOBAL, deadline)
                if name not in known:
                    raise NotFoundError("update setting %s: CloudStack has no setting by this name" % name,
                                        "listConfigurations")
                if only_offered:
                    continue
                raise ValidationError("update setting %s: it cannot be set per %s" % (name, scope.kind))
            changes.append(_change(name, value, scope, item))
    return changes


def _change(name, value, scope, item):
    kind = kind_of(item)
    try:
        desired = normalize(value, kind, scoped=not scope.is_global, options=options_of(item))
    except SettingValueError as error:
        raise ValidationError("update setting %s: %s" % (name, error))
    before = item.get("value") or ""
    return dict(name=name, scope=scope, before=before, desired=desired,
                changed=not same_value(before, desired, kind), isdynamic=bool(item.get("isdynamic", False)))


def apply(client, changes, check_mode, deadline=None):
    """Write the changed entries of ``changes`` (none in check mode) and return one result per change:
    ``{name, scope, <scope kind>: label (not for global), before, after, changed, isdynamic, restart_required}``.

    A failed write raises its CloudStackError, its message prefixed with the setting, and ``result`` set to
    ``summary`` of the settings written before it."""
    results = []
    for change in changes:
        if change["changed"] and not check_mode:
            params = dict(change["scope"].params, name=change["name"], value=change["desired"])
            try:
                client.request("updateConfiguration", params, deadline=deadline)
            except CloudStackError as error:
                error.args = ("update setting %s%s: %s" % (change["name"], _where(change["scope"]), error.message),)
                error.result = summary(results)
                raise
        results.append(_result(change))
    return results


def _where(scope):
    return "" if scope.is_global else " in %s %s" % (scope.kind, scope.label)


def _result(change):
    scope = change["scope"]
    result = dict(name=change["name"], scope=scope.kind)
    if not scope.is_global:
        result[scope.kind] = scope.label
    changed = change["changed"]
    result.update(before=change["before"], after=change["desired"] if changed else change["before"],
                  changed=changed, isdynamic=change["isdynamic"], restart_required=changed and not change["isdynamic"])
    return result


def summary(results):
    """The task-level keys for ``results``: ``changed``, ``settings`` and ``restart_required``."""
    return dict(changed=any(r["changed"] for r in results), settings=results,
                restart_required=any(r["restart_required"] for r in results))
