"""The read-only modules against the lab: filters, stable keys, names resolved to ids, no writes."""

import pytest
import yaml

from conftest import REPO

TOPOLOGY = yaml.safe_load(open(REPO + "/tests/lab/topology.yml"))


@pytest.fixture(scope="module", autouse=True)
def fresh_state(request):
    request.getfixturevalue("control").reset()


def test_host_info_lists_the_topology(ansible, control):
    mark = control.mark()
    result = ansible.module("host_info")
    names = [h["name"] for h in result["hosts"]]
    expected = sorted(h["name"] for z in TOPOLOGY["zones"] for p in z["pods"] for c in p["clusters"]
                      for h in c["hosts"])
    assert names == expected
    kvm1 = result["hosts"][0]
    assert kvm1["ipaddress"] == "10.250.0.11" and kvm1["state"] == "Up" and kvm1["hypervisor"] == "KVM"
    assert set(kvm1) == set(result["hosts"][1])
    assert control.write_calls(mark) == []


@pytest.mark.parametrize("args,names", [
    ({"zone": "lab-zone1"}, ["kvm1", "kvm2", "kvm4", "kvm5", "kvm6"]),
    ({"pod": "lab-pod2"}, ["kvm2", "kvm6"]),
    ({"cluster": "lab-cluster3"}, ["kvm3"]),
    ({"name": "kvm2"}, ["kvm2"]),
    ({"state": "Down"}, []),
])
def test_host_info_filters(ansible, args, names):
    assert [h["name"] for h in ansible.module("host_info", args)["hosts"]] == names


def test_host_info_bad_zone_is_one_line(ansible):
    result = ansible.module("host_info", {"zone": "atlantis"})
    assert result["failed"] is True and result["msg"] == "zone atlantis: not found"


def test_systemvm_info(ansible):
    result = ansible.module("systemvm_info", {"zone": "lab-zone1", "type": "consoleproxy"})
    assert [vm["name"] for vm in result["systemvms"]] == ["v-2-VM"]
    vm = result["systemvms"][0]
    assert vm["linklocalip"] == "169.254.10.12" and vm["hostname"] == "kvm2" and vm["state"] == "Running"
    assert vm["version"]
    every = ansible.module("systemvm_info")["systemvms"]
    assert len(every) == len(TOPOLOGY["systemvms"])


def test_router_info(ansible):
    routers = ansible.module("router_info")["routers"]
    assert [r["name"] for r in routers] == sorted(r["name"] for r in TOPOLOGY["routers"])
    assert all(r["requiresupgrade"] is True and r["version"] == "4.19.0" for r in routers)
    upgraded = ansible.module("router_info", {"requires_upgrade": False})["routers"]
    assert upgraded == []
    zone2 = ansible.module("router_info", {"zone": "lab-zone2"})["routers"]
    assert [r["name"] for r in zone2] == ["r-12-VM"]
    by_account = ansible.module("router_info", {"account": "tenant1"})["routers"]
    assert [r["name"] for r in by_account] == ["r-11-VM"]


def test_setting_info(ansible):
    result = ansible.module("setting_info", {"names": ["default.page.size", "router.template.kvm"]})
    by_name = {s["name"]: s for s in result["settings"]}
    assert by_name["default.page.size"]["value"] == "500" and by_name["default.page.size"]["is_default"] is True
    assert by_name["router.template.kvm"]["value"] == "systemvm-kvm-4.19.0"
    missing = ansible.module("setting_info", {"names": ["no.such.setting"]})
    assert missing["failed"] is True and missing["msg"] == "read setting no.such.setting: no such setting"


def test_cloud_report_playbook(ansible, control, tmp_path):
    mark = control.mark()
    report = tmp_path / "report.txt"
    proc = ansible.playbook(REPO + "/playbooks/cloud_report.yml", extra_vars={"cloud_report_file": str(report)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = report.read_text()
    for needle in ("Hypervisor hosts (6, 6 up)", "kvm1", "s-1-VM", "v-2-VM", "r-10-VM", "REQUIRES UPGRADE",
                   "link-local 169.254.10.21", "Virtual routers (3, 3 require upgrade)"):
        assert needle in text
    assert control.write_calls(mark) == []


@pytest.mark.parametrize("module,args,option", [
    ("host_info", {"zone": ""}, "zone"),
    ("host_info", {"name": ""}, "name"),
    ("router_info", {"account": ""}, "account"),
    ("systemvm_info", {"id": " "}, "id"),
])
def test_info_empty_selector_is_an_error_not_everything(ansible, module, args, option):
    result = ansible.module(module, args)
    assert result["failed"] is True
    assert result["msg"].startswith("%s must not be empty" % option) and "\n" not in result["msg"]
