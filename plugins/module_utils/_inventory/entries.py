# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How each CloudStack object becomes an inventory host: its name, its facts (one dict, the host variable
``cloudstack``), the SSH variables that reach it, and its groups. Pure functions over a ``fetch.Snapshot``;
nothing here talks to CloudStack or to Ansible.

An inventory of thousands of hosts costs Ansible per variable and per value (each is inspected when it is set and
written again by ``ansible-inventory --list``), so a host carries few variables: ``ansible_host``, for a system VM
or router its ``ansible_ssh_common_args`` (the hop through its own host), and ``cloudstack`` with the facts the
``facts`` setting keeps (filters and constructed groups see them all). What is the same for every host of a kind
is set once, as variables of the kind's group (``kind_group_vars``).
"""

from __future__ import annotations

import re

from .._systemvm.rules import replacement_template
from . import ssh

# Inventory kind -> the value of ``cloudstack.kind`` and the group every host of that kind is in.
KIND_OF = {"hosts": "host", "management_servers": "management_server", "systemvms": "systemvm", "routers": "router"}
KIND_GROUPS = {"host": "cloudstack_hosts", "management_server": "cloudstack_management",
               "systemvm": "cloudstack_systemvms", "router": "cloudstack_routers"}
# The variable holding a host's facts, and every fact some kind has.
FACTS = "cloudstack"
FACT_KEYS = ("kind", "id", "name", "state", "zone", "pod", "cluster", "hypervisor", "version", "requires_upgrade",
             "ip", "resource_state", "host", "host_ip", "linklocal_ip", "private_ip", "public_ip", "template",
             "type", "agent_state", "account", "domain", "network", "vpc", "redundant_state",
             "health_checks_failed")
# The collection's playbooks work on these groups by default.
KVM_HOSTS_GROUP = "kvm_hosts"
UPGRADE_GROUP = "requires_upgrade"
# Order in which kinds are named: a later object whose preferred name is taken gets its id appended.
NAMING_ORDER = ("hosts", "management_servers", "systemvms", "routers")
# Facts that name a default group: (group prefix, fact, lower-cased).
GROUPED_FACTS = (("zone", "zone", False), ("pod", "pod", False), ("cluster", "cluster", False),
                 ("state", "state", True), ("hypervisor", "hypervisor", True))

_UNSAFE = re.compile(r"[^A-Za-z0-9_]")


class Settings:
    """What the plugin's options decide here.

    ``kinds``: the inventory kinds (``fetch.KINDS``) that become inventory hosts.
    ``hostnames``: keys of the facts tried in order for the inventory name.
    ``host_ssh`` and ``management_ssh``: ``ssh.Endpoint`` without an address (port, user, key, args) for KVM
    hosts and management servers. ``systemvm_key`` / ``systemvm_args``: the private key and extra ssh options for
    system VMs and routers. ``vmware_jump``: the management server address VMware and Hyper-V system VMs are
    reached through. ``default_groups``: whether to add the groups by zone, pod, cluster, state, hypervisor,
    ``kvm_hosts`` and ``requires_upgrade`` (the kind groups are always there: they carry the kinds' SSH settings).
    ``facts``: the keys of ``FACT_KEYS`` a host variable keeps, None for every one."""

    def __init__(self, kinds=tuple(KIND_OF), hostnames=("name",), host_ssh=None, management_ssh=None, systemvm_key=None,
                 systemvm_args=None, vmware_jump=None, default_groups=True, facts=None):
        self.kinds = tuple(kinds)
        self.hostnames = list(hostnames or ("name",))
        self.host_ssh = host_ssh or ssh.Endpoint(None)
        self.management_ssh = management_ssh or ssh.Endpoint(None)
        self.systemvm_key = systemvm_key
        self.systemvm_args = systemvm_args
        self.vmware_jump = vmware_jump
        self.default_groups = default_groups
        self.facts = None if facts is None else tuple(facts)


class Entry:
    """One inventory host: ``name``, ``kind`` (``cloudstack.kind``), ``facts`` (every fact), ``kept`` (the facts
    the host variable ``cloudstack`` holds), ``host_vars`` (its own SSH variables: ``ansible_host``, and a VM's
    ``ansible_ssh_common_args``; empty when it cannot be reached) and ``groups`` (its kind group first, then the
    default groups when they are on)."""

    def __init__(self, name, kind, facts, kept, host_vars, groups):
        self.name = name
        self.kind = kind
        self.facts = facts
        self.kept = kept
        self.host_vars = host_vars
        self.groups = groups

    def __repr__(self):
        return "<Entry %s %s>" % (self.kind, self.name)


def group_name(prefix, value):
    """``prefix_value`` with every character that is not a letter, a digit or ``_`` made ``_``."""
    return _UNSAFE.sub("_", "%s_%s" % (prefix, value))


def kind_group_vars(settings):
    """``{group: variables}``: the SSH settings every host of a kind shares, for the kinds in ``settings``."""
    shared = {"host": settings.host_ssh.shared_vars(), "management_server": settings.management_ssh.shared_vars(),
              "systemvm": ssh.vm_shared_vars(settings.systemvm_key)}
    shared["router"] = shared["systemvm"]
    return {KIND_GROUPS[KIND_OF[listing]]: dict(shared[KIND_OF[listing]]) for listing in settings.kinds}


def _common(item, kind):
    return {"kind": kind, "id": item.get("id"), "name": item.get("name"), "state": item.get("state"),
            "zone": item.get("zonename"), "pod": item.get("podname"), "hypervisor": item.get("hypervisor"),
            "version": item.get("version")}


def host_facts(item):
    facts = _common(item, "host")
    facts.update(cluster=item.get("clustername"), ip=item.get("ipaddress"), resource_state=item.get("resourcestate"),
                 requires_upgrade=False)
    return facts


def management_server_facts(item):
    facts = _common(item, "management_server")
    facts.update(cluster=None, ip=item.get("ipaddress") or item.get("serviceip"), requires_upgrade=False)
    return facts


def vm_facts(item, kind, host, requires_upgrade):
    """Facts of a system VM or router; ``host`` is the listHosts item of the host running it, or None."""
    facts = _common(item, kind)
    host = host or {}
    facts.update(cluster=host.get("clustername"), host=item.get("hostname") or host.get("name"),
                 host_ip=host.get("ipaddress"), linklocal_ip=item.get("linklocalip"),
                 private_ip=item.get("privateip"), public_ip=item.get("publicip"), template=item.get("templatename"),
                 requires_upgrade=requires_upgrade)
    if kind == "systemvm":
        facts.update(type=item.get("systemvmtype"), agent_state=item.get("agentstate"))
    else:
        facts.update(account=item.get("account"), domain=item.get("domain"), network=item.get("guestnetworkname"),
                     vpc=item.get("vpcname"), redundant_state=item.get("redundantstate"),
                     health_checks_failed=item.get("healthchecksfailed"))
    return facts


def systemvm_requires_upgrade(vm, templates):
    """Whether CloudStack would recreate ``vm`` from another template than the one it runs: the newest ready
    system template of its hypervisor in its zone is not its template. None without templates to compare."""
    if templates is None:
        return None
    newest = replacement_template(templates, vm.get("hypervisor"), vm.get("zoneid"))
    return newest is not None and newest.get("id") != vm.get("templateid")


class _Hops:
    """``ansible_ssh_common_args`` per hop address, worked out once for all the VMs behind the same machine."""

    def __init__(self, settings):
        self.settings = settings
        self.known = {}

    def args(self, via, address):
        key = (via, address)
        if key not in self.known:
            base = self.settings.host_ssh if via == "host" else self.settings.management_ssh
            hop = ssh.Endpoint(address, base.port, base.user, base.key, base.args)
            self.known[key] = ssh.hop_args(hop, self.settings.systemvm_args)
        return self.known[key]


def vm_ssh(item, host, settings, hops):
    """The per-host SSH variables of a system VM or router (``ansible_host`` and the hop), or ``{}`` when it
    cannot be reached (not running on a host we know, no control address, or no management server address for
    VMware)."""
    address, via = ssh.systemvm_address(item)
    if not address:
        return {}
    if via == "host":
        hop_address = (host or {}).get("ipaddress")
    else:
        hop_address = settings.vmware_jump
    if not hop_address:
        return {}
    return {"ansible_host": address, "ansible_ssh_common_args": hops.args(via, hop_address)}


def default_groups(facts):
    """The default groups of a host with ``facts`` (its kind group aside)."""
    groups = []
    if facts["kind"] == "host" and str(facts.get("hypervisor") or "").lower() == "kvm":
        groups.append(KVM_HOSTS_GROUP)
    for prefix, key, lower in GROUPED_FACTS:
        value = facts.get(key)
        if value:
            groups.append(group_name(prefix, str(value).lower() if lower else value))
    if facts.get("requires_upgrade"):
        groups.append(UPGRADE_GROUP)
    return groups


def pick_name(facts, preferences):
    """The first non-empty fact named in ``preferences``."""
    for preference in preferences:
        value = facts.get(preference)
        if value not in (None, ""):
            return str(value)
    return None


def build(snapshot, settings):
    """``(entries, problems)``: an Entry per object of the ``settings.kinds`` the snapshot holds, and one-line
    messages about objects named otherwise than the hostnames preference asked."""
    hosts_by_id = {h.get("id"): h for h in snapshot.get("hosts")}
    templates = snapshot.items.get("templates")
    hops = _Hops(settings)
    entries, problems, taken = [], [], set()
    for listing in NAMING_ORDER:
        if listing not in settings.kinds or listing not in snapshot.items:
            continue
        kind = KIND_OF[listing]
        for item in sorted(snapshot.get(listing), key=lambda i: (str(i.get("name") or ""), str(i.get("id") or ""))):
            if kind == "host":
                facts = host_facts(item)
                host_vars = ssh.Endpoint(item.get("ipaddress")).address_vars()
            elif kind == "management_server":
                facts = management_server_facts(item)
                host_vars = ssh.Endpoint(facts["ip"]).address_vars()
            else:
                host = hosts_by_id.get(item.get("hostid"))
                upgrade = (bool(item.get("requiresupgrade")) if kind == "router"
                           else systemvm_requires_upgrade(item, templates))
                facts = vm_facts(item, kind, host, upgrade)
                host_vars = vm_ssh(item, host, settings, hops)
            name = pick_name(facts, settings.hostnames)
            if name is None:
                problems.append("%s %s has none of the hostnames %s; named by its id"
                                % (kind, item.get("id"), ", ".join(settings.hostnames)))
                name = str(item.get("id"))
            if name in taken:
                renamed = "%s_%s" % (name, item.get("id"))
                problems.append("%s %s: the name %s is taken, named %s" % (kind, item.get("id"), name, renamed))
                name = renamed
            taken.add(name)
            groups = [KIND_GROUPS[kind]] + (default_groups(facts) if settings.default_groups else [])
            kept = facts if settings.facts is None else {k: facts[k] for k in settings.facts if k in facts}
            entries.append(Entry(name, kind, facts, kept, host_vars, groups))
    return entries, problems
