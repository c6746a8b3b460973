"""The inventory plugin runs in a real ``ansible-inventory`` process against a private simulator on 127.0.0.1
(port 0): nothing is mocked."""

import json
import os
import subprocess
import sys

import pytest
import yaml

LAB = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, os.pardir, "lab"))
if LAB not in sys.path:
    sys.path.insert(0, LAB)

from cssim import DEFAULT_API_KEY, DEFAULT_SECRET_KEY  # noqa: E402  (path set just above)
from cssim.control import LabControl  # noqa: E402
from cssim.launcher import PrivateSimulator  # noqa: E402

ANSIBLE_INVENTORY = os.path.join(os.path.dirname(sys.executable), "ansible-inventory")


@pytest.fixture(scope="module")
def sim():
    simulator = PrivateSimulator()
    yield simulator
    simulator.close()


@pytest.fixture
def control(sim):
    ctl = LabControl(sim.control_url)
    ctl.reset()
    yield ctl
    ctl.clear_faults()


class Runner:
    """Writes a plugin config into ``tmp_path`` and runs ``ansible-inventory --list`` on it."""

    def __init__(self, sim, tmp_path):
        self.sim = sim
        self.tmp_path = tmp_path

    def env(self, **extra):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUDSTACK_", "ANSIBLE_INVENTORY"))}
        env.update(CLOUDSTACK_ENDPOINT=self.sim.endpoint, CLOUDSTACK_KEY=DEFAULT_API_KEY,
                   CLOUDSTACK_SECRET=DEFAULT_SECRET_KEY, HOME=str(self.tmp_path), ANSIBLE_NOCOLOR="1")
        env.update(extra)
        return {k: v for k, v in env.items() if v is not None}

    def run(self, config, *args, name="cloudstack.yml", check=True, **env):
        path = self.tmp_path / name
        path.write_text(yaml.safe_dump(dict({"plugin": "csops.cloudstack.cloudstack"}, **config)))
        proc = subprocess.run([ANSIBLE_INVENTORY, "-i", str(path), "--list"] + list(args), capture_output=True,
                              text=True, env=self.env(**env), cwd=str(self.tmp_path), timeout=120,
                              check=False)
        if check:
            assert proc.returncode == 0, proc.stderr
        data = json.loads(proc.stdout) if proc.returncode == 0 else None
        return data, proc


@pytest.fixture
def inventory(sim, control, tmp_path):
    return Runner(sim, tmp_path)


def plain(value):
    """``value`` from ansible-inventory's JSON with Ansible's unsafe markers taken off."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def hostvars(data):
    """The host variables, with Ansible's unsafe markers taken off."""
    return plain(data["_meta"]["hostvars"])


def members(data, group):
    """Hosts of ``group`` (direct members), as a set."""
    return set(data.get(group, {}).get("hosts", []))
