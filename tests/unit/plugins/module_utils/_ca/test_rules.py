"""The CA rules: a CSR checked as PEM + PKCS#10 DER with the standard library (checked here against CSRs that
``cryptography`` makes, and against broken ones), names, addresses, durations, the secured state, PEM bundles."""

import ipaddress

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from ansible_collections.csops.cloudstack.plugins.module_utils._api.errors import ValidationError
from ansible_collections.csops.cloudstack.plugins.module_utils._ca import rules


def csr(cn="kvm1.lab.invalid", key=None, label=None):
    key = key or rsa.generate_private_key(public_exponent=65537, key_size=2048)
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "cs")] if cn is None else [
        x509.NameAttribute(NameOID.COMMON_NAME, cn), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "cloudstack")]
    pem = (x509.CertificateSigningRequestBuilder().subject_name(x509.Name(attrs))
           .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("10.0.0.5"))]), False)
           .sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode())
    return pem.replace("CERTIFICATE REQUEST", label) if label else pem


def test_real_csrs_parse():
    assert rules.parse_csr(csr()) == {"subject_cn": "kvm1.lab.invalid"}
    assert rules.parse_csr(csr(label="NEW CERTIFICATE REQUEST"))["subject_cn"] == "kvm1.lab.invalid"
    assert rules.parse_csr("\n  " + csr(cn="h\u00e9te") + "\n\n")["subject_cn"] == "h\u00e9te"
    assert rules.parse_csr(csr(cn=None))["subject_cn"] is None
    assert rules.parse_csr(csr(key=ec.generate_private_key(ec.SECP256R1())))["subject_cn"] == "kvm1.lab.invalid"


def _body_broken(pem, transform):
    lines = pem.strip().splitlines()
    return "\n".join([lines[0]] + transform(lines[1:-1]) + [lines[-1]])


@pytest.mark.parametrize("text, words", [
    ("", "must not be empty"),
    ("   ", "must not be empty"),
    ("hello", "must be one PEM certificate signing request"),
    ("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----", "found none in '-----BEGIN CERTIFICATE-----"),
    (csr() + csr(), "found 2"),
    ("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----", "not a valid"),
    ("-----BEGIN CERTIFICATE REQUEST-----\n!!!!\n-----END CERTIFICATE REQUEST-----", "must be one PEM"),
    ("x" * 70000, "at most 65535"),
])
def test_bad_csrs_are_refused(text, words):
    with pytest.raises(ValidationError) as info:
        rules.parse_csr(text)
    assert words in info.value.message and info.value.message.startswith("csr ")
    assert "\n" not in info.value.message


def test_truncated_and_padded_der_is_refused():
    good = csr()
    with pytest.raises(ValidationError, match="not a valid certificate signing request"):
        rules.parse_csr(_body_broken(good, lambda body: body[:-2]))
    # a certificate (not a request) under the request label
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "x")])
    import datetime
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode())
    with pytest.raises(ValidationError, match="not a valid certificate signing request"):
        rules.parse_csr(cert.replace("CERTIFICATE", "CERTIFICATE REQUEST"))


def test_a_private_key_is_refused_without_echoing_it():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    with pytest.raises(ValidationError) as info:
        rules.parse_csr(csr(key=key) + pem)
    assert "private key" in info.value.message
    assert pem.splitlines()[1][:20] not in info.value.message


@pytest.mark.parametrize("names, ok", [
    (["kvm1", "kvm1.example.com", "*.example.com", "10.0.0.1"], True),
    ([""], False), (["a b"], False), (["a,b"], False), (["-bad.example"], False), (["x" * 64], False),
])
def test_names(names, ok):
    if ok:
        rules.check_names(names)
    else:
        with pytest.raises(ValidationError, match=r"^domains\[0\]"):
            rules.check_names(names)


def test_addresses_and_duration():
    rules.check_addresses(["10.0.0.1", "2001:db8::1", " 192.0.2.1 "])
    for bad in ("10.0.0.256", "", "kvm1", None):
        with pytest.raises(ValidationError, match=r"^ip_addresses\[1\] is not an IP address"):
            rules.check_addresses(["10.0.0.1", bad])
    rules.check_duration(None)
    rules.check_duration(1)
    rules.check_duration(36500)
    for bad in (0, -5, 36501):
        with pytest.raises(ValidationError, match="duration must be between 1 and 36500 days, got %d" % bad):
            rules.check_duration(bad)


def test_secured_and_bundles():
    assert rules.is_secured({"details": {"secured": "true"}}) is True
    assert rules.is_secured({"details": {"secured": "false"}}) is False
    assert rules.is_secured({"details": {"secured": True}}) is True
    assert rules.is_secured({}) is False and rules.is_secured(None) is False
    block = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"
    assert rules.split_certificates("%s\n%s\n" % (block, block)) == [block + "\n", block + "\n"]
    assert rules.split_certificates(None) == []
