"""registerTemplate / listTemplates: per-zone download progress, failures (URL conventions, template_fail fault)."""

import time

import pytest

from cssim import templates
from cssim.world import stable_id

OSTYPE = stable_id("ostype", "Debian GNU/Linux 12 (64-bit)")
URL = "http://download.lab.invalid/systemvmtemplate-4.20.1-x86_64-kvm.qcow2.bz2"
ZONE1, ZONE2 = stable_id("zone", "lab-zone1"), stable_id("zone", "lab-zone2")


def register(sim, name="systemvm-kvm-4.20.1", url=URL, **extra):
    params = dict(name=name, displaytext="SystemVM Template (KVM) 4.20.1", format="QCOW2", hypervisor="KVM",
                  url=url, ostypeid=OSTYPE, templatetype="SYSTEM", zoneid="-1")
    params.update(extra)
    return sim.ok("registerTemplate", **{k: v for k, v in params.items() if v is not None})


def rows(sim, name="systemvm-kvm-4.20.1", **filters):
    return sim.ok("listTemplates", templatefilter="all", name=name, **filters).get("template", [])


def wait_rows(sim, predicate, name="systemvm-kvm-4.20.1", timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = rows(sim, name)
        if found and predicate(found):
            return found
        time.sleep(0.05)
    raise AssertionError("templates never matched: %s" % rows(sim, name))


def test_register_cross_zone_answers_one_row_per_zone_at_once(sim):
    body = register(sim, checksum="{SHA-512}abc")
    assert body["count"] == 2
    assert {r["zonename"] for r in body["template"]} == {"lab-zone1", "lab-zone2"}
    for row in body["template"]:
        assert row["isready"] is False
        assert row["status"].endswith("% Downloaded")
        assert row["crossZones"] is True and row["templatetype"] == "SYSTEM"
        assert row["checksum"] == "{SHA-512}abc" and row["url"] == URL
        assert row["account"] == "admin" and row["hypervisor"] == "KVM" and row["format"] == "QCOW2"
        assert "size" not in row
    assert len({r["id"] for r in body["template"]}) == 1
    assert sim.control.write_calls(0)[-1]["command"] == "registerTemplate"


def test_download_progresses_then_completes(sim):
    sim.control.set_job_durations(templateDownload=2.5)
    register(sim, zoneid=ZONE1, passwordenabled="true", bits="64")
    seen = []
    final = wait_rows(sim, lambda found: (seen.append(found[0]["status"]) or found[0]["isready"]))
    [row] = final
    assert row["status"] == "Download Complete" and row["size"] > 0
    assert row["passwordenabled"] is True and row["bits"] == 64 and row["requireshvm"] is True
    assert row["zoneid"] == ZONE1 and row["crossZones"] is False
    percents = [int(s.split("%")[0]) for s in seen if s.endswith("% Downloaded")]
    assert len(set(percents)) >= 2 and percents == sorted(percents)
    assert "Installing Template" in seen
    assert rows(sim, zoneid=ZONE2) == []


def test_zoneids_and_isrouting(sim):
    body = register(sim, zoneid=None, zoneids="%s,%s" % (ZONE1, ZONE2), templatetype=None, isrouting="true")
    assert [r["templatetype"] for r in body["template"]] == ["ROUTING", "ROUTING"]
    assert {r["zoneid"] for r in body["template"]} == {ZONE1, ZONE2}


@pytest.mark.parametrize("params, text", [
    ({"zoneids": ZONE1}, "Both zoneid and zoneids cannot be specified at the same time"),
    ({"zoneid": None}, "Either zoneid or zoneids is required"),
    ({"zoneid": None, "zoneids": "-1,%s" % ZONE1}, "cannot combine all zones (-1)"),
    ({"ostypeid": None}, "guest OS type"),
    ({"format": "EXE"}, "Image format: EXE is incorrect"),
    ({"templatetype": "WEIRD"}, "valid template type"),
    ({"hypervisor": "Toaster"}, "Hypervisor Type: Toaster is invalid"),
    ({"ostypeid": "00000000-0000-4000-8000-000000000000"}, "Invalid parameter ostypeid"),
    ({"zoneid": "-2"}, "Invalid parameter zoneid"),
])
def test_register_refuses_bad_parameters(sim, params, text):
    call = dict(name="x-4.20.1", displaytext="x", format="QCOW2", hypervisor="KVM", url=URL, ostypeid=OSTYPE,
                zoneid="-1")
    call.update(params)
    resp = sim.call("registerTemplate", **{k: v for k, v in call.items() if v is not None})
    assert resp.status_code == 431, resp.text
    assert text in resp.json()["registertemplateresponse"]["errortext"]
    assert rows(sim, "x-4.20.1") == []


def test_bad_checksum_url_fails_after_the_download(sim):
    register(sim, url="http://download.lab.invalid/bad-checksum/systemvm-4.20.1.qcow2", checksum="{MD5}00ff")
    found = wait_rows(sim, lambda found: all(r["status"].startswith("Failed") for r in found))
    for row in found:
        assert row["isready"] is False
        assert row["status"].startswith("Failed post download script: checksum")
        assert "{MD5}00ff" in row["status"]


def test_unreachable_url_fails_early(sim):
    sim.control.set_job_durations(templateDownload=5)
    register(sim, url="http://unreachable.lab.invalid/systemvm-4.20.1.qcow2")
    found = wait_rows(sim, lambda found: all(r["status"].startswith("Failed") for r in found), timeout=2)
    assert found[0]["status"].startswith("Failed to download template from http://unreachable.lab.invalid/")


def test_template_fail_fault_before_registration_hits_one_zone(sim):
    sim.control.fail_template("systemvm-kvm-4.20.1", zone="lab-zone2",
                              status="Failed post download script: checksum mismatch (lab)")
    register(sim)
    found = wait_rows(sim, lambda found: all(r["isready"] or r["status"].startswith("Failed") for r in found))
    by_zone = {r["zonename"]: r for r in found}
    assert by_zone["lab-zone1"]["isready"] is True
    assert by_zone["lab-zone2"]["status"] == "Failed post download script: checksum mismatch (lab)"
    sim.control.clear_faults()
    assert rows(sim, zoneid=ZONE2)[0]["isready"] is False  # a failed download stays failed


def test_template_fail_fault_hits_a_running_download(sim):
    sim.control.set_job_durations(templateDownload=3)
    register(sim)
    sim.control.add_fault({"kind": "template_fail", "name": "systemvm-kvm-4.20.1", "at": "start"})
    found = rows(sim)
    assert all(r["status"].startswith("Failed post download script") for r in found)


def test_template_fail_fault_is_validated(sim):
    from cssim.control import ControlError
    with pytest.raises(ControlError):
        sim.control.add_fault("template_fail")
    with pytest.raises(ControlError):
        sim.control.add_fault("template_fail", name="x", zone="nowhere")


def test_version_rule():
    assert templates.version_from("systemvm-kvm-4.20.1") == "4.20.1"
    assert templates.version_from("SystemVM Template (KVM)", URL) == "4.20.1"
    assert templates.version_from("x86_64 template", "http://h/x86_64.qcow2") is None


def test_registered_router_template_version_shows_on_routers(sim):
    register(sim)
    wait_rows(sim, lambda found: all(r["isready"] for r in found))
    state = sim.control.state()
    tpl = next(t for t in state["templates"].values() if t["name"] == "systemvm-kvm-4.20.1")
    assert tpl["version"] == "4.20.1"


def test_download_continues_after_restart(fresh_sim):
    sim = fresh_sim
    sim.control.set_job_durations(templateDownload=1.0)
    register(sim, zoneid=ZONE1)
    sim.restart()
    [row] = wait_rows(sim, lambda found: found[0]["isready"])
    assert row["status"] == "Download Complete"
