"""csops.cloudstack.router_upgrade through real playbook runs against the lab: check mode lists the waves,
waves with a canary, verification after each wave, idempotence, a failing upgrade job stops the waves, a run
killed halfway and run again, bad input; the simulator's request log proves which calls were made."""

import os
import signal
import subprocess
import sys
import tempfile
import time

import pytest
import yaml
from cs import CloudStack

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
INVENTORY = os.path.join(REPO, "tests", "lab", ".state", "inventory.yml")
VENV_BIN = os.path.dirname(sys.executable)

NEW = "systemvm-kvm-4.20.1"
NEW_URL = "http://download.lab.invalid/systemvmtemplate-4.20.1-x86_64-kvm.qcow2.bz2"
ROUTERS = ["r-10-VM", "r-11-VM", "r-12-VM"]


@pytest.fixture(scope="module")
def api(lab_env):
    return CloudStack(endpoint=lab_env["CLOUDSTACK_ENDPOINT"], key=lab_env["CLOUDSTACK_KEY"],
                      secret=lab_env["CLOUDSTACK_SECRET"], fetch_result=False)


@pytest.fixture(scope="module", autouse=True)
def lab_with_new_template(request):
    """The seeded lab (routers on 4.19.0, which require an upgrade) plus the 4.20.1 template, ready and named
    by router.template.kvm, as the first steps of the procedure leave it."""
    control = request.getfixturevalue("control")
    ansible = request.getfixturevalue("ansible")
    prepare(control, ansible)
    yield
    control.reset()


def prepare(control, ansible):
    control.reset()
    control.set_job_durations(templateDownload=0.5, upgradeRouterTemplate=1.0)
    result = ansible.module("systemvm_template", {"name": NEW, "url": NEW_URL, "hypervisor": "kvm",
                                                  "set_router_template": True})
    assert result.get("failed") is not True and result["template"]["ready"], result.get("msg")


def writes(control, mark):
    return [r["command"] for r in control.write_calls(mark)]


def routers(api):
    return {r["name"]: r for r in api.listRouters(listall=True)["router"]}


def upgrades(control, mark):
    return [c for c in control.write_calls(mark) if c["command"] == "upgradeRouterTemplate"]


def descendants(pid):
    """Ids of the processes below ``pid`` (children, grandchildren ...), read from /proc."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as handle:
                    ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def test_check_mode_lists_the_waves_and_writes_nothing(ansible, control, api):
    mark = control.mark()
    result = ansible.module("router_upgrade", {"wave_size": 2, "first_wave_size": 1}, check=True, diff=True)
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is True
    assert [(w["number"], w["routers"], w["status"]) for w in result["waves"]] == [
        (1, ["r-10-VM"], "planned"), (2, ["r-11-VM"], "planned"), (3, ["r-12-VM"], "planned")]
    assert sorted(r["name"] for r in result["left"]) == ROUTERS
    assert result["upgraded"] == [] and result["jobs"] == []
    assert result["diff"]["before"]["r-10-VM"] == {"version": "4.19.0", "requiresupgrade": True}
    assert writes(control, mark) == []
    assert all(r["requiresupgrade"] for r in routers(api).values())


def test_grouping_and_sizes_shape_the_waves(ansible):
    result = ansible.module("router_upgrade", {"wave_size": 5, "first_wave_size": 5, "group_by": "none"},
                            check=True)
    assert [w["routers"] for w in result["waves"]] == [ROUTERS]
    result = ansible.module("router_upgrade", {"wave_size": 5, "first_wave_size": 5, "group_by": "pod"},
                            check=True)
    assert [w["routers"] for w in result["waves"]] == [["r-10-VM"], ["r-11-VM"], ["r-12-VM"]]
    result = ansible.module("router_upgrade", {"zone": "lab-zone1", "wave_size": 5, "first_wave_size": 5},
                            check=True)
    assert [w["routers"] for w in result["waves"]] == [["r-10-VM", "r-11-VM"]]


def test_upgrade_in_waves_then_second_run_changes_nothing(ansible, control, api):
    mark = control.mark()
    result = ansible.module("router_upgrade", {"wave_size": 2, "first_wave_size": 1, "concurrency": 2,
                                               "group_by": "none"})
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is True
    assert [(w["routers"], w["status"]) for w in result["waves"]] == [
        (["r-10-VM"], "upgraded"), (["r-11-VM", "r-12-VM"], "upgraded")]
    assert [(u["name"], u["version_before"], u["version_after"]) for u in result["upgraded"]] == [
        ("r-10-VM", "4.19.0", "4.20.1"), ("r-11-VM", "4.19.0", "4.20.1"), ("r-12-VM", "4.19.0", "4.20.1")]
    assert result["failures"] == [] and result["left"] == [] and len(result["jobs"]) == 3
    calls = control.write_calls(mark)
    assert [c["command"] for c in calls] == ["upgradeRouterTemplate"] * 3
    assert all(set(c["params"]) >= {"id"} and not set(c["params"]) & {"zoneid", "podid", "clusterid"}
               for c in calls)
    now = routers(api)
    assert all(r["state"] == "Running" and not r["requiresupgrade"] and r["version"] == "4.20.1"
               for r in now.values()), now

    mark = control.mark()
    again = ansible.module("router_upgrade", {"wave_size": 2})
    assert again["changed"] is False and again["waves"] == [] and again["upgraded"] == []
    assert writes(control, mark) == []


def test_concurrency_limits_jobs_in_flight(ansible, control):
    prepare(control, ansible)
    control.set_job_durations(upgradeRouterTemplate=2.0)
    mark = control.mark()
    result = ansible.module("router_upgrade", {"wave_size": 3, "first_wave_size": 3, "concurrency": 1,
                                               "group_by": "none"})
    assert not result.get("failed"), result.get("msg")
    calls = control.write_calls(mark)
    assert [c["command"] for c in calls] == ["upgradeRouterTemplate"] * 3
    # one at a time: each upgrade starts after the job before it finished (2 s)
    starts = [c["time"] for c in calls]
    assert all(b - a >= 1.9 for a, b in zip(starts, starts[1:])), starts


def test_failing_upgrade_job_stops_the_waves_and_names_the_router(ansible, control, api):
    prepare(control, ansible)
    control.add_fault({"kind": "job_fail", "command": "upgradeRouterTemplate", "router": "r-11-VM",
                       "errortext": "Failed to reboot router r-11-VM: unable to start the new VM"})
    mark = control.mark()
    result = ansible.module("router_upgrade", {"wave_size": 1, "first_wave_size": 1, "group_by": "none"})
    assert result["failed"] is True
    msg = result["msg"]
    assert msg.startswith("upgrade routers: wave 2 of 3 failed: r-11-VM: "), msg
    assert "Failed to reboot router r-11-VM: unable to start the new VM" in msg
    assert msg.endswith("(1 upgraded, 1 failed, 1 left)") and "\n" not in msg
    assert [u["name"] for u in result["upgraded"]] == ["r-10-VM"]
    assert [(f["name"], bool(f["jobid"])) for f in result["failures"]] == [("r-11-VM", True)]
    assert [r["name"] for r in result["left"]] == ["r-12-VM"]
    assert [w["status"] for w in result["waves"]] == ["upgraded", "failed", "planned"]
    assert writes(control, mark) == ["upgradeRouterTemplate"] * 2
    assert routers(api)["r-12-VM"]["requiresupgrade"] is True


def test_ids_select_routers(ansible, control, api):
    prepare(control, ansible)
    r12 = routers(api)["r-12-VM"]
    result = ansible.module("router_upgrade", {"ids": [r12["id"]]}, check=True)
    assert [w["routers"] for w in result["waves"]] == [["r-12-VM"]]
    assert [r["name"] for r in result["left"]] == ["r-12-VM"] and result["skipped"] == []


@pytest.mark.parametrize("args,message", [
    ({"wave_size": 0}, "upgrade routers: wave_size must be at least 1, got 0"),
    ({"first_wave_size": 0}, "upgrade routers: first_wave_size must be at least 1, got 0"),
    ({"concurrency": 0}, "upgrade routers: concurrency must be at least 1, got 0"),
    ({"zone": "no-such-zone"}, "upgrade routers: zone no-such-zone: not found"),
    # empty selectors are refused, never read as "every router"
    ({"ids": []}, "ids must not be an empty list (leave it out instead)"),
    ({"ids": [""]}, "ids[0] must not be empty (leave it out instead)"),
    ({"zone": ""}, "zone must not be empty (leave it out instead)"),
    ({"account": ""}, "account must not be empty (leave it out instead)"),
    ({"domain_id": " "}, "domain_id must not be empty (leave it out instead)"),
])
def test_bad_input_is_one_line_and_writes_nothing(ansible, control, args, message):
    mark = control.mark()
    result = ansible.module("router_upgrade", args)
    assert result["failed"] is True
    assert result["msg"] == message
    assert writes(control, mark) == []


def test_hanging_upgrade_job_times_out_and_stops(ansible, control, api):
    prepare(control, ansible)
    control.add_fault({"kind": "job_hang", "command": "upgradeRouterTemplate", "router": "r-10-VM"})
    mark = control.mark()
    result = ansible.module("router_upgrade", {"wave_size": 5, "first_wave_size": 1, "wait_timeout": 3})
    assert result["failed"] is True
    assert result["msg"].startswith("upgrade routers: wave 1 of 3 failed: r-10-VM: upgradeRouterTemplate job "), \
        result["msg"]
    assert "did not finish within wait_timeout (3s, polled " in result["msg"]
    assert "it may still be running in CloudStack" in result["msg"]
    assert result["msg"].endswith("(0 upgraded, 1 failed, 2 left)")
    assert result["progress"]["stopped_at"] == 1 and result["changed"] is True
    assert writes(control, mark) == ["upgradeRouterTemplate"]


def test_run_killed_halfway_then_run_again_finishes_without_touching_upgraded_routers(ansible, control, api):
    prepare(control, ansible)
    control.set_job_durations(upgradeRouterTemplate=1.5)
    mark = control.mark()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "play.yml")
        with open(path, "w") as handle:
            yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": [{
                "csops.cloudstack.router_upgrade": {"wave_size": 1, "first_wave_size": 1, "concurrency": 1,
                                                    "group_by": "none"}}]}], handle)
        proc = subprocess.Popen([os.path.join(VENV_BIN, "ansible-playbook"), "-i", INVENTORY, path],
                                env=ansible.env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        try:
            end = time.monotonic() + 60
            while len(upgrades(control, mark)) < 2 and time.monotonic() < end and proc.poll() is None:
                time.sleep(0.1)
        finally:
            # the whole run stops at once, mid-wave: ansible-playbook and every process it started (the module
            # runs in a session of its own, so the process group is not enough)
            for pid in [proc.pid] + descendants(proc.pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            proc.wait()
    started = [c["params"]["id"] for c in upgrades(control, mark)]
    assert len(started) == 2, started
    time.sleep(2)  # the job the killed run left behind finishes in CloudStack
    names = {r["id"]: r["name"] for r in routers(api).values()}
    mark = control.mark()
    result = ansible.module("router_upgrade", {"wave_size": 1, "first_wave_size": 1, "group_by": "none"})
    assert not result.get("failed"), result.get("msg")
    again = [names[c["params"]["id"]] for c in upgrades(control, mark)]
    assert again == [names[i] for i in names if i not in started] == ["r-12-VM"]
    assert [u["name"] for u in result["upgraded"]] == ["r-12-VM"]
    assert result["progress"] == dict(waves=1, waves_done=1, stopped_at=None, upgraded=1, failed=0, unknown=0, left=0)
    assert all(not r["requiresupgrade"] and r["state"] == "Running" for r in routers(api).values())
