"""python -m cssim --state-dir D --topology T [--host H --port P --api-key K --secret-key S
                  --extra-hosts N --pidfile F]"""

import argparse
import os
import signal
import sys
import threading

from . import DEFAULT_API_KEY, DEFAULT_HOST, DEFAULT_PORT, DEFAULT_SECRET_KEY
from .app import Simulator
from .server import Server


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m cssim", description="CloudStack management-server simulator")
    parser.add_argument("--state-dir", required=True, help="directory for state.json, journal.jsonl and requests.jsonl")
    parser.add_argument("--topology", help="topology.yml used to seed a new state (and by /lab/reset)")
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free port")
    parser.add_argument("--api-key", default=DEFAULT_API_KEY)
    parser.add_argument("--secret-key", default=DEFAULT_SECRET_KEY)
    parser.add_argument("--extra-hosts", type=int, default=0, help="add N API-only KVM hosts (sim-host-NNNNN)")
    parser.add_argument("--pidfile", help="write the process id here while running")
    parser.add_argument("--contract", help="api-contract.json to follow (default: the lab's copy)")
    parser.add_argument("--verbose", action="store_true", help="log every HTTP request to stderr")
    args = parser.parse_args(argv)

    sim = Simulator(args.state_dir, args.topology, args.api_key, args.secret_key, args.extra_hosts, args.contract)
    server = Server((args.host, args.port), sim, verbose=args.verbose)
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if args.pidfile:
        with open(args.pidfile, "w", encoding="utf-8") as fh:
            fh.write("%d\n" % os.getpid())
    sim.start_ticker()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, name="cssim-http",
                              daemon=True)
    thread.start()
    print("cssim listening on %s" % server.url, flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.shutdown()
        server.server_close()
        sim.stop()
        if args.pidfile:
            try:
                os.unlink(args.pidfile)
            except FileNotFoundError:
                pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
