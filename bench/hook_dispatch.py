"""qemu hook dispatcher benchmark: the collection's bash dispatcher against the bare bash loop that runs the
same scripts (the floor for any bash hook), and overhead over running the scripts directly, beside a Python
dispatcher written the obvious way.

    python3 bench/hook_dispatch.py [--runs 300] [--scripts 0,10,50] [--no-strace]

For each script count, a scratch custom directory gets that many trivial executable scripts (half all_*,
half start_*, interleaved in the order). Each comparison is measured in its own block of rounds, the two
alternating (first one, then the other):

- floor: a bash script that only runs the scripts, in the right order (the list baked in, no globbing or
  sorting), each with the four arguments and the domain XML on stdin, output appended to a log; no timeout,
  no per-script log line: the least a bash hook can do;
- baseline: the scripts themselves, one after another, each spawned directly by this process with the
  four hook arguments, the domain XML on stdin and output appended to a log (what an ideal hook costs);
  Python's subprocess spawns with vfork, the cheapest way there is, so the baseline is a strict one;
- bash: the dispatcher exactly as csops.cloudstack.libvirt_hook renders it, called like libvirt calls it;
- python: bench/obvious_qemu_hook.py, the same behaviour in straightforward Python.

Blocks: bash against the floor (the ratio of the two, round by round), bash against the baseline, python
against the baseline.

Overhead is the dispatcher's wall time minus the baseline's wall time of the same round; the table shows the
median and the 90th percentile over all rounds. (Interleaving all three in one rotation was tried: the
Python runs leave the CPU caches cold for the next process and added a third to the bash dispatcher's
time.) Everything runs with the environment libvirt gives a hook (LC_ALL=C, PATH, HOME, USER, LOGNAME).
With strace available, it also counts the processes the bash dispatcher creates (fork/clone) and the
programs it executes (execve) per event.
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests"))
# conftest makes ansible_collections.csops.cloudstack importable.
import conftest  # noqa: E402,F401  pylint: disable=unused-import

from ansible_collections.csops.cloudstack.plugins.module_utils._libvirt_hook import dispatcher  # noqa: E402

ARGS = ("bench-guest", "start", "begin", "-")
SCRIPT = "#!/bin/sh\nexit 0\n"
# libvirt runs hooks with LC_ALL=C and only PATH, HOME, USER, LOGNAME (and a few loader variables) passed on.
ENV = {"LC_ALL": "C", "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root",
       "USER": "root", "LOGNAME": "root"}


FLOOR = """#!/bin/bash
xml=$(</dev/stdin)
exec >>'%s' 2>&1
for script in %s; do
    "$script" "$@" <<<"$xml"
done
"""


def domain_xml():
    """A domain XML of the size libvirt hands a hook for a typical CloudStack guest (about 6 KB)."""
    disks = "".join(
        "    <disk type='file' device='disk'>\n"
        "      <driver name='qemu' type='qcow2' cache='none'/>\n"
        "      <source file='/mnt/0a1b2c3d-pool/7f6e5d4c-%d'/>\n"
        "      <target dev='vd%s' bus='virtio'/>\n"
        "      <serial>7f6e5d4c3b2a1908%d</serial>\n"
        "      <address type='pci' domain='0x0000' bus='0x00' slot='0x0%d' function='0x0'/>\n"
        "    </disk>\n" % (i, "abcd"[i], i, i + 4) for i in range(4))
    nics = "".join(
        "    <interface type='bridge'>\n"
        "      <mac address='02:00:4c:5d:00:%02x'/>\n"
        "      <source bridge='breth1-%d'/>\n"
        "      <target dev='vnet%d'/>\n"
        "      <model type='virtio'/>\n"
        "      <bandwidth><inbound average='25600' peak='25600'/><outbound average='25600' peak='25600'/></bandwidth>\n"
        "      <address type='pci' domain='0x0000' bus='0x00' slot='0x1%d' function='0x0'/>\n"
        "    </interface>\n" % (i, 100 + i, i, i) for i in range(3))
    return (
        "<domain type='kvm' id='42'>\n"
        "  <name>i-2-42-VM</name>\n  <uuid>6c3f0d0a-9a52-4b8a-8d1c-6e1f0b2a4c11</uuid>\n"
        "  <description>Debian GNU/Linux 12 (64-bit)</description>\n"
        "  <memory unit='KiB'>2097152</memory>\n  <currentMemory unit='KiB'>2097152</currentMemory>\n"
        "  <vcpu placement='static'>2</vcpu>\n  <cputune><shares>2000</shares></cputune>\n"
        "  <sysinfo type='smbios'><system><entry name='manufacturer'>Apache Software Foundation</entry>"
        "<entry name='product'>CloudStack KVM Hypervisor</entry>"
        "<entry name='uuid'>6c3f0d0a-9a52-4b8a-8d1c-6e1f0b2a4c11</entry></system></sysinfo>\n"
        "  <os><type arch='x86_64' machine='pc-i440fx-7.2'>hvm</type><boot dev='cdrom'/><boot dev='hd'/>"
        "<smbios mode='sysinfo'/></os>\n"
        "  <features><acpi/><apic/><pae/></features>\n"
        "  <cpu mode='host-passthrough' check='none' migratable='on'/>\n"
        "  <clock offset='utc'><timer name='kvmclock'/></clock>\n"
        "  <on_poweroff>destroy</on_poweroff>\n  <on_reboot>restart</on_reboot>\n  <on_crash>destroy</on_crash>\n"
        "  <devices>\n    <emulator>/usr/bin/qemu-system-x86_64</emulator>\n" + disks + nics +
        "    <serial type='pty'><target type='isa-serial' port='0'><model name='isa-serial'/></target></serial>\n"
        "    <console type='pty'><target type='serial' port='0'/></console>\n"
        "    <channel type='unix'><source mode='bind' path='/var/lib/libvirt/qemu/i-2-42-VM.org.qemu.guest_agent.0'/>"
        "<target type='virtio' name='org.qemu.guest_agent.0'/></channel>\n"
        "    <input type='tablet' bus='usb'/>\n"
        "    <graphics type='vnc' port='-1' autoport='yes' listen='10.0.32.11'><listen type='address' "
        "address='10.0.32.11'/></graphics>\n"
        "    <video><model type='cirrus' vram='16384' heads='1' primary='yes'/></video>\n"
        "    <watchdog model='i6300esb' action='none'/>\n"
        "    <memballoon model='virtio'><stats period='0'/></memballoon>\n"
        "  </devices>\n</domain>\n"
    ).encode()


class Scratch:
    """A custom directory with ``count`` scripts, the two dispatchers and a log, in a temporary directory."""

    def __init__(self, root, count):
        self.root = os.path.join(root, "n%d" % count)
        self.custom = os.path.join(self.root, "custom")
        self.log = os.path.join(self.root, "qemu-hook.log")
        os.makedirs(self.custom)
        for i in range(count):
            prefix = "all" if i % 2 == 0 else "start"
            path = os.path.join(self.custom, "%s_%03d-bench.sh" % (prefix, i))
            with open(path, "w") as handle:
                handle.write(SCRIPT)
            os.chmod(path, 0o755)
        self.scripts = [os.path.join(self.custom, n) for n in sorted(os.listdir(self.custom),
                                                                     key=lambda n: n.split("_", 1)[1])]
        self.bash = os.path.join(self.root, "qemu")
        with open(self.bash, "w") as handle:
            handle.write(dispatcher.render(self.custom, self.log, 600, 10))
        os.chmod(self.bash, 0o755)
        self.floor = os.path.join(self.root, "floor")
        with open(self.floor, "w") as handle:
            handle.write(FLOOR % (self.log, " ".join("'%s'" % path for path in self.scripts)))
        os.chmod(self.floor, 0o755)
        self.python = os.path.join(self.root, "qemu.py")
        with open(os.path.join(HERE, "obvious_qemu_hook.py")) as handle:
            text = "#!/usr/bin/python3\n" + handle.read()
        text = text.replace('CUSTOM_DIR = "/etc/libvirt/hooks/custom"', "CUSTOM_DIR = %r" % self.custom)
        text = text.replace('LOG_PATH = "/var/log/libvirt/qemu-hook.log"', "LOG_PATH = %r" % self.log)
        with open(self.python, "w") as handle:
            handle.write(text)
        os.chmod(self.python, 0o755)


def timed_baseline(scratch, xml):
    with open(scratch.log, "ab") as out:
        start = time.perf_counter()
        for path in scratch.scripts:
            subprocess.run([path] + list(ARGS), input=xml, stdout=out, stderr=out, env=ENV, check=False)
        return time.perf_counter() - start


def timed_hook(path, xml):
    start = time.perf_counter()
    subprocess.run([path] + list(ARGS), input=xml, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV,
                   check=True)
    return time.perf_counter() - start


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def count_processes(scratch, xml):
    """(forks, execs) the bash dispatcher makes in one event, from strace; None without strace."""
    strace = shutil.which("strace")
    if not strace:
        return None
    trace = os.path.join(scratch.root, "strace.out")
    subprocess.run([strace, "-f", "-qq", "-o", trace, "-e", "trace=execve,clone,clone3,fork,vfork",
                    scratch.bash] + list(ARGS), input=xml, stdout=subprocess.DEVNULL, env=ENV, check=True)
    with open(trace) as handle:
        lines = handle.read().splitlines()
    forks = sum(1 for line in lines if re.search(r"\b(clone3?|v?fork)(\(| resumed>).* = [1-9]\d*$", line))
    execs = sum(1 for line in lines if re.search(r"\bexecve(\(| resumed>).* = 0$", line))
    return forks, execs - 1  # the first execve is strace starting the dispatcher


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300, help="rounds per script count (default 300)")
    parser.add_argument("--scripts", default="0,10,50", help="script counts, comma-separated (default 0,10,50)")
    parser.add_argument("--no-strace", action="store_true", help="do not count processes with strace")
    args = parser.parse_args()
    counts = [int(c) for c in args.scripts.split(",")]
    xml = domain_xml()
    root = tempfile.mkdtemp(prefix="hook-bench-")
    rows = []
    try:
        for count in counts:
            scratch = Scratch(root, count)

            def baseline(s=scratch):
                return timed_baseline(s, xml)

            times = {}
            over = {}
            # Each comparison is a block of its own, the two alternating: a Python process in the same rotation
            # leaves the caches cold for whatever runs next, which inflated the bash dispatcher's times by a
            # third in trials.
            blocks = (("floor", lambda p=scratch.floor: timed_hook(p, xml), "bash", scratch.bash),
                      ("baseline", baseline, "bash", scratch.bash),
                      ("baseline", baseline, "python", scratch.python))
            for ref_name, ref, name, path in blocks:
                runners = [(ref_name, ref), (name, lambda p=path: timed_hook(p, xml))]
                for _warm in range(max(5, args.runs // 20)):
                    for _name, run in runners:
                        run()
                block = {ref_name: [], name: []}
                for round_no in range(args.runs):
                    for label, run in (runners if round_no % 2 == 0 else runners[::-1]):
                        block[label].append(run())
                key = "%s_vs_%s" % (name, ref_name)
                times[key] = block
                over[key] = [b - a for a, b in zip(block[ref_name], block[name])]
            ratio = [b / a for a, b in zip(times["bash_vs_floor"]["floor"], times["bash_vs_floor"]["bash"])]
            procs = None if args.no_strace else count_processes(scratch, xml)
            rows.append((count, times, over, ratio, procs))
            os.truncate(scratch.log, 0)
    finally:
        shutil.rmtree(root, ignore_errors=True)

    ms = 1000.0
    print("qemu hook dispatch, %d rounds per block, event `start begin`, %d-byte domain XML on stdin, "
          "scripts `#!/bin/sh` exit 0" % (args.runs, len(xml)))
    print("python %s, %s, %d CPUs" % (sys.version.split()[0], os.uname().release, os.cpu_count()))
    print()
    print("| scripts | floor median | bash dispatcher median | **bash / floor, median (p10-p90)** "
          "| baseline median | bash overhead median (p90) | python overhead median (p90) "
          "| bash forks / execs per event |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for count, times, over, ratio, procs in rows:
        print("| %d | %.2f ms | %.2f ms | **%.2f** (%.2f-%.2f) | %.2f ms | %.2f ms (%.2f) | %.2f ms (%.2f) | %s |" % (
            count,
            statistics.median(times["bash_vs_floor"]["floor"]) * ms,
            statistics.median(times["bash_vs_floor"]["bash"]) * ms,
            statistics.median(ratio), percentile(ratio, 0.1), percentile(ratio, 0.9),
            statistics.median(times["bash_vs_baseline"]["baseline"]) * ms,
            statistics.median(over["bash_vs_baseline"]) * ms, percentile(over["bash_vs_baseline"], 0.9) * ms,
            statistics.median(over["python_vs_baseline"]) * ms, percentile(over["python_vs_baseline"], 0.9) * ms,
            "%d / %d" % procs if procs else "n/a",
        ))
    ten = [r for r in rows if r[0] == 10]
    if ten:
        value = statistics.median(ten[0][3])
        print()
        print("target: bash dispatcher within 1.5x of the floor with 10 scripts (median): %.2fx, %s"
              % (value, "met" if value <= 1.5 else "NOT met"))
        return 0 if value <= 1.5 else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
