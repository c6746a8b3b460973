# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Keys, CSRs and certificates of a KVM host, through the ``cryptography`` library.

Subjects follow CloudStack's keystore-setup (``CN=<fqdn>, OU=cloudstack, O=cloudstack, C=cloudstack``; the
country is not a two-letter code, which cryptography warns about, so those warnings are silenced here).
"""

from __future__ import annotations

import datetime
import ipaddress
import re
import traceback
import warnings

from .._host.errors import HostError

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID
    HAS_CRYPTOGRAPHY = True
    IMPORT_ERROR = None
except ImportError:
    HAS_CRYPTOGRAPHY = False
    IMPORT_ERROR = traceback.format_exc()

# CloudStack's subjects carry C=cloudstack, not a two-letter code; cryptography warns each time it parses one.
warnings.filterwarnings("ignore", message="Attribute's length must be")

PEM_CERT_RE = re.compile(r"-----BEGIN CERTIFICATE-----\s.*?-----END CERTIFICATE-----", re.S)


class CryptoError(HostError):
    """A key, CSR or certificate could not be read or does not fit; the message says which and why."""


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def subject_for(fqdn):
    """The subject keystore-setup gives a host: ``C=cloudstack, O=cloudstack, OU=cloudstack, CN=<fqdn>``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return x509.Name([
            _country("cloudstack"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "cloudstack"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "cloudstack"),
            x509.NameAttribute(NameOID.COMMON_NAME, fqdn),
        ])


def _country(value):
    """A country name attribute that is not two letters, as keytool writes it (newer cryptography refuses that
    unless told not to check)."""
    try:
        return x509.NameAttribute(NameOID.COUNTRY_NAME, value, _validate=False)
    except TypeError:
        return x509.NameAttribute(NameOID.COUNTRY_NAME, value)


def new_key(size):
    """A new RSA private key of ``size`` bits."""
    return rsa.generate_private_key(public_exponent=65537, key_size=size)


def self_signed(key, fqdn, days):
    """The self-signed certificate keytool would give a new key entry, valid ``days`` days from now."""
    start = now() - datetime.timedelta(minutes=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        name = subject_for(fqdn)
        builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(start)
                   .not_valid_after(start + datetime.timedelta(days=days)))
        return builder.sign(key, hashes.SHA256())


def make_csr(key, fqdn, addresses):
    """A CSR (PEM text) for ``key`` with the host's subject and the IP ``addresses`` as SANs (none: no SAN)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        builder = x509.CertificateSigningRequestBuilder().subject_name(subject_for(fqdn))
        if addresses:
            sans = [x509.IPAddress(ipaddress.ip_address(a)) for a in addresses]
            builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        csr = builder.sign(key, hashes.SHA256())
    return csr.public_bytes(serialization.Encoding.PEM).decode("ascii")


def load_csr(text):
    """A CSR from PEM text, or None when it is not one."""
    if not text:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            csr = x509.load_pem_x509_csr(text.encode("utf-8", "surrogateescape"))
            csr.subject  # parse now, inside the silenced warnings
            return csr
        except ValueError:
            return None


def csr_matches(csr, public_key, fqdn, addresses):
    """Whether a CSR is for ``public_key`` with the host's subject and exactly the SAN addresses wanted."""
    if csr is None or not same_public_key(csr.public_key(), public_key):
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if csr.subject != subject_for(fqdn) or not csr.is_signature_valid:
            return False
    return sorted(ip_sans(csr)) == sorted(str(ipaddress.ip_address(a)) for a in addresses)


def load_certs(text, option):
    """Every certificate in PEM ``text``, in order; CryptoError naming ``option`` when there is none or one is bad."""
    blocks = PEM_CERT_RE.findall(text or "")
    if not blocks:
        raise CryptoError("%s: no PEM certificate (-----BEGIN CERTIFICATE-----) found" % option)
    certs = []
    for number, block in enumerate(blocks, 1):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                cert = x509.load_pem_x509_certificate(block.encode("ascii", "replace"))
                cert.subject
            except ValueError as error:
                raise CryptoError("%s: certificate %d cannot be read: %s" % (option, number, error))
        certs.append(cert)
    return certs


def load_key(text, option):
    """A private key from unencrypted PEM text; CryptoError naming ``option`` (the key is never shown)."""
    try:
        return serialization.load_pem_private_key((text or "").encode("utf-8", "surrogateescape"), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as error:
        reason = "it is encrypted" if "encrypted" in str(error).lower() or isinstance(error, TypeError) else \
            "not an unencrypted PEM private key"
        raise CryptoError("%s: cannot be read: %s" % (option, reason))


def public_der(public_key):
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def same_public_key(a, b):
    return a is not None and b is not None and public_der(a) == public_der(b)


def key_pem(key, pkcs1=False):
    """PEM text of an unencrypted private key: PKCS#8, or PKCS#1 (traditional) when asked."""
    form = serialization.PrivateFormat.TraditionalOpenSSL if pkcs1 else serialization.PrivateFormat.PKCS8
    return key.private_bytes(serialization.Encoding.PEM, form, serialization.NoEncryption()).decode("ascii")


def same_private_key(a, b):
    return key_pem(a) == key_pem(b)


def cert_pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def cert_der(cert):
    return cert.public_bytes(serialization.Encoding.DER)


def not_after(cert):
    value = getattr(cert, "not_valid_after_utc", None)
    return value if value is not None else cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)


def not_before(cert):
    value = getattr(cert, "not_valid_before_utc", None)
    return value if value is not None else cert.not_valid_before.replace(tzinfo=datetime.timezone.utc)


def days_left(cert, at=None):
    """Whole days until the certificate expires (negative once expired)."""
    return int((not_after(cert) - (at or now())).total_seconds() // 86400)


def _sans(obj):
    try:
        ext = obj.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return None
    return ext.value


def ip_sans(obj):
    """The IP address SANs of a certificate or CSR, as normalized strings."""
    sans = _sans(obj)
    return [str(ip) for ip in sans.get_values_for_type(x509.IPAddress)] if sans is not None else []


def dns_sans(obj):
    sans = _sans(obj)
    return list(sans.get_values_for_type(x509.DNSName)) if sans is not None else []


def name_text(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return name.rfc4514_string()


def issued_by(cert, issuer):
    """Whether ``issuer``'s key signed ``cert`` (and the names chain)."""
    if cert.issuer != issuer.subject:
        return False
    key = issuer.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), cert.signature_hash_algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
        else:
            key.verify(cert.signature, cert.tbs_certificate_bytes)
    except (InvalidSignature, TypeError, ValueError, UnsupportedAlgorithm):
        return False
    return True


def chain_problem(leaf, chain):
    """Why ``chain`` does not vouch for ``leaf`` (None when each link is signed by the next one in ``chain``)."""
    current = leaf
    seen = 0
    while seen <= len(chain):
        if current.issuer == current.subject and current is not leaf:
            return None
        issuers = [c for c in chain if c is not current and issued_by(current, c)]
        if not issuers:
            if current is leaf:
                return "not signed by any certificate of the CA chain (issuer %s)" % name_text(leaf.issuer)
            return None  # the chain ends at an intermediate; its issuer is trusted elsewhere
        current = issuers[0]
        seen += 1
    return None


def cert_info(cert, at=None):
    """What a person wants to know about a certificate (no key material)."""
    return {
        "subject": name_text(cert.subject),
        "issuer": name_text(cert.issuer),
        "ip_sans": ip_sans(cert),
        "dns_sans": dns_sans(cert),
        "not_before": not_before(cert).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "not_after": not_after(cert).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "days_left": days_left(cert, at),
        "serial": "%x" % cert.serial_number,
        "sha256_fingerprint": cert.fingerprint(hashes.SHA256()).hex(),
        "self_signed": cert.issuer == cert.subject,
    }


def pkcs12_encryption(passphrase):
    """The PKCS#12 protection Java 17's keytool writes (PBES2 AES-256, HMAC-SHA256), where cryptography can."""
    secret = passphrase.encode("utf-8")
    builder = getattr(serialization.PrivateFormat.PKCS12, "encryption_builder", None)
    pbes = getattr(pkcs12, "PBES", None)
    if builder is not None and pbes is not None:
        return (builder().kdf_rounds(10000).key_cert_algorithm(pbes.PBESv2SHA256AndAES256CBC)
                .hmac_hash(hashes.SHA256()).build(secret))
    return serialization.BestAvailableEncryption(secret)


def pkcs12_bytes(alias, key, cert, chain, passphrase):
    """A PKCS#12 store holding one key entry ``alias`` (key, certificate and its chain)."""
    return pkcs12.serialize_key_and_certificates(alias.encode("utf-8"), key, cert, list(chain) or None,
                                                 pkcs12_encryption(passphrase))


def load_pkcs12(data, passphrase):
    """``(key, cert, [(friendly_name, cert)...])`` of a PKCS#12 store, or CryptoError (wrong passphrase...)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            loaded = pkcs12.load_pkcs12(data, passphrase.encode("utf-8"))
        except (ValueError, TypeError):
            raise CryptoError("cannot be opened with the keystore passphrase (wrong passphrase or damaged file)")
        extra = [(_name(c.friendly_name), c.certificate) for c in loaded.additional_certs]
        cert = loaded.cert
        return loaded.key, (_name(cert.friendly_name), cert.certificate) if cert else None, extra


def _name(raw):
    return raw.decode("utf-8", "replace") if raw is not None else None
