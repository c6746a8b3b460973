"""Setting one value globally and per zone (scoped_settings) against a recording fake client: only the
scopes whose value differs are written, nothing in check mode, zone scopes CloudStack does not offer are left out."""

import pytest

from ansible_collections.csops.cloudstack.plugins.module_utils.scoped_settings import apply_values, plan_values

NAME = "router.template.kvm"


class FakeClient:
    def __init__(self, values, zone_scoped=True):
        self.values = dict(values)  # None (global) or zone id -> value
        self.zone_scoped = zone_scoped
        self.writes = []

    def list(self, command, params):
        assert command == "listConfigurations"
        zone = params.get("zoneid")
        if params["name"] != NAME or (zone and not self.zone_scoped):
            return []
        value = self.values.get(zone, self.values[None])
        return [{"name": NAME, "value": value, "type": "String", "isdynamic": True}]

    def request(self, command, params):
        self.writes.append((command, dict(params)))
        self.values[params.get("zoneid")] = params["value"]
        return {"configuration": {"name": NAME, "value": params["value"]}}


def test_only_differing_scopes_are_written():
    client = FakeClient({None: "old", "z2": "new"})
    plan = plan_values(client, NAME, "new", [("z1", "zone1"), ("z2", "zone2")])
    assert [(p["scope"], p["zone"], p["before"], p["changed"]) for p in plan] == [
        ("global", None, "old", True), ("zone", "zone1", "old", True), ("zone", "zone2", "new", False)]
    results = apply_values(client, plan, check_mode=False)
    assert client.writes == [("updateConfiguration", {"name": NAME, "value": "new"}),
                             ("updateConfiguration", {"name": NAME, "value": "new", "zoneid": "z1"})]
    assert [r["after"] for r in results] == ["new", "new", "new"]
    assert not any(r["restart_required"] for r in results)
    assert not any(p["changed"] for p in plan_values(client, NAME, "new", [("z1", "zone1"), ("z2", "zone2")]))


def test_check_mode_writes_nothing_but_predicts():
    client = FakeClient({None: "old"})
    results = apply_values(client, plan_values(client, NAME, "new", [("z1", "zone1")]), check_mode=True)
    assert client.writes == []
    assert [(r["before"], r["after"], r["changed"]) for r in results] == [("old", "new", True), ("old", "new", True)]


def test_global_only_setting():
    client = FakeClient({None: "old"}, zone_scoped=False)
    assert [p["scope"] for p in plan_values(client, NAME, "new", [("z1", "zone1")])] == ["global"]


def test_unknown_setting():
    with pytest.raises(KeyError):
        plan_values(FakeClient({None: "x"}), "router.template.nope", "new", [])
