"""Settings catalog, listConfigurations and updateConfiguration at every scope."""

import pytest

from cssim.settings import Catalog

CATALOG = Catalog("4.20.1.0")


@pytest.mark.parametrize("name, default, scope, dynamic", [
    ("router.template.kvm", "SystemVM Template (KVM)", ["zone"], True),
    ("router.template.ovm3", "SystemVM Template (Ovm3)", ["zone"], True),
    ("default.page.size", "500", [], False),
    ("ca.framework.cert.automatic.renewal", "true", ["cluster"], True),
    ("ca.framework.cert.systemvm.allow.host.ip", "false", ["zone"], True),
    ("ca.framework.cert.expiry.alert.period", "15", ["cluster"], True),
    ("ca.framework.cert.validity.period", "365", [], True),
    ("router.health.checks.basic.interval", "3", [], True),
    ("router.health.checks.free.disk.space.threshold", "100", ["zone"], True),
    ("diagnostics.data.gc.enable", "true", [], False),
    ("diagnostics.data.retrieval.timeout", "1800", [], True),
    ("kvm.rolling.maintenance.stage.timeout", "1800", [], True),
    ("kvm.rolling.maintenance.ping.interval", "10", [], True),
    ("kvm.rolling.maintenance.wait.maintenance.timeout", "1800", [], True),
    ("enable.kvm.host.auto.enable.disable", "false", ["cluster"], True),
    ("cpu.overprovisioning.factor", "1.0", ["cluster"], True),
    ("storage.overprovisioning.factor", "2", ["storagepool"], True),
    ("consoleproxy.sslEnabled", "false", ["zone"], False),
    ("minreq.sysvmtemplate.version", "4.20.0", ["zone"], True),
])
def test_catalog_entries(name, default, scope, dynamic):
    entry = CATALOG.get(name)
    assert (entry["default"], entry["scope"], entry["dynamic"]) == (default, scope, dynamic)


def test_catalog_is_big_enough_and_covers_every_scope():
    assert len(CATALOG.names()) >= 40
    scopes = {s for n in CATALOG.names() for s in CATALOG.get(n)["scope"]}
    assert scopes == {"zone", "cluster", "storagepool", "account", "domain", "imagestore"}


def _one(sim, **params):
    [cfg] = sim.ok("listConfigurations", **params)["configuration"]
    return cfg


def test_list_configuration_fields(sim):
    cfg = _one(sim, name="router.template.kvm")
    # topology.yml sets the global value
    assert cfg["value"] == "systemvm-kvm-4.19.0"
    assert cfg["defaultvalue"] == "SystemVM Template (KVM)"
    assert cfg["isdynamic"] is True and cfg["category"] == "Advanced" and cfg["type"] == "String"
    assert "scope" not in cfg  # only answered when a scope is asked for
    assert _one(sim, name="default.page.size")["type"] == "Number"
    assert _one(sim, name="cpu.overprovisioning.factor")["type"] == "Decimal"


def test_name_is_a_substring_match(sim):
    names = [c["name"] for c in sim.ok("listConfigurations", name="rolling.maintenance")["configuration"]]
    assert names == sorted(names) and len(names) == 3


def _ids(sim):
    state = sim.control.state()

    def first(coll):
        return next(iter(state[coll]))

    tenant = next(a for a in state["accounts"].values() if a["name"] == "tenant1")
    return {
        "zone": ("zoneid", first("zones"), "router.template.kvm"),
        "cluster": ("clusterid", first("clusters"), "ca.framework.cert.automatic.renewal"),
        "storagepool": ("storageid", first("storage_pools"), "storage.overprovisioning.factor"),
        "account": ("accountid", tenant["id"], "router.service.offering"),
        "domain": ("domainid", first("domains"), "enable.user.2fa"),
        "imagestore": ("imagestoreuuid", first("image_stores"), "secstorage.nfs.version"),
    }


@pytest.mark.parametrize("scope", ["zone", "cluster", "storagepool", "account", "domain", "imagestore"])
def test_update_each_scope(sim, scope):
    param, entity, name = _ids(sim)[scope]
    value = {"router.template.kvm": "tpl-zone", "ca.framework.cert.automatic.renewal": "false",
             "storage.overprovisioning.factor": "3.5", "router.service.offering": "offering-x",
             "enable.user.2fa": "true", "secstorage.nfs.version": "4.1"}[name]
    global_before = _one(sim, name=name).get("value")
    cfg = sim.ok("updateConfiguration", name=name, value=value, **{param: entity})["configuration"]
    assert cfg["value"] == value and cfg["name"] == name
    if scope != "imagestore":
        assert cfg["scope"] == scope
    scoped = _one(sim, name=name, **{param: entity})
    assert scoped["value"] == value and scoped["scope"] == scope
    assert _one(sim, name=name).get("value") == global_before


def test_scoped_value_falls_back_to_global(sim):
    cluster = next(iter(sim.control.state()["clusters"]))
    sim.ok("updateConfiguration", name="ca.framework.cert.expiry.alert.period", value="30")
    assert _one(sim, name="ca.framework.cert.expiry.alert.period", clusterid=cluster)["value"] == "30"


def test_scope_listing_only_shows_settings_of_that_scope(sim):
    cluster = next(iter(sim.control.state()["clusters"]))
    names = {c["name"] for c in sim.ok("listConfigurations", clusterid=cluster, pagesize="-1")["configuration"]}
    assert "cpu.overprovisioning.factor" in names and "router.template.kvm" not in names


@pytest.mark.parametrize("params, text", [
    ({"name": "no.such.setting", "value": "1"}, "Config parameter with name no.such.setting doesn't exist"),
    ({"name": "expunge.delay"}, "The new value for the [expunge.delay] configuration must be given."),
    ({"name": "expunge.delay", "value": "soon"}, "Value [soon] is not a valid [class java.lang.Integer]."),
    ({"name": "router.health.checks.enable", "value": "yes"},
     "Value [yes] is not a valid [class java.lang.Boolean]."),
    ({"name": "vm.allocation.algorithm", "value": "magic"}, "Invalid value for configuration [vm.allocation.algorithm]"),
])
def test_update_errors(sim, params, text):
    resp = sim.call("updateConfiguration", **params)
    assert resp.status_code == 431
    body = resp.json()["updateconfigurationresponse"]
    assert body["errortext"].startswith(text) and body["cserrorcode"] == 4350


def test_scope_not_allowed_is_431(sim):
    cluster = next(iter(sim.control.state()["clusters"]))
    resp = sim.call("updateConfiguration", name="router.template.kvm", value="x", clusterid=cluster)
    assert resp.status_code == 431
    assert resp.json()["updateconfigurationresponse"]["errortext"] == \
        "Invalid scope id provided for the parameter router.template.kvm"


def test_two_scopes_are_431(sim):
    state = sim.control.state()
    resp = sim.call("updateConfiguration", name="router.template.kvm", value="x",
                    zoneid=next(iter(state["zones"])), clusterid=next(iter(state["clusters"])))
    assert resp.status_code == 431
    assert "only one ID" in resp.json()["updateconfigurationresponse"]["errortext"]


def test_empty_value_is_allowed(sim):
    cfg = sim.ok("updateConfiguration", name="router.health.checks.to.exclude", value="")["configuration"]
    assert cfg["value"] == ""
    assert _one(sim, name="router.health.checks.to.exclude")["value"] == ""
    sim.ok("updateConfiguration", name="management.network.cidr", value="")
    assert _one(sim, name="management.network.cidr")["value"] == ""
    sim.ok("updateConfiguration", name="expunge.delay", value="  ")
    assert "value" not in _one(sim, name="expunge.delay")  # blank for a non-String setting -> null


def test_boolean_values_are_lower_cased(sim):
    sim.ok("updateConfiguration", name="use.external.dns", value="TRUE")
    assert _one(sim, name="use.external.dns")["value"] == "true"
