"""The lab's /opt/cloud/bin/diagnostics.py, installed in every system VM / router namespace.

Called as `diagnostics.py <type> <address> [options...]` (CloudStack passes "<type> <ip> [params]"). Adds the
defaults CloudStack's script adds (ping and arping `-c 4`, traceroute `-m 20`, each unless given), runs the
command without a shell and prints `<stdout>&&`, `<stderr>&&` and the exit code on three lines, which the
management server splits on `&&`. An unknown type prints nothing.
"""

import shlex
import subprocess
import sys

DEFAULTS = {"ping": ("-c", "4"), "traceroute": ("-m", "20"), "arping": ("-c", "4")}


def command_line(argv):
    if not argv or argv[0] not in DEFAULTS:
        return None
    flag, value = DEFAULTS[argv[0]]
    line = " ".join(argv)
    return line if flag in argv else "%s %s %s" % (line, flag, value)


def main(argv):
    line = command_line(argv)
    if line is None:
        return 0
    try:
        proc = subprocess.run(shlex.split(line), stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
        out, err, code = proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace"), proc.returncode
    except OSError as exc:
        out, err, code = "Check your command type", "Exception occurred: %s" % exc, 1
    print("%s&&" % out.strip())
    print("%s&&" % err.strip())
    print(code)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
