"""agent_keystore in-process against a temporary agent directory, with the real keytool and cryptography."""

import datetime
import json
import os
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from ansible_collections.csops.cloudstack.plugins.modules import agent_certificate, agent_keystore

PASS = "S3cretPass77"


def make_ca():
    """A throwaway CA made in the test (the simulator's CA is not needed here)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=100))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(key, hashes.SHA256()))
    return key, cert


def sign(ca, csr_pem, days=30):
    ca_key, ca_cert = ca
    csr = x509.load_pem_x509_csr(csr_pem.encode())
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(csr.subject).issuer_name(ca_cert.subject)
               .public_key(csr.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=days)))
    for ext in csr.extensions:
        builder = builder.add_extension(ext.value, ext.critical)
    from cryptography.hazmat.primitives import serialization
    return builder.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()


def pem(cert):
    from cryptography.hazmat.primitives import serialization
    return cert.public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture
def agent(tmp_path, me):
    directory = tmp_path / "agent"
    directory.mkdir()
    (directory / "agent.properties").write_text("#Storage\nguid=1e2f\nhost=10.0.0.1\n")
    addresses = ["10.0.0.5", "fd00::5", "127.0.0.1", "169.254.0.9", "fe80::1"]
    return dict(agent_dir=str(directory), fqdn="kvm1.example.test", addresses=addresses, **me)


def listing(agent_dir):
    props = open(os.path.join(agent_dir, "agent.properties")).read()
    passphrase = [l.split("=", 1)[1] for l in props.splitlines() if l.startswith("keystore.passphrase=")][0]
    out = subprocess.run(["keytool", "-list", "-keystore", os.path.join(agent_dir, "cloud.jks"), "-storepass",
                          passphrase], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def test_setup_check_apply_idempotent_then_import(run, agent, capsys):
    d = agent["agent_dir"]
    checked = run(agent_keystore, agent, check=True, diff=True)
    assert checked["changed"] and checked["renewed"] and checked["reason"] == "no keystore"
    assert sorted(os.listdir(d)) == ["agent.properties"]
    first = run(agent_keystore, agent, diff=True)
    assert first["changed"] and first["passphrase_created"] and first["keytool_calls"] == 0
    assert first["addresses"] == ["10.0.0.5", "fd00::5"]
    csr = x509.load_pem_x509_csr(first["csr"].encode())
    assert csr.subject.rfc4514_string() == "CN=kvm1.example.test,OU=cloudstack,O=cloudstack,C=cloudstack"
    assert open(os.path.join(d, "cloud.csr")).read() == first["csr"]
    for name in ("agent.properties", "cloud.jks", "cloud.csr"):
        assert os.stat(os.path.join(d, name)).st_mode & 0o777 == 0o600
    props = open(os.path.join(d, "agent.properties")).read()
    passphrase = props.split("keystore.passphrase=")[1].strip()
    assert props.startswith("#Storage\nguid=1e2f\nhost=10.0.0.1\nkeystore.passphrase=") and len(passphrase) == 16
    assert "cloud, " in listing(d) and "PrivateKeyEntry" in listing(d)
    second = run(agent_keystore, agent, diff=True)
    assert not second["changed"] and second["csr"] == first["csr"] and second["keytool_calls"] == 0
    dumped = json.dumps([checked, first, second]) + capsys.readouterr().err
    assert passphrase not in dumped

    ca = make_ca()
    signed = sign(ca, first["csr"])
    args = dict(agent, certificate=signed, ca_certificate=pem(ca[1]), management_address="10.0.0.5")
    del args["fqdn"]
    imp_check = run(agent_certificate, args, check=True)
    assert imp_check["changed"] and not os.path.exists(os.path.join(d, "cloud.crt"))
    imported = run(agent_certificate, args)
    assert imported["changed"] and imported["keystore_changed"], imported
    text = listing(d)
    assert "cloudca.1, " in text and "trustedCertEntry" in text
    for name in ("cloud.crt", "cloud.ca.crt", "cloud.key"):
        assert os.stat(os.path.join(d, name)).st_mode & 0o777 == 0o750
    assert open(os.path.join(d, "cloud.key")).read().startswith("-----BEGIN PRIVATE KEY-----")
    again = run(agent_certificate, args)
    assert not again["changed"] and again["keytool_calls"] == 0
    # the keystore with the signed certificate is still done for agent_keystore
    assert not run(agent_keystore, agent)["changed"]


def _expired(ca, csr_pem):
    ca_key, ca_cert = ca
    csr = x509.load_pem_x509_csr(csr_pem.encode())
    now = datetime.datetime.now(datetime.timezone.utc)
    from cryptography.hazmat.primitives import serialization
    return (x509.CertificateBuilder().subject_name(csr.subject).issuer_name(ca_cert.subject)
            .public_key(csr.public_key()).serial_number(7).not_valid_before(now - datetime.timedelta(days=9))
            .not_valid_after(now - datetime.timedelta(days=1))
            .add_extension(csr.extensions[0].value, False)
            .sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode())


def test_import_refusals_change_nothing(run, agent, one_line, capsys):
    d = agent["agent_dir"]
    first = run(agent_keystore, agent)
    ca, other_ca = make_ca(), make_ca()
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    from cryptography.hazmat.primitives import serialization
    foreign_csr = (x509.CertificateSigningRequestBuilder().subject_name(x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, "x")])).add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(__import__("ipaddress").ip_address("10.0.0.5"))]), False)
        .sign(other_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode())
    args = dict(agent, certificate=sign(ca, first["csr"]), ca_certificate=pem(ca[1]), management_address="10.0.0.5")
    del args["fqdn"]
    before = {n: open(os.path.join(d, n), "rb").read() for n in os.listdir(d)}
    cases = [
        (dict(args, certificate=_expired(ca, first["csr"])), "certificate: expired on"),
        (dict(args, ca_certificate=pem(other_ca[1])), "certificate: not signed by any certificate of the CA chain"),
        (dict(args, certificate=sign(ca, foreign_csr)), "certificate: does not match the key of"),
        (dict(args, management_address="10.9.9.9"), "miss the management address 10.9.9.9"),
        (dict(args, management_address="bogus"), "management_address: not an IP address, got 'bogus'"),
        (dict(args, certificate="junk"), "certificate: no PEM certificate"),
        (dict(args, private_key="-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
         "private_key: cannot be read"),
    ]
    for case, part in cases:
        result = run(agent_certificate, case)
        one_line(result, part)
        assert "AAAA" not in result["msg"]
    assert {n: open(os.path.join(d, n), "rb").read() for n in os.listdir(d)} == before


def test_commented_passphrase_line_is_refused(run, agent, one_line):
    path = os.path.join(agent["agent_dir"], "agent.properties")
    open(path, "a").write("#keystore.passphrase=old\n")
    one_line(run(agent_keystore, agent), "commented-out keystore.passphrase line")
    assert os.listdir(agent["agent_dir"]) == ["agent.properties"]


def test_supplied_key_flow_and_renewal_keeps_ca_entries(run, agent):
    d = agent["agent_dir"]
    ca = make_ca()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    from cryptography.hazmat.primitives import serialization
    csr = (x509.CertificateSigningRequestBuilder().subject_name(x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, "kvm1.example.test")])).add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(__import__("ipaddress").ip_address("10.0.0.5"))]), False)
        .sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode())
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption()).decode()
    args = dict(agent, certificate=sign(ca, csr), ca_certificate=pem(ca[1]), private_key=key_pem,
                passphrase=PASS)
    del args["fqdn"]
    first = run(agent_certificate, args)
    assert first["changed"] and first["passphrase_created"]
    assert open(os.path.join(d, "cloud.key")).read() == key_pem
    assert "cloudca.1, " in listing(d)
    assert not run(agent_certificate, args)["changed"]
    renewed = run(agent_keystore, dict(agent, renew=True))
    assert renewed["changed"] and renewed["reason"] == "renew requested" and renewed["keytool_calls"] >= 1
    text = listing(d)
    assert "cloudca.1, " in text and "cloud, " in text
    assert not run(agent_keystore, agent)["changed"]
