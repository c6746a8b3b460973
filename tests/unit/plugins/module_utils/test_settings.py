"""Type-aware comparison of CloudStack setting values (pure logic)."""

import pytest

from ansible_collections.csops.cloudstack.plugins.module_utils.settings import (
    SettingValueError, desired_settings, kind_of, normalize, same_value, scopes_of)


@pytest.mark.parametrize("setting,kind", [
    ({"type": "Boolean"}, "boolean"), ({"type": "Integer"}, "integer"), ({"type": "Long"}, "integer"),
    ({"type": "Number"}, "integer"), ({"type": "Float"}, "float"), ({"type": "Decimal"}, "float"),
    ({"type": "CSV"}, "list"), ({"type": "Order"}, "list"), ({"type": "String"}, "string"),
    ({"defaultvalue": "true"}, "boolean"), ({"defaultvalue": "500"}, "string"), ({}, "string"),
])
def test_kind_of(setting, kind):
    assert kind_of(setting) == kind


@pytest.mark.parametrize("current,desired,kind,same", [
    ("true", True, "boolean", True), ("True", "yes", "boolean", True), ("false", True, "boolean", False),
    ("10", 10, "integer", True), ("10", "010", "integer", True), ("10", 11, "integer", False),
    ("1.5", 1.50, "float", True), ("2", "2.0", "float", True), ("2", 2.5, "float", False),
    ("a, b", ["a", "b"], "list", True), ("a,b", ["b", "a"], "list", False), ("", [], "list", True),
    (None, "", "string", True), ("", None, "string", True), ("x", "x ", "string", False),
    ("systemvm-4.19", "systemvm-4.20", "string", False), (None, True, "string", False),
])
def test_same_value(current, desired, kind, same):
    assert same_value(current, normalize(desired, kind), kind) is same


@pytest.mark.parametrize("value,kind,text", [
    (True, "boolean", "true"), ("OFF", "boolean", "false"), (3, "integer", "3"), (3.0, "integer", "3"),
    (["a", " b"], "list", "a,b"), (True, "string", "true"), (None, "integer", ""), (0.25, "float", "0.25"),
])
def test_normalize(value, kind, text):
    assert normalize(value, kind) == text


@pytest.mark.parametrize("value,kind", [("maybe", "boolean"), ("ten", "integer"), (1.5, "integer"),
                                        (True, "integer"), ("x", "float"), ({"a": 1}, "string")])
def test_values_that_do_not_fit_are_rejected(value, kind):
    with pytest.raises(SettingValueError):
        normalize(value, kind)


def test_scopes_of():
    assert scopes_of({"scope": "zone"}) == ["zone"]
    assert scopes_of({"scope": "Zone, Cluster"}) == ["zone", "cluster"]
    assert scopes_of({}) == ["global"]


def test_desired_settings_forms():
    assert desired_settings({"name": "a", "value": 1, "settings": None}) == [("a", 1)]
    assert desired_settings({"settings": {"a": 1, "b": "x"}}) == [("a", 1), ("b", "x")]
    assert desired_settings({"settings": [{"name": "a", "value": True}]}) == [("a", True)]
    with pytest.raises(SettingValueError):
        desired_settings({"settings": [{"name": "a", "valu": 1}]})
    with pytest.raises(SettingValueError):
        desired_settings({"settings": ["a"]})
