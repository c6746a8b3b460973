"""agent.properties text: parsing and edits keep every other byte."""

import pytest

from ansible_collections.csops.cloudstack.plugins.module_utils._agent import properties
from ansible_collections.csops.cloudstack.plugins.module_utils._agent.properties import PropertiesError

TEXT = (
    "#Storage\n"
    "#Mon Jan 01 00:00:00 UTC 2024\n"
    "guid=1e2f\n"
    "\n"
    "! bang comment\n"
    "host = 10.0.0.1\n"
    "port:8250\n"
    "resource com.cloud.hypervisor.kvm.resource.LibvirtComputingResource\n"
    "long.value=a\\\n"
    "    b\n"
    "#keystore.passphrase=old\n"
    "keystore.passphrase=s3cret\n"
)


def test_parse_round_trips_and_reads_values():
    entries = properties.parse(TEXT)
    assert "".join("".join(e.lines) for e in entries) == TEXT
    assert properties.values(TEXT) == {
        "guid": "1e2f", "host": "10.0.0.1", "port": "8250",
        "resource": "com.cloud.hypervisor.kvm.resource.LibvirtComputingResource",
        "long.value": None, "keystore.passphrase": "s3cret",
    }
    assert properties.commented_keys(TEXT) == ["keystore.passphrase"]


def test_edit_keeps_other_lines():
    new, changed = properties.edit(TEXT, {"host": "10.0.0.2", "port": "8250", "zone": "1"}, ["guid"])
    assert changed == ["guid", "host", "zone"]
    assert new == TEXT.replace("guid=1e2f\n", "").replace("host = 10.0.0.1", "host=10.0.0.2") + "zone=1\n"
    again, changed_again = properties.edit(new, {"host": "10.0.0.2", "port": "8250", "zone": "1"}, ["guid"])
    assert (again, changed_again) == (new, [])


def test_duplicates_collapse_to_one_line_and_continued_values_are_replaced():
    text = "a=1\nb=2\na=3\n"
    assert properties.edit(text, {"a": "3"}, []) == ("a=3\nb=2\n", ["a"])
    assert properties.edit(text, {"a": "1"}, []) == ("a=1\nb=2\n", ["a"])
    assert properties.edit(TEXT, {"long.value": "ab"}, [])[0].count("long.value=ab\n#keystore") == 1


def test_no_trailing_newline_and_crlf():
    assert properties.edit("a=1", {"b": "2"}, []) == ("a=1\nb=2\n", ["b"])
    assert properties.edit("a=1\r\n", {"a": "2"}, []) == ("a=2\r\n", ["a"])


def test_masked_hides_secret_values_even_in_comments():
    shown = properties.masked(TEXT, {"keystore.passphrase"})
    assert "s3cret" not in shown and "old" not in shown
    assert shown.count(properties.MASK) == 2
    assert shown.replace("keystore.passphrase=" + properties.MASK, "") == \
        TEXT.replace("keystore.passphrase=s3cret", "").replace("keystore.passphrase=old", "")


@pytest.mark.parametrize("key", ["", "a b", "a=b", "a\nb", 5])
def test_bad_keys(key):
    with pytest.raises(PropertiesError, match="^x: not a property name"):
        properties.check_key("x", key)


@pytest.mark.parametrize("value, message", [
    ("a\nb", "must not contain line breaks"),
    (" a", "must not start or end with blanks"),
    ("a\\", "must not end with a backslash"),
    ([1], "must be a string, number or boolean"),
])
def test_bad_values(value, message):
    with pytest.raises(PropertiesError, match=message):
        properties.check_value("properties", "k", value)


def test_values_of_scalars():
    assert properties.check_value("p", "k", True) == "true"
    assert properties.check_value("p", "k", 16514) == "16514"


def test_a_bad_secret_value_is_not_shown():
    with pytest.raises(PropertiesError) as error:
        properties.check_value("secret_properties", "x", "pass\nword")
    assert "pass" not in str(error.value).replace("secret_properties", "")
