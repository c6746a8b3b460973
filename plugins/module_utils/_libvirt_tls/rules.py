# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""How CloudStack configures libvirt TLS on a KVM host: the ``libvirtd.conf`` keys ``cloudstack-setup-agent``
sets, and the links keystore-cert-import makes under ``/etc/pki`` (the VNC ones point at the libvirt links)."""

from __future__ import annotations

import os
import re


def libvirtd_settings(pki_dir, tls):
    """``{key: (value, quoted)}`` of libvirtd.conf for TLS (``tls``) or plain TCP, as CloudStack sets them."""
    if not tls:
        return {"listen_tcp": ("1", False), "listen_tls": ("0", False)}
    return {
        "listen_tcp": ("0", False),
        "listen_tls": ("1", False),
        "key_file": (os.path.join(pki_dir, "libvirt/private/serverkey.pem"), True),
        "cert_file": (os.path.join(pki_dir, "libvirt/servercert.pem"), True),
        "ca_file": (os.path.join(pki_dir, "CA/cacert.pem"), True),
        "tcp_port": ("16509", True),
        "tls_port": ("16514", True),
        "auth_tcp": ("none", True),
        "auth_tls": ("none", True),
    }


def links(pki_dir, agent_dir):
    """``[(link, target, role)]``: the eight links, in the order they must be made."""
    ca = os.path.join(pki_dir, "CA/cacert.pem")
    server_cert = os.path.join(pki_dir, "libvirt/servercert.pem")
    server_key = os.path.join(pki_dir, "libvirt/private/serverkey.pem")
    return [
        (ca, os.path.join(agent_dir, "cloud.ca.crt"), "ca"),
        (os.path.join(pki_dir, "libvirt/clientcert.pem"), os.path.join(agent_dir, "cloud.crt"), "client_cert"),
        (server_cert, os.path.join(agent_dir, "cloud.crt"), "server_cert"),
        (os.path.join(pki_dir, "libvirt/private/clientkey.pem"), os.path.join(agent_dir, "cloud.key"), "client_key"),
        (server_key, os.path.join(agent_dir, "cloud.key"), "server_key"),
        (os.path.join(pki_dir, "libvirt-vnc/ca-cert.pem"), ca, "vnc_ca"),
        (os.path.join(pki_dir, "libvirt-vnc/server-cert.pem"), server_cert, "vnc_cert"),
        (os.path.join(pki_dir, "libvirt-vnc/server-key.pem"), server_key, "vnc_key"),
    ]


def link_dirs(pki_dir):
    return [os.path.join(pki_dir, name) for name in ("CA", "libvirt", "libvirt/private", "libvirt-vnc")]


_SETTING_RE = re.compile(r"^(\s*)([A-Za-z_][A-Za-z0-9_]*)(\s*=\s*)(.*?)(\s*(#.*)?)$")


def _value_of(raw):
    raw = raw.strip()
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
        return raw[1:-1]
    return raw


def current_settings(text):
    """``{key: value}`` of the uncommented settings of a libvirtd.conf text (the last one of a key wins)."""
    found = {}
    for line in (text or "").splitlines():
        match = _SETTING_RE.match(line)
        if match:
            found[match.group(2)] = _value_of(match.group(4))
    return found


def edit_conf(text, wanted):
    """``(new_text, changed_keys)``: ``wanted`` ({key: (value, quoted)}) set in a libvirtd.conf text.

    A key set to an equal value (quoted or not, as CloudStack's ``key=value`` lines are) keeps its line; one
    set to another value gets its last line's value replaced; a missing key is appended. Comments, other keys
    and order are kept.
    """
    lines = (text or "").splitlines(True)
    last = {}
    for index, line in enumerate(lines):
        match = _SETTING_RE.match(line.rstrip("\r\n"))
        if match and match.group(2) in wanted:
            last[match.group(2)] = index
    changed = []
    for key, (value, quoted) in wanted.items():
        shown = '"%s"' % value if quoted else value
        if key in last:
            index = last[key]
            body = lines[index].rstrip("\r\n")
            ending = lines[index][len(body):]
            match = _SETTING_RE.match(body)
            if _value_of(match.group(4)) != value:
                lines[index] = "%s%s%s%s%s%s" % (match.group(1), key, match.group(3), shown, match.group(5) or "",
                                                 ending)
                changed.append(key)
        else:
            if lines and not lines[-1].endswith("\n"):
                lines[-1] += "\n"
            lines.append("%s = %s\n" % (key, shown))
            changed.append(key)
    return "".join(lines), changed


def qemu_group(text):
    """The ``group`` qemu.conf sets (the last uncommented one), or None."""
    value = current_settings(text).get("group")
    return value or None
