"""Error types: one-line messages, credentials scrubbed, values shortened, lost writes flagged (pure logic)."""

from ansible_collections.csops.cloudstack.plugins.module_utils._api.errors import (
    CloudStackError, TransportError, one_line, scrub, shorten)


def test_messages_are_one_line_and_scrubbed():
    error = CloudStackError("update setting a\nb: GET http://ms/client/api?apikey=KEY&signature=SIG failed")
    assert "\n" not in error.message and "a\\nb" in error.message
    assert "KEY" not in error.message and "SIG" not in error.message


def test_scrub_hides_credential_parameters_anywhere():
    text = scrub("x apikey=AAA&command=listZones secretkey=BBB password=CCC")
    assert "AAA" not in text and "BBB" not in text and "CCC" not in text


def test_shorten_keeps_plain_words_and_cuts_the_rest():
    assert shorten("kvm1") == "kvm1"
    assert shorten("") == "''"
    assert shorten(" x ") == "' x '"
    assert shorten("a\nb") == "'a\\nb'"
    long = shorten("x" * 10000)
    assert len(long) <= 60 and "..." in long
    assert shorten(12) == "12"


def test_one_line_escapes_control_characters():
    assert one_line("a\r\nb\tc") == "a\\r\\nb\\tc"


def test_lost_write_is_flagged_once_and_only_when_delivered():
    error = TransportError("updateConfiguration failed: HTTP 502", "updateConfiguration", status=502)
    error.mark_maybe_applied()
    error.mark_maybe_applied()
    assert error.message.count("the change may have been made") == 1
    assert error.to_result()["maybe_applied"] is True
    refused = TransportError("updateConfiguration failed: cannot reach http://ms", "updateConfiguration",
                             delivered=False)
    refused.mark_maybe_applied()
    assert not refused.maybe_applied and "may have been made" not in refused.message


def test_result_so_far_travels_with_the_error():
    error = CloudStackError("recreate system VM s-1-VM: late", result={"changed": True, "systemvms": [1]})
    assert error.result["systemvms"] == [1]
