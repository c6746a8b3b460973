"""One-line messages: values shown quoted, escaped and shortened."""

from ansible_collections.csops.cloudstack.plugins.module_utils._host.errors import HostError, describe, one_line


def test_describe():
    assert describe("abc") == "'abc'"
    assert describe("a\nb\x1b") == "'a\\nb\\x1b'"
    assert describe(None) == "nothing"
    assert describe(-1) == "-1"
    long = describe("x" * 10000)
    assert long.startswith("'xxx") and long.endswith("...' (10000 characters)") and len(long) < 100
    assert describe("caf\udce9") == "'caf\\xe9'"


def test_host_error_is_one_line_and_keeps_its_result():
    error = HostError("a\nb", result={"changed": True})
    assert str(error) == "a\\nb" and error.result == {"changed": True}
    assert one_line("tab\there") == "tab\\there"
