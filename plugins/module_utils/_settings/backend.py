# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The backends of the ``setting`` and ``setting_info`` modules: the scope from the task's options, then the one
writer (``writer.py``) or a read through the one lookup (``_api/lookup.py``). They return the module result or
raise a CloudStackError; they never talk to Ansible."""

from __future__ import annotations

import re

from .._api.backend import ApiBackend
from .._api.errors import NotFoundError, ValidationError, shorten
from .._api.lookup import find, get, is_uuid
from .rules import SCOPE_OPTIONS, SettingValueError, check_name, desired_settings, kind_of, same_value
from .writer import GLOBAL, Scope, apply, plan, summary

# Scopes whose object the task may name (the others take an id, as CloudStack does: its UUID, or the internal
# number root admins may also give).
_NAMED_SCOPES = ("zone", "cluster")
_INTERNAL_ID_RE = re.compile(r"^[0-9]{1,19}$")


def scope_of(client, params):
    """The Scope chosen by the task's scope options (global when none is given).

    An option given empty is an error, never "global"; so are two of them."""
    given = [(option, kind) for option, kind in SCOPE_OPTIONS if params.get(option) is not None]
    if len(given) > 1:
        raise ValidationError("only one of %s may be given" % ", ".join(option for option, _kind in given))
    if not given:
        return GLOBAL
    option, kind = given[0]
    value = params[option]
    if str(value).strip() == "":
        raise ValidationError("%s must not be empty (leave it out to mean the global value)" % option)
    if kind in _NAMED_SCOPES:
        obj = get(client, kind, value)
        return Scope(kind, obj["id"], obj.get("name"))
    if not (is_uuid(value) or _INTERNAL_ID_RE.match(str(value))):
        raise ValidationError("%s must be the id of the %s, got %s" % (option, kind, shorten(value)))
    return Scope(kind, str(value))


class SettingTask(ApiBackend):
    """Sets the task's settings at its scope: every value checked, then only the differing ones written."""

    def run(self):
        try:
            wanted = desired_settings(self.params)
        except SettingValueError as error:
            raise ValidationError("update settings: %s" % error)
        scope = scope_of(self.client, self.params)
        results = apply(self.client, plan(self.client, wanted, [scope]), self.check_mode)
        result = summary(results)
        if self.diff:
            result["diff"] = dict(before={r["name"]: r["before"] for r in results},
                                  after={r["name"]: r["after"] for r in results})
        return result


def describe(item):
    """One ``setting_info`` row from a listConfigurations item."""
    value = item.get("value") or ""
    return dict(
        name=item.get("name"),
        value=value,
        defaultvalue=item.get("defaultvalue"),
        is_default=same_value(value, item.get("defaultvalue") or "", kind_of(item)),
        type=item.get("type"),
        scope=item.get("scope"),
        isdynamic=bool(item.get("isdynamic", False)),
        category=item.get("category"),
        description=item.get("description"),
    )


def read_settings(client, params):
    """The ``setting_info`` result: the named settings (each must exist at the scope), or those matching
    ``keyword`` (in the name) and ``category``, or every setting; sorted by name."""
    scope = scope_of(client, params)
    for option in ("names", "keyword", "category"):
        value = params.get(option)
        if value is not None and (value == [] or str(value).strip() == ""):
            raise ValidationError("%s must not be empty (leave it out to read every setting)" % option)
        if isinstance(value, str) and not value.isprintable():
            raise ValidationError("%s %s must be one line of text" % (option, shorten(value)))
    filters = dict(scope.params, category=params.get("category"))
    if params.get("names"):
        for index, name in enumerate(params["names"]):
            try:
                check_name(name, "names[%d]" % index)
            except SettingValueError as error:
                raise ValidationError("read settings: %s" % error)
        items = []
        for name in params["names"]:
            found = find(client, "setting", name=name, **filters)
            if not found:
                raise NotFoundError("read setting %s: no such setting%s" % (
                    name, "" if scope.is_global else " at %s scope" % scope.kind), "listConfigurations")
            items.append(found[0])
    else:
        keyword = params.get("keyword")
        items = find(client, "setting", keyword=keyword, **filters)
        if keyword:
            items = [i for i in items if keyword in (i.get("name") or "")]
    rows = {row["name"]: row for row in (describe(i) for i in items)}
    return dict(changed=False, settings=[rows[name] for name in sorted(rows, key=str)])
