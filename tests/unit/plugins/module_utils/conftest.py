"""Backend tests run against a private simulator on 127.0.0.1 (port 0), with a real client: nothing is mocked,
the backends talk to it over HTTP with signed requests, as they talk to CloudStack."""

import os
import sys

import pytest

LAB = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, os.pardir, "lab"))
if LAB not in sys.path:
    sys.path.insert(0, LAB)

from cssim import DEFAULT_API_KEY, DEFAULT_SECRET_KEY  # noqa: E402  (path set just above)
from cssim.control import LabControl  # noqa: E402
from cssim.launcher import PrivateSimulator  # noqa: E402

from ansible_collections.csops.cloudstack.plugins.module_utils._api.client import CloudStackClient  # noqa: E402
from ansible_collections.csops.cloudstack.plugins.module_utils._api.config import Connection  # noqa: E402
from ansible_collections.csops.cloudstack.plugins.module_utils._api.retry import RetryPolicy  # noqa: E402

# Quick jobs and downloads, so backend tests take seconds.
QUICK_JOBS = dict(startSystemVm=0.3, stopSystemVm=0.3, rebootSystemVm=0.3, destroySystemVm=0.3, migrateSystemVm=0.3,
                  systemVmRecreate=0.5, templateDownload=0.5, issueCertificate=0.2, provisionCertificate=0.3)


@pytest.fixture(scope="module")
def sim():
    simulator = PrivateSimulator()
    yield simulator
    simulator.close()


@pytest.fixture
def control(sim):
    """The simulator's control API, on a freshly seeded world with quick jobs, and no faults left behind."""
    ctl = LabControl(sim.control_url)
    ctl.reset()
    ctl.set_job_durations(**QUICK_JOBS)
    yield ctl
    ctl.clear_faults()


@pytest.fixture
def client(sim, control):
    """A fresh client (its write counters start at zero) for the reset simulator."""
    conn = Connection(sim.endpoint, DEFAULT_API_KEY, DEFAULT_SECRET_KEY, 10, "get", True, "cloudstack")
    return CloudStackClient(conn, retry=RetryPolicy(attempts=3, base=0.05, cap=0.2))
