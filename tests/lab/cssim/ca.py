"""The management server's root CA (CloudStack's RootCAProvider), with the ``cryptography`` library.

The CA is created on first use, the way CloudStack creates it at its first start: an RSA key of twice
``ca.framework.cert.keysize`` bits and a self-signed certificate for ``CN=ca.cloudstack.apache.org``, valid
30 years, signed with ``ca.framework.cert.signature.algorithm``. Key and certificate live in ``state["ca"]``, as
CloudStack keeps them in its configuration table, so they survive a management-server restart; ``/lab/reset``
seeds a new world and the next use creates a new CA.

Issuing follows RootCAProvider: with a CSR, the certificate keeps the CSR's subject and public key, and its
SANs are the given domains and addresses plus the CSR's own DNS/IP SANs; without one, a key pair of
``ca.framework.cert.keysize`` bits is generated and the subject is ``CN=<first domain>``. Every certificate is
valid from 12 hours ago for ``duration`` days (default ``ca.framework.cert.validity.period``), has a random
64-bit serial and is signed with the algorithm the setting names at that moment.

Every issued certificate is recorded in ``state["ca"]["issued"]`` (never a private key), so tests can read it
back through ``GET /lab/ca``.
"""

import base64
import datetime
import ipaddress
import secrets

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from . import errors
from .world import fmt_date

PROVIDERS = {"root": "CloudStack's Root CA provider plugin"}
ISSUER_DN = "ca.cloudstack.apache.org"
CA_VALIDITY_DAYS = 365 * 30
KEEP_ISSUED = 200
_LOADED = {}  # certificate PEM -> (key, certificate) of the current CA, parsed  # the record is for tests; the oldest entries go beyond this
# Java signature algorithm names (JcaContentSignerBuilder) the lab can sign with
SIGNATURE_HASHES = {
    "SHA1WITHRSA": hashes.SHA1,
    "SHA224WITHRSA": hashes.SHA224,
    "SHA256WITHRSA": hashes.SHA256,
    "SHA384WITHRSA": hashes.SHA384,
    "SHA512WITHRSA": hashes.SHA512,
}


def _internal(text):
    return errors.ApiError(errors.INTERNAL_ERROR, text, errors.CS_CLOUD_RUNTIME)


def provider(name):
    """The provider to use (``name`` or the configured one); raises CloudStack's error for an unknown name."""
    if not name:
        return "root"
    if name.lower() not in PROVIDERS:
        raise _internal("CA provider plugin '%s' not found" % name.lower())
    return name.lower()


def _hash(ctx):
    name = str(ctx.setting("ca.framework.cert.signature.algorithm"))
    algorithm = SIGNATURE_HASHES.get(name.upper())
    if algorithm is None:
        raise ValueError("Unknown signature type requested: %s" % name)
    return algorithm()


def _key_size(ctx):
    return int(ctx.setting("ca.framework.cert.keysize"))


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def _pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def _ca(ctx):
    """(private key, certificate) of the CA, created and stored on first use."""
    state = ctx.world.state
    record = state.get("ca")
    if not record or "key" not in record:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2 * _key_size(ctx))
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ISSUER_DN)])
        now = _now()
        cert = (
            x509.CertificateBuilder()
            .subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(secrets.randbits(64) or 1)
            .not_valid_before(now - datetime.timedelta(hours=12))
            .not_valid_after(now + datetime.timedelta(days=CA_VALIDITY_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, _hash(ctx))
        )
        key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode("ascii")
        state["ca"] = {"key": key_pem, "certificate": _pem(cert), "created": time_now(), "issued": []}
        _LOADED.clear()
        _LOADED[state["ca"]["certificate"]] = (key, cert)
        return key, cert
    return _loaded(record["key"], record["certificate"])


def _loaded(key_pem, cert_pem):
    """The CA's key and certificate parsed from the state, once per CA. The key is the simulator's own, written
    by it, so the costly RSA consistency check (a quarter of a second for 4096 bits) is skipped."""
    if cert_pem not in _LOADED:
        _LOADED.clear()
        _LOADED[cert_pem] = (serialization.load_pem_private_key(key_pem.encode("ascii"), password=None,
                                                                unsafe_skip_rsa_key_validation=True),
                             x509.load_pem_x509_certificate(cert_pem.encode("ascii")))
    return _LOADED[cert_pem]


def time_now():
    return _now().timestamp()


def ca_certificate(ctx):
    """The CA chain as listCaCertificate answers it (PEM)."""
    try:
        return _pem(_ca(ctx)[1])
    except ValueError as exc:  # a signature algorithm the CA cannot be created with
        raise _internal("Failed to generate root CA certificate due to:%s" % exc) from None


def _parse_csr(csr):
    """The CSR as cryptography reads it, or CloudStack's errors for text that is not one."""
    text = csr.strip()
    if "-----BEGIN" not in text:
        raise _internal("Unable to read/process CSR: %s" % csr)
    try:
        # keytool writes "NEW CERTIFICATE REQUEST"; cryptography reads the plain label only
        body = text.split("-----", 2)[2].rsplit("-----END", 1)[0]
        der = base64.b64decode("".join(body.split()), validate=True)
        return x509.load_der_x509_csr(der)
    except (ValueError, IndexError) as exc:
        raise _internal("Failed to generate certificate using CSR due to:%s" % exc) from None


def _csr_sans(request):
    try:
        ext = request.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return [], []
    return ext.get_values_for_type(x509.DNSName), [str(ip) for ip in ext.get_values_for_type(x509.IPAddress)]


def _san(names, addresses):
    out, seen = [], set()
    for address in addresses:
        if not address or ("ip", address) in seen:
            continue
        seen.add(("ip", address))
        try:
            out.append(x509.IPAddress(ipaddress.ip_address(address)))
        except ValueError:
            raise _internal("IP Address is invalid") from None
    for name in names:
        if not name or ("dns", name) in seen:
            continue
        seen.add(("dns", name))
        out.append(x509.DNSName(name))
    return out


def issue(ctx, csr=None, domains=(), addresses=(), days=None, hostid=None):
    """Issue a certificate as RootCAProvider does; returns {certificate, cacertificates[, privatekey]}.

    Raises ApiError with CloudStack's texts for a bad CSR, an invalid address or a setting it cannot sign with.
    """
    domains = [d for d in domains if d]
    addresses = [a for a in addresses if a]
    if days is None:
        days = int(ctx.setting("ca.framework.cert.validity.period"))
    flow = "using CSR " if csr else ""
    private_pem = None
    try:
        ca_key, ca_cert = _ca(ctx)
        if csr:
            request = _parse_csr(csr)
            names, ips = _csr_sans(request)
            subject, public_key = request.subject, request.public_key()
            names, ips = domains + names, addresses + ips
        else:
            if not domains:
                raise _internal("No domain name is specified, cannot generate certificate")
            key = rsa.generate_private_key(public_exponent=65537, key_size=_key_size(ctx))
            private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption()).decode("ascii")
            subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domains[0])])
            public_key, names, ips = key.public_key(), domains, addresses
        now = _now()
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject).issuer_name(ca_cert.subject).public_key(public_key)
            .serial_number(secrets.randbits(64) or 1)
            .not_valid_before(now - datetime.timedelta(hours=12))
            .not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        )
        sans = _san(names, ips)
        if sans:
            builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        cert = builder.sign(ca_key, _hash(ctx))
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise _internal("Failed to generate certificate %sdue to:%s" % (flow, exc)) from None
    _record(ctx, cert, hostid)
    out = {"certificate": _pem(cert), "cacertificates": _pem(ca_cert)}
    if private_pem:
        out["privatekey"] = private_pem
    return out


def _record(ctx, cert, hostid):
    issued = ctx.world.state["ca"]["issued"]
    sans = []
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        sans = ["DNS:%s" % v for v in ext.get_values_for_type(x509.DNSName)]
        sans += ["IP:%s" % v for v in ext.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        pass
    issued.append({
        "serial": format(cert.serial_number, "x"),
        "subject": cert.subject.rfc4514_string(),
        "sans": sans,
        "notbefore": fmt_date(cert.not_valid_before_utc.timestamp()),
        "notafter": fmt_date(cert.not_valid_after_utc.timestamp()),
        "issued": fmt_date(time_now()),
        "hostid": hostid,
        "certificate": _pem(cert),
    })
    del issued[:-KEEP_ISSUED]


def summary(world):
    """What ``GET /lab/ca`` answers: the CA certificate (None before first use) and the issued certificates."""
    record = world.state.get("ca") or {}
    return {"certificate": record.get("certificate"), "issued": list(record.get("issued", []))}
