# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The rolling_maintenance_plan and rolling_maintenance_report filters on rows shaped like host_info results and
records shaped like those the role keeps. Nothing is mocked."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.csops.cloudstack.plugins.filter.rolling_maintenance import (
    FilterModule, rolling_maintenance_plan, rolling_maintenance_report)


def host(name, cluster, address, state="Up", resourcestate="Enabled", hypervisor="KVM"):
    return {"id": "id-" + name, "name": name, "ipaddress": address, "clusterid": "cid-" + cluster,
            "clustername": cluster, "podid": "p", "podname": "pod", "zoneid": "z", "zonename": "zone",
            "state": state, "resourcestate": resourcestate, "hypervisor": hypervisor}


ROWS = [host("kvm4", "c1", "10.0.0.14"), host("kvm1", "c1", "10.0.0.11"), host("kvm2", "c2", "10.0.0.12"),
        host("kvm1", "c1", "10.0.0.11")]


def test_plan_groups_orders_and_matches_by_name_or_address():
    plan = rolling_maintenance_plan(ROWS, inventory={"kvm1": "10.0.0.11", "other": "10.0.0.12"},
                                    not_in_inventory="api_only")
    assert plan["problems"] == []
    assert [c["name"] for c in plan["clusters"]] == ["c1", "c2"]
    first = plan["clusters"][0]["hosts"]
    assert [h["name"] for h in first] == ["kvm1", "kvm4"]           # duplicates dropped, name order
    assert first[0]["inventory_host"] == "kvm1" and not first[0]["api_only"]
    assert first[1]["inventory_host"] is None and first[1]["api_only"]
    assert plan["clusters"][1]["hosts"][0]["inventory_host"] == "other"   # by ansible_host


def test_plan_not_in_inventory_fail_and_skip():
    failed = rolling_maintenance_plan(ROWS, inventory={"kvm1": "10.0.0.11"})
    assert len(failed["problems"]) == 2 and "kvm4" in failed["problems"][0] and "kvm2" in failed["problems"][1]
    skipped = rolling_maintenance_plan(ROWS, inventory={"kvm1": "10.0.0.11"}, not_in_inventory="skip")
    assert skipped["problems"] == []
    assert sorted(h["name"] for h in skipped["skipped"]) == ["kvm2", "kvm4"]


def test_plan_unready_hosts_stop_unless_forced_and_markers_carry_on():
    rows = [host("kvm1", "c1", "a", resourcestate="Maintenance"), host("kvm4", "c1", "b", state="Disconnected"),
            host("kvm5", "c1", "c"), host("kvm6", "c1", "d")]
    plan = rolling_maintenance_plan(rows, not_in_inventory="api_only")
    assert len(plan["problems"]) == 2
    forced = rolling_maintenance_plan(rows, not_in_inventory="api_only", forced=True)
    assert forced["problems"] == [] and [h["name"] for h in forced["skipped"]] == ["kvm1", "kvm4"]
    marker = {"cluster": {"id": "cid-c1", "name": "c1"}, "cluster_disabled": True,
              "hosts": {"id-kvm1": {"name": "kvm1", "status": "entering"}, "id-kvm5": {"status": "done", "at": "T"}}}
    resumed = rolling_maintenance_plan(rows, not_in_inventory="api_only", markers=[marker])
    assert resumed["problems"] == [resumed["problems"][0]] and "kvm4" in resumed["problems"][0]
    cluster = resumed["clusters"][0]
    assert [h["name"] for h in cluster["hosts"]] == ["kvm1", "kvm6"]
    assert cluster["hosts"][0]["resume"] and cluster["disabled_earlier"] and cluster["resumed"]
    assert resumed["skipped"][0]["name"] == "kvm5" and "earlier run" in resumed["skipped"][0]["reason"]


def test_plan_rejects_bad_input():
    with pytest.raises(AnsibleFilterError, match="not_in_inventory"):
        rolling_maintenance_plan(ROWS, not_in_inventory="maybe")
    with pytest.raises(AnsibleFilterError, match="must be a list"):
        rolling_maintenance_plan("kvm1")
    assert rolling_maintenance_plan([], not_in_inventory="api_only")["problems"] == ["no KVM host in scope"]


def test_report_counts_errors_and_lines():
    records = [
        {"id": "cid-c1", "name": "c1", "disabled_by_run": True, "left_disabled": False, "errors": [],
         "hosts": {"id-kvm1": {"id": "id-kvm1", "name": "kvm1", "order": 0, "status": "done",
                               "stages": [{"name": "maintenance", "duration_s": 2.0},
                                          {"name": "cancel", "duration_s": 1.0}],
                               "vms_moved": [{"name": "web-1", "to_host": "kvm4"}]},
                   "id-kvm4": {"id": "id-kvm4", "name": "kvm4", "order": 1, "status": "not_back",
                               "left_in_maintenance": True, "error": "did not come back", "stages": []}}},
        {"id": "cid-c2", "name": "c2", "disabled_by_run": True, "left_disabled": True,
         "errors": ["cluster left Disabled: 530"], "hosts": []},
    ]
    report = rolling_maintenance_report(records, skipped=[{"id": "id-kvm9", "name": "kvm9", "cluster": "c2",
                                                           "reason": "excluded"}], started=10, ended=42.5)
    assert not report["ok"]
    assert report["counts"]["done"] == 1 and report["counts"]["not_back"] == 1 and report["counts"]["skipped"] == 1
    assert report["left_in_maintenance"] == ["kvm4"] and report["not_back"] == ["kvm4"]
    assert report["clusters_left_disabled"] == ["c2"] and report["duration_s"] == 32.5
    assert "kvm4: did not come back" in report["errors"]
    assert "cluster c2: cluster left Disabled: 530" in report["errors"]
    text = "\n".join(report["lines"])
    assert "did not finish" in text and "web-1->kvm4" in text and "maintenance 2.0s" in text and "kvm9" in text
    clean = rolling_maintenance_report([dict(records[0], hosts={"id-kvm1": records[0]["hosts"]["id-kvm1"]})])
    assert clean["ok"] and clean["lines"][0].startswith("rolling maintenance finished: 1 hosts in 1 clusters")


def test_filters_are_registered():
    assert set(FilterModule().filters()) == {"rolling_maintenance_plan", "rolling_maintenance_report"}
