# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""What agent_keystore and agent_certificate do on a KVM host, the way CloudStack's keystore-setup and
keystore-cert-import do it (same files, aliases, passphrase key and modes), and nothing when it is done.

Nothing that needs no change starts a JVM: the keystore is read with cryptography (or the JKS reader), and
keytool runs only to change it. Every input is checked before anything is written. The passphrase and private
keys never reach a result, a diff or a message.
"""

from __future__ import annotations

import os
import secrets
import string

from .._agent import properties
from .._agent.backend import AgentFile
from .._host import files
from .._host.errors import HostError, describe
from . import crypto, host, store

PROPERTIES = "agent.properties"
KEYSTORE = "cloud.jks"
CSR = "cloud.csr"
CERT = "cloud.crt"
CA_CERT = "cloud.ca.crt"
KEY = "cloud.key"
SECRET_MODE = 0o600   # agent.properties, cloud.jks, cloud.csr after keystore-setup
CERT_MODE = 0o750     # cloud.crt, cloud.ca.crt, cloud.key after keystore-cert-import
PASSPHRASE_CHARS = string.ascii_letters + string.digits


class KeystoreTaskError(HostError):
    """agent_keystore or agent_certificate failed; ``result`` holds what was done before."""


def agent_paths(agent_dir):
    return {name: os.path.join(agent_dir, name) for name in (PROPERTIES, KEYSTORE, CSR, CERT, CA_CERT, KEY)}


def _agent_file(module, path):
    agent = AgentFile(module, path)
    if properties.PASSPHRASE_KEY in properties.commented_keys(agent.text):
        raise KeystoreTaskError("%s has a commented-out %s line; CloudStack's keystore-cert-import reads it as part "
                                "of the passphrase and fails: remove that line" % (path, properties.PASSPHRASE_KEY))
    if properties.PASSPHRASE_KEY in agent.values and not agent.values[properties.PASSPHRASE_KEY]:
        raise KeystoreTaskError("%s has an empty or continued %s value" % (path, properties.PASSPHRASE_KEY))
    return agent


def _passphrase(module, agent, create):
    """``(passphrase, created)``: the one in agent.properties, else the option's or a new random one."""
    existing = agent.values.get(properties.PASSPHRASE_KEY)
    if existing:
        return existing, False
    if not create:
        raise KeystoreTaskError("%s has no %s: set up the keystore first (agent_keystore)"
                                % (agent.path, properties.PASSPHRASE_KEY))
    given = module.params.get("passphrase")
    if given is not None:
        properties.check_value("passphrase", properties.PASSPHRASE_KEY, given)
        if len(given) < 6:
            raise KeystoreTaskError("passphrase: keytool needs at least 6 characters")
        value = given
    else:
        value = "".join(secrets.choice(PASSPHRASE_CHARS) for _index in range(16))
    agent.hide([value])
    return value, True


def _read_store(path, passphrase, allow_unreadable=False):
    try:
        return store.read_store(path, passphrase)
    except store.KeystoreError:
        if allow_unreadable:
            return "unreadable"
        raise


def _check_dir(agent_dir):
    attrs = files.file_attrs(agent_dir)
    if attrs is None or not attrs["is_dir"]:
        raise KeystoreTaskError("agent_dir: %s is not a directory" % describe(agent_dir, 200))


def setup_keystore(module):
    """agent_keystore: the key pair ``cloud`` in cloud.jks, the passphrase, and a CSR for the host."""
    params = module.params
    _check_dir(params["agent_dir"])
    paths = agent_paths(params["agent_dir"])
    for option in ("validity", "renew_before", "key_size"):
        if params[option] < (1024 if option == "key_size" else 0) or (option == "validity" and params[option] < 1):
            raise KeystoreTaskError("%s: out of range, got %d" % (option, params[option]))
    fqdn = host.host_fqdn(module)
    addresses = host.san_addresses(module)
    agent = _agent_file(module, paths[PROPERTIES])
    passphrase, created = _passphrase(module, agent, create=True)
    current = _read_store(paths[KEYSTORE], passphrase, allow_unreadable=params["renew"])
    entry = current.key_entry() if isinstance(current, store.Store) else None

    reason = None
    if current is None:
        reason = "no keystore"
    elif current == "unreadable":
        reason = "keystore cannot be opened with the passphrase (renew)"
    elif entry is None:
        reason = "no key entry %s" % store.KEY_ALIAS
    elif params["renew"]:
        reason = "renew requested"
    elif entry.key is not None and not crypto.same_public_key(entry.key.public_key(), entry.certs[0].public_key()):
        reason = "certificate does not match the key"
    elif crypto.days_left(entry.certs[0]) < params["renew_before"]:
        reason = "certificate expires in %d days" % crypto.days_left(entry.certs[0])

    csr_text = files.text_of(files.read_bytes(paths[CSR]))
    result = {"changed": False, "renewed": reason is not None, "reason": reason, "fqdn": fqdn,
              "addresses": addresses, "passphrase_created": created, "csr_written": False}
    diffs = []
    if created:
        new_props, _keys = agent.plan({properties.PASSPHRASE_KEY: passphrase}, [])
        diffs.append(agent.diff(new_props))
    keytool_calls = 0
    if reason is None:
        key = entry.key
        if crypto.csr_matches(crypto.load_csr(csr_text), entry.public_key, fqdn, addresses):
            new_csr = csr_text
        elif module.check_mode:
            new_csr = None
        else:
            if key is None:
                with store.Keytool(module, passphrase) as keytool:
                    key, _cert = keytool.to_pkcs12(current)
                    keytool_calls = keytool.calls
            new_csr = crypto.make_csr(key, fqdn, addresses)
        result["certificate"] = crypto.cert_info(entry.certs[0])
        result["keystore_format"] = current.format
    else:
        key = crypto.new_key(params["key_size"])
        cert = crypto.self_signed(key, fqdn, params["validity"])
        new_csr = crypto.make_csr(key, fqdn, addresses)
        result["certificate"] = crypto.cert_info(cert)
        result["keystore_format"] = "PKCS12"
    csr_changes = new_csr != csr_text or files.needs_write(paths[CSR], (csr_text or "").encode(), SECRET_MODE,
                                                           module.uid, module.gid)
    result["changed"] = created or reason is not None or csr_changes
    diffs.append({"before_header": paths[CSR], "after_header": paths[CSR], "before": csr_text or "",
                  "after": new_csr if new_csr is not None else "(a new CSR for the same key)\n"})

    if result["changed"] and not module.check_mode:
        done = dict(result, changed=False)
        try:
            if created:
                agent.write(new_props, module.uid, module.gid, SECRET_MODE)
                done["changed"] = True
            if reason is not None:
                keytool_calls += _put_new_key(module, paths[KEYSTORE], current, passphrase, key, cert)
                done["changed"] = True
            if new_csr != csr_text or csr_changes:
                files.write_atomic(paths[CSR], new_csr.encode("ascii"), SECRET_MODE, module.uid, module.gid)
                result["csr_written"] = True
        except HostError as error:
            raise KeystoreTaskError("set up keystore %s: %s" % (paths[KEYSTORE], error), done)
    result["csr"] = new_csr
    result["keytool_calls"] = keytool_calls
    if module._diff:
        result["diff"] = diffs
    return result


def _put_new_key(module, path, current, passphrase, key, cert):
    """Put the new key entry into the keystore; returns how many keytool runs it took (0 for a new store)."""
    others = [alias for alias in current.entries if alias != store.KEY_ALIAS] \
        if isinstance(current, store.Store) else []
    if not others:
        data = crypto.pkcs12_bytes(store.KEY_ALIAS, key, cert, [], passphrase)
        files.write_atomic(path, data, SECRET_MODE, module.uid, module.gid)
        return 0
    with store.Keytool(module, passphrase) as keytool:
        staged = keytool.staged(path, current.format)
        try:
            staged.put_key_entry(key, cert, [])
            staged.commit(SECRET_MODE, module.uid, module.gid)
        finally:
            staged.discard()
        return keytool.calls


def import_certificate(module):
    """agent_certificate: cloud.crt, cloud.ca.crt, cloud.key and the keystore entries from a signed certificate."""
    params = module.params
    _check_dir(params["agent_dir"])
    paths = agent_paths(params["agent_dir"])
    leaf = crypto.load_certs(params["certificate"], "certificate")
    if len(leaf) != 1:
        raise KeystoreTaskError("certificate: must hold one certificate, got %d (give the chain in ca_certificate)"
                                % len(leaf))
    leaf = leaf[0]
    chain = crypto.load_certs(params["ca_certificate"], "ca_certificate")
    given_key = crypto.load_key(params["private_key"], "private_key") if params.get("private_key") else None
    moment = crypto.now()
    if crypto.not_after(leaf) <= moment:
        raise KeystoreTaskError("certificate: expired on %s" % crypto.cert_info(leaf)["not_after"])
    if crypto.not_before(leaf) > moment:
        raise KeystoreTaskError("certificate: not valid before %s" % crypto.cert_info(leaf)["not_before"])
    problem = crypto.chain_problem(leaf, chain)
    if problem:
        raise KeystoreTaskError("certificate: %s" % problem)
    sans = crypto.ip_sans(leaf)
    if params.get("management_address"):
        wanted = host.check_addresses("management_address", [params["management_address"]])
        if wanted[0] not in sans:
            raise KeystoreTaskError("certificate: its SANs %s miss the management address %s"
                                    % (", ".join(sans) or "(none)", wanted[0]))
    else:
        own = host.san_addresses(module)
        if not set(own) & set(sans):
            raise KeystoreTaskError("certificate: its SANs %s hold none of the host's addresses %s"
                                    % (", ".join(sans) or "(none)", ", ".join(own) or "(none)"))
    if given_key is not None and not crypto.same_public_key(given_key.public_key(), leaf.public_key()):
        raise KeystoreTaskError("certificate: does not match private_key")

    agent = _agent_file(module, paths[PROPERTIES])
    passphrase, created = _passphrase(module, agent, create=given_key is not None)
    current = _read_store(paths[KEYSTORE], passphrase)
    entry = current.key_entry() if current is not None else None
    if given_key is None:
        if entry is None:
            raise KeystoreTaskError("%s has no key entry %s: set up the keystore first (agent_keystore) or give "
                                    "private_key" % (paths[KEYSTORE], store.KEY_ALIAS))
        if not crypto.same_public_key(entry.public_key, leaf.public_key()):
            raise KeystoreTaskError("certificate: does not match the key of %s (alias %s); it was issued for "
                                    "another key" % (paths[KEYSTORE], store.KEY_ALIAS))

    entry_done = entry is not None and crypto.cert_der(entry.certs[0]) == crypto.cert_der(leaf) and (
        given_key is None or (entry.key is not None and crypto.same_private_key(entry.key, given_key))
        or (entry.key is None and crypto.same_public_key(entry.public_key, given_key.public_key())))
    ca_todo = []
    for number, ca in enumerate(chain, 1):
        alias = store.CA_ALIAS % number
        have = current.trusted(alias) if current is not None else None
        if have is None or crypto.cert_der(have) != crypto.cert_der(ca):
            ca_todo.append((alias, ca, current is not None and alias in current.entries))

    key = given_key if given_key is not None else entry.key
    key_text = files.text_of(files.read_bytes(paths[KEY]))
    key_file_ok = _key_file_holds(key_text, key, entry.public_key if key is None else None)
    file_plan = [
        (paths[CERT], crypto.cert_pem(leaf), _certs_equal(paths[CERT], [leaf])),
        (paths[CA_CERT], "".join(crypto.cert_pem(c) for c in chain), _certs_equal(paths[CA_CERT], chain)),
    ]
    keystore_todo = not entry_done or bool(ca_todo)
    result = {"changed": False, "certificate": crypto.cert_info(leaf), "ca_aliases": [
        store.CA_ALIAS % n for n in range(1, len(chain) + 1)], "keystore_changed": keystore_todo,
        "passphrase_created": created, "files": []}
    for path, _text, same in file_plan + [(paths[KEY], None, key_file_ok)]:
        attrs = files.file_attrs(path)
        attrs_ok = attrs is not None and (attrs["mode"], attrs["uid"], attrs["gid"]) == (
            CERT_MODE, module.uid, module.gid) and not attrs["is_link"]
        state = "unchanged" if same and attrs_ok else ("updated" if attrs is not None else "created")
        result["files"].append({"path": path, "state": state})
    changed = created or keystore_todo or any(f["state"] != "unchanged" for f in result["files"])
    result["changed"] = changed
    if module._diff:
        result["diff"] = [{"before_header": paths[CERT], "after_header": paths[CERT],
                           "before": files.text_of(files.read_bytes(paths[CERT])) or "",
                           "after": crypto.cert_pem(leaf)}]
    if not changed or module.check_mode:
        result["keytool_calls"] = 0
        return result

    done = {"changed": False}
    try:
        with store.Keytool(module, passphrase) as keytool:
            if key is None and (keystore_todo or not key_file_ok):
                key, _cert = keytool.to_pkcs12(current)
            if created:
                new_props, _keys = agent.plan({properties.PASSPHRASE_KEY: passphrase}, [])
                agent.write(new_props, module.uid, module.gid)
                done["changed"] = True
            if keystore_todo:
                _import_into_store(module, keytool, paths[KEYSTORE], current, key, leaf, chain, entry_done, ca_todo)
                done["changed"] = True
            if given_key is not None:
                key_text = params["private_key"].strip() + "\n"
            else:
                key_text = crypto.key_pem(key) if key is not None else None
            cert_item, ca_item, key_item = result["files"]
            # The key first and cloud.crt last: CloudStack takes a host with cloud.crt as secured.
            for path, text, item in ((paths[KEY], key_text, key_item), (paths[CA_CERT], file_plan[1][1], ca_item),
                                     (paths[CERT], file_plan[0][1], cert_item)):
                if item["state"] == "unchanged":
                    continue
                if path == paths[KEY] and key_file_ok:
                    data = files.read_bytes(path)  # the same key in another form: keep it, fix mode and owner
                else:
                    data = text.encode("utf-8")
                files.write_atomic(path, data, CERT_MODE, module.uid, module.gid)
                done["changed"] = True
            result["keytool_calls"] = keytool.calls
    except HostError as error:
        raise KeystoreTaskError("import certificate into %s: %s" % (paths[KEYSTORE], error), done)
    return result


def _import_into_store(module, keytool, path, current, key, leaf, chain, entry_done, ca_todo):
    if current is None:
        files.write_atomic(path, crypto.pkcs12_bytes(store.KEY_ALIAS, key, leaf, chain, keytool.passphrase),
                           SECRET_MODE, module.uid, module.gid)
        attrs = files.file_attrs(path)
        current = store.Store(path, "PKCS12", {})
    else:
        attrs = files.file_attrs(path)
    staged = keytool.staged(path, current.format)
    try:
        for alias, ca, exists in ca_todo:
            staged.put_trusted(alias, ca, exists)
        if not entry_done and current.entries:
            staged.put_key_entry(key, leaf, chain)
        staged.commit(attrs["mode"], attrs["uid"], attrs["gid"])
    finally:
        staged.discard()


def _certs_equal(path, certs):
    text = files.text_of(files.read_bytes(path))
    if not text:
        return False
    try:
        have = crypto.load_certs(text, path)
    except crypto.CryptoError:
        return False
    return [crypto.cert_der(c) for c in have] == [crypto.cert_der(c) for c in certs]


def _key_file_holds(text, key, public_key=None):
    """Whether the key file text holds ``key`` (or, when only its public half is known, a key for it)."""
    if not text:
        return False
    try:
        have = crypto.load_key(text, "cloud.key")
    except crypto.CryptoError:
        return False
    if key is not None:
        return crypto.same_private_key(have, key)
    return crypto.same_public_key(have.public_key(), public_key)
