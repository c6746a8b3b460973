# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Type-aware handling of CloudStack configuration values (global settings).

CloudStack stores every value as a string, and a playbook writes them as YAML (booleans, numbers, lists). To be
idempotent the collection compares values by the setting's type: ``true`` equals ``"True"``, ``10`` equals
``"10"``, ``1.50`` equals ``"1.5"``, ``[a, b]`` equals ``"a, b"``, and an empty value equals an unset one.
"""

from __future__ import annotations

# updateConfiguration / listConfigurations parameter for each scope.
SCOPE_PARAMS = {
    "global": None,
    "zone": "zoneid",
    "cluster": "clusterid",
    "account": "accountid",
    "domain": "domainid",
    "storagepool": "storageid",
    "imagestore": "imagestoreuuid",
}

_BOOLEAN_TYPES = ("boolean",)
_INTEGER_TYPES = ("integer", "long", "short", "number")
_FLOAT_TYPES = ("float", "double", "decimal", "range")
_LIST_TYPES = ("csv", "order", "list")
_WS_LIST_TYPES = ("whitespaceseparatedlistwithoptions",)

_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")


class SettingValueError(ValueError):
    """A desired value does not fit the setting's type."""


def kind_of(setting):
    """The comparison kind of a listConfigurations item: boolean, integer, float, list, wslist or string."""
    declared = str(setting.get("type") or "").strip().lower()
    if declared in _BOOLEAN_TYPES:
        return "boolean"
    if declared in _INTEGER_TYPES:
        return "integer"
    if declared in _FLOAT_TYPES:
        return "float"
    if declared in _LIST_TYPES:
        return "list"
    if declared in _WS_LIST_TYPES:
        return "wslist"
    if declared:
        return "string"
    # Older releases do not return a type: infer one from the default value.
    default = str(setting.get("defaultvalue") or "").strip().lower()
    if default in ("true", "false"):
        return "boolean"
    return "string"


def _blank(value):
    return value is None or (isinstance(value, str) and value.strip() == "")


def normalize(value, kind, name="value"):
    """The string CloudStack should store for ``value``; raises SettingValueError when it does not fit."""
    if _blank(value) or (isinstance(value, (list, tuple)) and not value):
        return ""
    if kind == "boolean":
        if isinstance(value, bool):
            return "true" if value else "false"
        text = str(value).strip().lower()
        if text in _TRUE:
            return "true"
        if text in _FALSE:
            return "false"
        raise SettingValueError("%s must be true or false, got %r" % (name, value))
    if kind == "integer":
        if isinstance(value, bool) or isinstance(value, float) and not value.is_integer():
            raise SettingValueError("%s must be a whole number, got %r" % (name, value))
        try:
            return str(int(float(value)) if isinstance(value, float) else int(str(value).strip()))
        except ValueError:
            raise SettingValueError("%s must be a whole number, got %r" % (name, value))
    if kind == "float":
        if isinstance(value, bool):
            raise SettingValueError("%s must be a number, got %r" % (name, value))
        try:
            float(str(value).strip())
        except ValueError:
            raise SettingValueError("%s must be a number, got %r" % (name, value))
        return str(value).strip()
    if kind in ("list", "wslist"):
        sep = "," if kind == "list" else " "
        items = value if isinstance(value, (list, tuple)) else _split(str(value), kind)
        return sep.join(_scalar_text(item).strip() for item in items)
    if isinstance(value, (list, tuple, dict)):
        raise SettingValueError("%s must be a single value, got a %s" % (name, type(value).__name__))
    return _scalar_text(value)


def _scalar_text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _split(text, kind):
    parts = text.split(",") if kind == "list" else text.split()
    return [p.strip() for p in parts if p.strip()]


def canonical(value, kind):
    """A comparable form of a stored (string) value; values that do not parse compare as text."""
    if _blank(value):
        return ("empty",)
    text = str(value).strip()
    try:
        if kind == "boolean":
            return ("bool", normalize(text, kind))
        if kind == "integer":
            return ("num", float(int(text)))
        if kind == "float":
            return ("num", float(text))
    except (SettingValueError, ValueError):
        return ("text", text)
    if kind in ("list", "wslist"):
        return ("list", tuple(_split(text, kind)))
    return ("text", str(value))


def same_value(current, desired, kind):
    """Whether the stored ``current`` already equals the normalized ``desired``."""
    return canonical(current, kind) == canonical(desired, kind)


def scopes_of(setting):
    """The scopes a setting accepts, from the ``scope`` field of a global listing (may be a comma list)."""
    scope = str(setting.get("scope") or "global").lower()
    return [s.strip() for s in scope.split(",") if s.strip()]


def desired_settings(params):
    """``[(name, value), ...]`` from the module's ``name``/``value`` or ``settings`` options."""
    if params.get("settings"):
        settings = params["settings"]
        if isinstance(settings, dict):
            return [(str(k), v) for k, v in settings.items()]
        pairs = []
        for index, item in enumerate(settings):
            if not isinstance(item, dict) or "name" not in item:
                raise SettingValueError("settings[%d] must be a mapping with name and value" % index)
            unknown = set(item) - {"name", "value"}
            if unknown:
                raise SettingValueError("settings[%d] has unknown keys: %s" % (index, ", ".join(sorted(unknown))))
            pairs.append((str(item["name"]), item.get("value")))
        return pairs
    return [(params["name"], params.get("value"))]
