# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The host's identity as CloudStack's keystore-setup sees it: its FQDN and the addresses that go into the CSR.

keystore-setup puts every address ``ip address`` shows into the CSR's SANs except ``169.254.*``, ``127.0.0.1``,
``::1`` and ``fe80*``; ``san_addresses`` applies the same rule.
"""

from __future__ import annotations

import ipaddress

from .._host.errors import HostError, describe
from .._host.runner import CommandRunner, fmt


class HostIdentityError(HostError):
    """The FQDN or the addresses could not be found, or an option naming them is bad."""


def keeps(address):
    """Whether CloudStack's filter keeps ``address`` (a normalized string) for the SANs."""
    lowered = address.lower()
    return not (lowered.startswith("169.254.") or lowered in ("127.0.0.1", "::1") or lowered.startswith("fe80"))


def check_addresses(option, values):
    """The addresses of ``values`` normalized, in order, without duplicates; HostIdentityError for a bad one."""
    result = []
    for value in values:
        try:
            address = str(ipaddress.ip_address(str(value).strip()))
        except ValueError:
            raise HostIdentityError("%s: not an IP address, got %s" % (option, describe(value)))
        if address not in result:
            result.append(address)
    return result


def san_addresses(module):
    """The SAN addresses: the ``addresses`` option, or the host's own (``ip -o addr``) filtered like CloudStack."""
    given = module.params.get("addresses")
    if given is not None:
        return [a for a in check_addresses("addresses", given) if keeps(a)]
    runner = CommandRunner(module, "ip", {"family": fmt.option("-o"), "object": lambda value: [value]},
                           required=False)
    if not runner.available:
        raise HostIdentityError("addresses: not given and the ip command is missing")
    result = runner.run(["family", "object"], family="addr", object="show")
    if not result.ok:
        raise HostIdentityError("addresses: not given and 'ip -o addr show' failed: %s" % result.err.strip()[:200])
    return [a for a in parse_ip_addr(result.out) if keeps(a)]


def parse_ip_addr(text):
    """Addresses in the output of ``ip -o addr``, in order, normalized, without duplicates."""
    found = []
    for line in text.splitlines():
        words = line.split()
        for index, word in enumerate(words[:-1]):
            if word in ("inet", "inet6"):
                try:
                    address = str(ipaddress.ip_address(words[index + 1].split("/")[0]))
                except ValueError:
                    continue
                if address not in found:
                    found.append(address)
    return found


def host_fqdn(module):
    """The ``fqdn`` option, or ``hostname --fqdn``."""
    given = module.params.get("fqdn")
    if given is not None:
        if not given or any(ch <= " " or ch in ",=+<>#;\\\"" for ch in given) or len(given) > 253:
            raise HostIdentityError("fqdn: not a host name, got %s" % describe(given))
        return given
    runner = CommandRunner(module, "hostname", {"fqdn": lambda value: ["--fqdn"] if value else []}, required=False)
    if not runner.available:
        raise HostIdentityError("fqdn: not given and the hostname command is missing")
    result = runner.run(["fqdn"], fqdn=True)
    name = result.out.strip()
    if not result.ok or not name:
        raise HostIdentityError("fqdn: not given and 'hostname --fqdn' failed: %s" % (result.err.strip()[:200]))
    return name
