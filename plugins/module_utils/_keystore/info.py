# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""What host_certificate_info reports: every certificate file that matters on a KVM host, whether it matches its
key, the keystore's entries, and whether CloudStack's /etc/pki links point where they should. Only reads."""

from __future__ import annotations

import os

from .._agent import properties
from .._agent.backend import AgentFile
from .._host import files
from .._libvirt_tls.backend import read_links
from . import backend, crypto, store


def _cert_file(path, key_path=None, at=None):
    item = {"path": path, "exists": False}
    attrs = files.file_attrs(path)
    if attrs is None:
        return item
    item.update(exists=True, is_link=attrs["is_link"],
                link_target=os.readlink(path) if attrs["is_link"] else None, mode="%04o" % attrs["mode"])
    text = files.text_of(files.read_bytes(path))
    try:
        certs = crypto.load_certs(text, path)
    except crypto.CryptoError as error:
        item["error"] = str(error)
        return item
    item.update(crypto.cert_info(certs[0], at))
    item["expired"] = item["days_left"] < 0
    if len(certs) > 1:
        item["chain"] = [crypto.cert_info(c, at) for c in certs]
    if key_path is not None:
        key_text = files.text_of(files.read_bytes(key_path))
        if key_text is None:
            item["matches_key"] = None
        else:
            try:
                key = crypto.load_key(key_text, key_path)
                item["matches_key"] = crypto.same_public_key(key.public_key(), certs[0].public_key())
            except crypto.CryptoError:
                item["matches_key"] = False
        item["key_path"] = key_path
    return item


def read_info(module):
    """host_certificate_info: the result dict."""
    params = module.params
    agent_dir, pki_dir = params["agent_dir"], params["pki_dir"]
    paths = backend.agent_paths(agent_dir)
    at = crypto.now()
    certificates = {
        "agent": _cert_file(paths[backend.CERT], paths[backend.KEY], at),
        "ca": _cert_file(paths[backend.CA_CERT], None, at),
        "libvirt_server": _cert_file(os.path.join(pki_dir, "libvirt/servercert.pem"),
                                     os.path.join(pki_dir, "libvirt/private/serverkey.pem"), at),
        "libvirt_client": _cert_file(os.path.join(pki_dir, "libvirt/clientcert.pem"),
                                     os.path.join(pki_dir, "libvirt/private/clientkey.pem"), at),
        "libvirt_ca": _cert_file(os.path.join(pki_dir, "CA/cacert.pem"), None, at),
        "vnc_server": _cert_file(os.path.join(pki_dir, "libvirt-vnc/server-cert.pem"),
                                 os.path.join(pki_dir, "libvirt-vnc/server-key.pem"), at),
        "vnc_ca": _cert_file(os.path.join(pki_dir, "libvirt-vnc/ca-cert.pem"), None, at),
    }
    agent = certificates["agent"]
    ca = certificates["ca"]
    if agent.get("exists") and ca.get("exists") and "error" not in agent and "error" not in ca:
        leaf = crypto.load_certs(files.text_of(files.read_bytes(paths[backend.CERT])), "cloud.crt")[0]
        chain = crypto.load_certs(files.text_of(files.read_bytes(paths[backend.CA_CERT])), "cloud.ca.crt")
        agent["signed_by_ca"] = crypto.chain_problem(leaf, chain) is None
    links = read_links(pki_dir, agent_dir)
    result = {"changed": False, "secured": agent["exists"], "certificates": certificates, "links": links,
              "links_ok": all(link["ok"] for link in links), "keystore": _keystore(module, paths, at)}
    return result


def _keystore(module, paths, at):
    info = {"path": paths[backend.KEYSTORE], "exists": os.path.exists(paths[backend.KEYSTORE])}
    agent = AgentFile(module, paths[backend.PROPERTIES])
    passphrase = agent.values.get(properties.PASSPHRASE_KEY)
    info["passphrase_set"] = bool(passphrase)
    if not info["exists"] or not passphrase:
        return info
    try:
        current = store.read_store(paths[backend.KEYSTORE], passphrase)
    except store.KeystoreError as error:
        info["error"] = str(error)
        return info
    info["format"] = current.format
    info["aliases"] = sorted(current.entries)
    entry = current.key_entry()
    info["has_key"] = entry is not None
    if entry is not None:
        info["certificate"] = crypto.cert_info(entry.certs[0], at)
        info["chain_length"] = len(entry.certs)
        cert_text = files.text_of(files.read_bytes(paths[backend.CERT]))
        if cert_text:
            try:
                leaf = crypto.load_certs(cert_text, "cloud.crt")[0]
                info["matches_cloud_crt"] = crypto.cert_der(leaf) == crypto.cert_der(entry.certs[0])
                info["key_matches_cloud_crt"] = crypto.same_public_key(entry.public_key, leaf.public_key())
            except crypto.CryptoError:
                info["matches_cloud_crt"] = False
    return info
