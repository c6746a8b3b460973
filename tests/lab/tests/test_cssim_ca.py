"""The simulator's CA: real certificates signed with the CA settings in force at signing time, a CA that
survives restarts, provisionCertificate marking hosts secured, and CloudStack's errors for bad input."""

import datetime
import ipaddress

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from cssim_harness import Sim

FAST = {"issueCertificate": 0.1, "provisionCertificate": 0.1}


def make_csr(cn="kvm9.lab.invalid", ips=("10.250.0.77",), dns=(), pem_label=None):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    names = [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ips] + [x509.DNSName(d) for d in dns]
    builder = x509.CertificateSigningRequestBuilder().subject_name(x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, cn), x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "cloudstack")
    ]))
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    pem = builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()
    if pem_label:  # keytool writes "NEW CERTIFICATE REQUEST"
        pem = pem.replace("CERTIFICATE REQUEST", pem_label)
    return key, pem


def job_result(sim, command, **params):
    return sim.wait_job(sim.ok(command, **params)["jobid"])


def issued(sim, **params):
    job = job_result(sim, "issueCertificate", **params)
    assert job["jobstatus"] == 1, job
    return job["jobresult"]["certificates"]


def load(pem):
    return x509.load_pem_x509_certificate(pem.encode())


def sans(cert):
    ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return (sorted(ext.get_values_for_type(x509.DNSName)),
            sorted(str(ip) for ip in ext.get_values_for_type(x509.IPAddress)))


@pytest.fixture(scope="module")
def own_sim(tmp_path_factory):
    """A simulator of this module's own: the CSRs it logs stay out of the shared one's request log, which other
    tests search for short secret strings that base64 text can contain by chance."""
    sim = Sim(tmp_path_factory.mktemp("cssim-ca")).start()
    yield sim
    sim.stop()


@pytest.fixture
def ca_sim(own_sim):
    own_sim.control.clear_faults()
    own_sim.control.reset()
    own_sim.control.set_job_durations(FAST)
    return own_sim


def test_csr_is_signed_and_chains_to_the_ca(ca_sim):
    key, csr = make_csr(dns=("kvm9",))
    answer = issued(ca_sim, csr=csr, domain="kvm9.lab.invalid", ipaddress="10.250.0.78")
    assert "privatekey" not in answer
    cert, ca = load(answer["certificate"]), load(answer["cacertificates"])
    cert.verify_directly_issued_by(ca)
    assert ca.subject.rfc4514_string() == "CN=ca.cloudstack.apache.org"
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    assert cert.public_key().public_numbers() == key.public_key().public_numbers()
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "kvm9.lab.invalid"
    # given names and addresses plus the CSR's own SANs
    assert sans(cert) == (["kvm9", "kvm9.lab.invalid"], ["10.250.0.77", "10.250.0.78"])
    days = (cert.not_valid_after_utc - cert.not_valid_before_utc) / datetime.timedelta(days=1)
    assert days == pytest.approx(365.5, abs=0.01)  # 12 hours back, ca.framework.cert.validity.period ahead
    assert cert.signature_hash_algorithm.name == "sha256"
    # the same CA answers listCaCertificate, and the lab's record holds the certificate
    listed = ca_sim.ok("listCaCertificate")["cacertificates"]["certificate"]
    assert load(listed) == ca
    record = ca_sim.control.ca()
    assert record["issued"][-1]["certificate"] == answer["certificate"]
    assert record["issued"][-1]["serial"] == format(cert.serial_number, "x")


def test_keytool_csr_label_and_two_issues_give_two_certificates(ca_sim):
    _key, csr = make_csr(pem_label="NEW CERTIFICATE REQUEST")
    first = load(issued(ca_sim, csr=csr)["certificate"])
    second = load(issued(ca_sim, csr=csr)["certificate"])
    assert first.serial_number != second.serial_number


def test_settings_apply_at_signing_time(ca_sim):
    ca_sim.ok("updateConfiguration", name="ca.framework.cert.validity.period", value="30")
    ca_sim.ok("updateConfiguration", name="ca.framework.cert.signature.algorithm", value="SHA384withRSA")
    ca_sim.ok("updateConfiguration", name="ca.framework.cert.keysize", value="1024")
    _key, csr = make_csr()
    cert = load(issued(ca_sim, csr=csr)["certificate"])
    assert (cert.not_valid_after_utc - cert.not_valid_before_utc) == datetime.timedelta(days=30, hours=12)
    assert cert.signature_hash_algorithm.name == "sha384"
    # duration wins over the setting
    cert = load(issued(ca_sim, csr=csr, duration="7")["certificate"])
    assert (cert.not_valid_after_utc - cert.not_valid_before_utc) == datetime.timedelta(days=7, hours=12)
    # without a CSR the CA generates a key of ca.framework.cert.keysize bits and returns it
    answer = issued(ca_sim, domain="gen.lab.invalid,alt.lab.invalid", ipaddress="10.250.0.80")
    key = serialization.load_pem_private_key(answer["privatekey"].encode(), password=None)
    assert key.key_size == 1024
    cert = load(answer["certificate"])
    assert cert.subject.rfc4514_string() == "CN=gen.lab.invalid"
    assert sans(cert) == (["alt.lab.invalid", "gen.lab.invalid"], ["10.250.0.80"])


def test_ca_survives_restart_and_kill(fresh_sim):
    fresh_sim.control.set_job_durations(FAST)
    before = fresh_sim.ok("listCaCertificate")["cacertificates"]["certificate"]
    fresh_sim.restart()
    assert fresh_sim.ok("listCaCertificate")["cacertificates"]["certificate"] == before
    _key, csr = make_csr()
    cert = load(issued(fresh_sim, csr=csr)["certificate"])
    fresh_sim.kill()
    fresh_sim.start()
    assert fresh_sim.ok("listCaCertificate")["cacertificates"]["certificate"] == before
    cert.verify_directly_issued_by(load(before))
    assert fresh_sim.control.ca()["issued"][-1]["serial"] == format(cert.serial_number, "x")


def test_reset_makes_a_new_ca(ca_sim):
    before = ca_sim.ok("listCaCertificate")["cacertificates"]["certificate"]
    ca_sim.control.reset()
    assert ca_sim.control.ca() == {"certificate": None, "issued": []}
    assert ca_sim.ok("listCaCertificate")["cacertificates"]["certificate"] != before


def test_provision_marks_an_up_host_secured(ca_sim):
    [host] = ca_sim.ok("listHosts", name="kvm1")["host"]
    assert host["details"]["secured"] == "false"
    job = job_result(ca_sim, "provisionCertificate", hostid=host["id"], reconnect="true")
    assert job["jobstatus"] == 1 and job["jobresult"] == {"success": True}, job
    [after] = ca_sim.ok("listHosts", name="kvm1")["host"]
    assert after["details"]["secured"] == "true" and after["state"] == "Up"
    record = ca_sim.control.ca()["issued"][-1]
    assert record["hostid"] == host["id"] and record["reconnect"] is True
    cert = load(record["certificate"])
    assert cert.subject.rfc4514_string() == "CN=kvm1"
    assert sans(cert) == (sorted(["kvm1", host["ipaddress"]]), [host["ipaddress"]])
    [other] = ca_sim.ok("listHosts", name="kvm2")["host"]
    assert other["details"]["secured"] == "false"


def test_provision_fails_for_a_host_that_is_not_up(ca_sim):
    ca_sim.control.add_fault("host_state", host="kvm2", state="Disconnected")
    [host] = ca_sim.ok("listHosts", name="kvm2")["host"]
    job = job_result(ca_sim, "provisionCertificate", hostid=host["id"])
    assert job["jobstatus"] == 2 and job["jobresult"]["errorcode"] == 530
    assert job["jobresult"]["errortext"].startswith("Failed to generate keystore and get CSR from the host/agent Host {")
    assert '"name":"kvm2"' in job["jobresult"]["errortext"]
    assert ca_sim.control.ca()["issued"] == []
    ca_sim.control.clear_faults()
    assert ca_sim.ok("listHosts", name="kvm2")["host"][0]["details"]["secured"] == "false"


@pytest.mark.parametrize("params, code, text", [
    ({}, 431, "Please provide the domains or the CSR, none of them are provided"),
    ({"csr": "not a csr"}, 530, "Unable to read/process CSR: not a csr"),
    ({"csr": "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----"}, 530,
     "Failed to generate certificate using CSR due to:"),
    ({"domain": "x.lab.invalid", "provider": "vault"}, 530, "CA provider plugin 'vault' not found"),
    ({"domain": "x.lab.invalid", "ipaddress": "300.1.1.1"}, 530, "IP Address is invalid"),
])
def test_issue_errors(ca_sim, params, code, text):
    job = job_result(ca_sim, "issueCertificate", **params)
    assert job["jobstatus"] == 2
    assert job["jobresult"]["errorcode"] == code and job["jobresult"]["errortext"].startswith(text), job


def test_unknown_signature_algorithm_fails_the_job(ca_sim):
    ca_sim.ok("listCaCertificate")  # the CA exists before the setting changes
    ca_sim.ok("updateConfiguration", name="ca.framework.cert.signature.algorithm", value="MD2withFOO")
    job = job_result(ca_sim, "issueCertificate", domain="x.lab.invalid")
    assert job["jobstatus"] == 2
    assert job["jobresult"]["errortext"] == "Failed to generate certificate due to:Unknown signature type requested: MD2withFOO"


def test_providers_and_unknown_provider(ca_sim):
    assert ca_sim.ok("listCAProviders", name="ROOT")["caprovider"][0]["name"] == "root"
    assert ca_sim.ok("listCAProviders", name="vault") == {}
    resp = ca_sim.call("listCaCertificate", provider="vault")
    assert resp.status_code == 530
    assert resp.json()["listcacertificateresponse"]["errortext"] == "CA provider plugin 'vault' not found"
