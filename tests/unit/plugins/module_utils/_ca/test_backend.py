"""The CA backends against a private simulator whose CA is real (the ``cryptography`` library): the returned
certificate chains to the CA and carries the CSR's key, check mode sends nothing that changes anything,
provisioning is idempotent on the host's secured state, and CloudStack's job errors come back as one line."""

import ipaddress

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from ansible_collections.csops.cloudstack.plugins.module_utils._api.errors import (
    CloudStackError,
    JobFailedError,
    NotFoundError,
    ValidationError,
)
from ansible_collections.csops.cloudstack.plugins.module_utils._api.waiter import Deadline
from ansible_collections.csops.cloudstack.plugins.module_utils._ca.backend import CaInfoBackend, HostCertificateBackend


def make_csr(cn="kvm9.lab.invalid"):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
           .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("10.250.0.90"))]), False)
           .sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode())
    return key, pem.replace("CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST")  # as keytool writes it


def params(**extra):
    base = dict(csr=None, domains=None, ip_addresses=None, duration=None, host=None, force=False, reconnect=False,
                provider=None, wait=True, wait_timeout=30)
    base.update(extra)
    return base


def run(client, check_mode=False, diff=False, **extra):
    args = params(**extra)
    return HostCertificateBackend(client, args, check_mode, diff, Deadline(args["wait_timeout"])).run()


def writes(control, mark):
    return [r["command"] for r in control.write_calls(mark)]


def test_issue_returns_a_certificate_that_chains_to_the_ca(control, client):
    key, csr = make_csr()
    mark = control.mark()
    result = run(client, csr=csr, domains=["kvm9"], ip_addresses=["10.250.0.91"], duration=30)
    assert writes(control, mark) == ["issueCertificate"]
    assert result["changed"] is True and result["jobid"] and result["subject_cn"] == "kvm9.lab.invalid"
    cert = x509.load_pem_x509_certificate(result["certificate"].encode())
    [ca_pem] = result["ca_certificates"]
    ca = x509.load_pem_x509_certificate(ca_pem.encode())
    cert.verify_directly_issued_by(ca)
    assert cert.public_key().public_numbers() == key.public_key().public_numbers()
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["kvm9"]
    assert sorted(map(str, san.get_values_for_type(x509.IPAddress))) == ["10.250.0.90", "10.250.0.91"]
    assert (cert.not_valid_after_utc - cert.not_valid_before_utc).days == 30
    # the fullchain is the certificate then the CA, and the CA is the one CloudStack lists
    assert result["fullchain"] == result["certificate"].strip() + "\n" + ca_pem
    info = CaInfoBackend(client, {"provider": None}).run()
    assert info["ca_certificates"] == [ca_pem] and info["changed"] is False
    assert info["providers"] == [{"name": "root", "description": "CloudStack's Root CA provider plugin"}]
    assert "privatekey" not in result
    # every issue is a new certificate: the same CSR twice gives two serials, and both report a change
    again = run(client, csr=csr)
    assert again["changed"] is True
    assert x509.load_pem_x509_certificate(again["certificate"].encode()).serial_number != cert.serial_number


def test_issue_in_check_mode_sends_nothing(control, client):
    _key, csr = make_csr()
    mark = control.mark()
    result = run(client, check_mode=True, diff=True, csr=csr)
    assert result["changed"] is True and result["certificate"] is None and result["jobid"] is None
    assert result["diff"]["after"]["certificate"] == "a new certificate for kvm9.lab.invalid"
    assert control.requests(mark) == []
    assert control.ca()["issued"] == []


@pytest.mark.parametrize("extra, words", [
    (dict(csr="hello"), "csr must be one PEM certificate signing request"),
    (dict(csr="CSR", domains=["ok", ""]), "domains[1] must not be empty"),
    (dict(csr="CSR", ip_addresses=["10.0.0.300"]), "ip_addresses[0] is not an IP address: 10.0.0.300"),
    (dict(csr="CSR", duration=0), "duration must be between 1 and 36500 days, got 0"),
    (dict(csr="CSR", force=True), "force applies only with host"),
    (dict(csr="CSR", reconnect=True), "reconnect applies only with host"),
    (dict(host="kvm1", domains=["x"]), "domains applies only with csr"),
    (dict(host="kvm1", duration=5), "duration applies only with csr"),
    (dict(csr="CSR", provider=" "), "provider must not be empty"),
])
def test_bad_input_sends_nothing(control, client, extra, words):
    _key, csr = make_csr()
    if extra.get("csr") == "CSR":
        extra["csr"] = csr
    mark = control.mark()
    with pytest.raises(ValidationError) as info:
        run(client, **extra)
    assert words in info.value.message
    assert control.requests(mark) == []


def test_issue_job_errors_come_back_in_one_line(control, client):
    _key, csr = make_csr()
    control.add_fault("job_fail", command="issueCertificate", errortext="CA is busy\nretry later")
    with pytest.raises(JobFailedError) as info:
        run(client, csr=csr)
    error = info.value
    assert error.message.startswith("issue certificate for CN=kvm9.lab.invalid: issueCertificate job ")
    assert "CA is busy\\nretry later" in error.message and "\n" not in error.message
    assert error.result["changed"] is True and error.result["jobid"] == error.jobid


def test_unknown_provider_fails_with_cloudstacks_error(control, client):
    _key, csr = make_csr()
    with pytest.raises(JobFailedError, match="CA provider plugin 'vault' not found"):
        run(client, csr=csr, provider="vault")
    with pytest.raises(CloudStackError, match="^read CloudStack's CA: listCaCertificate failed: CA provider plugin"):
        CaInfoBackend(client, {"provider": "vault"}).run()


def test_provision_is_idempotent_on_the_secured_state(control, client):
    mark = control.mark()
    checked = run(client, check_mode=True, diff=True, host="kvm1")
    assert checked["changed"] is True and checked["host"]["secured"] is False and checked["jobid"] is None
    assert checked["diff"] == {"before": {"secured": False}, "after": {"secured": True}}
    assert writes(control, mark) == []

    result = run(client, diff=True, host="kvm1", reconnect=True)
    assert result["changed"] is True and result["jobid"]
    assert result["host"]["name"] == "kvm1" and result["host"]["secured"] is True
    assert result["diff"] == {"before": {"secured": False}, "after": {"secured": True}}
    record = control.ca()["issued"][-1]
    assert record["hostid"] == result["host"]["id"] and record["reconnect"] is True
    assert writes(control, mark) == ["provisionCertificate"]

    mark = control.mark()
    again = run(client, host="kvm1")
    assert again["changed"] is False and again["jobid"] is None and writes(control, mark) == []
    forced = run(client, host=result["host"]["id"], force=True)
    assert forced["changed"] is True and writes(control, mark) == ["provisionCertificate"]
    assert len(control.ca()["issued"]) == 2


def test_provision_of_a_host_that_is_not_up_fails(control, client):
    control.add_fault("host_state", host="kvm2", state="Disconnected")
    with pytest.raises(JobFailedError) as info:
        run(client, host="kvm2")
    message = info.value.message
    assert message.startswith("provision certificate for host kvm2: provisionCertificate job ")
    assert "Failed to generate keystore and get CSR from the host/agent" in message
    assert info.value.result["changed"] is True  # a job was accepted, whatever it did


def test_provision_of_an_unknown_host(control, client):
    mark = control.mark()
    with pytest.raises(NotFoundError, match="^provision certificate for host kvm99: host kvm99: not found"):
        run(client, host="kvm99")
    assert writes(control, mark) == []


def test_wait_false_returns_the_job(control, client):
    result = run(client, host="kvm3", wait=False)
    assert result["changed"] is True and result["jobid"] and result["host"]["secured"] is False


def test_wait_timeout_bounds_the_task(control, client):
    control.add_fault("job_hang", command="provisionCertificate")
    with pytest.raises(CloudStackError) as info:
        run(client, host="kvm1", wait_timeout=2)
    assert "did not finish within wait_timeout (2s" in info.value.message
    assert info.value.result["changed"] is True and info.value.result["jobid"]
