"""Pagination with more hosts than a page (--extra-hosts)."""

import time

import pytest
from cs import CloudStack

from cssim import DEFAULT_API_KEY, DEFAULT_SECRET_KEY

from cssim_harness import Sim

EXTRA = 5000
TOTAL_HOSTS = 6 + 4 + EXTRA  # kvm1-6, the four SSVM/CPVM agent rows, the benchmark hosts


@pytest.fixture(scope="module")
def big_sim(tmp_path_factory):
    sim = Sim(tmp_path_factory.mktemp("cssim-big"), extra_hosts=EXTRA).start()
    yield sim
    sim.stop()


def test_cs_client_fetches_every_page_fast(big_sim):
    client = CloudStack(endpoint=big_sim.endpoint, key=DEFAULT_API_KEY, secret=DEFAULT_SECRET_KEY)
    mark = big_sim.control.mark()
    started = time.monotonic()
    hosts = client.listHosts(fetch_list=True)
    elapsed = time.monotonic() - started
    assert len(hosts) == TOTAL_HOSTS
    assert len({h["id"] for h in hosts}) == TOTAL_HOSTS
    assert sum(1 for h in hosts if h["name"].startswith("sim-host-")) == EXTRA
    pages = big_sim.control.requests(mark)
    assert len(pages) == (TOTAL_HOSTS + 499) // 500
    assert all(e["params"]["pagesize"] == "500" for e in pages)
    assert elapsed < 2.0, "listing %d hosts took %.2fs" % (TOTAL_HOSTS, elapsed)


def test_extra_hosts_live_in_the_second_zone(big_sim):
    zone2 = big_sim.ok("listZones", name="lab-zone2")["zone"][0]
    body = big_sim.ok("listHosts", zoneid=zone2["id"], name="sim-host-00042")
    assert body["count"] == 1
    host = body["host"][0]
    assert host["clustername"] == "lab-cluster3" and host["type"] == "Routing" and host["state"] == "Up"


def test_count_is_the_total_and_pages_are_sliced(big_sim):
    first = big_sim.ok("listHosts", page="1", pagesize="7")
    second = big_sim.ok("listHosts", page="2", pagesize="7")
    assert first["count"] == second["count"] == TOTAL_HOSTS
    assert len(first["host"]) == len(second["host"]) == 7
    assert not {h["id"] for h in first["host"]} & {h["id"] for h in second["host"]}


def test_default_page_size_applies_without_paging(big_sim):
    body = big_sim.ok("listHosts")
    assert body["count"] == TOTAL_HOSTS
    assert len(body["host"]) == 500


def test_page_past_the_end_keeps_the_count(big_sim):
    assert big_sim.ok("listHosts", page="999", pagesize="500") == {"count": TOTAL_HOSTS}


def test_unlimited_page_size(big_sim):
    body = big_sim.ok("listHosts", pagesize="-1")
    assert len(body["host"]) == TOTAL_HOSTS


@pytest.mark.parametrize("params, status, text", [
    ({"pagesize": "10"}, 431, '"page" parameter is required when "pagesize" is specified'),
    ({"page": "2"}, 431, '"pagesize" parameter is required when "page" is specified'),
    ({"page": "1", "pagesize": "501"}, 431, "Page size can't exceed max allowed page size value: 500"),
    ({"page": "1", "pagesize": "-1"}, 431, "Can't specify page parameter when pagesize is -1 (Unlimited)"),
])
def test_paging_errors(big_sim, params, status, text):
    resp = big_sim.call("listHosts", **params)
    assert resp.status_code == status
    assert resp.json()["listhostsresponse"]["errortext"] == text


def test_max_page_size_follows_the_setting(big_sim):
    big_sim.ok("updateConfiguration", name="default.page.size", value="1000")
    try:
        assert len(big_sim.ok("listHosts", page="1", pagesize="1000")["host"]) == 1000
        assert len(big_sim.ok("listHosts")["host"]) == 1000
    finally:
        big_sim.ok("updateConfiguration", name="default.page.size", value="500")
