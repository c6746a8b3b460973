# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rules for CloudStack setting values and for the input that names them. Pure functions; nothing here talks to
CloudStack.

CloudStack stores every value as text. ``updateConfiguration`` trims the value it is given, stores a blank value
or the word ``null`` as an empty value, lowercases booleans, and refuses an empty boolean, an empty number at a
non-global scope, and a value outside a select setting's options. A playbook writes values as YAML (booleans,
numbers, lists). To be idempotent the collection turns a wanted value into the text CloudStack would store
(``normalize``) and compares values by the setting's type (``same_value``): ``true`` equals ``"True"``, ``10``
equals ``"010"``, ``1.50`` equals ``"1.5"``, ``[a, b]`` equals ``"a, b"``, ``" x\\n"`` equals ``"x"``, and
``"null"``, ``""`` and an unset value are all the empty value.
"""

from __future__ import annotations

import math
import re

from .._api.errors import shorten

# listConfigurations / updateConfiguration parameter naming the object of each scope.
SCOPE_PARAMS = {
    "zone": "zoneid",
    "cluster": "clusterid",
    "account": "accountid",
    "domain": "domainid",
    "storagepool": "storageid",
    "imagestore": "imagestoreuuid",
}

# Module option -> scope, in the order the options are documented.
SCOPE_OPTIONS = (
    ("zone", "zone"),
    ("cluster", "cluster"),
    ("account_id", "account"),
    ("domain_id", "domain"),
    ("storage_id", "storagepool"),
    ("image_store_id", "imagestore"),
)

# CloudStack's configuration table: name is a varchar(255), value a varchar(4095).
MAX_NAME_LENGTH = 255
MAX_VALUE_LENGTH = 4095

_BOOLEAN_TYPES = ("boolean",)
_INTEGER_TYPES = ("integer", "long", "short", "number")
_FLOAT_TYPES = ("float", "double", "decimal", "range")
_LIST_TYPES = ("csv", "order", "list")
_WS_LIST_TYPES = ("whitespaceseparatedlistwithoptions",)
_LIST_SEPARATOR = {"list": ",", "wslist": " "}

_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")

# The range of a Java long, CloudStack's widest whole-number setting type, and the longest number text read.
MIN_LONG = -(2 ** 63)
MAX_LONG = 2 ** 63 - 1
_MAX_NUMBER_TEXT = 400

# Every CloudStack setting name is made of these (router.template.kvm, consoleproxy.sslEnabled ...).
_NAME_RE = re.compile(r"^[A-Za-z0-9._-]+$")
_INTEGER_RE = re.compile(r"^[+-]?[0-9]+$")
_DECIMAL_RE = re.compile(r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$")

# What Ansible 2.17/2.18 leaves in nested data for ``default(omit)`` (later releases drop the key instead).
_OMIT_PREFIX = "__omit_place_holder__"


class SettingValueError(ValueError):
    """A setting name, a wanted value or the shape of the task's settings is not acceptable."""


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


def options_of(setting):
    """The values a select setting accepts (its ``options``), or None when any value of its type goes."""
    if str(setting.get("type") or "").strip().lower() != "select" or not setting.get("options"):
        return None
    return [o.strip() for o in str(setting["options"]).split(",")]


def is_omitted(value):
    """Whether a wanted value is missing: None (left out, ``null``, ``default(omit)``) or Ansible's omit mark."""
    return value is None or (isinstance(value, str) and value.startswith(_OMIT_PREFIX))


def is_empty_text(text):
    """Whether stored or wanted text is what CloudStack keeps as the empty value."""
    return text is None or str(text).strip() in ("", "null")


def normalize(value, kind, scoped=False, options=None, what="value"):
    """The text CloudStack stores for ``value`` in a setting of ``kind`` (at a non-global scope when ``scoped``).

    Raises SettingValueError, naming ``what``, when CloudStack would refuse the value or it cannot be told
    apart from another one: a missing value, a mapping, a list for a setting that is not a list, a list item
    that is not a scalar, a non-finite number, a number that does not fit the type, an empty value where
    CloudStack refuses one, a value longer than CloudStack stores."""
    text = _normalize(value, kind, scoped, options, what)
    if len(text) > MAX_VALUE_LENGTH:
        raise SettingValueError("%s is longer than %d characters, the most CloudStack stores (got %d)"
                                % (what, MAX_VALUE_LENGTH, len(text)))
    return text


def _normalize(value, kind, scoped, options, what):
    if is_omitted(value):
        raise SettingValueError('%s is missing; give "" to empty the setting' % what)
    if isinstance(value, dict):
        raise SettingValueError("%s must be a single value, got a mapping" % what)
    if isinstance(value, (list, tuple)):
        if kind not in _LIST_SEPARATOR:
            raise SettingValueError("%s must be a single value, got a list" % what)
        return _join(value, kind, what)
    text = _scalar_text(value, what).strip()
    if is_empty_text(text):
        return _empty(kind, scoped, options, what)
    if kind == "boolean":
        if text.lower() in _TRUE:
            return "true"
        if text.lower() in _FALSE:
            return "false"
        raise SettingValueError("%s must be true or false, got %s" % (what, shorten(value)))
    if kind == "integer":
        if isinstance(value, float):
            number = int(value) if value.is_integer() else None
        else:
            number = None if isinstance(value, bool) else _as_int(text)
        if number is None:
            raise SettingValueError("%s must be a whole number, got %s" % (what, shorten(value)))
        if not MIN_LONG <= number <= MAX_LONG:
            raise SettingValueError("%s is out of range for a whole number, got %s" % (what, shorten(value)))
        return str(number)
    if kind == "float":
        number = None if isinstance(value, bool) else _as_float(text)
        if number is None:
            raise SettingValueError("%s must be a number, got %s" % (what, shorten(value)))
        if not math.isfinite(number):
            raise SettingValueError("%s must be a finite number, got %s" % (what, shorten(value)))
        return text
    if kind in _LIST_SEPARATOR:
        return _join(_split(text, kind), kind, what)
    if options is not None and text not in options:
        raise SettingValueError("%s must be one of %s, got %s" % (what, ", ".join(options), shorten(value)))
    return text


def _empty(kind, scoped, options, what):
    if kind == "boolean":
        raise SettingValueError("%s must be true or false, got an empty value" % what)
    if scoped and kind in ("integer", "float"):
        raise SettingValueError("%s must be a number, got an empty value (CloudStack keeps no empty number at "
                                "this scope)" % what)
    if options is not None and "" not in options:
        raise SettingValueError("%s must be one of %s, got an empty value" % (what, ", ".join(options)))
    return ""


def _scalar_text(value, what):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise SettingValueError("%s must be a finite number, got %s" % (what, shorten(value)))
        return repr(value)
    if isinstance(value, (int, str)):
        return str(value)
    raise SettingValueError("%s must be text, a number or a boolean, got %s" % (what, shorten(value)))


def _as_int(text):
    """``text`` as a whole number, or None when it is not one (or too long to be a Java long)."""
    if len(text) > _MAX_NUMBER_TEXT or not _INTEGER_RE.match(text):
        return None
    return int(text)


def _as_float(text):
    """``text`` as a decimal number (possibly not finite), or None when it is not one."""
    if len(text) > _MAX_NUMBER_TEXT or not _DECIMAL_RE.match(text):
        return None
    return float(text)


def _join(items, kind, what):
    sep = _LIST_SEPARATOR[kind]
    texts = []
    for index, item in enumerate(items):
        where = "%s[%d]" % (what, index)
        if isinstance(item, (dict, list, tuple)) or item is None:
            raise SettingValueError("%s must be text, a number or a boolean, got %s" % (where, shorten(item)))
        text = _scalar_text(item, where).strip()
        if not text:
            raise SettingValueError("%s must not be empty" % where)
        if (sep == "," and "," in text) or (sep == " " and len(text.split()) > 1):
            raise SettingValueError("%s must be one item, got %s" % (where, shorten(item)))
        texts.append(text)
    return sep.join(texts)


def _split(text, kind):
    parts = text.split(",") if kind == "list" else text.split()
    return [p.strip() for p in parts if p.strip()]


def canonical(value, kind):
    """A comparable form of stored (or normalized) text; text that does not parse compares as trimmed text."""
    if is_empty_text(value):
        return ("empty",)
    text = str(value).strip()
    if kind == "boolean" and text.lower() in _TRUE + _FALSE:
        return ("bool", text.lower() in _TRUE)
    if kind == "integer" and _as_int(text) is not None:
        return ("num", _as_int(text))
    if kind == "float" and _as_float(text) is not None:
        return ("num", _as_float(text))
    if kind in _LIST_SEPARATOR:
        return ("list", tuple(_split(text, kind)))
    return ("text", text)


def same_value(current, desired, kind):
    """Whether the stored ``current`` already equals the normalized ``desired``."""
    return canonical(current, kind) == canonical(desired, kind)


def check_name(name, what="name"):
    """``name`` when it can be a setting name; SettingValueError naming ``what`` otherwise."""
    if not isinstance(name, str):
        raise SettingValueError("%s must be a setting name, got %s" % (what, shorten(name)))
    if not name.strip():
        raise SettingValueError("%s must not be empty" % what)
    if len(name) > MAX_NAME_LENGTH:
        raise SettingValueError("%s %s is not a setting name: longer than %d characters"
                                % (what, shorten(name), MAX_NAME_LENGTH))
    if any(ch.isspace() or not ch.isprintable() for ch in name):
        raise SettingValueError("%s %s is not a setting name: it contains spaces or control characters"
                                % (what, shorten(name)))
    if not _NAME_RE.match(name):
        raise SettingValueError("%s %s is not a setting name: only letters, digits, '.', '_' and '-'"
                                % (what, shorten(name)))
    return name


def desired_settings(params):
    """``[(name, value), ...]`` from the ``name``/``value`` or ``settings`` options, in the order given.

    Raises SettingValueError for a bad shape, a bad name, a missing value or a name given twice."""
    settings = params.get("settings")
    if settings is None:
        name = check_name(params.get("name"))
        if is_omitted(params.get("value")):
            raise SettingValueError('value is required with name (omitted or null); give value: "" to empty '
                                    'the setting')
        return [(name, params["value"])]
    if isinstance(settings, dict) and settings:
        pairs = [(check_name(key, "settings key"), value) for key, value in settings.items()]
        for name, value in pairs:
            if is_omitted(value):
                raise SettingValueError('settings.%s has no value (omitted or null); give "" to empty the setting'
                                        % name)
    elif isinstance(settings, list) and settings:
        pairs = [_list_item(index, item) for index, item in enumerate(settings)]
    else:
        raise SettingValueError("settings must be a non-empty mapping of name to value or list of mappings")
    seen = set()
    for name, _value in pairs:
        if name in seen:
            raise SettingValueError("settings: %s is given more than once" % name)
        seen.add(name)
    return pairs


def _list_item(index, item):
    where = "settings[%d]" % index
    if not isinstance(item, dict):
        raise SettingValueError("%s must be a mapping with name and value, got %s" % (where, shorten(item)))
    unknown = sorted(str(key) for key in set(item) - {"name", "value"})
    if unknown:
        raise SettingValueError("%s has unknown keys: %s" % (where, shorten(", ".join(unknown))))
    name = check_name(item.get("name"), where + ".name")
    if is_omitted(item.get("value")):
        raise SettingValueError('%s (%s) has no value (omitted or null); give value: "" to empty the setting'
                                % (where, name))
    return name, item["value"]
