# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Setting value and input rules (pure logic): type-aware comparison the way CloudStack stores values, the text
written for a YAML value, and the input refused before anything is sent."""

import pytest

from ansible_collections.csops.cloudstack.plugins.module_utils._settings.rules import (
    SettingValueError, check_name, desired_settings, kind_of, normalize, options_of, same_value)


@pytest.mark.parametrize("setting,kind", [
    ({"type": "Boolean"}, "boolean"), ({"type": "Integer"}, "integer"), ({"type": "Long"}, "integer"),
    ({"type": "Number"}, "integer"), ({"type": "Float"}, "float"), ({"type": "Decimal"}, "float"),
    ({"type": "CSV"}, "list"), ({"type": "Order"}, "list"), ({"type": "String"}, "string"),
    ({"type": "Select"}, "string"), ({"type": "WhitespaceSeparatedListWithOptions"}, "wslist"),
    ({"defaultvalue": "true"}, "boolean"), ({"defaultvalue": "500"}, "string"), ({}, "string"),
])
def test_kind_of(setting, kind):
    assert kind_of(setting) == kind


@pytest.mark.parametrize("current,desired,kind,same", [
    ("true", True, "boolean", True), ("True", "yes", "boolean", True), ("false", True, "boolean", False),
    ("10", 10, "integer", True), ("10", "010", "integer", True), ("10", 11, "integer", False),
    ("1.5", 1.50, "float", True), ("2", "2.0", "float", True), ("2", 2.5, "float", False),
    ("a, b", ["a", "b"], "list", True), ("a,b", ["b", "a"], "list", False), ("", [], "list", True),
    (None, "", "string", True), ("systemvm-4.19", "systemvm-4.20", "string", False), (None, True, "string", False),
    # CloudStack trims values and stores the word null as the empty value
    ("x", "x ", "string", True), ("x", "x\n", "string", True), ("x", "  x  ", "string", True),
    (None, "null", "string", True), ("", " null ", "string", True), ("", "null", "list", True),
    ("x y", "x y", "string", True), ("x y", "x  y", "string", False),
    ("10", " 10\n", "integer", True), ("true", "TRUE\n", "boolean", True),
])
def test_same_value(current, desired, kind, same):
    assert same_value(current, normalize(desired, kind), kind) is same


@pytest.mark.parametrize("value,kind,text", [
    (True, "boolean", "true"), ("OFF", "boolean", "false"), (3, "integer", "3"), (3.0, "integer", "3"),
    (["a", " b"], "list", "a,b"), ("a , b,", "list", "a,b"), (True, "string", "true"), (0.25, "float", "0.25"),
    ("tmpl\n", "string", "tmpl"), ("  tmpl ", "string", "tmpl"), ("null", "string", ""), ("", "string", ""),
    ("", "integer", ""), ([], "list", ""), (["a", 1, True], "list", "a,1,true"), (["a", "b"], "wslist", "a b"),
    ("+7", "integer", "7"), ("1e3", "float", "1e3"), (2 ** 63 - 1, "integer", "9223372036854775807"),
    ("-9223372036854775808", "integer", "-9223372036854775808"), ("x" * 4095 + "\n", "string", "x" * 4095),
])
def test_normalize(value, kind, text):
    assert normalize(value, kind) == text


@pytest.mark.parametrize("value,kind,scoped", [
    ("maybe", "boolean", False), ("ten", "integer", False), (1.5, "integer", False), (True, "integer", False),
    ("x", "float", False), ({"a": 1}, "string", False), (["a"], "string", False), (True, "float", False),
    # non-finite numbers
    (float("nan"), "float", False), (float("inf"), "float", False), (float("-inf"), "integer", False),
    ("nan", "float", False), ("inf", "float", False), ("Infinity", "float", False), ("-inf", "integer", False),
    (float("nan"), "string", False),
    # Python spellings CloudStack's Java parsing does not accept
    ("1_000", "integer", False), ("1_0.5", "float", False), ("\u0661\u0662", "integer", False),
    # numbers CloudStack cannot hold, and text too long to be read as a number
    (2 ** 63, "integer", False), ("-9223372036854775809", "integer", False), (1e300, "integer", False),
    ("9" * 10000, "integer", False), ("1e999", "float", False), ("9" * 10000, "float", False),
    # list items that are not single scalars
    (["a", ["b"]], "list", False), (["a", {"b": 1}], "list", False), (["a", None], "list", False),
    (["a", ""], "list", False), (["a,b"], "list", False), (["a b"], "wslist", False),
    # empty values CloudStack refuses
    ("", "boolean", False), ("null", "boolean", True), ("", "integer", True), (" ", "float", True),
    # more than CloudStack's configuration table holds
    ("x" * 4096, "string", False), (["x" * 2000, "y" * 2000, "z" * 100], "list", False),
    # missing values
    (None, "string", False), ("__omit_place_holder__1234abcd", "string", False),
])
def test_values_that_do_not_fit_are_rejected(value, kind, scoped):
    with pytest.raises(SettingValueError):
        normalize(value, kind, scoped=scoped)


def test_select_options():
    options = options_of({"type": "Select", "options": "random,firstfit"})
    assert options == ["random", "firstfit"]
    assert normalize(" firstfit\n", "string", options=options) == "firstfit"
    with pytest.raises(SettingValueError, match="must be one of random, firstfit, got best$"):
        normalize("best", "string", options=options)
    with pytest.raises(SettingValueError):
        normalize("", "string", options=options)
    assert options_of({"type": "String", "options": "a,b"}) is None


def test_messages_shorten_the_value_and_stay_one_line():
    with pytest.raises(SettingValueError) as error:
        normalize("x" * 10000 + "\nmore", "integer")
    assert len(str(error.value)) < 120 and "\n" not in str(error.value)


@pytest.mark.parametrize("name,message", [
    ("", "name must not be empty"), ("  ", "name must not be empty"), (None, "name must be a setting name"),
    (5, "name must be a setting name, got 5"), ("a\nb", r"name 'a\\nb' is not a setting name"),
    ("a b", "name a b is not a setting name: it contains spaces"),
    ("['nested']", r"name \['nested'\] is not a setting name: only letters"),
    ("router.template.kvm;", "is not a setting name: only letters"), ("x" * 10000, "longer than 255 characters"),
])
def test_bad_names(name, message):
    with pytest.raises(SettingValueError, match=message) as error:
        check_name(name)
    assert len(str(error.value)) < 150 and "\n" not in str(error.value)


def test_desired_settings_forms():
    assert desired_settings({"name": "a", "value": 1, "settings": None}) == [("a", 1)]
    assert desired_settings({"name": "a", "value": ""}) == [("a", "")]
    assert desired_settings({"settings": {"a": 1, "b": "x"}}) == [("a", 1), ("b", "x")]
    assert desired_settings({"settings": [{"name": "a", "value": True}]}) == [("a", True)]


@pytest.mark.parametrize("params,message", [
    ({"name": "a", "value": None}, "value is required with name"),
    ({"name": "a"}, "value is required with name"),
    ({"name": "a", "value": "__omit_place_holder__0123abc"}, "value is required with name"),
    ({"name": "", "value": 1}, "name must not be empty"),
    ({"settings": []}, "settings must be a non-empty mapping"),
    ({"settings": {}}, "settings must be a non-empty mapping"),
    ({"settings": "a=1"}, "settings must be a non-empty mapping"),
    ({"settings": {"a": None}}, "settings.a has no value"),
    ({"settings": {1: "x"}}, "settings key must be a setting name, got 1"),
    ({"settings": {"": "x"}}, "settings key must not be empty"),
    ({"settings": [{"name": "a", "valu": 1}]}, r"settings\[0\] has unknown keys: valu$"),
    ({"settings": ["a"]}, r"settings\[0\] must be a mapping with name and value, got a$"),
    ({"settings": [{"name": "a", "value": 1}, {"name": "b"}]}, r"settings\[1\] \(b\) has no value"),
    ({"settings": [{"value": 1}]}, r"settings\[0\].name must be a setting name"),
    ({"settings": [{"name": "a", "value": 1}, {"name": "a", "value": 2}]}, "a is given more than once"),
])
def test_desired_settings_refused(params, message):
    with pytest.raises(SettingValueError, match=message):
        desired_settings(params)
