# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: cloudstack
short_description: KVM hosts, system VMs, virtual routers and management servers of a CloudStack cloud
version_added: 0.3.0
description:
  - Builds an inventory of what an operator of Apache CloudStack works on, read from the CloudStack API with one
    listing per kind of object (every page of it, 500 objects a call), never a call per object.
  - Kinds, each switchable with O(kinds) - hypervisor hosts (C(listHosts type=Routing)), system VMs (secondary
    storage VMs and console proxies, C(listSystemVms)), virtual routers (C(listRouters listall=true)) and management
    servers (C(listManagementServers), on CloudStack releases that have it; on others this kind is empty, said with
    C(-v)).
  - "System VMs and routers get the variables that make SSH work: on KVM (and XenServer) C(ansible_host) is the
    link-local control address, C(ansible_port) 3922, C(ansible_user) root, and C(ansible_ssh_common_args) an ssh
    C(ProxyCommand) through the hypervisor host running the VM, at the host's address with the host's own user,
    port, key and options (O(host_ssh_user), O(host_ssh_port), O(host_ssh_private_key_file),
    O(host_ssh_common_args)). On VMware and Hyper-V the address is the private (control) address, reached through
    the management server O(vmware_jump_host). A VM that runs on no known host, or has no control address, gets no
    C(ansible_host) and no C(ProxyCommand)."
  - "What is the same for every host of a kind (C(ansible_port), C(ansible_user), C(ansible_ssh_private_key_file)
    and, for hypervisor hosts and management servers, C(ansible_ssh_common_args)) is set once, as variables of the
    kind's group (C(cloudstack_hosts), C(cloudstack_systemvms), C(cloudstack_routers), C(cloudstack_management));
    C(ansible_host) and a VM's C(ansible_ssh_common_args) are host variables."
  - The private key the system VMs accept is C(/root/.ssh/id_rsa.cloud) on every KVM host (the management server's
    key); give a copy on the controller with O(systemvm_ssh_private_key_file).
  - Every host gets the variable C(cloudstack), a dict of facts (see the notes; O(facts) says which it keeps), is
    in the group of its kind (C(cloudstack_hosts), C(cloudstack_systemvms), C(cloudstack_routers),
    C(cloudstack_management)) and, unless O(default_groups=false), in the groups C(kvm_hosts) (KVM hypervisor hosts,
    the group the collection's playbooks use), C(zone_<zone>), C(pod_<pod>), C(cluster_<cluster>),
    C(state_<state>), C(hypervisor_<hypervisor>) and C(requires_upgrade). In group names every character other
    than a letter, a digit or C(_) becomes C(_); states and hypervisors are lower case.
  - Constructed (O(compose), O(groups), O(keyed_groups)) and cacheable with Ansible's inventory cache. A run that
    reads the cache makes no API call.
  - The configuration file name must end with C(cloudstack.yml) or C(cloudstack.yaml).
extends_documentation_fragment:
  - constructed
  - inventory_cache
  - csops.cloudstack.api
options:
  plugin:
    description: The name of this plugin; it makes the file an inventory source for it.
    type: str
    required: true
    choices: [csops.cloudstack.cloudstack]
  kinds:
    description: The kinds of objects that become inventory hosts.
    type: list
    elements: str
    choices: [hosts, systemvms, routers, management_servers]
    default: [hosts, systemvms, routers, management_servers]
  hostnames:
    description:
      - How each host is named, as a list of preferences; the first that the object has is used.
      - Each is the key of a fact (see the notes), for example C(name), C(id), C(ip) (a hypervisor host's or
        management server's address) or C(linklocal_ip).
      - An object that has none of them is named by its id; an object whose name is taken by an earlier one (kinds
        are named in the order hosts, management servers, system VMs, routers) gets C(_<id>) appended. Both are
        warned about.
    type: list
    elements: str
    default: [name]
  include_filters:
    description:
      - Jinja2 conditions over a host's variables before O(compose) - C(cloudstack) with every fact, whatever
        O(facts) keeps, and the SSH variables - for example C(cloudstack.zone == 'zone1').
      - When given, only hosts that match at least one of them are kept.
    type: list
    elements: str
    default: []
  exclude_filters:
    description:
      - Jinja2 conditions over a host's variables, like O(include_filters). Hosts that match any of them are left
        out, whatever O(include_filters) says.
    type: list
    elements: str
    default: []
  fail_on_errors:
    description:
      - When true, a failed listing (or a filter that cannot be evaluated) fails the inventory.
      - When false, the inventory is built from the listings that worked, with a warning naming each one that did
        not; such a partial inventory is not written to the cache.
    type: bool
    default: true
  default_groups:
    description:
      - Whether to add the default groups listed in the description.
      - The groups of the kinds are always there, since they hold the SSH settings every host of a kind shares.
    type: bool
    default: true
  facts:
    description:
      - The facts the host variable C(cloudstack) keeps, as keys (see the notes), or C([all]) for every one.
      - Every fact costs Ansible time on each host (with 2,000 routers and 500 hosts, C(ansible-inventory --list)
        needs about half a second more CPU time with all of them), so by default it keeps those a task needs
        most.
      - O(include_filters), O(exclude_filters), O(compose), O(groups) and O(keyed_groups) see every fact, whatever
        this says; use O(compose) to keep one more under a name of your own.
    type: list
    elements: str
    default: [kind, id, name, state, zone, host, ip, version, requires_upgrade]
  host_ssh_user:
    description: C(ansible_user) of the hypervisor hosts, and the user of the hop to a system VM through its host.
    type: str
    default: root
  host_ssh_port:
    description: C(ansible_port) of the hypervisor hosts, and the port of the hop through them.
    type: int
    default: 22
  host_ssh_private_key_file:
    description: C(ansible_ssh_private_key_file) of the hypervisor hosts, and the key of the hop through them.
    type: path
  host_ssh_common_args:
    description:
      - C(ansible_ssh_common_args) of the hypervisor hosts, and extra options of the hop through them, for example
        C(-o UserKnownHostsFile=/path/known_hosts).
    type: str
  management_server_ssh_user:
    description: C(ansible_user) of the management servers, and the user of the hop through O(vmware_jump_host).
    type: str
    default: root
  management_server_ssh_port:
    description: C(ansible_port) of the management servers, and the port of the hop through O(vmware_jump_host).
    type: int
    default: 22
  management_server_ssh_private_key_file:
    description: The private key for the management servers and the hop through O(vmware_jump_host).
    type: path
  management_server_ssh_common_args:
    description: Extra ssh options for the management servers and the hop through O(vmware_jump_host).
    type: str
  vmware_jump_host:
    description:
      - Address of the management server that VMware and Hyper-V system VMs and routers are reached through (as
        CloudStack itself reaches them, with the management server's key).
      - If not set, the host of O(api_url) is used.
    type: str
  systemvm_ssh_private_key_file:
    description:
      - C(ansible_ssh_private_key_file) of the system VMs and routers; a copy on the controller of the key they
        accept (C(/root/.ssh/id_rsa.cloud) on a KVM host).
      - If not set, ssh uses the controller's default keys.
    type: path
  systemvm_ssh_common_args:
    description: Extra ssh options for the system VMs and routers, added after the C(ProxyCommand) option.
    type: str
notes:
  - "Facts (keys of C(cloudstack)) of every host: C(kind) (C(host), C(systemvm), C(router) or
    C(management_server)), C(id), C(name), C(state), C(zone), C(pod), C(cluster), C(hypervisor), C(version) and
    C(requires_upgrade)."
  - "Hypervisor hosts and management servers also have C(ip); hypervisor hosts C(resource_state). System VMs and
    routers have C(host) (the name of the hypervisor host running them), C(host_ip), C(linklocal_ip),
    C(private_ip), C(public_ip) and C(template); system VMs C(type) (C(secondarystoragevm) or C(consoleproxy)) and
    C(agent_state); routers C(account), C(domain), C(network), C(vpc), C(redundant_state) and
    C(health_checks_failed). A fact CloudStack does not give is null."
  - "C(requires_upgrade): for a router, CloudStack's C(requiresupgrade); for a system VM, whether CloudStack would
    recreate it from another template than the one it runs (the newest ready system template of its hypervisor in
    its zone, which costs one C(listTemplates) call); false for hosts and management servers."
  - Reading the system VMs or routers also reads the hosts (their SSH hop goes through the host's address), even
    when O(kinds) leaves hosts out.
  - "Precedence: C(ansible_host), a VM's C(ansible_ssh_common_args) and C(cloudstack) are host variables and win
    over C(group_vars) files. The shared SSH settings are group variables of the inventory source, which
    C(group_vars) files (C(all.yml) among them) override: an C(ansible_user) set for all hosts there applies to the
    system VMs too, unless C(group_vars/cloudstack_systemvms.yml) and C(cloudstack_routers.yml) set it back to
    root."
"""

EXAMPLES = r"""
# cloudstack.yml: every KVM host, system VM and router; connection settings from the environment
# (CLOUDSTACK_ENDPOINT, CLOUDSTACK_KEY, CLOUDSTACK_SECRET) or cloudstack.ini
plugin: csops.cloudstack.cloudstack
host_ssh_private_key_file: ~/.ssh/kvm_hosts
systemvm_ssh_private_key_file: ~/.ssh/id_rsa.cloud

---
# ops-cloudstack.yml: only running routers of one zone, cached for an hour, grouped by account
plugin: csops.cloudstack.cloudstack
api_region: production          # the [production] section of cloudstack.ini
kinds: [routers]
include_filters:
  - cloudstack.zone == 'zone1' and cloudstack.state == 'Running'
exclude_filters:
  - cloudstack.account == 'system'
keyed_groups:
  - key: cloudstack.account
    prefix: account
compose:
  ansible_python_interpreter: "'/usr/bin/python3'"
  cloudstack_network: cloudstack.network    # a fact the host variable cloudstack does not keep by default
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/csops-cloudstack-inventory
cache_timeout: 3600

---
# A partial inventory rather than none when a listing fails
plugin: csops.cloudstack.cloudstack
fail_on_errors: false
hostnames: [name, id]

---
# Every fact in the host variable cloudstack (slower with thousands of hosts)
plugin: csops.cloudstack.cloudstack
facts: [all]
"""

from urllib.parse import urlsplit

from ansible.errors import AnsibleError, AnsibleParserError
from ansible.module_utils.compat.version import LooseVersion
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.release import __version__ as ansible_version
from ansible.utils.unsafe_proxy import wrap_var

from ansible_collections.csops.cloudstack.plugins.module_utils._api.config import resolve
from ansible_collections.csops.cloudstack.plugins.module_utils._api.errors import CloudStackError, one_line, shorten
from ansible_collections.csops.cloudstack.plugins.module_utils._inventory import entries, fetch, ssh

# From ansible-core 2.19 on, a string is a template only when it is marked as trusted, which what the plugin sets
# never is; before, everything a plugin sets must be wrapped as unsafe to stay data.
NEEDS_WRAP = LooseVersion(ansible_version) < LooseVersion("2.19")

CONNECTION_OPTIONS = ("api_url", "api_key", "api_secret", "api_timeout", "api_http_method", "api_region",
                      "validate_certs", "api_ca_file")


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):

    NAME = "csops.cloudstack.cloudstack"

    def verify_file(self, path):
        return super().verify_file(path) and path.endswith(("cloudstack.yml", "cloudstack.yaml"))

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        self._resolved_connection = None
        fail_on_errors = self.get_option("fail_on_errors")
        settings = self._settings()
        snapshot = self._snapshot(path, cache, fail_on_errors)
        for listing, message in sorted(snapshot.errors.items()):
            self.display.warning("csops.cloudstack.cloudstack: %s left out: %s" % (listing, message))
        for listing, message in sorted(snapshot.notes.items()):
            self.display.v("csops.cloudstack.cloudstack: %s: %s" % (listing, message))
        built, problems = entries.build(snapshot, settings)
        for problem in problems:
            self.display.warning("csops.cloudstack.cloudstack: %s" % problem)
        group_vars = self._add_kind_groups(settings, {entry.groups[0] for entry in built})
        filtered = bool(self.get_option("include_filters") or self.get_option("exclude_filters"))
        constructed = bool(self.get_option("compose") or self.get_option("groups")
                           or self.get_option("keyed_groups"))
        known_groups = set(group_vars)
        for entry in built:
            # What CloudStack returns (names of accounts and networks among it) is data, never a template.
            kept, host_vars = _data(entry.kept), _data(entry.host_vars)
            variables = None
            if filtered or constructed:
                variables = dict(group_vars[entry.groups[0]], **host_vars)
                variables[entries.FACTS] = kept if entry.kept is entry.facts else _data(entry.facts)
                if filtered and not self._wanted(variables, fail_on_errors):
                    continue
            self._add(entry, kept, host_vars, known_groups)
            if constructed:
                self._construct(entry.name, variables)

    # -- reading, through the cache ------------------------------------------------------------------------

    def _snapshot(self, path, cache, fail_on_errors):
        """The listings: from the cache when it may be read and holds them, else from CloudStack (and then
        written to the cache, unless some listing failed)."""
        use_cache = self.get_option("cache")
        key = self.get_cache_key(path)
        if use_cache and cache:
            try:
                cached = fetch.Snapshot.from_cache(self._cache[key])
            except KeyError:
                cached = None
            if cached is not None:
                return cached
        snapshot = self._read(fail_on_errors)
        if use_cache and not snapshot.errors:
            self._cache[key] = snapshot.to_cache()
        return snapshot

    def _read(self, fail_on_errors):
        # Imported here: the HTTP layer (ansible.module_utils.urls, and cryptography with it) is only needed when
        # the cache does not answer.
        from ansible_collections.csops.cloudstack.plugins.module_utils._api.client import CloudStackClient

        failure = None
        try:
            return fetch.read(CloudStackClient(self._resolved()), self.get_option("kinds"), fail_on_errors)
        except CloudStackError as error:
            failure = error
        # Raised outside the except block, so the exception chain (which may quote a URL or a config line) stays
        # out of what Ansible can display.
        raise AnsibleError("csops.cloudstack.cloudstack: %s" % failure.message)

    def _resolved(self):
        """The connection settings (options, environment, cloudstack.ini), worked out once per parse."""
        if self._resolved_connection is None:
            self._resolved_connection = resolve(self._connection_params())
        return self._resolved_connection

    def _connection_params(self):
        params = {}
        for option in CONNECTION_OPTIONS:
            value = self.get_option(option)
            # Vaulted values are decrypted by str(); the others are kept as they are.
            params[option] = str(value) if option in ("api_url", "api_key", "api_secret") and value is not None \
                else value
        return params

    # -- building ------------------------------------------------------------------------------------------

    def _settings(self):
        jump = self.get_option("vmware_jump_host")
        if not jump:
            try:
                jump = urlsplit(self._resolved().endpoint).hostname
            except CloudStackError:
                jump = None
        return entries.Settings(
            kinds=self.get_option("kinds"),
            hostnames=self.get_option("hostnames"),
            host_ssh=ssh.Endpoint(None, self.get_option("host_ssh_port"), self.get_option("host_ssh_user"),
                                  self.get_option("host_ssh_private_key_file"),
                                  self.get_option("host_ssh_common_args")),
            management_ssh=ssh.Endpoint(None, self.get_option("management_server_ssh_port"),
                                        self.get_option("management_server_ssh_user"),
                                        self.get_option("management_server_ssh_private_key_file"),
                                        self.get_option("management_server_ssh_common_args")),
            systemvm_key=self.get_option("systemvm_ssh_private_key_file"),
            systemvm_args=self.get_option("systemvm_ssh_common_args"),
            vmware_jump=jump,
            default_groups=self.get_option("default_groups"),
            facts=self._facts(),
        )

    def _facts(self):
        """The facts the host variable keeps: None for every one, else their keys (unknown ones refused)."""
        wanted = self.get_option("facts")
        if "all" in wanted:
            return None
        unknown = [key for key in wanted if key not in entries.FACT_KEYS]
        if unknown:
            raise AnsibleParserError("csops.cloudstack.cloudstack: facts: no such fact %s; the facts are all, %s"
                                     % (shorten(unknown[0]), ", ".join(entries.FACT_KEYS)))
        return wanted

    def _matches(self, condition, variables, fail_on_errors):
        try:
            return bool(self._compose(condition, variables))
        except AnsibleError as error:
            if fail_on_errors:
                raise AnsibleParserError("csops.cloudstack.cloudstack: cannot evaluate the filter %r: %s"
                                         % (condition, one_line(error))) from None
            self.display.warning("csops.cloudstack.cloudstack: filter %r: %s; taken as not matching"
                                 % (condition, one_line(error)))
            return False

    def _wanted(self, variables, fail_on_errors):
        includes = self.get_option("include_filters")
        if includes and not any(self._matches(c, variables, fail_on_errors) for c in includes):
            return False
        return not any(self._matches(c, variables, fail_on_errors) for c in self.get_option("exclude_filters"))

    def _add_kind_groups(self, settings, used):
        """Creates the kind groups in ``used`` with their shared SSH variables; returns ``{group: variables}``
        (as set) for them."""
        found = {}
        for group, variables in entries.kind_group_vars(settings).items():
            if group not in used:
                continue
            self.inventory.add_group(group)
            found[group] = _data(variables)
            for key, value in found[group].items():
                self.inventory.set_variable(group, key, value)
        return found

    def _add(self, entry, kept, host_vars, known_groups):
        name = self.inventory.add_host(entry.name, group=entry.groups[0])
        for key, value in host_vars.items():
            self.inventory.set_variable(name, key, value)
        self.inventory.set_variable(name, entries.FACTS, kept)
        for group in entry.groups[1:]:
            if group not in known_groups:
                self.inventory.add_group(group)
                known_groups.add(group)
            self.inventory.add_child(group, name)

    def _construct(self, name, variables):
        strict = self.get_option("strict")
        self._set_composite_vars(self.get_option("compose"), variables, name, strict=strict)
        groups, keyed_groups = self.get_option("groups"), self.get_option("keyed_groups")
        if groups or keyed_groups:
            # What compose set joins the variables, and the facts stay whole: the host variable may keep fewer.
            merged = dict(variables)
            merged.update(self.inventory.get_host(name).get_vars())
            merged[entries.FACTS] = variables[entries.FACTS]
            self._add_host_to_composed_groups(groups, merged, name, strict=strict, fetch_hostvars=False)
            self._add_host_to_keyed_groups(keyed_groups, merged, name, strict=strict, fetch_hostvars=False)


def _data(value):
    """``value`` as data Ansible never templates: as it is from ansible-core 2.19 on, wrapped as unsafe before."""
    return wrap_var(value) if NEEDS_WRAP else value
