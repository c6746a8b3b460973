"""Text of the files `up` writes for users of the lab: the env file, the inventory, /etc/netns hosts."""

from __future__ import annotations

import shlex
from pathlib import Path

import yaml

from . import model

HEADER = "# csops.cloudstack lab: written by `tests/lab/labctl.py up`; removed by `down`. Do not edit.\n"


def env_file(values: dict[str, str]) -> str:
    """Only plain `export KEY=VALUE` lines, so both shells and simple parsers can read it."""
    return HEADER + "".join(f"export {k}={shlex.quote(str(v))}\n" for k, v in values.items())


def inventory(lab: model.Lab, ssh_config: Path, identity: Path, control_path_dir: Path,
              extra_host_vars: dict[str, dict] | None = None) -> str:
    """`extra_host_vars` maps a machine name to extra host vars, e.g. the lab's restart commands."""
    ssh_vars = {
        "ansible_user": "root",
        "ansible_ssh_common_args": f"-F {shlex.quote(str(ssh_config))}",
        "ansible_ssh_private_key_file": str(identity),
        "ansible_control_path_dir": str(control_path_dir),
        "ansible_ssh_pipelining": True,
        "ansible_python_interpreter": "/usr/bin/python3",
    }

    def host_vars(m: model.Machine) -> dict:
        hv = {"ansible_host": m.address}
        if m.port != 22:
            hv["ansible_port"] = m.port
        hv["cslab_namespace"] = m.namespace
        if m.is_vm:
            hv["cslab_kvm_host"] = m.parent
            hv["cslab_vm_type"] = m.vmtype
        hv.update((extra_host_vars or {}).get(m.name, {}))
        return hv

    groups = {
        "cloudstack_management": [m for m in lab.machines if m.kind == "management"],
        "kvm_hosts": [m for m in lab.machines if m.kind == "kvm"],
        "systemvms": [m for m in lab.machines if m.is_vm],
    }
    children = {}
    for group, members in groups.items():
        children[group] = {"hosts": {m.name: host_vars(m) for m in members}, "vars": dict(ssh_vars)}
    data = {
        "all": {
            "hosts": {
                "localhost": {
                    "ansible_connection": "local",
                    "ansible_python_interpreter": "{{ ansible_playbook_python }}",
                },
            },
            "children": children,
        },
    }
    return HEADER + yaml.safe_dump(data, sort_keys=False, default_flow_style=False)


def netns_hosts(lab: model.Lab, machine: model.Machine) -> str:
    """/etc/hosts as seen inside one machine's namespace."""
    lines = [
        HEADER.rstrip(),
        "127.0.0.1\tlocalhost",
        "::1\tlocalhost ip6-localhost ip6-loopback",
    ]
    if machine.is_vm:
        lines.append(f"{machine.address}\t{machine.name}")
    else:
        lines += [f"{m.address}\t{m.name}" for m in lab.hosts]
        lines += [f"{m.address}\t{m.name}" for m in lab.vms_on(machine.name)]
    return "\n".join(lines) + "\n"


MANAGEMENT_SCRIPT = r"""#!/bin/bash
# cloudstack-management {start|stop|restart|status}: the lab's stand-in for `systemctl ... cloudstack-management`.
# It stops the simulated management server (cssim: SIGTERM, waits for the process to exit; its state and request
# log are on disk), leaves the API down for $CSLAB_MS_RESTART_PAUSE seconds (default 1), starts it again with
# the same arguments and waits until it answers. Written by `tests/lab/labctl.py up`; removed by `down`.
set -u
PIDFILE=@PIDFILE@
LOG=@LOG@
HEALTH=@HEALTH@
PY=@PY@
WORKDIR=@WORKDIR@
PAUSE="${CSLAB_MS_RESTART_PAUSE:-1}"
TIMEOUT="${CSLAB_MS_START_TIMEOUT:-60}"
CMD=(@CMD@)
NAME=cloudstack-management

alive() {  # a live process (not a zombie) running cssim
    local state
    [[ -r /proc/$1/stat ]] || return 1
    state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
    [[ -n "$state" && "$state" != Z ]] || return 1
    tr '\0' ' ' < "/proc/$1/cmdline" 2>/dev/null | grep -q cssim
}

sim_pid() {
    local pid
    pid=$(cat "$PIDFILE" 2>/dev/null) || return 1
    [[ "$pid" =~ ^[0-9]+$ ]] && alive "$pid" || return 1
    echo "$pid"
}

answers() {  # prints "boot N pid P" when the simulator answers its health check
    "$PY" - "$HEALTH" <<'PYEOF'
import json, sys, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # lab addresses never go to a proxy
try:
    with opener.open(sys.argv[1], timeout=2) as resp:
        data = json.loads(resp.read().decode())
except Exception:
    sys.exit(1)
print("boot %s, pid %s" % (data.get("boot"), data.get("pid")))
PYEOF
}

do_stop() {
    local pid i
    if ! pid=$(sim_pid); then
        echo "$NAME: not running"
        return 0
    fi
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < 300; i++)); do
        alive "$pid" || break
        sleep 0.1
    done
    if alive "$pid"; then
        kill -KILL "$pid" 2>/dev/null
        sleep 0.2
    fi
    rm -f "$PIDFILE"
    echo "$NAME: stopped (pid $pid)"
}

wait_answer() {
    local i out
    for ((i = 0; i < TIMEOUT * 10; i++)); do
        if out=$(answers); then
            echo "$NAME: running ($out)"
            return 0
        fi
        sleep 0.1
    done
    echo "$NAME: did not answer $HEALTH within ${TIMEOUT}s; see $LOG" >&2
    return 1
}

do_start() {
    local pid
    if pid=$(sim_pid); then
        wait_answer
        return
    fi
    mkdir -p "$(dirname "$LOG")" "$(dirname "$PIDFILE")"
    echo "--- $(date '+%Y-%m-%d %H:%M:%S') $NAME start: ${CMD[*]}" >> "$LOG"
    # a session of its own, no terminal, no inherited descriptors: it outlives the ssh session that ran this
    (cd "$WORKDIR" && exec @SETSID@ "${CMD[@]}" </dev/null >>"$LOG" 2>&1) &
    wait_answer
}

do_status() {
    local pid out
    if ! pid=$(sim_pid); then
        echo "$NAME: not running"
        return 3
    fi
    if out=$(answers); then
        echo "$NAME: running ($out)"
        return 0
    fi
    echo "$NAME: pid $pid does not answer $HEALTH"
    return 1
}

case "${1:-}" in
    start) do_start ;;
    stop) do_stop ;;
    restart) do_stop && sleep "$PAUSE" && do_start ;;
    status) do_status ;;
    *) echo "usage: $0 {start|stop|restart|status}" >&2; exit 2 ;;
esac
"""


def management_script(command: list[str], pidfile: Path, log: Path, health_url: str, python: str,
                      workdir: Path, setsid: str = "setsid") -> str:
    """The `cloudstack-management` script that stops/starts the simulator running `command`."""
    values = {
        "@PIDFILE@": shlex.quote(str(pidfile)), "@LOG@": shlex.quote(str(log)),
        "@HEALTH@": shlex.quote(health_url), "@PY@": shlex.quote(python), "@WORKDIR@": shlex.quote(str(workdir)),
        "@CMD@": " ".join(shlex.quote(str(c)) for c in command), "@SETSID@": shlex.quote(setsid),
    }
    text = MANAGEMENT_SCRIPT
    for key, value in values.items():
        text = text.replace(key, value)
    return text
