"""Run the simulator in a subprocess on 127.0.0.1 with an ephemeral port and a state dir of its own."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

LAB = Path(__file__).resolve().parent.parent
REPO = LAB.parent.parent
TOPOLOGY = LAB / "topology.yml"
if str(LAB) not in sys.path:
    sys.path.insert(0, str(LAB))

from cssim import DEFAULT_API_KEY, DEFAULT_SECRET_KEY, signing  # noqa: E402
from cssim.control import LabControl  # noqa: E402


class Sim:
    def __init__(self, state_dir, extra_hosts=0):
        self.state_dir = Path(state_dir)
        self.extra_hosts = extra_hosts
        self.proc = None
        self.url = None
        self.pidfile = self.state_dir / "cssim.pid"

    def start(self):
        cmd = [sys.executable, "-m", "cssim", "--state-dir", str(self.state_dir), "--topology", str(TOPOLOGY),
               "--host", "127.0.0.1", "--port", "0", "--pidfile", str(self.pidfile)]
        if self.extra_hosts:
            cmd += ["--extra-hosts", str(self.extra_hosts)]
        env = dict(os.environ, PYTHONPATH=str(LAB))
        self.proc = subprocess.Popen(cmd, cwd=str(REPO), env=env, stdout=subprocess.PIPE, stderr=sys.stderr,
                                     text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("cssim listening on "):
            self.proc.kill()
            raise RuntimeError("simulator did not start: %r" % line)
        self.url = line.strip().rsplit(" ", 1)[1]
        self.control = LabControl(self.url)
        return self

    def stop(self, timeout=10):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=timeout)
        return self.proc.returncode

    def restart(self):
        self.stop()
        return self.start()

    # ----- raw signed calls (the cs client is used where a real client matters) -----

    def call(self, command, method="GET", secret=DEFAULT_SECRET_KEY, key=DEFAULT_API_KEY, version3=False, **params):
        params = dict(params, command=command, response="json")
        pairs = signing.signed_query(params, key, secret, version3=version3)
        if method == "GET":
            return requests.get(self.url, params=pairs, timeout=10)
        return requests.post(self.url, data=pairs, timeout=10)

    def ok(self, command, **params):
        resp = self.call(command, **params)
        assert resp.status_code == 200, resp.text
        [(name, body)] = resp.json().items()
        assert name == command.lower() + "response"
        return body

    def wait_job(self, jobid, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            body = self.ok("queryAsyncJobResult", jobid=jobid)
            if body["jobstatus"] != 0:
                return body
            time.sleep(0.05)
        raise AssertionError("job %s did not finish" % jobid)
