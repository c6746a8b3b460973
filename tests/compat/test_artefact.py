# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The built artefact, not the source tree: `ansible-galaxy collection build`, the tarball installed into a fresh
path, and the cloud report and the libvirt_hooks role run from that installed copy against the lab. A file left
out of the build (a stray build_ignore, a file outside what galaxy.yml ships) fails here."""

import json
import os
import re
import subprocess
import sys

import pytest
import yaml

from conftest import INVENTORY, REPO, clean_env, shipped_source_files, tool

sys.path.insert(0, os.path.join(REPO, "tests", "lab", "libvirt"))
import hooklab  # noqa: E402  (path set just above)
from hooklab import CUSTOM_DIR, HOOK, RECORDER  # noqa: E402

RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def installed_env(artefact, lab_env=None):
    """Ansible sees the installed copy and nothing else (no source tree, no user or system collections)."""
    env = clean_env(ANSIBLE_COLLECTIONS_PATH=artefact[1], ANSIBLE_CALLBACK_RESULT_FORMAT="yaml")
    env.update(lab_env or {})
    return env


def playbook(artefact, lab_env, cwd, *args):
    proc = subprocess.run([tool("ansible-playbook"), "-i", INVENTORY, "-vv"] + list(args),
                          env=installed_env(artefact, lab_env), cwd=str(cwd), capture_output=True, text=True,
                          timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    # Every task came from the installed copy, none from the source tree.
    paths = re.findall(r"^task path: (\S+?):\d+$", proc.stdout, re.M)
    assert paths, proc.stdout[-3000:]
    for path in paths:
        assert path.startswith(artefact[2] + os.sep) or path.startswith(str(cwd) + os.sep), path
    return proc


def test_the_artefact_carries_every_shipped_file(artefact):
    missing = [path for path in shipped_source_files() if not os.path.isfile(os.path.join(artefact[2], path))]
    assert missing == []
    with open(os.path.join(artefact[2], "MANIFEST.json")) as handle:
        info = json.load(handle)["collection_info"]
    with open(os.path.join(REPO, "galaxy.yml")) as handle:
        galaxy = yaml.safe_load(handle)
    wanted = (galaxy["namespace"], galaxy["name"], galaxy["version"])
    assert (info["namespace"], info["name"], info["version"]) == wanted
    # Nothing of the lab, the venv or the build tree is shipped.
    for stray in ("tests/lab", ".venv", ".build", "Makefile", "bench", ".pytest_cache"):
        assert not os.path.exists(os.path.join(artefact[2], stray)), stray


def test_installed_files_match_the_manifest_and_are_what_ansible_finds(artefact):
    env = installed_env(artefact)
    proc = subprocess.run([tool("ansible-galaxy"), "collection", "verify", "--offline", "csops.cloudstack"],
                          env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = subprocess.run([tool("ansible-galaxy"), "collection", "list", "csops.cloudstack", "--format", "json"],
                          env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    found = json.loads(proc.stdout)
    assert list(found) == [os.path.join(artefact[1], "ansible_collections")], found


def test_cloud_report_from_the_installed_copy(artefact, lab_env, control, tmp_path):
    mark = control.mark()
    report = tmp_path / "report.txt"
    playbook(artefact, lab_env, tmp_path, "csops.cloudstack.cloud_report", "-e",
             json.dumps({"cloud_report_file": str(report)}))
    text = report.read_text()
    for needle in ("Hypervisor hosts", "kvm1", "s-1-VM", "v-2-VM", "Virtual routers"):
        assert needle in text, text
    assert control.write_calls(mark) == []
    assert [r for r in control.requests(mark) if r["command"] == "listHosts"], "the report never asked the API"


@pytest.fixture
def hook_play(artefact, lab_env, tmp_path):
    if not hooklab.libvirt_up():
        pytest.fail("the lab's libvirtd is not up: run `make lab-up`")
    hooklab.guest_off()
    hooklab.remove_hooks()
    extra = {} if hooklab.inventory_sets_restart_command(INVENTORY) else {
        "libvirt_hooks_restart_command": hooklab.RESTART_COMMAND}
    play = tmp_path / "hooks.yml"
    play.write_text(yaml.safe_dump([{
        "hosts": "kvm1",
        "gather_facts": False,
        "roles": [{"role": "csops.cloudstack.libvirt_hooks", "vars": {
            "libvirt_hooks_timeout": 5,
            "libvirt_hooks_scripts": [{"name": "10-record.sh", "content": RECORDER}]}}],
    }]))

    def run(*args):
        proc = playbook(artefact, lab_env, tmp_path, str(play), "-e", json.dumps(extra), *args)
        recap = {host: int(changed) for host, _ok, changed, _u, _f in RECAP.findall(proc.stdout)}
        return recap["kvm1"], proc.stdout

    yield run
    hooklab.cleanup()


def test_libvirt_hooks_role_from_the_installed_copy(hook_play):
    pid = hooklab.libvirtd_pid()
    changed, out = hook_play()
    assert changed > 0, out
    assert os.listdir(CUSTOM_DIR) == ["all_10-record.sh"]
    with open(HOOK) as handle:
        assert "# setting timeout=5\n" in handle.read()
    assert hooklab.libvirtd_pid() != pid, "the role's handler did not restart libvirtd"
    changed, out = hook_play()
    assert changed == 0, out
