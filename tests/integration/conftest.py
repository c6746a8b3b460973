"""Integration tests: real ansible-playbook runs against the lab (`make lab-up` first).

The lab's simulator speaks CloudStack's API, its request log proves which calls a run made, and its control API
injects faults. Nothing here is mocked.
"""

import json
import os
import shlex
import subprocess
import sys
import tempfile

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STATE = os.path.join(REPO, "tests", "lab", ".state")
ENV_FILE = os.path.join(STATE, "env")
INVENTORY = os.path.join(STATE, "inventory.yml")
VENV_BIN = os.path.dirname(sys.executable)
sys.path.insert(0, os.path.join(REPO, "tests", "lab"))

from cssim.control import LabControl  # noqa: E402  (path set just above)


def read_env_file(path):
    env = {}
    with open(path) as handle:
        for line in handle:
            line = line.strip()
            if line.startswith("export "):
                key, _sep, value = line[len("export "):].partition("=")
                env[key] = shlex.split(value)[0] if value else ""
    return env


LAB_BRIDGE = "cslbr0"


def lab_route_is_local(address):
    """Whether traffic to ``address`` stays on the lab bridge. When the lab is down its addresses would follow
    the default route off the machine, so no test may send anything then."""
    proc = subprocess.run(["ip", "-j", "route", "get", address], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return False
    routes = json.loads(proc.stdout or "[]")
    return bool(routes) and all(route.get("dev") == LAB_BRIDGE for route in routes)


@pytest.fixture(scope="session")
def lab_env():
    if not os.path.exists(ENV_FILE):
        pytest.fail("the lab is not up: run `make lab-up` (tests/lab/.state/env is missing)")
    env = read_env_file(ENV_FILE)
    host = env["CLOUDSTACK_ENDPOINT"].split("//", 1)[1].split("/", 1)[0].split(":")[0]
    if not lab_route_is_local(host):
        pytest.fail("the lab is not up: %s is not routed through %s; run `make lab-up`" % (host, LAB_BRIDGE))
    return env


@pytest.fixture(scope="session")
def control(lab_env):
    return LabControl(lab_env["CSLAB_CONTROL"])


@pytest.fixture(autouse=True)
def _clean_faults(request):
    uses_lab = {"control", "ansible", "lab_env"} & set(request.fixturenames)
    if uses_lab:
        env = request.getfixturevalue("lab_env")
        host = env["CLOUDSTACK_ENDPOINT"].split("//", 1)[1].split("/", 1)[0].split(":")[0]
        if not lab_route_is_local(host):
            pytest.fail("the lab went down: %s is no longer routed through %s" % (host, LAB_BRIDGE))
    yield
    if "control" in request.fixturenames:
        request.getfixturevalue("control").clear_faults()


class PlaybookRunner:
    """Runs playbooks with ansible-playbook against the lab and returns registered results."""

    def __init__(self, env):
        self.env = dict(os.environ)
        self.env.update(env)
        self.env.update(
            ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, ".build", "collections"),
            ANSIBLE_HOST_KEY_CHECKING="False",
            ANSIBLE_RETRY_FILES_ENABLED="False",
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_CALLBACK_RESULT_FORMAT="yaml",
            PATH=VENV_BIN + os.pathsep + os.environ.get("PATH", ""),
        )

    def playbook(self, path, *args, env=None, check=False, diff=False, extra_vars=None, timeout=600):
        cmd = [os.path.join(VENV_BIN, "ansible-playbook"), "-i", INVENTORY, path]
        if check:
            cmd.append("--check")
        if diff:
            cmd.append("--diff")
        if extra_vars:
            cmd += ["-e", json.dumps(extra_vars)]
        cmd += list(args)
        run_env = dict(self.env, **(env or {}))
        return subprocess.run(cmd, env=run_env, capture_output=True, text=True, timeout=timeout, cwd=REPO,
                              check=False)

    def module(self, name, args=None, check=False, diff=False, env=None, hosts="localhost"):
        """Run one task of module ``name`` and return its registered result (failures included)."""
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "result.json")
            play = [{
                "hosts": hosts,
                "gather_facts": False,
                "tasks": [
                    {"name": "task under test", "csops.cloudstack." + name: args or {},
                     "register": "result", "ignore_errors": True},
                    {"name": "save result", "ansible.builtin.copy": {
                        "content": "{{ result | to_json }}", "dest": out, "mode": "0600"},
                     "delegate_to": "localhost", "check_mode": False, "diff": False},
                ],
            }]
            path = os.path.join(tmp, "play.yml")
            with open(path, "w") as handle:
                yaml.safe_dump(play, handle)
            proc = self.playbook(path, check=check, diff=diff, env=env)
            if not os.path.exists(out):
                raise AssertionError("playbook did not run the task:\n%s\n%s" % (proc.stdout, proc.stderr))
            with open(out) as handle:
                result = json.load(handle)
            result["_stdout"] = proc.stdout
            return result


@pytest.fixture(scope="session")
def ansible(lab_env):
    return PlaybookRunner(lab_env)
