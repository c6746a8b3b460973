"""The simulator on 127.0.0.1 (cssim.launcher) with a state dir of its own, and signed calls for the tests."""

import sys
import time
from pathlib import Path

import requests

LAB = Path(__file__).resolve().parent.parent
TOPOLOGY = LAB / "topology.yml"
if str(LAB) not in sys.path:
    sys.path.insert(0, str(LAB))

from cssim import DEFAULT_API_KEY, DEFAULT_SECRET_KEY, signing  # noqa: E402
from cssim.launcher import PrivateSimulator  # noqa: E402


class Sim(PrivateSimulator):
    """The launcher's simulator on ``state_dir`` (started by ``start()``), with signed-call helpers."""

    def __init__(self, state_dir, extra_hosts=0):
        extra = ["--extra-hosts", str(extra_hosts)] if extra_hosts else []
        super().__init__(*extra, state_dir=state_dir, start=False)

    # ----- raw signed calls (the cs client is used where a real client matters) -----

    def call(self, command, method="GET", secret=DEFAULT_SECRET_KEY, key=DEFAULT_API_KEY, version3=False, **params):
        params = dict(params, command=command, response="json")
        pairs = signing.signed_query(params, key, secret, version3=version3)
        if method == "GET":
            return requests.get(self.endpoint, params=pairs, timeout=10)
        return requests.post(self.endpoint, data=pairs, timeout=10)

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
