"""System VM template rows: readiness, progress, failures, identity (pure logic)."""

import pytest

from ansible_collections.csops.cloudstack.plugins.module_utils.templates import (
    FAILED, MISSING, PENDING, READY, TemplateSpecError, canonical_checksum, describe, failure_text, hypervisor_key,
    mismatches, overall, percent_of, row_state, same_checksum, zone_progress)


@pytest.mark.parametrize("given,key", [("KVM", "kvm"), ("kvm", "kvm"), ("XenServer", "xenserver"),
                                       ("VMware", "vmware"), ("Hyper-V", "hyperv"), ("hyperv", "hyperv")])
def test_hypervisor_key(given, key):
    assert hypervisor_key(given) == key


def test_unknown_hypervisor():
    with pytest.raises(TemplateSpecError, match="unknown hypervisor 'bhyve'"):
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
    with pytest.raises(TemplateSpecError, match="checksum must be hex digits"):
        canonical_checksum("{MD5}not-hex")


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
