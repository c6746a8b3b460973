"""The seeded world as the list commands show it."""

from cssim.world import stable_id


def test_hosts(sim):
    body = sim.ok("listHosts", type="Routing")
    assert body["count"] == 6
    kvm1 = next(h for h in body["host"] if h["name"] == "kvm1")
    assert (kvm1["state"], kvm1["resourcestate"], kvm1["hypervisor"], kvm1["ipaddress"]) == \
        ("Up", "Enabled", "KVM", "10.250.0.11")
    assert kvm1["version"] == "4.20.1.0" and kvm1["clustername"] == "lab-cluster1"
    agents = sim.ok("listHosts", type="SecondaryStorageVM")["host"]
    assert sorted(h["name"] for h in agents) == ["s-1-VM", "s-3-VM"]
    by_cluster = {c: sim.ok("listHosts", hypervisor="kvm", clusterid=stable_id("cluster", c))["host"]
                  for c in ("lab-cluster1", "lab-cluster2", "lab-cluster3")}
    assert {c: sorted(h["name"] for h in hosts) for c, hosts in by_cluster.items()} == {
        "lab-cluster1": ["kvm1", "kvm4", "kvm5"], "lab-cluster2": ["kvm2", "kvm6"], "lab-cluster3": ["kvm3"]}


def test_system_vms(sim):
    vms = {v["name"]: v for v in sim.ok("listSystemVms")["systemvm"]}
    assert set(vms) == {"s-1-VM", "v-2-VM", "s-3-VM", "v-4-VM"}
    ssvm = vms["s-1-VM"]
    assert ssvm["linklocalip"] == "169.254.10.11" and ssvm["linklocalmacaddress"] == "0e:00:a9:fe:0a:0b"
    assert ssvm["hostname"] == "kvm1" and ssvm["hostid"] == stable_id("host", "kvm1")
    assert ssvm["templatename"] == "systemvm-kvm-4.19.0" and ssvm["version"] == "4.20.1.0"
    assert ssvm["agentstate"] == "Up" and ssvm["hostcontrolstate"] == "Enabled"
    assert sim.ok("listSystemVms", systemvmtype="consoleproxy")["count"] == 2


def test_routers_need_listall_for_other_accounts(sim):
    own = sim.ok("listRouters")["router"]
    assert [r["name"] for r in own] == ["r-10-VM"]
    everything = sim.ok("listRouters", listall="true")["router"]
    assert [r["name"] for r in everything] == ["r-10-VM", "r-11-VM", "r-12-VM"]
    assert [r["name"] for r in sim.ok("listRouters", account="tenant1")["router"]] == ["r-11-VM"]
    assert sim.call("listRouters", account="nobody").status_code == 431


def test_router_version_and_requires_upgrade(sim):
    routers = sim.ok("listRouters", listall="true")["router"]
    assert all(r["version"] == "4.19.0" and r["requiresupgrade"] is True for r in routers)
    assert sim.ok("listRouters", listall="true", version="4.19")["count"] == 3
    assert sim.ok("listRouters", listall="true", version="4.20") == {}
    zone1 = stable_id("zone", "lab-zone1")
    sim.ok("updateConfiguration", name="minreq.sysvmtemplate.version", value="4.19.0", zoneid=zone1)
    after = {r["name"]: r["requiresupgrade"] for r in sim.ok("listRouters", listall="true")["router"]}
    assert after == {"r-10-VM": False, "r-11-VM": False, "r-12-VM": True}


def test_router_health_fields(sim):
    r = sim.ok("listRouters", listall="true", fetchhealthcheckresults="true")["router"][0]
    assert r["healthchecksfailed"] is False and r["healthcheckresults"] == []
    assert sim.ok("listRouters", listall="true", healthchecksfailed="true") == {}


def test_templates_one_row_per_zone(sim):
    body = sim.ok("listTemplates", templatefilter="all")
    assert body["count"] == 2
    assert {t["id"] for t in body["template"]} == {stable_id("template", "systemvm-kvm-4.19.0")}
    assert {t["zonename"] for t in body["template"]} == {"lab-zone1", "lab-zone2"}
    assert all(t["templatetype"] == "SYSTEM" and t["hypervisor"] == "KVM" for t in body["template"])
    assert sim.ok("listTemplates", templatefilter="all", showunique="true")["count"] == 1
    assert sim.ok("listTemplates", templatefilter="featured") == {}
    resp = sim.call("listTemplates", templatefilter="everything")
    assert resp.status_code == 431


def test_pods_and_clusters(sim):
    pods = sim.ok("listPods", zoneid=stable_id("zone", "lab-zone1"))["pod"]
    assert [p["name"] for p in pods] == ["lab-pod1", "lab-pod2"]
    assert pods[0]["gateway"] == "10.250.0.1" and isinstance(pods[0]["startip"], list)
    clusters = sim.ok("listClusters", podid=stable_id("pod", "lab-pod3"))["cluster"]
    assert [c["name"] for c in clusters] == ["lab-cluster3"]
    assert clusters[0]["hypervisortype"] == "KVM"


def test_cluster_overcommit_follows_cluster_setting(sim):
    cluster = stable_id("cluster", "lab-cluster1")
    sim.ok("updateConfiguration", name="cpu.overprovisioning.factor", value="2.5", clusterid=cluster)
    assert sim.ok("listClusters", id=cluster)["cluster"][0]["cpuovercommitratio"] == "2.5"
    kvm1 = sim.ok("listHosts", name="kvm1")["host"][0]
    assert kvm1["cpuwithoverprovisioning"] == "%.1f" % (8 * 2400 * 2.5)


def test_not_simulated_parameters_say_so(sim):
    resp = sim.call("listZones", showcapacities="true")
    assert resp.status_code == 431
    assert "cssim does not simulate" in resp.json()["listzonesresponse"]["errortext"]
