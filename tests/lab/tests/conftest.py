"""Fixtures: a simulator subprocess per session (reseeded for every test) or per test (for restarts)."""

import pytest
from cssim_harness import DEFAULT_API_KEY, DEFAULT_SECRET_KEY, Sim

# Short job durations keep the suite fast; tests that need a window set their own.
FAST_JOBS = {"startSystemVm": 0.3, "stopSystemVm": 0.3, "rebootSystemVm": 0.3, "destroySystemVm": 0.3,
             "migrateSystemVm": 0.3, "rebootRouter": 0.3, "upgradeRouterTemplate": 0.3, "templateDownload": 0.5,
             "systemVmRecreate": 0.3}


@pytest.fixture(scope="session")
def shared_sim(tmp_path_factory):
    sim = Sim(tmp_path_factory.mktemp("cssim-shared")).start()
    yield sim
    sim.stop()


@pytest.fixture
def sim(shared_sim):
    """The shared simulator, reseeded, without faults and with fast jobs."""
    shared_sim.control.clear_faults()
    shared_sim.control.reset()
    shared_sim.control.set_job_durations(FAST_JOBS)
    return shared_sim


@pytest.fixture
def fresh_sim(tmp_path):
    """A simulator of its own (for restarts)."""
    sim = Sim(tmp_path / "state").start()
    yield sim
    sim.stop()


@pytest.fixture
def cs_client(sim):
    from cs import CloudStack

    def make(method="get", v3=True, **kw):
        return CloudStack(endpoint=sim.endpoint, key=DEFAULT_API_KEY, secret=DEFAULT_SECRET_KEY, method=method,
                          expiration=600 if v3 else -1, poll_interval=0.05, job_timeout=20, **kw)

    return make
