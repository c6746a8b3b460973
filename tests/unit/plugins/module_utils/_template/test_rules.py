"""System VM template rules: input checks, readiness, progress, failures, identity (pure logic)."""

import pytest

from ansible_collections.csops.cloudstack.plugins.module_utils._api.errors import ValidationError
from ansible_collections.csops.cloudstack.plugins.module_utils._template.rules import (
    FAILED, MISSING, PENDING, READY, canonical_checksum, check_url, describe, failure_text, hypervisor_key,
    is_ready, is_settled, mismatches, overall, percent_of, row_state, same_checksum, zone_progress)


@pytest.mark.parametrize("given,key", [("KVM", "kvm"), ("kvm", "kvm"), ("XenServer", "xenserver"),
                                       ("VMware", "vmware"), ("Hyper-V", "hyperv"), ("hyperv", "hyperv")])
def test_hypervisor_key(given, key):
    assert hypervisor_key(given) == key


def test_unknown_hypervisor():
    with pytest.raises(ValidationError, match=r"^hypervisor bhyve is unknown \(expected one of Hyperv, KVM"):
        hypervisor_key("bhyve")


@pytest.mark.parametrize("a,b,same", [
    ("{MD5}ABCDEF01", "abcdef01", True),
    ("{SHA-512}abcd", "{sha512}ABCD", True),
    ("{SHA-512}abcd", "{MD5}abcd", False),
    ("abcd", "abce", False),
    (None, None, True),
    (None, "abcd", False),
])
def test_same_checksum(a, b, same):
    assert same_checksum(a, b) is same


def test_malformed_checksum():
    with pytest.raises(ValidationError, match="checksum must be hex digits.*got {MD5}not-hex$"):
        canonical_checksum("{MD5}not-hex")
    with pytest.raises(ValidationError, match="got ''$"):
        canonical_checksum("")


def test_stored_checksum_that_is_no_digest_differs():
    assert same_checksum("", "abcd") is False
    assert same_checksum("n/a", "abcd") is False


def test_mismatches_name_the_fields():
    tpl = {"url": "http://x/a.qcow2", "checksum": "{MD5}aa"}
    assert mismatches(tpl, "http://x/a.qcow2", "aa") == []
    assert mismatches(tpl, "http://x/a.qcow2", None) == []  # no checksum asked: not compared
    assert mismatches(tpl, "http://x/b.qcow2", "bb") == ["url", "checksum"]


@pytest.mark.parametrize("row,state,percent", [
    ({"isready": True, "status": "Download Complete"}, READY, 100),
    ({"isready": False, "status": "45% Downloaded"}, PENDING, 45),
    ({"isready": False, "status": "Installing Template"}, PENDING, None),
    ({"isready": False, "status": "Failed to download template from http://x: unable to connect"}, FAILED, None),
    ({"isready": False, "status": "Failed post download script: checksum does not match"}, FAILED, None),
    ({"isready": False, "status": "Download Error"}, FAILED, None),
    ({"isready": False, "status": "Processing"}, PENDING, None),
    ({"isready": False, "status": "Error?", "downloaddetails": [
        {"datastore": "s1", "downloadPercent": "30", "downloadState": "DOWNLOAD_IN_PROGRESS"}]}, PENDING, 30),
    ({"isready": False, "status": "whatever", "downloaddetails": [
        {"datastore": "s1", "downloadPercent": "100", "downloadState": "DOWNLOADED"},
        {"datastore": "s2", "downloadPercent": "0", "downloadState": "DOWNLOAD_ERROR"}]}, FAILED, 0),
])
def test_row_state_and_percent(row, state, percent):
    assert row_state(row) == state
    assert percent_of(row) == percent


def test_zone_progress_orders_by_wanted_zones_and_marks_missing():
    rows = [
        {"zoneid": "z2", "zonename": "zone2", "isready": False, "status": "10% Downloaded"},
        {"zoneid": "z1", "zonename": "zone1", "isready": True, "status": "Download Complete"},
    ]
    progress = zone_progress(rows, ["z1", "z2", "z3"], {"z3": "zone3"})
    assert [(p["zonename"], p["state"], p["percent"]) for p in progress] == [
        ("zone1", READY, 100), ("zone2", PENDING, 10), ("zone3", MISSING, None)]
    assert overall(progress) == PENDING
    assert describe(progress) == "zone1: Download Complete, zone2: 10% Downloaded, zone3: not started"


def test_overall_failed_wins_and_ready_needs_all():
    ready = {"zoneid": "z1", "zonename": "zone1", "state": READY, "status": "Download Complete"}
    failed = {"zoneid": "z2", "zonename": "zone2", "state": FAILED, "status": "Failed: 404"}
    assert overall([ready]) == READY
    assert overall([ready, failed]) == FAILED
    assert overall([]) == PENDING
    assert failure_text([ready, failed]) == "zone2: Failed: 404"


@pytest.mark.parametrize("url", [
    "http://download.example/systemvm.qcow2.bz2",
    "https://mirror.example:8443/~ops/systemvm-4.20.1.qcow2.bz2",
    "HTTP://10.0.0.1/a%20b.qcow2?x=1",
])
def test_check_url_accepts(url):
    check_url(url)


@pytest.mark.parametrize("url,message", [
    ("http:///x", "url http:///x names no host"),
    ("http://", "url http:// names no host"),
    ("ftp://mirror/x.qcow2", "url must be an http:// or https:// URL, got ftp://mirror/x.qcow2"),
    ("mirror/x.qcow2", "url must be an http:// or https:// URL"),
    ("http://mirror:port/x", "url http://mirror:port/x is not a valid URL"),
    ("http://[::1/x", "is not a valid URL"),
    ("http://mirror/a b.qcow2", "contains white space"),
    (" http://mirror/a.qcow2", "url ' http://mirror/a.qcow2' contains white space"),
    ("http:///" + "x" * 200, "url 'http:///xxxxxxxx"),
])
def test_check_url_refuses(url, message):
    with pytest.raises(ValidationError) as info:
        check_url(url)
    assert message in info.value.message
    assert len(info.value.message) < 120


def test_readiness_predicates():
    ready = {"zoneid": "z1", "zonename": "zone1", "state": READY, "status": "Download Complete"}
    pending = {"zoneid": "z2", "zonename": "zone2", "state": PENDING, "status": "10% Downloaded"}
    failed = dict(pending, state=FAILED)
    assert is_ready([ready]) and is_settled([ready])
    assert not is_ready([ready, pending]) and not is_settled([ready, pending])
    assert not is_ready([ready, failed]) and is_settled([ready, failed])
    assert not is_ready([]) and not is_settled([])
