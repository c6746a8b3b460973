# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/upgrade_systemvms.yml through ansible-runner, the engine AWX / Automation Controller runs job
templates with, as a job template would run it: the collection from the built artefact (as an execution
environment has it installed), the API connection only from the environment the AWX credential type injects
(extensions/awx/credential_type.yml, rendered by AWX's rules in tests/compat/awx.py since AWX cannot run here),
and the job's artefacts checked: status, rc, job events, and no secret in any of them."""

import os

import ansible_runner
import pytest
from cs import CloudStack
from cssim.jobs import QUICK_UPGRADE_DURATIONS

from awx import inject, load_credential_type
from conftest import INVENTORY, REPO, VENV_BIN

PLAYBOOK = os.path.join(REPO, "playbooks", "upgrade_systemvms.yml")
EXTRA_VARS = {
    "systemvm_upgrade_templates": [{"hypervisor": "kvm", "name": "systemvm-kvm-4.20.1",
                                    "url": "http://download.lab.invalid/systemvmtemplate-4.20.1-x86_64-kvm.qcow2.bz2"}],
    "systemvm_upgrade_wait_timeout": 120,
    "systemvm_upgrade_api_wait_delay": 1,
    "systemvm_upgrade_systemvm_wait_timeout": 120,
    "systemvm_upgrade_router_wait_timeout": 300,
}


@pytest.fixture(scope="module")
def job(artefact, lab_env, control, tmp_path_factory):
    """One run of the upgrade: ``(runner, private_data_dir, credential environment)``."""
    control.reset()
    control.set_job_durations(QUICK_UPGRADE_DURATIONS)  # the job's outcome matters here, not how it waits
    private = tmp_path_factory.mktemp("job")
    credential = inject(load_credential_type(), {
        "api_url": lab_env["CLOUDSTACK_ENDPOINT"], "api_key": lab_env["CLOUDSTACK_KEY"],
        "api_secret": lab_env["CLOUDSTACK_SECRET"], "api_timeout": "30", "api_http_method": "post",
    }, str(private))
    envvars = dict(credential, ANSIBLE_COLLECTIONS_PATH=artefact[1], ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="False",
                   ANSIBLE_HOST_KEY_CHECKING="False", PATH=VENV_BIN + os.pathsep + os.environ.get("PATH", ""))
    # The runner's environment is this process's plus envvars: keep the lab's own variables out of it, so the
    # connection can only come from the credential.
    saved = {name: os.environ.pop(name) for name in list(os.environ)
             if name.startswith(("CLOUDSTACK_", "ANSIBLE_COLLECTIONS"))}
    try:
        # As AWX does by default (AWX_RUNNER_OMIT_ENV_FILES): the environment is not written under env/.
        runner = ansible_runner.run(private_data_dir=str(private), playbook=PLAYBOOK, inventory=INVENTORY,
                                    envvars=envvars, extravars=EXTRA_VARS, quiet=True, timeout=900,
                                    suppress_env_files=True)
    finally:
        os.environ.update(saved)
    yield runner, private, credential
    control.reset()


def test_job_succeeds(job):
    runner, _private, _credential = job
    assert (runner.status, runner.rc) == ("successful", 0), runner.stdout.read()[-4000:]
    stats = runner.stats
    assert not stats["failures"] and not stats["dark"], stats
    assert stats["changed"].get("localhost", 0) > 0, stats


def test_job_events_show_the_collection_at_work(job, artefact):
    runner, _private, _credential = job
    events = list(runner.events)
    kinds = [event["event"] for event in events]
    assert kinds[0] == "playbook_on_start" and kinds[-1] == "playbook_on_stats", kinds[:3] + kinds[-3:]
    assert "runner_on_failed" not in kinds and "runner_on_unreachable" not in kinds
    done = [event["event_data"] for event in events if event["event"] == "runner_on_ok"]
    ours = [data for data in done if str(data.get("resolved_action", "")).startswith("csops.cloudstack.")]
    assert {data["resolved_action"] for data in ours} >= {"csops.cloudstack.systemvm_template",
                                                          "csops.cloudstack.router_upgrade"}, ours
    assert any(data["res"].get("changed") for data in ours)
    # The role's tasks ran from the installed collection, as in an execution environment.
    paths = {data["task_path"].rsplit(":", 1)[0] for data in done if data.get("task_path")}
    assert paths and all(p == PLAYBOOK or p.startswith(artefact[2] + os.sep) for p in paths), paths
    assert any(p.startswith(artefact[2] + os.sep) for p in paths), paths


def test_the_cloud_is_upgraded(job, lab_env):
    api = CloudStack(endpoint=lab_env["CLOUDSTACK_ENDPOINT"], key=lab_env["CLOUDSTACK_KEY"],
                     secret=lab_env["CLOUDSTACK_SECRET"], fetch_result=False)
    routers = api.listRouters(listall=True).get("router", [])
    assert routers and not [r["name"] for r in routers if r.get("requiresupgrade")]
    setting = api.listConfigurations(name="router.template.kvm")["configuration"][0]["value"]
    assert setting == "systemvm-kvm-4.20.1"


def test_no_secret_in_the_job_artefacts(job):
    runner, private, credential = job
    secrets = [credential["CLOUDSTACK_KEY"], credential["CLOUDSTACK_SECRET"]]
    artifacts = os.path.join(str(private), "artifacts")
    # ansible-runner itself records the job's whole environment in artifacts/<ident>/command, readable by its
    # owner only (AWX keeps a masked copy and removes the private data directory after the job); every other
    # artefact (stdout, job events, status) comes from what the playbook and the collection print.
    command = os.path.join(runner.config.artifact_dir, "command")
    assert os.stat(command).st_mode & 0o777 == 0o600
    checked = 0
    for root, _dirs, files in os.walk(artifacts):
        for name in files:
            if os.path.join(root, name) == command:
                continue
            with open(os.path.join(root, name), errors="replace") as handle:
                text = handle.read()
            checked += 1
            for secret in secrets:
                assert secret not in text, os.path.join(root, name)
    assert checked > 10, "the job wrote almost no artefacts"
    # The secret was there to leak: the job did use the credential (the upgrade succeeded on its connection).
    assert runner.rc == 0 and all(secrets)
