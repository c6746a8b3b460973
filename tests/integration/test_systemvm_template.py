"""csops.cloudstack.systemvm_template through real playbook runs against the lab: check mode, register and wait
with progress, idempotence, router.template.kvm per zone and globally, failed downloads, bad input; the
simulator's request log proves which calls were made."""

import pytest
from cs import CloudStack

NEW = "systemvm-kvm-4.20.1"
NEW_URL = "http://download.lab.invalid/systemvmtemplate-4.20.1-x86_64-kvm.qcow2.bz2"
OLD = "systemvm-kvm-4.19.0"
SETTING = "router.template.kvm"
ZONES = ("lab-zone1", "lab-zone2")


@pytest.fixture(scope="module", autouse=True)
def fresh_state(request):
    control = request.getfixturevalue("control")
    control.reset()
    control.set_job_durations(templateDownload=2.0)
    yield
    control.reset()


@pytest.fixture(scope="module")
def api(lab_env):
    return CloudStack(endpoint=lab_env["CLOUDSTACK_ENDPOINT"], key=lab_env["CLOUDSTACK_KEY"],
                      secret=lab_env["CLOUDSTACK_SECRET"], fetch_result=False)


def writes(control, mark):
    return [r["command"] for r in control.write_calls(mark)]


def template_rows(api, name):
    return [t for t in (api.listTemplates(templatefilter="all", name=name).get("template") or [])
            if t["name"] == name]


def value_of(ansible, name, **scope):
    result = ansible.module("setting_info", dict(names=[name], **scope))
    assert not result.get("failed"), result.get("msg")
    return result["settings"][0]["value"]


def args(**extra):
    base = {"name": NEW, "url": NEW_URL, "hypervisor": "kvm", "wait_timeout": 60}
    base.update(extra)
    return base


def test_check_mode_registers_nothing(ansible, control, api):
    mark = control.mark()
    result = ansible.module("systemvm_template", args(set_router_template=True), check=True, diff=True)
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is True and result["template"] is None
    assert result["diff"]["before"]["template"] is None and result["diff"]["after"]["template"]["name"] == NEW
    assert {(s["scope"], s["zone"], s["after"]) for s in result["settings"]} == {
        ("global", None, NEW), ("zone", "lab-zone1", NEW), ("zone", "lab-zone2", NEW)}
    assert writes(control, mark) == []
    assert template_rows(api, NEW) == []
    assert value_of(ansible, SETTING) == OLD


def test_register_waits_with_progress_and_sets_router_template(ansible, control, api):
    mark = control.mark()
    result = ansible.module("systemvm_template", args(set_router_template=True), diff=True)
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is True
    assert result["template"]["ready"] is True and result["template"]["crosszones"] is True
    assert [(d["zonename"], d["state"], d["status"]) for d in result["download"]] == [
        ("lab-zone1", "ready", "Download Complete"), ("lab-zone2", "ready", "Download Complete")]
    statuses = [p["status"] for p in result["progress"]]
    assert any(s.endswith("% Downloaded") for s in statuses), statuses
    assert statuses.count("Download Complete") == 2
    assert result["waited"] > 0
    assert writes(control, mark) == ["registerTemplate"] + ["updateConfiguration"] * 3
    assert result["restart_required"] is False  # router.template.* is dynamic in CloudStack (and the lab)
    assert result["diff"]["after"]["settings"] == {SETTING: NEW, SETTING + "@lab-zone1": NEW,
                                                   SETTING + "@lab-zone2": NEW}
    rows = template_rows(api, NEW)
    assert sorted(r["zonename"] for r in rows) == list(ZONES)
    assert all(r["isready"] and r["templatetype"] == "SYSTEM" and r["url"] == NEW_URL for r in rows)
    # the OS type was taken from the existing system VM template
    assert rows[0]["ostypeid"] == template_rows(api, OLD)[0]["ostypeid"]
    assert value_of(ansible, SETTING) == NEW
    for zone in ZONES:
        assert value_of(ansible, SETTING, zone=zone) == NEW


def test_second_run_changes_nothing(ansible, control):
    mark = control.mark()
    result = ansible.module("systemvm_template", args(set_router_template=True, hypervisor="KVM"))
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is False
    assert result["template"]["ready"] is True and result["progress"] == [] and result["waited"] == 0
    assert all(not s["changed"] for s in result["settings"])
    assert writes(control, mark) == []


def test_zone_bound_template_and_no_wait(ansible, control, api):
    name = "systemvm-kvm-4.20.2"
    mark = control.mark()
    first = ansible.module("systemvm_template", {"name": name, "url": NEW_URL.replace("4.20.1", "4.20.2"),
                                                 "hypervisor": "KVM", "zones": ["lab-zone2"], "wait": False})
    assert not first.get("failed"), first.get("msg")
    assert first["changed"] is True and first["template"]["ready"] is False
    assert [d["state"] for d in first["download"]] == ["pending"]
    assert writes(control, mark) == ["registerTemplate"]
    assert [r["zonename"] for r in template_rows(api, name)] == ["lab-zone2"]
    # a later run waits for the download it did not start, and registers nothing
    mark = control.mark()
    second = ansible.module("systemvm_template", {"name": name, "url": NEW_URL.replace("4.20.1", "4.20.2"),
                                                  "hypervisor": "KVM", "zones": ["lab-zone2"]})
    assert second["changed"] is False and second["template"]["ready"] is True, second.get("msg")
    assert writes(control, mark) == []
    # it is not in zone1, and the module says so rather than registering a second copy
    third = ansible.module("systemvm_template", {"name": name, "url": NEW_URL.replace("4.20.1", "4.20.2"),
                                                 "hypervisor": "KVM", "zones": ["lab-zone1", "lab-zone2"]})
    assert third["failed"] is True
    assert third["msg"].startswith("register template %s: already registered (id " % name)
    assert third["msg"].endswith("but not in lab-zone1; copy it there in CloudStack or use a new name")


def test_unreachable_url_fails_with_status_text_and_leaves_settings(ansible, control):
    name = "systemvm-kvm-4.21.0"
    url = "http://unreachable.lab.invalid/systemvmtemplate-4.21.0-kvm.qcow2.bz2"
    mark = control.mark()
    result = ansible.module("systemvm_template", {"name": name, "url": url, "hypervisor": "kvm",
                                                  "set_router_template": True, "wait_timeout": 60})
    assert result["failed"] is True
    assert result["msg"].startswith("register template %s: download failed: lab-zone1: Failed to download "
                                    "template from %s" % (name, url)), result["msg"]
    assert "\n" not in result["msg"]
    assert [d["state"] for d in result["download"]] == ["failed", "failed"]
    assert writes(control, mark) == ["registerTemplate"]
    assert value_of(ansible, SETTING) == NEW
    # run again: nothing is registered twice, and it still fails with the same text
    mark = control.mark()
    again = ansible.module("systemvm_template", {"name": name, "url": url, "hypervisor": "kvm",
                                                 "set_router_template": True})
    assert again["failed"] is True and again["msg"] == result["msg"]
    assert writes(control, mark) == []


def test_checksum_failure_at_the_end_of_the_download(ansible, control):
    name = "systemvm-kvm-4.21.1"
    control.add_fault({"kind": "template_fail", "name": name, "zone": "lab-zone2",
                       "status": "Failed post download script: checksum mismatch"})
    result = ansible.module("systemvm_template", {"name": name, "url": NEW_URL.replace("4.20.1", "4.21.1"),
                                                  "hypervisor": "kvm", "set_router_template": True})
    assert result["failed"] is True
    assert result["msg"] == ("register template %s: download failed: lab-zone2: Failed post download script: "
                             "checksum mismatch" % name)
    assert value_of(ansible, SETTING, zone="lab-zone1") == NEW


def test_wait_timeout_reports_progress(ansible, control):
    control.set_job_durations(templateDownload=30.0)
    try:
        name = "systemvm-kvm-4.21.2"
        result = ansible.module("systemvm_template", {"name": name, "url": NEW_URL.replace("4.20.1", "4.21.2"),
                                                      "hypervisor": "kvm", "wait_timeout": 2})
    finally:
        control.set_job_durations(templateDownload=2.0)
    assert result["failed"] is True
    assert result["msg"].startswith("register template %s: not ready within wait_timeout (2s): lab-zone1: " % name)
    assert result["msg"].endswith("; the download goes on in CloudStack")
    assert result["changed"] is True and result["template"]["ready"] is False
    assert "% Downloaded" in result["msg"]


@pytest.mark.parametrize("extra,message", [
    ({"hypervisor": "bhyve"}, "register template %s: hypervisor bhyve is unknown (expected one of "
                              "Hyperv, KVM, LXC, Ovm3, VMware, XenServer)" % NEW),
    ({"url": NEW_URL.replace("4.20.1-x86_64", "4.20.1-other")},
     "register template %s: already registered (id " % NEW),
    ({"checksum": "{MD5}0123456789abcdef0123456789abcdef"}, "register template %s: already registered (id " % NEW),
    ({"checksum": "not-a-checksum"}, "register template %s: checksum must be hex digits" % NEW),
    ({"url": "ftp://download.lab.invalid/x.qcow2"}, "register template %s: url must be an http:// or https:// URL"
                                                    % NEW),
    ({"zones": ["no-such-zone"]}, "register template %s: zone no-such-zone: not found" % NEW),
    ({"url": "http:///x"}, "register template %s: url http:///x names no host" % NEW),
    ({"url": "http://"}, "register template %s: url http:// names no host" % NEW),
    ({"checksum": ""}, "checksum must not be empty (leave it out instead)"),
    ({"name": ""}, "name must not be empty (leave it out instead)"),
    ({"zones": []}, "zones must not be an empty list (leave it out instead)"),
    ({"zones": ["lab-zone1", ""]}, "zones[1] must not be empty"),
    ({"wait": False}, "register template %s: set_router_template=true needs wait=true" % NEW),
    ({"wait_timeout": -1}, "wait_timeout must be between 1 and"),
])
def test_bad_input_is_one_line_and_writes_nothing(ansible, control, extra, message):
    mark = control.mark()
    result = ansible.module("systemvm_template", args(set_router_template=True, **extra))
    assert result["failed"] is True and result["changed"] is False
    assert result["msg"].startswith(message), result["msg"]
    assert "\n" not in result["msg"]
    assert writes(control, mark) == []


def test_other_url_or_checksum_is_named(ansible):
    result = ansible.module("systemvm_template", args(url=NEW_URL + ".v2",
                                                      checksum="{MD5}0123456789abcdef0123456789abcdef"))
    assert result["msg"].endswith("with another url and checksum; register the new image under a new name")


def test_url_with_tilde_registers(ansible, control, api):
    """A mirror path under a user's home (``~ops``): the request is signed the way CloudStack checks it, the
    template registers, and the URL is stored as given; a second run changes nothing."""
    name = "systemvm-kvm-4.21.9"
    url = "http://mirror.lab.invalid/~ops/systemvm/systemvmtemplate-4.21.9-x86_64-kvm.qcow2.bz2"
    mark = control.mark()
    result = ansible.module("systemvm_template", {"name": name, "url": url, "hypervisor": "kvm", "wait_timeout": 60})
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is True and result["template"]["ready"] is True
    assert writes(control, mark) == ["registerTemplate"]
    assert {r["url"] for r in template_rows(api, name)} == {url}
    again = ansible.module("systemvm_template", {"name": name, "url": url, "hypervisor": "kvm"})
    assert again["changed"] is False, again.get("msg")
