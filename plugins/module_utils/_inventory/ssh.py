# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SSH host variables: how Ansible reaches a KVM host, a management server, and a system VM or router.

A system VM or router answers SSH only on port 3922, as root, with key authentication. On KVM (and XenServer) its
address is the link-local control address, reachable only from the hypervisor host that runs it; on VMware it is
the private (control) address, reached from a management server. The controller gets there through that machine
with an ssh ``ProxyCommand`` (``ssh -W %h:%p``) that carries the machine's own user, port, key and options:
``ProxyJump`` would not pass them to the jump host.

What is the same for every machine of a kind (port, user, key, extra options of the KVM hosts; port 3922, root and
the key of the system VMs and routers) is meant to be set once, as variables of the kind's group
(``Endpoint.shared_vars``, ``vm_shared_vars``); what differs per machine (its address, and for a VM the hop)
per host (``Endpoint.address_vars``, ``through``).
"""

from __future__ import annotations

import shlex

SYSTEMVM_PORT = 3922
SYSTEMVM_USER = "root"
# System VMs of these hypervisors are reached from a management server, on their private (control) address.
THROUGH_MANAGEMENT = ("vmware", "hyperv")


class Endpoint:
    """How to ssh to one machine: ``address``, ``port``, ``user``, ``key`` (a path) and ``args`` (extra ssh
    options, one string as in ``ansible_ssh_common_args``). Any of them but ``address`` may be None."""

    def __init__(self, address, port=None, user=None, key=None, args=None):
        self.address = address
        self.port = port
        self.user = user
        self.key = key
        self.args = args

    def shared_vars(self):
        """The ansible_* variables other than the address: the same for every machine reached like this one."""
        found = dict(ansible_port=self.port, ansible_user=self.user, ansible_ssh_private_key_file=self.key,
                     ansible_ssh_common_args=self.args)
        return {key: value for key, value in found.items() if value not in (None, "")}

    def address_vars(self):
        """``ansible_host``, or nothing without an address."""
        return {"ansible_host": self.address} if self.address else {}

    def proxy_command(self):
        """``ssh -W %h:%p`` to this machine, as one shell command line for ssh's ProxyCommand."""
        argv = ["ssh", "-W", "%h:%p"]
        if self.port:
            argv += ["-p", str(self.port)]
        if self.user:
            argv += ["-l", self.user]
        if self.key:
            argv += ["-i", self.key]
        argv += shlex.split(self.args or "")
        argv.append(self.address)
        # ssh expands %-tokens in a ProxyCommand, so a literal % in a path or an option is written %%.
        return " ".join(shlex.quote(arg if arg == "%h:%p" else arg.replace("%", "%%")) for arg in argv)


def vm_shared_vars(key=None):
    """The variables every system VM and router shares: port 3922, root, and the private ``key`` they accept."""
    return Endpoint(None, SYSTEMVM_PORT, SYSTEMVM_USER, key).shared_vars()


def hop_args(hop, args=None):
    """``ansible_ssh_common_args`` of a VM reached through ``hop`` (an Endpoint): the ProxyCommand option, then the
    VM's extra ssh ``args``."""
    common = "-o %s" % shlex.quote("ProxyCommand=" + hop.proxy_command())
    return common + " " + args if args else common


def systemvm_address(vm):
    """``(address, via)`` of a system VM or router: its link-local address via its host, or on VMware and Hyper-V
    its private address via a management server; ``via`` is ``"host"`` or ``"management"``."""
    if str(vm.get("hypervisor") or "").lower() in THROUGH_MANAGEMENT:
        return vm.get("privateip"), "management"
    return vm.get("linklocalip"), "host"
