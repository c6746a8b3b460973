# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The agent's keystore ``cloud.jks``: read it without starting a JVM, change it with keytool on a staged copy.

Java 17's keytool writes ``cloud.jks`` as PKCS#12, which ``cryptography`` reads. Older hosts have a real JKS
file; its certificates are stored in clear and read here from the file format (the digest at its end, keyed
with the passphrase, tells whether the passphrase is right). Its private key is only reached through keytool,
by converting the store to PKCS#12 in a private temporary directory.

Every change is made to a copy next to the keystore and renamed over it, so the keystore is never seen without
its key entry. Passphrases reach keytool through a 0600 file in a private directory, never the command line.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import struct
import tempfile

from .._host import files
from .._host.errors import HostError
from .._host.runner import CommandRunner, fmt
from . import crypto

KEY_ALIAS = "cloud"
CA_ALIAS = "cloudca.%d"
JKS_MAGIC = 0xFEEDFEED
JKS_DIGEST_SALT = b"Mighty Aphrodite"


class KeystoreError(HostError):
    """The keystore cannot be read or changed; ``result`` holds what was done before."""


class Entry:
    """One keystore entry: ``kind`` "key" or "cert", its certificates (the chain of a key entry), and for a
    PKCS#12 store the private key itself."""

    def __init__(self, kind, certs, key=None):
        self.kind = kind
        self.certs = certs
        self.key = key

    @property
    def public_key(self):
        if self.key is not None:
            return self.key.public_key()
        return self.certs[0].public_key() if self.certs else None


class Store:
    """A keystore read from ``path``: ``format`` ("PKCS12" or "JKS") and ``entries`` {alias: Entry}."""

    def __init__(self, path, store_format, entries):
        self.path = path
        self.format = store_format
        self.entries = entries

    def key_entry(self):
        entry = self.entries.get(KEY_ALIAS)
        return entry if entry is not None and entry.kind == "key" else None

    def trusted(self, alias):
        entry = self.entries.get(alias)
        return entry.certs[0] if entry is not None and entry.kind == "cert" and entry.certs else None


def read_store(path, passphrase):
    """The keystore at ``path`` opened with ``passphrase``; None when there is no file; KeystoreError when it
    is not a keystore or the passphrase does not open it."""
    data = files.read_bytes(path)
    if data is None:
        return None
    if len(data) >= 4 and struct.unpack(">I", data[:4])[0] == JKS_MAGIC:
        return Store(path, "JKS", _read_jks(path, data, passphrase))
    try:
        key, leaf, extra = crypto.load_pkcs12(data, passphrase)
    except crypto.CryptoError as error:
        raise KeystoreError("open keystore %s: %s" % (path, error))
    # Java names the chain certificates of a key entry after their subject; trusted entries carry their alias.
    chain_certs = [c for name, c in extra if name is None or name == crypto.name_text(c.subject)]
    entries = {}
    if key is not None and leaf is not None:
        entries[leaf[0] or KEY_ALIAS] = Entry("key", [leaf[1]] + chain_certs, key)
    for name, cert in extra:
        if name is not None and name != crypto.name_text(cert.subject):
            entries[name] = Entry("cert", [cert])
    return Store(path, "PKCS12", entries)


class _Reader:
    def __init__(self, data):
        self.data = data
        self.at = 0

    def take(self, count):
        if count < 0 or self.at + count > len(self.data):
            raise ValueError("truncated")
        chunk = self.data[self.at:self.at + count]
        self.at += count
        return chunk

    def u16(self):
        return struct.unpack(">H", self.take(2))[0]

    def u32(self):
        return struct.unpack(">I", self.take(4))[0]

    def utf(self):
        return self.take(self.u16()).decode("utf-8", "replace")


def _read_jks(path, data, passphrase):
    reader = _Reader(data)
    try:
        reader.take(4)
        version = reader.u32()
        if version not in (1, 2):
            raise ValueError("unknown JKS version %d" % version)
        entries = {}
        for _index in range(reader.u32()):
            tag = reader.u32()
            alias = reader.utf()
            reader.take(8)  # creation time
            if tag == 1:
                reader.take(reader.u32())  # the encrypted private key, only keytool reads it
                certs = [_jks_cert(reader, version) for _cert in range(reader.u32())]
                entries[alias] = Entry("key", certs)
            elif tag == 2:
                entries[alias] = Entry("cert", [_jks_cert(reader, version)])
            else:
                raise ValueError("unknown entry type %d" % tag)
        body = data[:reader.at]
        digest = reader.take(20)
    except (ValueError, struct.error) as error:
        raise KeystoreError("open keystore %s: not a readable JKS file (%s)" % (path, error))
    expected = hashlib.sha1(passphrase.encode("utf-16-be") + JKS_DIGEST_SALT + body).digest()
    if digest != expected:
        raise KeystoreError("open keystore %s: cannot be opened with the keystore passphrase "
                            "(wrong passphrase or damaged file)" % path)
    return entries


def _jks_cert(reader, version):
    if version == 2:
        reader.utf()  # certificate type, X.509
    der = reader.take(reader.u32())
    try:
        return crypto.x509.load_der_x509_certificate(der)
    except ValueError as error:
        raise ValueError("a certificate cannot be read: %s" % error)


class Keytool:
    """keytool through the command runner, with passphrases passed in files of a private temporary directory.

    Use as a context manager; the directory (and the staged copy's leftovers) are removed on exit.
    """

    ARGS = {
        "command": lambda value: [value],
        "alias": fmt.option("-alias"),
        "file": fmt.option("-file"),
        "keystore": fmt.option("-keystore"),
        "storetype": fmt.option("-storetype"),
        "storepass": fmt.option("-storepass:file"),
        "srckeystore": fmt.option("-srckeystore"),
        "srcstoretype": fmt.option("-srcstoretype"),
        "srcstorepass": fmt.option("-srcstorepass:file"),
        "srcalias": fmt.option("-srcalias"),
        "destkeystore": fmt.option("-destkeystore"),
        "deststoretype": fmt.option("-deststoretype"),
        "deststorepass": fmt.option("-deststorepass:file"),
        "noprompt": lambda value: ["-noprompt"] if value else [],
        "trustcacerts": lambda value: ["-trustcacerts"] if value else [],
    }

    def __init__(self, module, passphrase):
        self.module = module
        self.passphrase = passphrase
        self.runner = None
        self.tmp = None
        self.pass_file = None
        self.calls = 0

    def __enter__(self):
        self.runner = CommandRunner(self.module, "keytool", self.ARGS, required=False)
        if not self.runner.available:
            raise KeystoreError("keytool: command not found (the CloudStack agent's Java provides it)")
        self.tmp = tempfile.mkdtemp(prefix="csops-keystore.")
        self.pass_file = self.path("pass")
        self.write(self.pass_file, (self.passphrase + "\n").encode("utf-8"))
        return self

    def __exit__(self, *exc):
        shutil.rmtree(self.tmp, ignore_errors=True)
        return False

    def path(self, name):
        return os.path.join(self.tmp, name)

    def write(self, path, data):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)

    def run(self, what, **values):
        order = [name for name in self.ARGS if name in values]
        self.calls += 1
        result = self.runner.run(order, **values)
        if not result.ok:
            output = " ".join((result.out + " " + result.err).split())
            raise KeystoreError("keytool %s: %s" % (what, output[:300] or "failed with status %d" % result.rc))
        return result

    def to_pkcs12(self, store):
        """The key entry of a JKS store, converted to PKCS#12 here: ``(key, cert)``."""
        target = self.path("converted.p12")
        self.run("convert %s to PKCS12" % store.path, command="-importkeystore", srckeystore=store.path,
                 srcstoretype="JKS", srcstorepass=self.pass_file, srcalias=KEY_ALIAS, destkeystore=target,
                 deststoretype="PKCS12", deststorepass=self.pass_file, noprompt=True)
        key, leaf, _extra = crypto.load_pkcs12(files.read_bytes(target), self.passphrase)
        return key, leaf[1] if leaf else None

    def staged(self, store_path, store_format):
        """A copy of the keystore next to it (same directory, so it can be renamed over it)."""
        directory = os.path.dirname(store_path) or "."
        fd, copy = tempfile.mkstemp(prefix=".%s." % os.path.basename(store_path), suffix=".tmp", dir=directory)
        os.close(fd)
        shutil.copyfile(store_path, copy)
        return StagedStore(self, store_path, copy, store_format)


class StagedStore:
    """Changes to a copy of the keystore; ``commit()`` gives it the mode and owner and renames it into place."""

    def __init__(self, keytool, target, copy, store_format):
        self.keytool = keytool
        self.target = target
        self.copy = copy
        self.format = store_format

    def put_key_entry(self, key, cert, chain):
        """Replace the key entry ``cloud`` with ``key``, ``cert`` and its ``chain``."""
        source = self.keytool.path("entry.p12")
        if os.path.exists(source):
            os.unlink(source)
        self.keytool.write(source, crypto.pkcs12_bytes(KEY_ALIAS, key, cert, chain, self.keytool.passphrase))
        self.keytool.run("import the key entry %s" % KEY_ALIAS, command="-importkeystore", srckeystore=source,
                         srcstoretype="PKCS12", srcstorepass=self.keytool.pass_file, srcalias=KEY_ALIAS,
                         destkeystore=self.copy, deststoretype=self.format, deststorepass=self.keytool.pass_file,
                         noprompt=True)

    def put_trusted(self, alias, cert, exists):
        """Make ``alias`` a trusted entry holding ``cert`` (deleting the old one first when ``exists``)."""
        if exists:
            self.keytool.run("delete %s" % alias, command="-delete", alias=alias, keystore=self.copy,
                             storetype=self.format, storepass=self.keytool.pass_file)
        source = self.keytool.path("%s.pem" % alias)
        if os.path.exists(source):
            os.unlink(source)
        self.keytool.write(source, crypto.cert_pem(cert).encode("ascii"))
        self.keytool.run("import %s" % alias, command="-importcert", alias=alias, file=source, keystore=self.copy,
                         storetype=self.format, storepass=self.keytool.pass_file, noprompt=True, trustcacerts=True)

    def commit(self, mode, uid, gid):
        try:
            os.chown(self.copy, uid, gid)
            os.chmod(self.copy, mode)
            with open(self.copy, "rb") as handle:
                os.fsync(handle.fileno())
            os.rename(self.copy, self.target)
        except OSError as error:
            raise KeystoreError("write %s: %s" % (self.target, error.strerror or error))
        self.copy = None

    def discard(self):
        if self.copy is not None:
            files.remove(self.copy)
            self.copy = None
