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


def inventory(lab: model.Lab, ssh_config: Path, identity: Path, control_path_dir: Path) -> str:
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
