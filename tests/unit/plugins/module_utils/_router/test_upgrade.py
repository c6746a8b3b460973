"""The router upgrade backend (RouterUpgrade) called directly against a private simulator on 127.0.0.1.

Nothing is mocked: the simulator runs real upgrade jobs (a few tenths of a second each here), its request log
proves which calls were sent, and its fault injection makes jobs fail or hang and answers get lost.
"""

import os
import sys
import time

import pytest
import yaml

from ansible_collections.csops.cloudstack.plugins.module_utils._api.client import CloudStackClient
from ansible_collections.csops.cloudstack.plugins.module_utils._api.config import Connection
from ansible_collections.csops.cloudstack.plugins.module_utils._api.errors import CloudStackError, ValidationError
from ansible_collections.csops.cloudstack.plugins.module_utils._api.waiter import Deadline
from ansible_collections.csops.cloudstack.plugins.module_utils._router.upgrade import RouterUpgrade

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), *[os.pardir] * 5))
sys.path.insert(0, os.path.join(REPO, "tests", "lab"))

from cssim import DEFAULT_API_KEY, DEFAULT_SECRET_KEY  # noqa: E402  (path set just above)
from cssim.launcher import PrivateSimulator  # noqa: E402

NEW = "systemvm-kvm-4.20.1"
ROUTERS = 8
JOB_SECONDS = 0.4


def topology(path):
    """The lab's topology with ROUTERS routers of zone 1 on the old template and the new one selected."""
    with open(os.path.join(REPO, "tests", "lab", "topology.yml")) as handle:
        topo = yaml.safe_load(handle)
    old = topo["templates"][0]
    topo["templates"].append(dict(old, name=NEW, displaytext="SystemVM Template (KVM) 4.20.1", version="4.20.1",
                                  url=old["url"].replace("4.19.0", "4.20.1")))
    topo.setdefault("settings", {})["router.template.kvm"] = NEW
    topo["routers"] = [dict(name="r-%d-VM" % (100 + i), zone="lab-zone1", host="kvm1",
                            template=old["name"], account="admin", domain="ROOT", network="unit-net%d" % i,
                            linklocalip="169.254.50.%d" % (10 + i)) for i in range(ROUTERS)]
    with open(path, "w") as handle:
        yaml.safe_dump(topo, handle)


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    path = tmp_path_factory.mktemp("topology") / "topology.yml"
    topology(str(path))
    simulator = PrivateSimulator(topology=str(path))
    yield simulator
    simulator.close()


@pytest.fixture
def ctl(sim):
    control = sim.control
    control.clear_faults()
    control.reset()
    control.set_job_durations(upgradeRouterTemplate=JOB_SECONDS)
    yield control
    control.clear_faults()


def client_for(sim):
    return CloudStackClient(Connection(sim.endpoint, DEFAULT_API_KEY, DEFAULT_SECRET_KEY, 10, "get", True,
                                       "cloudstack"))


def params(**given):
    base = dict(zone=None, pod=None, cluster=None, account=None, domain_id=None, ids=None, wave_size=3,
                first_wave_size=1, concurrency=2, group_by="zone", wait=True, wait_timeout=60)
    base.update(given)
    return base


def upgrade(sim, check_mode=False, diff=False, **given):
    """Run the backend once; returns (result, error) - one of them None - and the client it used."""
    p = params(**given)
    client = client_for(sim)
    backend = RouterUpgrade(client, p, check_mode, diff, Deadline(p["wait_timeout"]))
    try:
        return backend.run(), None, client
    except CloudStackError as error:
        return None, error, client


def routers(sim):
    client = client_for(sim)
    return {r["name"]: r for r in client.list("listRouters", {"listall": True})}


def upgrade_calls(ctl, mark, sim):
    """Names of the routers upgradeRouterTemplate was sent for since ``mark``, in order."""
    names = {r["id"]: r["name"] for r in routers(sim).values()}
    return [names[c["params"]["id"]] for c in ctl.requests(mark, command="upgradeRouterTemplate")]


def all_names():
    return ["r-%d-VM" % (100 + i) for i in range(ROUTERS)]


def test_check_mode_plans_and_writes_nothing(sim, ctl):
    mark = ctl.mark()
    result, error, _client = upgrade(sim, check_mode=True, diff=True)
    assert error is None
    assert result["changed"] is True
    assert [len(w["routers"]) for w in result["waves"]] == [1, 3, 3, 1]
    assert {w["status"] for w in result["waves"]} == {"planned"}
    assert sorted(r["name"] for r in result["left"]) == all_names()
    assert result["progress"] == dict(waves=4, waves_done=0, stopped_at=None, upgraded=0, failed=0, unknown=0,
                                      left=ROUTERS)
    assert result["diff"]["before"]["r-100-VM"] == {"version": "4.19.0", "requiresupgrade": True}
    # the version a router will run is known only once it runs the new template
    assert result["diff"]["after"]["r-100-VM"] == {"requiresupgrade": False}
    assert sorted(result["diff"]["after"]) == all_names()
    assert ctl.write_calls(mark) == []


def test_upgrades_every_wave_then_second_run_changes_nothing(sim, ctl):
    mark = ctl.mark()
    result, error, client = upgrade(sim, concurrency=3)
    assert error is None, error
    assert result["changed"] is True
    assert [w["status"] for w in result["waves"]] == ["upgraded"] * 4
    assert sorted(u["name"] for u in result["upgraded"]) == all_names()
    assert {(u["version_before"], u["version_after"]) for u in result["upgraded"]} == {("4.19.0", "4.20.1")}
    assert result["failures"] == [] and result["unknown"] == [] and result["left"] == []
    assert len(result["jobs"]) == ROUTERS
    assert result["progress"]["waves_done"] == 4 and result["progress"]["stopped_at"] is None
    calls = ctl.write_calls(mark)
    assert [c["command"] for c in calls] == ["upgradeRouterTemplate"] * ROUTERS
    assert all(set(c["params"]) & {"id", "zoneid", "podid", "clusterid", "account", "domainid"} == {"id"}
               for c in calls)
    # the requests sent from the submitting threads are counted by the task's client too
    assert client.writes_applied == ROUTERS and client.writes_done
    assert all(r["version"] == "4.20.1" and not r["requiresupgrade"] and r["state"] == "Running"
               for r in routers(sim).values())
    # about one poll per job: the pool learns how long upgrade jobs take
    polls = len(ctl.requests(mark, command="queryAsyncJobResult"))
    assert ROUTERS <= polls <= ROUTERS + 12, polls

    mark = ctl.mark()
    again, error, _client = upgrade(sim)
    assert error is None and again["changed"] is False and again["waves"] == [] and again["upgraded"] == []
    assert ctl.write_calls(mark) == []


def test_a_slow_job_does_not_hold_back_the_rest_of_its_wave(sim, ctl):
    """A sliding pool: while one router's job hangs, the other slot upgrades the rest of the wave one by one."""
    ctl.add_fault({"kind": "job_hang", "command": "upgradeRouterTemplate", "router": "r-101-VM"})
    mark = ctl.mark()
    start = time.monotonic()
    result, error, _client = upgrade(sim, wave_size=5, first_wave_size=5, concurrency=2, wait_timeout=4)
    elapsed = time.monotonic() - start
    assert error is not None and result is None
    assert elapsed < 4.5, elapsed  # wait_timeout bounds the whole task
    calls = upgrade_calls(ctl, mark, sim)
    # the first two go out together (from two threads), then one at a time as the free slot's job ends
    assert sorted(calls[:2]) == ["r-100-VM", "r-101-VM"] and calls[2:] == ["r-102-VM", "r-103-VM", "r-104-VM"]
    now = routers(sim)
    assert [name for name in ["r-100-VM", "r-102-VM", "r-103-VM", "r-104-VM"] if now[name]["requiresupgrade"]] == []
    failed = error.result["failures"]
    assert [f["name"] for f in failed if "did not finish within wait_timeout (4s" in f["reason"]] == ["r-101-VM"]
    assert error.result["changed"] is True


def test_failing_job_stops_the_run_and_the_next_run_finishes_it(sim, ctl):
    ctl.add_fault({"kind": "job_fail", "command": "upgradeRouterTemplate", "router": "r-102-VM",
                   "errortext": "Failed to reboot router r-102-VM: unable to start the new VM"})
    mark = ctl.mark()
    result, error, _client = upgrade(sim, wave_size=3, first_wave_size=1, concurrency=1, diff=True)
    assert result is None and error is not None
    message = str(error)
    assert message.startswith("upgrade routers: wave 2 of 4 failed: r-102-VM: upgradeRouterTemplate job "), message
    assert "Failed to reboot router r-102-VM: unable to start the new VM" in message
    # r-101-VM, before it in the wave, was upgraded; r-103-VM, after it, was not started
    assert message.endswith("(2 upgraded, 1 failed, 5 left)"), message
    first = error.result
    assert first["changed"] is True
    assert [u["name"] for u in first["upgraded"]] == ["r-100-VM", "r-101-VM"]
    assert [(f["name"], bool(f["jobid"])) for f in first["failures"]] == [("r-102-VM", True)]
    assert first["progress"] == dict(waves=4, waves_done=1, stopped_at=2, upgraded=2, failed=1, unknown=0, left=5)
    assert [w["status"] for w in first["waves"]] == ["upgraded", "failed", "planned", "planned"]
    # the diff shows what changed: the upgraded routers with their new version, the others as they were
    after = first["diff"]["after"]
    assert after["r-101-VM"] == {"version": "4.20.1", "requiresupgrade": False}
    assert after["r-102-VM"] == after["r-103-VM"] == {"version": "4.19.0", "requiresupgrade": True}
    # the first failure stops the wave: r-102-VM's successors in the wave were not started
    assert upgrade_calls(ctl, mark, sim) == ["r-100-VM", "r-101-VM", "r-102-VM"]

    ctl.clear_faults()
    mark = ctl.mark()
    result, error, _client = upgrade(sim, wave_size=3, first_wave_size=1, concurrency=1)
    assert error is None, error
    touched = upgrade_calls(ctl, mark, sim)
    assert "r-100-VM" not in touched and "r-101-VM" not in touched
    assert sorted(touched) == sorted(set(all_names()) - {"r-100-VM", "r-101-VM"})
    assert all(not r["requiresupgrade"] for r in routers(sim).values())


def test_short_wait_timeout_stops_and_the_next_run_finishes_it(sim, ctl):
    ctl.set_job_durations(upgradeRouterTemplate=1.0)
    mark = ctl.mark()
    start = time.monotonic()
    result, error, _client = upgrade(sim, wave_size=2, first_wave_size=1, concurrency=1, wait_timeout=3)
    assert time.monotonic() - start < 3.5
    assert result is None and str(error).startswith("upgrade routers: wave 2 of 5 ")
    first = error.result
    assert first["progress"]["waves_done"] == 1 and first["progress"]["stopped_at"] == 2
    assert first["changed"] is True
    done = {u["name"] for u in first["upgraded"]}
    started = upgrade_calls(ctl, mark, sim)
    assert "r-100-VM" in done and done < set(started) and len(started) < ROUTERS
    assert first["progress"]["left"] == ROUTERS - len(started)

    time.sleep(1.2)  # let the job the timeout left behind finish in CloudStack
    mark = ctl.mark()
    result, error, _client = upgrade(sim, wave_size=4, first_wave_size=4, concurrency=4)
    assert error is None, error
    touched = upgrade_calls(ctl, mark, sim)
    assert set(touched) == set(all_names()) - set(started)
    assert all(not r["requiresupgrade"] for r in routers(sim).values())


def test_lost_answer_lists_the_router_as_unknown(sim, ctl):
    """An HTTP 502 without CloudStack's body on the second upgrade request: the router may have been started."""
    ctl.add_fault({"kind": "http_error", "command": "upgradeRouterTemplate", "status": 502, "nth": 2})
    result, error, _client = upgrade(sim, wave_size=3, first_wave_size=3, concurrency=1)
    assert result is None
    first = error.result
    assert [u["name"] for u in first["unknown"]] == ["r-101-VM"]
    assert "the change may have been made" in first["unknown"][0]["reason"]
    assert "r-101-VM" not in [f["name"] for f in first["failures"]]
    assert [u["name"] for u in first["upgraded"]] == ["r-100-VM"]
    assert first["progress"]["unknown"] == 1 and first["progress"]["stopped_at"] == 1
    assert str(error).endswith("(1 upgraded, 0 failed, 1 unknown, 6 left)"), str(error)
    assert "r-101-VM: upgradeRouterTemplate failed: " in str(error)
    assert first["changed"] is True


@pytest.mark.parametrize("given,message", [
    (dict(wave_size=0), "upgrade routers: wave_size must be at least 1, got 0"),
    (dict(first_wave_size=0), "upgrade routers: first_wave_size must be at least 1, got 0"),
    (dict(concurrency=0), "upgrade routers: concurrency must be at least 1, got 0"),
    (dict(concurrency=-2), "upgrade routers: concurrency must be at least 1, got -2"),
])
def test_bad_sizes_are_refused_before_anything_is_sent(sim, ctl, given, message):
    mark = ctl.mark()
    result, error, client = upgrade(sim, **given)
    assert result is None and isinstance(error, ValidationError)
    assert str(error) == message
    assert client.requests_sent == 0 and ctl.requests(mark) == []
    assert error.result["changed"] is False


def test_unknown_zone_is_one_line_and_writes_nothing(sim, ctl):
    mark = ctl.mark()
    result, error, _client = upgrade(sim, zone="no-such-zone")
    assert result is None and str(error) == "upgrade routers: zone no-such-zone: not found"
    assert ctl.write_calls(mark) == []


def test_ids_select_routers(sim, ctl):
    r105 = routers(sim)["r-105-VM"]
    mark = ctl.mark()
    result, error, _client = upgrade(sim, ids=[r105["id"]])
    assert error is None, error
    assert [w["routers"] for w in result["waves"]] == [["r-105-VM"]]
    assert upgrade_calls(ctl, mark, sim) == ["r-105-VM"]
    assert [u["name"] for u in result["upgraded"]] == ["r-105-VM"]


def test_wait_false_starts_the_first_wave_only(sim, ctl):
    mark = ctl.mark()
    result, error, _client = upgrade(sim, wait=False, first_wave_size=2)
    assert error is None, error
    assert [w["status"] for w in result["waves"]] == ["started", "planned", "planned"]
    assert len(result["jobs"]) == 2 and result["changed"] is True
    assert len(result["left"]) == ROUTERS - 2
    assert sorted(upgrade_calls(ctl, mark, sim)) == ["r-100-VM", "r-101-VM"]
    assert ctl.requests(mark, command="queryAsyncJobResult") == []
