"""Listing benchmark: read 5,000 hosts through the collection's client (all pages) from a private simulator on
127.0.0.1, and report wall time and API calls.

    .venv/bin/python bench/list_bench.py [--hosts 5000] [--runs 5]
"""

import argparse
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, ".build", "collections"))  # the symlink `make setup` creates
sys.path.insert(0, os.path.join(REPO, "tests", "lab"))

from ansible_collections.csops.cloudstack.plugins.module_utils._api.client import CloudStackClient  # noqa: E402
from ansible_collections.csops.cloudstack.plugins.module_utils._api.config import Connection  # noqa: E402
from cssim import DEFAULT_API_KEY, DEFAULT_SECRET_KEY  # noqa: E402
from cssim.launcher import PrivateSimulator  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    topology_hosts = 3
    sim = PrivateSimulator("--extra-hosts", str(args.hosts - topology_hosts))
    try:
        conn = Connection(sim.endpoint, DEFAULT_API_KEY, DEFAULT_SECRET_KEY, 30, "get", True, "cloudstack")
        times, calls = [], []
        for _run in range(args.runs):
            client = CloudStackClient(conn)
            start = time.perf_counter()
            hosts = client.list("listHosts", {"type": "Routing"})
            times.append(time.perf_counter() - start)
            calls.append(client.requests_sent)
            assert len(hosts) == args.hosts, len(hosts)
    finally:
        sim.close()
    print("hosts listed: %d, runs: %d" % (args.hosts, args.runs))
    print("wall time: median %.3f s, min %.3f s, max %.3f s" % (statistics.median(times), min(times), max(times)))
    print("API calls per listing: %s (pagesize 500)" % sorted(set(calls)))


if __name__ == "__main__":
    main()
