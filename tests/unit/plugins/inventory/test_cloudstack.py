"""csops.cloudstack.cloudstack in ansible-inventory against a private simulator."""

import pytest

from cssim import DEFAULT_API_KEY, DEFAULT_SECRET_KEY

from .conftest import hostvars, members, plain


def calls(control, mark):
    found = {}
    for entry in control.requests(since=mark):
        found[entry["command"]] = found.get(entry["command"], 0) + 1
    return found


def test_every_kind_with_facts_ssh_variables_and_default_groups(inventory, control):
    mark = control.mark()
    data, proc = inventory.run({"host_ssh_private_key_file": "/keys/hosts",
                                "systemvm_ssh_private_key_file": "/keys/id_rsa.cloud"})
    assert calls(control, mark) == {"listHosts": 1, "listSystemVms": 1, "listRouters": 1, "listTemplates": 1,
                                    "listManagementServers": 1}
    hv = hostvars(data)
    assert {"kvm1", "kvm2", "kvm3", "s-1-VM", "v-2-VM", "s-3-VM", "v-4-VM", "r-10-VM", "r-11-VM",
            "r-12-VM"} <= set(hv)
    assert members(data, "kvm_hosts") >= {"kvm1", "kvm2", "kvm3"}
    assert members(data, "cloudstack_systemvms") == {"s-1-VM", "v-2-VM", "s-3-VM", "v-4-VM"}
    assert members(data, "cloudstack_routers") == {"r-10-VM", "r-11-VM", "r-12-VM"}
    assert {"s-1-VM", "r-10-VM", "kvm1"} <= members(data, "zone_lab_zone1")
    assert "kvm1" in members(data, "cluster_lab_cluster1") and "s-1-VM" in members(data, "pod_lab_pod1")
    assert members(data, "requires_upgrade") == {n for n, v in hv.items() if v["cloudstack"]["requires_upgrade"]}
    s1 = hv["s-1-VM"]
    assert (s1["ansible_host"], s1["ansible_port"], s1["ansible_user"]) == ("169.254.10.11", 3922, "root")
    assert s1["ansible_ssh_private_key_file"] == "/keys/id_rsa.cloud"
    assert "ProxyCommand=ssh -W %h:%p -p 22 -l root -i /keys/hosts 10.250.0.11" in s1["ansible_ssh_common_args"]
    # The default facts: those a task needs most.
    assert s1["cloudstack"] == {"kind": "systemvm", "id": s1["cloudstack"]["id"], "name": "s-1-VM",
                                "state": "Running", "zone": "lab-zone1", "host": "kvm1",
                                "version": s1["cloudstack"]["version"], "requires_upgrade": False}
    assert hv["kvm1"]["ansible_host"] == "10.250.0.11" and hv["kvm1"]["cloudstack"]["kind"] == "host"
    assert hv["kvm1"]["cloudstack"]["ip"] == "10.250.0.11"
    assert proc.stderr.count("[WARNING]") == 0, proc.stderr


def test_shared_ssh_settings_are_variables_of_the_kind_group(inventory):
    data, _proc = inventory.run({"host_ssh_private_key_file": "/keys/hosts", "host_ssh_common_args": "-o A=b",
                                "systemvm_ssh_private_key_file": "/keys/id_rsa.cloud"}, "--export")
    data = plain(data)
    assert data["cloudstack_routers"]["vars"] == {"ansible_port": 3922, "ansible_user": "root",
                                                  "ansible_ssh_private_key_file": "/keys/id_rsa.cloud"}
    assert data["cloudstack_systemvms"]["vars"] == data["cloudstack_routers"]["vars"]
    assert data["cloudstack_hosts"]["vars"] == {"ansible_port": 22, "ansible_user": "root",
                                                "ansible_ssh_private_key_file": "/keys/hosts",
                                                "ansible_ssh_common_args": "-o A=b"}
    hv = hostvars(data)
    assert set(hv["r-10-VM"]) == {"ansible_host", "ansible_ssh_common_args", "cloudstack"}
    assert set(hv["kvm1"]) == {"ansible_host", "cloudstack"}
    # Without the default groups the kind groups are still there, with their settings.
    data, _proc = inventory.run({"default_groups": False}, "--export")
    assert data["cloudstack_routers"]["vars"]["ansible_port"] == 3922
    assert "kvm_hosts" not in data and "zone_lab_zone1" not in data


def test_facts_the_host_variable_keeps(inventory):
    data, _proc = inventory.run({"kinds": ["routers"], "facts": ["all"]})
    r10 = hostvars(data)["r-10-VM"]["cloudstack"]
    assert (r10["cluster"], r10["host_ip"], r10["kind"]) == ("lab-cluster1", "10.250.0.11", "router")
    assert {"account", "network", "vpc", "redundant_state", "template", "linklocal_ip"} <= set(r10)
    data, _proc = inventory.run({"kinds": ["routers"], "facts": ["name", "account"]})
    assert hostvars(data)["r-10-VM"]["cloudstack"] == {"name": "r-10-VM", "account": r10["account"]}


def test_filters_compose_and_keyed_groups(inventory):
    data, _proc = inventory.run({
        "kinds": ["systemvms", "routers"],
        "include_filters": ["cloudstack.zone == 'lab-zone1'"],
        "exclude_filters": ["cloudstack.kind == 'router' and cloudstack.host == 'kvm2'"],
        # Facts the host variable does not keep (cluster, host_ip, type, account) are there for these.
        "compose": {"hop": "cloudstack.host_ip", "where": "cloudstack.cluster + '/' + cloudstack.host"},
        # groups see what compose set, and every fact too.
        "groups": {"on_cluster2": "where.startswith('lab-cluster2') and cloudstack.template is defined"},
        "keyed_groups": [{"key": "cloudstack.type | default('router')", "prefix": "type"},
                         {"key": "cloudstack.account | default('system')", "prefix": "account"}],
    })
    hv = hostvars(data)
    assert set(hv) == {"s-1-VM", "v-2-VM", "r-10-VM"}
    assert hv["v-2-VM"]["hop"] == "10.250.0.12" and hv["v-2-VM"]["where"] == "lab-cluster2/kvm2"
    assert "cluster" not in hv["v-2-VM"]["cloudstack"]
    assert members(data, "type_consoleproxy") == {"v-2-VM"} and members(data, "type_router") == {"r-10-VM"}
    assert members(data, "account_system") == {"s-1-VM", "v-2-VM"}
    assert members(data, "on_cluster2") == {"v-2-VM"}


def test_a_cached_inventory_makes_no_api_call(inventory, control, tmp_path):
    config = {"cache": True, "cache_plugin": "ansible.builtin.jsonfile", "cache_connection": str(tmp_path / "c"),
              "cache_timeout": 600}
    first, _proc = inventory.run(config)
    mark = control.mark()
    second, _proc = inventory.run(config)
    assert control.requests(since=mark) == []
    assert second == first
    # --flush-cache reads CloudStack again (and refreshes the cache).
    inventory.run(config, "--flush-cache")
    assert calls(control, mark)["listRouters"] == 1


def test_a_failed_listing_fails_the_inventory_or_gives_a_partial_one_with_a_warning(inventory, control, tmp_path):
    control.add_fault("api_error", command="listRouters", errorcode=530)
    data, proc = inventory.run({}, check=False)
    assert proc.returncode != 0 or not any(n.startswith("r-") for n in hostvars(data))
    assert "listRouters failed" in proc.stderr and "Traceback" not in proc.stderr
    config = {"fail_on_errors": False, "cache": True, "cache_plugin": "ansible.builtin.jsonfile",
              "cache_connection": str(tmp_path / "c")}
    data, proc = inventory.run(config)
    hv = hostvars(data)
    assert "s-1-VM" in hv and "kvm1" in hv and not any(n.startswith("r-") for n in hv)
    assert "routers left out" in proc.stderr
    # The partial inventory was not cached: the next run asks again and, the fault gone, has the routers.
    control.clear_faults()
    data, _proc = inventory.run(config)
    assert "r-10-VM" in hostvars(data)


@pytest.mark.parametrize("config, env, expected", [
    ({"exclude_filters": ["cloudstack.name is nosuchtest"]}, {}, "cannot evaluate the filter"),
    ({"facts": ["name", "cluster_id"]}, {}, "facts: no such fact cluster_id; the facts are all, kind, id"),
    ({}, {"CLOUDSTACK_ENDPOINT": None, "CLOUDSTACK_KEY": None}, "missing CloudStack connection settings"),
    ({"api_url": "ftp://x"}, {}, "api_url must start with http"),
])
def test_bad_input_is_one_clear_line_without_a_traceback(inventory, control, config, env, expected):
    mark = control.mark()
    _data, proc = inventory.run(config, check=False, **env)
    # Older ansible-core wraps warnings at the terminal width.
    assert expected in " ".join(proc.stderr.split()) and "Traceback" not in proc.stderr
    assert DEFAULT_SECRET_KEY not in proc.stderr
    if "filter" not in expected:
        assert control.requests(since=mark) == []


def test_settings_come_from_cloudstack_ini_like_the_modules(inventory, sim, tmp_path):
    (tmp_path / "lab.ini").write_text("[lab]\nendpoint = %s\nkey = %s\nsecret = %s\n"
                                      % (sim.endpoint, DEFAULT_API_KEY, DEFAULT_SECRET_KEY))
    data, _proc = inventory.run({"api_region": "lab", "kinds": ["hosts"]}, CLOUDSTACK_ENDPOINT=None,
                                CLOUDSTACK_KEY=None, CLOUDSTACK_SECRET=None,
                                CLOUDSTACK_CONFIG=str(tmp_path / "lab.ini"))
    assert "kvm1" in hostvars(data) and "s-1-VM" not in hostvars(data)
