"""Reading the listings from a private simulator: one listing per kind, every page, and partial results."""

import math
import time

import pytest
from cssim import DEFAULT_API_KEY, DEFAULT_SECRET_KEY
from cssim.launcher import PrivateSimulator

from ansible_collections.csops.cloudstack.plugins.module_utils._api.client import CloudStackClient
from ansible_collections.csops.cloudstack.plugins.module_utils._api.config import Connection
from ansible_collections.csops.cloudstack.plugins.module_utils._api.errors import ApiError
from ansible_collections.csops.cloudstack.plugins.module_utils._inventory import fetch


def calls(control, mark):
    found = {}
    for entry in control.requests(since=mark):
        found[entry["command"]] = found.get(entry["command"], 0) + 1
    return found


def test_each_kind_is_one_listing_and_the_vms_bring_hosts_and_templates(client, control):
    mark = control.mark()
    snap = fetch.read(client, ["routers"])
    assert sorted(snap.items) == ["hosts", "routers"]
    assert calls(control, mark) == {"listHosts": 1, "listRouters": 1}
    mark = control.mark()
    snap = fetch.read(client, fetch.KINDS)
    assert set(snap.items) == {"hosts", "systemvms", "routers", "templates"}
    assert "management_servers" in snap.notes and not snap.errors
    assert calls(control, mark) == {"listHosts": 1, "listSystemVms": 1, "listRouters": 1, "listTemplates": 1,
                                    "listManagementServers": 1}
    assert {r["name"] for r in snap.get("routers")} >= {"r-10-VM", "r-11-VM", "r-12-VM"}
    assert all(h.get("type") == "Routing" for h in snap.get("hosts"))


def test_a_failed_listing_fails_or_is_left_out(client, control):
    control.add_fault("api_error", command="listRouters", errorcode=530)
    with pytest.raises(ApiError):
        fetch.read(client, fetch.KINDS)
    snap = fetch.read(client, fetch.KINDS, fail_on_errors=False)
    assert set(snap.errors) == {"routers"} and "530" in snap.errors["routers"]
    assert snap.get("systemvms") and snap.get("hosts") and "routers" not in snap.items


def test_every_page_and_no_more_calls_than_pages():
    with PrivateSimulator("--extra-hosts", "1100") as sim:
        client = CloudStackClient(Connection(sim.endpoint, DEFAULT_API_KEY, DEFAULT_SECRET_KEY, 10, "get", True,
                                             "cloudstack"))
        mark = sim.control.mark()
        snap = fetch.read(client, ["hosts"])
        total = len(snap.get("hosts"))
        assert total > 1100 and len({h["id"] for h in snap.get("hosts")}) == total
        assert calls(sim.control, mark) == {"listHosts": math.ceil(total / 500)}


def test_the_listings_are_read_at_the_same_time(client, control):
    # Each call waits 0.4 s in the simulator: five calls one after the other take at least 2 s.
    control.add_fault("latency", command="*", seconds=0.4)
    start = time.monotonic()
    snap = fetch.read(client, fetch.KINDS)
    elapsed = time.monotonic() - start
    assert set(snap.items) == {"hosts", "systemvms", "routers", "templates"} and not snap.errors
    assert elapsed < 2.0, elapsed
