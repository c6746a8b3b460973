"""Which lab machines exist, read from topology.yml, and how their network pieces are named."""

from __future__ import annotations

import dataclasses
import hashlib
import ipaddress
from pathlib import Path

import yaml

# Root namespace side of the lab network.
ROOT_BRIDGE = "cslbr0"
LAB_NET = ipaddress.ip_network("10.250.0.0/24")
ROOT_ADDR = "10.250.0.1/24"
GUARD_METRIC = 4000

# Inside every KVM host namespace, like a real CloudStack KVM host.
CLOUD0 = "cloud0"
LINK_LOCAL_NET = ipaddress.ip_network("169.254.0.0/16")
CLOUD0_ADDR = "169.254.0.1/16"

# Name of the interface inside a machine's own namespace.
NS_IFNAME = "eth0"

HOST_SSH_PORT = 22
SYSTEMVM_SSH_PORT = 3922

IFNAMSIZ = 15


class TopologyError(ValueError):
    """topology.yml does not describe a lab labctl can build."""


@dataclasses.dataclass(frozen=True)
class Machine:
    """One lab machine that gets its own network namespace and sshd."""

    name: str
    kind: str  # management | kvm | systemvm | router
    namespace: str
    address: str  # plain IPv4 address
    prefixlen: int
    port: int
    parent: str | None = None  # KVM host a system VM / router lives on
    vmtype: str | None = None  # secondarystoragevm, consoleproxy, domainrouter

    @property
    def is_vm(self) -> bool:
        return self.parent is not None

    @property
    def cidr(self) -> str:
        return f"{self.address}/{self.prefixlen}"

    @property
    def outer_ifname(self) -> str:
        """Name of the veth end outside the machine (root namespace, or the host's namespace for VMs)."""
        if self.is_vm:
            return ifname("vm-", self.name)
        return ifname("csl-", self.name)


def ifname(prefix: str, name: str) -> str:
    """A Linux interface name (at most 15 characters) that is stable for `name`."""
    candidate = prefix + name
    if len(candidate) <= IFNAMSIZ and all(c.isalnum() or c in "-_." for c in candidate):
        return candidate
    digest = hashlib.sha1(name.encode()).hexdigest()
    return (prefix + digest)[:IFNAMSIZ]


@dataclasses.dataclass
class Lab:
    """All namespaced machines of a topology, hosts first, then the VMs on them."""

    machines: list[Machine]
    source: Path | None = None

    @property
    def hosts(self) -> list[Machine]:
        """Machines attached to the root bridge (management servers and KVM hosts)."""
        return [m for m in self.machines if not m.is_vm]

    @property
    def kvm_hosts(self) -> list[Machine]:
        return [m for m in self.machines if m.kind == "kvm"]

    @property
    def vms(self) -> list[Machine]:
        return [m for m in self.machines if m.is_vm]

    def by_name(self, name: str) -> Machine:
        for m in self.machines:
            if m.name == name:
                return m
        raise KeyError(name)

    def vms_on(self, host: str) -> list[Machine]:
        return [m for m in self.vms if m.parent == host]

    @property
    def namespaces(self) -> list[str]:
        return [m.namespace for m in self.machines]


def _need(entry: dict, key: str, where: str):
    if key not in entry or entry[key] in (None, ""):
        raise TopologyError(f"{where}: missing '{key}'")
    return entry[key]


def lab_from_topology(data: dict, source: Path | None = None) -> Lab:
    """Build the Lab from parsed topology data; validates what labctl relies on."""
    machines: list[Machine] = []

    for ms in data.get("management_servers") or []:
        if not ms.get("lab_namespace"):
            continue
        name = _need(ms, "name", "management_servers[]")
        machines.append(Machine(name=name, kind="management", namespace=ms["lab_namespace"],
                                address=str(_need(ms, "ipaddress", f"management server {name}")),
                                prefixlen=LAB_NET.prefixlen, port=HOST_SSH_PORT))

    for zone in data.get("zones") or []:
        for pod in zone.get("pods") or []:
            for cluster in pod.get("clusters") or []:
                for host in cluster.get("hosts") or []:
                    if not host.get("lab_namespace"):
                        continue
                    name = _need(host, "name", "hosts[]")
                    machines.append(Machine(name=name, kind="kvm", namespace=host["lab_namespace"],
                                            address=str(_need(host, "ipaddress", f"host {name}")),
                                            prefixlen=LAB_NET.prefixlen, port=HOST_SSH_PORT))

    namespaced_hosts = {m.name for m in machines if m.kind == "kvm"}
    for section, kind in (("systemvms", "systemvm"), ("routers", "router")):
        for vm in data.get(section) or []:
            if not vm.get("lab_namespace"):
                continue
            name = _need(vm, "name", f"{section}[]")
            parent = _need(vm, "host", f"{section} {name}")
            if parent not in namespaced_hosts:
                raise TopologyError(f"{section} {name}: has lab_namespace but its host {parent!r} has none")
            vmtype = vm.get("systemvmtype") if kind == "systemvm" else "domainrouter"
            machines.append(Machine(name=name, kind=kind, namespace=vm["lab_namespace"],
                                    address=str(_need(vm, "linklocalip", f"{section} {name}")),
                                    prefixlen=LINK_LOCAL_NET.prefixlen, port=SYSTEMVM_SSH_PORT,
                                    parent=parent, vmtype=vmtype))

    lab = Lab(machines=machines, source=source)
    validate(lab)
    return lab


def validate(lab: Lab) -> None:
    seen_names: set[str] = set()
    seen_ns: set[str] = set()
    seen_addr: set[str] = set()
    reserved = {str(ipaddress.ip_interface(ROOT_ADDR).ip), str(ipaddress.ip_interface(CLOUD0_ADDR).ip)}
    for m in lab.machines:
        for value, seen, what in ((m.name, seen_names, "name"), (m.namespace, seen_ns, "lab_namespace"),
                                  (m.address, seen_addr, "address")):
            if value in seen:
                raise TopologyError(f"{m.name}: duplicate {what} {value!r}")
            seen.add(value)
        if not m.namespace.startswith("csl-"):
            raise TopologyError(f"{m.name}: lab_namespace {m.namespace!r} must start with 'csl-'")
        if "/" in m.namespace or len(m.namespace) > 64:
            raise TopologyError(f"{m.name}: bad lab_namespace {m.namespace!r}")
        try:
            addr = ipaddress.ip_address(m.address)
        except ValueError as exc:
            raise TopologyError(f"{m.name}: {exc}") from None
        net = LINK_LOCAL_NET if m.is_vm else LAB_NET
        if addr not in net or str(addr) in reserved or addr in (net.network_address, net.broadcast_address):
            raise TopologyError(f"{m.name}: address {m.address} is not a usable address in {net}")
    for owner in ("csl-", "vm-"):
        names = [m.outer_ifname for m in lab.machines if m.outer_ifname.startswith(owner)]
        if len(names) != len(set(names)):
            raise TopologyError(f"interface name clash among {names}")


def load(path: Path) -> Lab:
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    if not isinstance(data, dict):
        raise TopologyError(f"{path}: not a mapping")
    return lab_from_topology(data, source=path)
