# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Inventory benchmark: csops.cloudstack.cloudstack on 2,000 routers and 500 hosts with 20 ms per API call.

A private simulator on 127.0.0.1 is seeded with the lab's topology, its routers replaced by --routers generated
ones and API-only hosts added up to --hosts; a latency fault makes every API call take --latency seconds more.
Round after round (the order alternating) it measures:

- ``ansible-inventory --list`` with the plugin (every kind, default options): the whole process, start-up included,
  wall time and the CPU time it used (the machine's load makes wall time noisy; CPU time much less so);
- the same with ``facts: [all]`` (every fact in the host variable ``cloudstack``);
- ``ansible-inventory --list`` of a static YAML inventory holding the same hosts, groups and variables (written
  from the plugin's own ``--list``): what Ansible itself costs for an inventory of this size, whatever its source;
- with ``--baseline DIR``, the same for another copy of the collection (``DIR/ansible_collections/csops/cloudstack``,
  for example an earlier commit: ``git archive <ref> | tar -x -C DIR/ansible_collections/csops/cloudstack``),
  side by side in the same rounds;
- the plugin's work in this process (``fetch.read`` + ``entries.build``), without Ansible's start-up;
- the same listings read the way ngine_io.cloudstack's ``instance`` inventory reads its list, through the ``cs``
  library with ``fetch_list=True`` (its instance inventory itself lists user instances with listVirtualMachines,
  which neither this collection nor the simulator covers, so the listing engine is what compares);
- a loop of one call per router (``listHosts id=<its host>``) for --loop-sample routers, extrapolated to all.

API calls per command come from the simulator's request log; the load average is printed before and after.

    .venv/bin/python bench/inventory_bench.py [--routers 2000] [--hosts 500] [--latency 0.02] [--runs 5]
                                              [--baseline DIR]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(REPO, ".build", "collections")
sys.path[:0] = [os.path.join(REPO, "tests", "lab"), COLLECTIONS]

from cssim import DEFAULT_API_KEY, DEFAULT_SECRET_KEY  # noqa: E402  (paths set just above)
from cssim.launcher import PrivateSimulator  # noqa: E402

from ansible_collections.csops.cloudstack.plugins.module_utils._api.client import CloudStackClient  # noqa: E402
from ansible_collections.csops.cloudstack.plugins.module_utils._api.config import Connection  # noqa: E402
from ansible_collections.csops.cloudstack.plugins.module_utils._inventory import entries, fetch  # noqa: E402


def bench_topology(path, routers):
    """The lab topology with ``routers`` routers spread over the lab's KVM hosts; returns its host count."""
    with open(os.path.join(REPO, "tests", "lab", "topology.yml")) as handle:
        topo = yaml.safe_load(handle)
    placed = [(zone["name"], host["name"]) for zone in topo["zones"] for pod in zone["pods"]
              for cluster in pod["clusters"] for host in cluster["hosts"]]
    template = topo["templates"][0]["name"]
    topo["routers"] = []
    for i in range(routers):
        zone, host = placed[i % len(placed)]
        topo["routers"].append(dict(name="r-%d-VM" % (1000 + i), zone=zone, host=host, template=template,
                                    account="bench%d" % (i % 20), domain="ROOT", network="bench-net%d" % i,
                                    linklocalip="169.254.%d.%d" % (100 + i // 250, 1 + i % 250)))
    with open(path, "w") as handle:
        yaml.safe_dump(topo, handle)
    return len(placed)


def counted(control, mark):
    return dict(Counter(entry["command"] for entry in control.requests(since=mark)))


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_inventory(config, env, cpu):
    """Wall time of ``ansible-inventory --list`` (its output read, as an operator's pipe would); its CPU time is
    appended to ``cpu``."""
    cpu_before = children_cpu()
    start = time.monotonic()
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-inventory"), "-i", config,
                           "--list"], capture_output=True, text=True, env=env, check=False)
    elapsed = time.monotonic() - start
    cpu.append(children_cpu() - cpu_before)
    if proc.returncode:
        raise SystemExit("ansible-inventory failed: %s" % proc.stderr[-2000:])
    return elapsed, len(json.loads(proc.stdout)["_meta"]["hostvars"])


def plain(value):
    """``value`` from ansible-inventory's JSON with the unsafe markers taken off."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def write_static(config, env, path):
    """A static YAML inventory with what ``ansible-inventory --list`` gives for ``config``."""
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-inventory"), "-i", config,
                           "--list"], capture_output=True, text=True, env=env, check=True)
    data = plain(json.loads(proc.stdout))
    children = {name: {"hosts": {host: None for host in group["hosts"]}}
                for name, group in data.items() if name not in ("_meta", "all") and group.get("hosts")}
    with open(path, "w") as handle:
        yaml.safe_dump({"all": {"hosts": data["_meta"]["hostvars"], "children": children}}, handle)


def run_plugin_work(sim):
    client = CloudStackClient(Connection(sim.endpoint, DEFAULT_API_KEY, DEFAULT_SECRET_KEY, 30, "get", True,
                                         "cloudstack"))
    start = time.monotonic()
    snapshot = fetch.read(client, fetch.KINDS)
    built, _problems = entries.build(snapshot, entries.Settings())
    return time.monotonic() - start, len(built)


def run_cs(sim):
    from cs import CloudStack  # the library ngine_io.cloudstack uses (tests/requirements.txt installs it)
    api = CloudStack(endpoint=sim.endpoint, key=DEFAULT_API_KEY, secret=DEFAULT_SECRET_KEY, timeout=30)
    start = time.monotonic()
    hosts = api.listHosts(fetch_list=True, type="Routing")
    vms = api.listSystemVms(fetch_list=True)
    routers = api.listRouters(fetch_list=True, listall=True)
    return time.monotonic() - start, len(hosts) + len(vms) + len(routers)


def run_loop(sim, sample):
    client = CloudStackClient(Connection(sim.endpoint, DEFAULT_API_KEY, DEFAULT_SECRET_KEY, 30, "get", True,
                                         "cloudstack"))
    routers = client.list("listRouters", {"listall": True})
    start = time.monotonic()
    for router in routers[:sample]:
        client.request("listHosts", {"id": router["hostid"]})
    per_router = (time.monotonic() - start) / sample
    return per_router * len(routers), len(routers)


def spread(values):
    return "%.3f / %.3f / %.3f" % (min(values), statistics.median(values), max(values))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--routers", type=int, default=2000)
    parser.add_argument("--hosts", type=int, default=500)
    parser.add_argument("--latency", type=float, default=0.02, help="seconds added to every API call")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--loop-sample", type=int, default=100)
    parser.add_argument("--baseline", help="a collections path holding another copy of csops.cloudstack to time "
                                           "side by side")
    args = parser.parse_args()
    if args.baseline and not os.path.isdir(os.path.join(args.baseline, "ansible_collections", "csops",
                                                        "cloudstack", "plugins", "inventory")):
        raise SystemExit("--baseline: no csops.cloudstack inventory plugin under %s" % args.baseline)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        topology = os.path.join(tmp, "topology.yml")
        lab_hosts = bench_topology(topology, args.routers)
        extra = max(0, args.hosts - lab_hosts)
        with PrivateSimulator("--extra-hosts", str(extra), topology=topology) as sim:
            control = sim.control
            control.add_fault("latency", command="*", seconds=args.latency)
            config = os.path.join(tmp, "bench.cloudstack.yml")
            with open(config, "w") as handle:
                yaml.safe_dump({"plugin": "csops.cloudstack.cloudstack"}, handle)
            all_facts = os.path.join(tmp, "all-facts.cloudstack.yml")
            with open(all_facts, "w") as handle:
                yaml.safe_dump({"plugin": "csops.cloudstack.cloudstack", "facts": ["all"]}, handle)
            env = dict(os.environ, CLOUDSTACK_ENDPOINT=sim.endpoint, CLOUDSTACK_KEY=DEFAULT_API_KEY,
                       CLOUDSTACK_SECRET=DEFAULT_SECRET_KEY, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS)
            static = os.path.join(tmp, "static.yml")
            write_static(config, env, static)
            cpu = {"ansible-inventory": [], "ansible-inventory, facts: [all]": [], "ansible-inventory, baseline": [],
                   "ansible-inventory, static YAML": []}
            kinds = {"ansible-inventory": lambda: run_inventory(config, env, cpu["ansible-inventory"]),
                     "ansible-inventory, static YAML": lambda: run_inventory(
                         static, env, cpu["ansible-inventory, static YAML"]),
                     "ansible-inventory, facts: [all]": lambda: run_inventory(
                         all_facts, env, cpu["ansible-inventory, facts: [all]"])}
            if args.baseline:
                base_env = dict(env, ANSIBLE_COLLECTIONS_PATH=os.path.abspath(args.baseline))
                kinds["ansible-inventory, baseline"] = lambda: run_inventory(config, base_env,
                                                                             cpu["ansible-inventory, baseline"])
            kinds.update({"plugin work in-process": lambda: run_plugin_work(sim),
                          "cs library (ngine_io's engine)": lambda: run_cs(sim)})
            times = {name: [] for name in kinds}
            calls, sizes = {}, {}
            for round_no in range(args.runs):
                order = list(kinds) if round_no % 2 == 0 else list(reversed(list(kinds)))
                for name in order:
                    mark = control.mark()
                    elapsed, size = kinds[name]()
                    times[name].append(elapsed)
                    calls[name] = counted(control, mark)
                    sizes[name] = size
            loop_time, routers = run_loop(sim, args.loop_sample)
    load_after = os.getloadavg()
    print("%d routers, %d hosts (+ the lab's system VMs), %.0f ms latency per call, %d runs"
          % (args.routers, args.hosts, args.latency * 1000, args.runs))
    print("load average (1, 5, 15 min) before %s, after %s"
          % (" ".join("%.2f" % x for x in load_before), " ".join("%.2f" % x for x in load_after)))
    print("| what | objects | wall time s (min / median / max) | CPU time s (min / median / max) | API calls |")
    print("|---|---|---|---|---|")
    for name in kinds:
        per_command = ", ".join("%s %d" % kv for kv in sorted(calls[name].items()))
        used = spread(cpu[name]) if cpu.get(name) else "-"
        print("| %s | %d | %s | %s | %s |" % (name, sizes[name], spread(times[name]), used, per_command))
    print("| one listHosts per router (%d sampled, extrapolated) | %d | %.3f | - | %d |"
          % (args.loop_sample, routers, loop_time, routers))
    limit = {"listRouters": math.ceil(args.routers / 500), "listHosts": math.ceil(args.hosts / 500)}
    ours = calls["ansible-inventory"]
    met_calls = all(ours.get(command, 0) <= n for command, n in limit.items())
    met_time = statistics.median(times["ansible-inventory"]) < 2.0
    print("target: under 2 s (median ansible-inventory %s) and at most ceil(N/500) calls per kind %s (%s)"
          % ("met" if met_time else "NOT met", "met" if met_calls else "NOT met",
             ", ".join("%s <= %d" % kv for kv in sorted(limit.items()))))


if __name__ == "__main__":
    main()
