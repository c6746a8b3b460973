"""The lab SSVM's web server for diagnostics archives: `python -m hosts.web --root DIR --down-flag FILE
--address A [--port 80]`, run by labctl inside the SSVM's namespace. It serves what the simulator publishes
under `userdata/` and resets every connection while the down flag exists (cssim's `/lab/diagnostics` switch)."""

from __future__ import annotations

import argparse
import sys

from cssim.diagnostics import make_server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hosts.web")
    parser.add_argument("--root", required=True)
    parser.add_argument("--down-flag", required=True)
    parser.add_argument("--address", required=True)
    parser.add_argument("--port", type=int, default=80)
    args = parser.parse_args(argv)
    server = make_server(args.address, args.port, args.root, args.down_flag)
    print(f"hosts.web serving {args.root} on http://{args.address}:{args.port}/", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
