# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reliability campaign of playbooks/rolling_maintenance.yml: 20 runs, each with one random fault (an API error
on cancelHostMaintenance or updateCluster, a host stuck in PrepareForMaintenance, a host that does not come back,
a failing prepareHostForMaintenance job, a dropped connection, a run killed halfway and run again, or none).
After every run: no host left in maintenance that the report does not name as left, no cluster left disabled
unless reported, the fault in the report when it fired, exit status and verdict agree; the run after a killed
one carries on and finishes, its markers removed.

It runs against a private simulator on 127.0.0.1 seeded with bench/rolling_topology.yml (API-only hosts), not the
lab, so that it is fast and needs no lock; the hosts are therefore run with not_in_inventory=api_only. Nothing is
mocked. bench/rolling_bench.py campaign runs the same rounds 200 times.
"""

import os
import random
import sys
import tempfile

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "bench"))

import rolling_bench  # noqa: E402  (path set just above)

ROUNDS = int(os.environ.get("ROLLING_CAMPAIGN_ROUNDS", "20"))


@pytest.fixture(scope="module")
def sim():
    with rolling_bench.PrivateSimulator(topology=rolling_bench.TOPOLOGY) as simulator:
        yield simulator


def test_rolling_campaign(sim):
    rng = random.Random(int(os.environ.get("ROLLING_CAMPAIGN_SEED", "20")))
    seen = set()
    with tempfile.TemporaryDirectory() as workdir:
        for number in range(1, ROUNDS + 1):
            result = rolling_bench.one_round(sim, rng, workdir, number)
            seen.add(result["fault"])
    assert len(seen) >= min(ROUNDS, 4), "the campaign drew too few kinds of faults: %s" % sorted(seen)
