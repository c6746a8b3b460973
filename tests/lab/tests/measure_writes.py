"""Per-request cost of the simulator with the router benchmark's big topology (500 routers): a timing loop, not
a test. Signed requests over one keep-alive connection on 127.0.0.1; median and p90 in milliseconds.

    .venv/bin/python tests/lab/tests/measure_writes.py [--routers 500] [--calls 200] [--baseline-lab DIR]

``--baseline-lab`` runs another copy of tests/lab (e.g. ``git archive HEAD tests/lab | tar -x -C DIR`` then
DIR/tests/lab) side by side, rounds alternating, so both see the same machine load.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time

import requests
import yaml

LAB = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, LAB)

from cssim import DEFAULT_API_KEY, DEFAULT_SECRET_KEY, signing  # noqa: E402
from cssim.launcher import PrivateSimulator  # noqa: E402
from cssim.world import stable_id  # noqa: E402


def big_topology(path, routers):
    """The lab topology with ``routers`` routers spread over both zones (as bench/router_upgrade_bench.py)."""
    with open(os.path.join(LAB, "topology.yml"), encoding="utf-8") as handle:
        topo = yaml.safe_load(handle)
    old = topo["templates"][0]
    hosts = [("lab-zone1", "kvm1"), ("lab-zone1", "kvm2"), ("lab-zone2", "kvm3")]
    topo["routers"] = [dict(name="r-%d-VM" % (1000 + i), zone=hosts[i % 3][0], host=hosts[i % 3][1],
                            template=old["name"], account="bench%d" % (i % 20), domain="ROOT",
                            network="bench-net%d" % i, linklocalip="169.254.%d.%d" % (100 + i // 250, 1 + i % 250))
                       for i in range(routers)]
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(topo, handle)


class Client:
    def __init__(self, sim):
        self.url = sim.endpoint
        self.http = requests.Session()

    def timed(self, command, **params):
        pairs = signing.signed_query(dict(params, command=command, response="json"), DEFAULT_API_KEY,
                                     DEFAULT_SECRET_KEY)
        start = time.perf_counter()
        resp = self.http.get(self.url, params=pairs, timeout=30)
        elapsed = time.perf_counter() - start
        if resp.status_code != 200:
            raise SystemExit("%s answered %d: %s" % (command, resp.status_code, resp.text[:300]))
        return elapsed * 1000, resp.json()


def one_round(client, routers, calls, offset):
    """calls x (updateConfiguration, upgradeRouterTemplate of one router, queryAsyncJobResult of its job)."""
    times = {"updateConfiguration": [], "upgradeRouterTemplate": [], "queryAsyncJobResult": []}
    for i in range(calls):
        ms = client.timed("updateConfiguration", name="expunge.delay", value=str(1000 + offset + i))[0]
        times["updateConfiguration"].append(ms)
        router = stable_id("router", "r-%d-VM" % (1000 + (offset + i) % routers))
        ms, body = client.timed("upgradeRouterTemplate", id=router)
        times["upgradeRouterTemplate"].append(ms)
        jobs = body["upgraderoutertemplateresponse"].get("asyncjobs") or []
        if jobs:
            ms = client.timed("queryAsyncJobResult", jobid=jobs[0]["jobid"])[0]
            times["queryAsyncJobResult"].append(ms)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--routers", type=int, default=500)
    parser.add_argument("--calls", type=int, default=200, help="calls of each command per simulator and round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--baseline-lab", help="another tests/lab directory to time side by side")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        topology = os.path.join(tmp, "topology.yml")
        big_topology(topology, args.routers)
        sims = {"this tree": PrivateSimulator(topology=topology)}
        if args.baseline_lab:
            sims["baseline"] = PrivateSimulator(topology=topology, lab=args.baseline_lab)
        try:
            state = os.path.getsize(os.path.join(sims["this tree"].state_dir, "state.json"))
            print("routers %d, state.json %.2f MB" % (args.routers, state / 1e6))
            results = {name: {} for name in sims}
            for round_ in range(args.rounds):
                for name, sim in sims.items():
                    # the minimum required version above every router's: each upgradeRouterTemplate submits a job
                    sim.control.set_job_durations(upgradeRouterTemplate=3600)
                    client = Client(sim)
                    client.timed("updateConfiguration", name="minreq.sysvmtemplate.version", value="9.9.9")
                    for command, ms in one_round(client, args.routers, args.calls, round_ * args.calls).items():
                        results[name].setdefault(command, []).extend(ms)
        finally:
            for sim in sims.values():
                sim.close()
    for name, by_command in results.items():
        for command, ms in by_command.items():
            ms = sorted(ms)
            print("%-10s %-22s n=%4d median %7.2f ms  p90 %7.2f ms  max %7.2f ms" % (
                name, command, len(ms), statistics.median(ms), ms[int(len(ms) * 0.9)], ms[-1]))


if __name__ == "__main__":
    main()
