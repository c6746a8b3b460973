"""Router upgrade benchmark: upgrade 500 routers with csops.cloudstack.router_upgrade (a real ansible-playbook run)
against a private simulator on 127.0.0.1, each upgrade job taking a few seconds, and compare the wall time with
the ideal for the chosen wave size and concurrency; count the API calls from the simulator's request log.

    .venv/bin/python bench/router_upgrade_bench.py [--routers 500] [--job-seconds 3] [--wave-size 50] [--concurrency 25]
                                                   [--simulator-lab DIR]
"""

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
COLLECTIONS = os.path.join(REPO, ".build", "collections")  # the symlink `make setup` creates
sys.path.insert(0, os.path.join(REPO, "tests", "lab"))

from cssim import DEFAULT_API_KEY, DEFAULT_SECRET_KEY  # noqa: E402
from cssim.control import LabControl  # noqa: E402
from cssim.launcher import PrivateSimulator  # noqa: E402

NEW_TEMPLATE = "systemvm-kvm-4.20.1"


def bench_topology(path, routers):
    with open(os.path.join(REPO, "tests", "lab", "topology.yml")) as handle:
        topo = yaml.safe_load(handle)
    old = topo["templates"][0]
    topo["templates"].append(dict(old, name=NEW_TEMPLATE, displaytext="SystemVM Template (KVM) 4.20.1",
                                  version="4.20.1", url=old["url"].replace("4.19.0", "4.20.1")))
    topo.setdefault("settings", {})["router.template.kvm"] = NEW_TEMPLATE
    hosts = [("lab-zone1", "kvm1"), ("lab-zone1", "kvm2"), ("lab-zone2", "kvm3")]
    topo["routers"] = []
    for i in range(routers):
        zone, host = hosts[i % len(hosts)]
        topo["routers"].append(dict(
            name="r-%d-VM" % (1000 + i), zone=zone, host=host, template=old["name"], account="bench%d" % (i % 20),
            domain="ROOT", network="bench-net%d" % i,
            linklocalip="169.254.%d.%d" % (100 + i // 250, 1 + i % 250)))
    with open(path, "w") as handle:
        yaml.safe_dump(topo, handle)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--routers", type=int, default=500)
    parser.add_argument("--job-seconds", type=float, default=3.0)
    parser.add_argument("--wave-size", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=25)
    parser.add_argument("--simulator-lab", help="run the simulator from another tests/lab directory (e.g. a copy "
                                                "of an older tree, to compare simulators with the same module)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        topology = os.path.join(tmp, "topology.yml")
        bench_topology(topology, args.routers)
        sim = PrivateSimulator(topology=topology, lab=args.simulator_lab)
        try:
            control = LabControl(sim.control_url)
            control.set_job_durations({"upgradeRouterTemplate": args.job_seconds})
            out = os.path.join(tmp, "result.json")
            play = [{"hosts": "localhost", "gather_facts": False, "tasks": [
                {"name": "upgrade", "csops.cloudstack.router_upgrade": {
                    "wave_size": args.wave_size, "concurrency": args.concurrency, "wait_timeout": 3600},
                 "register": "result"},
                {"name": "save", "ansible.builtin.copy": {"content": "{{ result | to_json }}", "dest": out,
                                                          "mode": "0600"}}]}]
            playbook = os.path.join(tmp, "play.yml")
            with open(playbook, "w") as handle:
                yaml.safe_dump(play, handle)
            env = dict(os.environ, CLOUDSTACK_ENDPOINT=sim.endpoint, CLOUDSTACK_KEY=DEFAULT_API_KEY,
                       CLOUDSTACK_SECRET=DEFAULT_SECRET_KEY, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS)
            mark = control.mark()
            start = time.monotonic()
            proc = subprocess.run(
                [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,", "-c", "local",
                 "-e", "ansible_python_interpreter=%s" % sys.executable, playbook],
                env=env, capture_output=True, text=True, check=False)
            wall = time.monotonic() - start
            if proc.returncode != 0:
                sys.exit("playbook failed:\n" + proc.stdout[-3000:] + proc.stderr[-2000:])
            with open(out) as handle:
                result = json.load(handle)
            calls = Counter(r["command"] for r in control.requests(mark))
        finally:
            sim.close()
    waves = result["waves"]
    rounds = sum(math.ceil(len(w["routers"]) / args.concurrency) for w in waves)
    ideal = rounds * args.job_seconds
    print("routers upgraded: %d of %d; waves: %d (sizes %s)" % (
        len(result["upgraded"]), args.routers, len(waves), sorted(Counter(len(w["routers"]) for w in waves).items())))
    print("job duration %.1f s, wave size %d, concurrency %d" % (args.job_seconds, args.wave_size, args.concurrency))
    print("ideal (job rounds x duration): %.1f s; measured wall time (whole ansible-playbook run): %.1f s; "
          "overhead %.1f s (%.0f%%)" % (ideal, wall, wall - ideal, 100 * (wall - ideal) / ideal))
    print("API calls: %d in all: %s" % (sum(calls.values()), ", ".join("%s %d" % kv for kv in calls.most_common())))


if __name__ == "__main__":
    main()
