"""playbooks/upgrade_systemvms.yml (role systemvm_upgrade) end to end against the lab, which is seeded with the
4.19.0 template and routers that require an upgrade: check mode writes nothing; a run leaves the new template
ready everywhere, router.template.kvm on it, the management server restarted, SSVM/CPVM replaced on the new
version and no router requiring an upgrade; a second run changes nothing; a failed download stops before any
setting changes; a failed router upgrade stops the waves and names the router. The deprecated role name
systemvm_template still runs every entry point with the old variables, says it is deprecated, and sets the old
output facts."""

import json
import os
import re

import pytest
import yaml
from cs import CloudStack
from cssim.jobs import QUICK_UPGRADE_DURATIONS

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLAYBOOK = os.path.join(REPO, "playbooks", "upgrade_systemvms.yml")
NEW = "systemvm-kvm-4.20.1"
NEW_URL = "http://download.lab.invalid/systemvmtemplate-4.20.1-x86_64-kvm.qcow2.bz2"
OLD = "systemvm-kvm-4.19.0"
SEEDED_SYSTEMVMS = {"s-1-VM", "v-2-VM", "s-3-VM", "v-4-VM"}
RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.MULTILINE)


def extra_vars(name=NEW, url=NEW_URL, **more):
    values = {
        "systemvm_upgrade_templates": [{"hypervisor": "kvm", "name": name, "url": url}],
        "systemvm_upgrade_wait_timeout": 120,
        "systemvm_upgrade_api_wait_delay": 1,
        "systemvm_upgrade_systemvm_wait_timeout": 120,
        "systemvm_upgrade_router_wait_timeout": 300,
    }
    values.update(more)
    return values


def recap(proc):
    return {host: dict(ok=int(ok), changed=int(changed), unreachable=int(unr), failed=int(failed))
            for host, ok, changed, unr, failed in RECAP.findall(proc.stdout)}


def flat(text):
    """``text`` with every run of white space made one space: the yaml callback folds long messages."""
    return " ".join(text.split())


def writes(control, mark):
    return [r["command"] for r in control.write_calls(mark)]


@pytest.fixture(scope="module")
def api(lab_env):
    return CloudStack(endpoint=lab_env["CLOUDSTACK_ENDPOINT"], key=lab_env["CLOUDSTACK_KEY"],
                      secret=lab_env["CLOUDSTACK_SECRET"], fetch_result=False)


@pytest.fixture(scope="module", autouse=True)
def fresh_state(request):
    control = request.getfixturevalue("control")
    reset(control)
    yield
    control.reset()


def reset(control):
    """The lab seeded afresh, with short upgrade waits: these tests check where an upgrade ends, and
    test_systemvm_template.py how it waits."""
    control.reset()
    control.set_job_durations(QUICK_UPGRADE_DURATIONS)


def settings(api, name):
    values = {"global": api.listConfigurations(name=name)["configuration"][0]["value"]}
    for zone in api.listZones()["zone"]:
        values[zone["name"]] = [c for c in api.listConfigurations(name=name, zoneid=zone["id"])["configuration"]
                                if c["name"] == name][0]["value"]
    return values


def test_check_mode_writes_nothing(ansible, control, api):
    boot = control.health()["boot"]
    mark = control.mark()
    proc = ansible.playbook(PLAYBOOK, check=True, extra_vars=extra_vars())
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert writes(control, mark) == []
    assert control.health()["boot"] == boot
    assert not [t for t in api.listTemplates(templatefilter="all").get("template", []) if t["name"] == NEW]
    assert recap(proc)["localhost"]["changed"] > 0  # it says what would change


def old_role_playbook(path, out):
    """The upgrade as a playbook written for the role's old name: every entry point of
    csops.cloudstack.systemvm_template, the old variable names, and the old output facts saved to ``out``."""
    role = "csops.cloudstack.systemvm_template"

    def step(name, entry=None, when=None):
        task = {"name": name, "ansible.builtin.include_role": dict({"name": role}, **(
            {"tasks_from": entry} if entry else {}))}
        if when:
            task["when"] = when
        return task

    plays = [
        {"name": "register", "hosts": "localhost", "gather_facts": False, "tasks": [step("main")]},
        {"name": "restart", "hosts": "cloudstack_management", "gather_facts": False, "serial": 1,
         "tasks": [step("restart", "restart_management",
                        "hostvars['localhost']['systemvm_template_settings_changed'] | default(false) | bool")]},
        {"name": "rest", "hosts": "localhost", "gather_facts": False, "tasks": [
            step("systemvms", "systemvms"),
            step("routers", "routers"),
            step("summary", "summary"),
            {"name": "save the old output facts", "check_mode": False, "ansible.builtin.copy": {
                "dest": out, "mode": "0600", "content": "{{ {"
                "'settings_changed': systemvm_template_settings_changed, "
                "'summary': systemvm_template_summary, "
                "'waves': _systemvm_upgrade_routers.waves} | to_json }}"}},
        ]},
    ]
    with open(path, "w") as handle:
        yaml.safe_dump(plays, handle)


OLD_VARS = {
    "systemvm_template_templates": [{"hypervisor": "kvm", "name": NEW, "url": NEW_URL}],
    "systemvm_template_wait_timeout": 120,
    "systemvm_template_api_wait_delay": 1,
    "systemvm_template_systemvm_wait_timeout": 120,
    # not the defaults, so that the router waves show the old names were read
    "systemvm_template_router_group_by": "none",
    "systemvm_template_router_first_wave_size": 2,
    "systemvm_template_router_wave_size": 1,
}
DEPRECATION = ("[DEPRECATION WARNING]: The role csops.cloudstack.systemvm_template is deprecated and will be removed "
               "from csops.cloudstack in version 1.0.0. Use csops.cloudstack.systemvm_upgrade")


def test_old_role_name_with_old_variables_still_runs(ansible, control, api, tmp_path):
    boot = control.health()["boot"]
    playbook, out = str(tmp_path / "old.yml"), str(tmp_path / "facts.json")
    old_role_playbook(playbook, out)
    mark = control.mark()
    proc = ansible.playbook(playbook, check=True, extra_vars=OLD_VARS)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    # every entry point warns: main, restart_management (on the one management server), systemvms, routers, summary
    assert flat(proc.stdout).count(DEPRECATION) == 5, proc.stdout[-4000:]
    assert writes(control, mark) == []
    assert control.health()["boot"] == boot
    with open(out) as handle:
        facts = json.load(handle)
    assert facts["settings_changed"] is True  # check mode: router.template.kvm would change
    assert "router.template.kvm: %s -> %s" % (OLD, OLD) in facts["summary"]["lines"]
    assert "router r-10-VM: 4.19.0 -> 4.19.0 (still requires upgrade)" in facts["summary"]["lines"]
    # the printed summary says that nothing was changed, so "still requires upgrade" is no surprise
    assert "check mode: nothing was changed; the versions below are the ones running now" in proc.stdout
    # the routers in one group (group_by none), a first wave of 2, then waves of 1; the defaults would plan
    # [r-10-VM], [r-11-VM], [r-12-VM]
    assert [wave["routers"] for wave in facts["waves"]] == [["r-10-VM", "r-11-VM"], ["r-12-VM"]], facts["waves"]
    assert recap(proc)["ms1"]["failed"] == 0


def test_old_role_rejects_a_bad_old_variable(ansible, control, tmp_path):
    playbook = str(tmp_path / "routers.yml")
    with open(playbook, "w") as handle:
        yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": [
            {"name": "routers", "ansible.builtin.include_role": {
                "name": "csops.cloudstack.systemvm_template", "tasks_from": "routers"}}]}], handle)
    mark = control.mark()
    proc = ansible.playbook(playbook, extra_vars={"systemvm_template_router_group_by": "rack"})
    assert proc.returncode != 0
    assert "systemvm_template_router_group_by" in proc.stdout and "rack" in proc.stdout, proc.stdout[-3000:]
    assert "Traceback" not in proc.stdout + proc.stderr
    assert writes(control, mark) == []


def test_playbook_names_old_variable_names(ansible, control):
    mark = control.mark()
    proc = ansible.playbook(PLAYBOOK, extra_vars=dict(OLD_VARS, **extra_vars()))
    assert proc.returncode != 0
    assert ("the variables systemvm_template_* are now named systemvm_upgrade_*: rename "
            "systemvm_template_api_wait_delay, ") in flat(proc.stdout), proc.stdout[-3000:]
    assert writes(control, mark) == []


def test_upgrade_then_second_run_changes_nothing(ansible, control, api):
    boot = control.health()["boot"]
    before = {vm["name"] for vm in api.listSystemVms()["systemvm"]}
    assert before == SEEDED_SYSTEMVMS
    assert all(r["requiresupgrade"] for r in api.listRouters(listall=True)["router"])

    proc = ansible.playbook(PLAYBOOK, extra_vars=extra_vars())
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    # the new template is ready in every zone
    rows = [t for t in api.listTemplates(templatefilter="all").get("template", []) if t["name"] == NEW]
    assert sorted(r["zonename"] for r in rows) == sorted(z["name"] for z in api.listZones()["zone"])
    assert all(r["isready"] for r in rows)
    # router.template.kvm points at it, globally and in every zone
    assert set(settings(api, "router.template.kvm").values()) == {NEW}
    # the management server was restarted (a new simulator process)
    assert control.health()["boot"] == boot + 1
    # SSVM and CPVM replaced, Running the new template and version
    vms = api.listSystemVms()["systemvm"]
    assert not {vm["name"] for vm in vms} & SEEDED_SYSTEMVMS
    assert sorted((vm["zonename"], vm["systemvmtype"]) for vm in vms) == sorted(
        (z, t) for z in ("lab-zone1", "lab-zone2") for t in ("consoleproxy", "secondarystoragevm"))
    assert all(vm["state"] == "Running" and vm["version"] == "4.20.1.0" and vm["templatename"] == NEW
               for vm in vms), vms
    # no router requires an upgrade
    routers = api.listRouters(listall=True)["router"]
    assert all(r["state"] == "Running" and not r["requiresupgrade"] and r["version"] == "4.20.1" for r in routers)
    # the summary shows before and after
    assert "router r-10-VM: 4.19.0 -> 4.20.1" in proc.stdout
    assert "router.template.kvm: %s -> %s" % (OLD, NEW) in proc.stdout

    mark = control.mark()
    again = ansible.playbook(PLAYBOOK, extra_vars=extra_vars())
    assert again.returncode == 0, again.stdout[-3000:]
    assert all(host["changed"] == 0 and host["failed"] == 0 for host in recap(again).values()), recap(again)
    assert writes(control, mark) == []
    assert control.health()["boot"] == boot + 1

    mark = control.mark()
    check = ansible.playbook(PLAYBOOK, check=True, extra_vars=extra_vars())
    assert check.returncode == 0 and all(h["changed"] == 0 for h in recap(check).values()), check.stdout[-3000:]
    assert writes(control, mark) == []

    # a run that stopped between the settings and the restart is finished by forcing the restart
    mark = control.mark()
    forced = ansible.playbook(PLAYBOOK, extra_vars=extra_vars(systemvm_upgrade_force_restart=True))
    assert forced.returncode == 0, forced.stdout[-3000:]
    assert recap(forced)["ms1"]["changed"] == 1
    assert control.health()["boot"] == boot + 2
    assert writes(control, mark) == []


def test_failed_download_stops_before_any_setting(ansible, control, api):
    reset(control)
    boot = control.health()["boot"]
    name = "systemvm-kvm-4.20.1-bad"
    url = "http://unreachable.lab.invalid/systemvmtemplate-4.20.1-x86_64-kvm.qcow2.bz2"
    mark = control.mark()
    proc = ansible.playbook(PLAYBOOK, extra_vars=extra_vars(name=name, url=url))
    assert proc.returncode != 0
    assert "register template %s: download failed: lab-zone1: Failed to download template from %s" % (
        name, url) in proc.stdout
    assert writes(control, mark) == ["registerTemplate"]
    assert set(settings(api, "router.template.kvm").values()) == {OLD}
    assert control.health()["boot"] == boot
    assert {vm["name"] for vm in api.listSystemVms()["systemvm"]} == SEEDED_SYSTEMVMS
    assert "ms1" not in recap(proc) or recap(proc)["ms1"]["changed"] == 0


def test_failed_router_upgrade_stops_the_waves(ansible, control, api):
    reset(control)
    # first everything but the routers (the management server restart forgets the lab's faults) ...
    first = ansible.playbook(PLAYBOOK, extra_vars=extra_vars(systemvm_upgrade_routers=False))
    assert first.returncode == 0, first.stdout[-3000:]
    assert all(r["requiresupgrade"] for r in api.listRouters(listall=True)["router"])
    # ... then a run that only has the routers left to do, one of which fails
    control.add_fault({"kind": "job_fail", "command": "upgradeRouterTemplate", "router": "r-11-VM",
                       "errortext": "Failed to reboot router r-11-VM: out of capacity"})
    mark = control.mark()
    proc = ansible.playbook(PLAYBOOK, extra_vars=extra_vars(systemvm_upgrade_router_group_by="none",
                                                            systemvm_upgrade_router_wave_size=1))
    assert proc.returncode != 0
    assert "upgrade routers: wave 2 of 3 failed: r-11-VM: " in proc.stdout
    assert "Failed to reboot router r-11-VM: out of capacity" in proc.stdout
    assert "(1 upgraded, 1 failed, 1 left)" in proc.stdout
    assert writes(control, mark) == ["upgradeRouterTemplate"] * 2
    routers = {r["name"]: r for r in api.listRouters(listall=True)["router"]}
    assert routers["r-10-VM"]["requiresupgrade"] is False
    assert routers["r-12-VM"]["requiresupgrade"] is True
