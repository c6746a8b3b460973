"""csops.cloudstack.host_certificate and ca_certificate_info through real playbook runs against the lab: a CSR
signed by the simulator's CA (the chain verified with ``cryptography``), check mode sending nothing, provisioning
a host (then idempotent on its secured state, again with force), a host that is not Up, bad input refused before
anything is sent, and the action group's module_defaults. The simulator records provisioning (it cannot reach
into the host namespaces; the host side is the host modules' work) and keeps every issued certificate, which
the control API returns."""

import ipaddress
import json
import os
import tempfile

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


@pytest.fixture(scope="module", autouse=True)
def fresh_state(request):
    control = request.getfixturevalue("control")
    control.reset()
    control.set_job_durations(issueCertificate=0.3, provisionCertificate=0.5)
    yield
    control.reset()


def writes(control, mark):
    return [r["command"] for r in control.write_calls(mark)]


def make_csr(cn="kvm1.lab.invalid"):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                                    x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "cloudstack")]))
           .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("10.250.0.11"))]), False)
           .sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode())
    return key, pem.replace("CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST")


def test_issue_check_mode_apply_and_chain(ansible, control):
    key, csr = make_csr()
    mark = control.mark()
    check = ansible.module("host_certificate", {"csr": csr}, check=True, diff=True)
    assert not check.get("failed"), check.get("msg")
    assert check["changed"] is True and check["certificate"] is None and check["subject_cn"] == "kvm1.lab.invalid"
    assert control.requests(mark) == [] and control.ca()["issued"] == []

    signed = ansible.module("host_certificate", {"csr": csr, "domains": ["kvm1"], "duration": 90})
    assert signed["changed"] is True, signed.get("msg")
    assert writes(control, mark) == ["issueCertificate"]
    cert = x509.load_pem_x509_certificate(signed["certificate"].encode())
    [ca_pem] = signed["ca_certificates"]
    cert.verify_directly_issued_by(x509.load_pem_x509_certificate(ca_pem.encode()))
    assert cert.public_key().public_numbers() == key.public_key().public_numbers()
    assert (cert.not_valid_after_utc - cert.not_valid_before_utc).days == 90
    assert control.ca()["issued"][-1]["certificate"] == signed["certificate"]
    assert "privatekey" not in json.dumps(signed)

    info = ansible.module("ca_certificate_info", check=True)
    assert info["changed"] is False and info["ca_certificates"] == [ca_pem]
    assert [p["name"] for p in info["providers"]] == ["root"]


def test_provision_check_apply_idempotence_force(ansible, control):
    mark = control.mark()
    check = ansible.module("host_certificate", {"host": "kvm2", "reconnect": True}, check=True, diff=True)
    assert check["changed"] is True and check["host"]["secured"] is False, check.get("msg")
    assert check["diff"] == {"before": {"secured": False}, "after": {"secured": True}}
    assert writes(control, mark) == []

    done = ansible.module("host_certificate", {"host": "kvm2", "reconnect": True})
    assert done["changed"] is True and done["host"]["secured"] is True, done.get("msg")
    assert writes(control, mark) == ["provisionCertificate"]
    record = control.ca()["issued"][-1]
    assert record["hostid"] == done["host"]["id"] and record["reconnect"] is True

    mark = control.mark()
    again = ansible.module("host_certificate", {"host": "kvm2", "reconnect": True})
    assert again["changed"] is False and writes(control, mark) == []
    forced = ansible.module("host_certificate", {"host": "kvm2", "force": True})
    assert forced["changed"] is True and writes(control, mark) == ["provisionCertificate"]

    hosts = ansible.module("host_info", {"name": "kvm2"})
    assert hosts["hosts"][0]["name"] == "kvm2"


def test_host_not_up_fails_with_cloudstacks_error(ansible, control):
    control.add_fault("host_state", host="kvm3", state="Disconnected")
    failed = ansible.module("host_certificate", {"host": "kvm3"})
    assert failed["failed"] is True
    assert failed["msg"].startswith("provision certificate for host kvm3: provisionCertificate job ")
    assert "Failed to generate keystore and get CSR from the host/agent" in failed["msg"]
    assert failed["changed"] is True and failed["jobid"] and failed["errorcode"] == 530


@pytest.mark.parametrize("args, words", [
    ({"csr": "not a csr"}, "csr must be one PEM certificate signing request"),
    ({"host": ""}, "host must not be empty"),
    ({"csr": "CSR", "duration": 0}, "duration must be between 1 and 36500 days, got 0"),
    ({"csr": "CSR", "ip_addresses": ["10.0.0.999"]}, "ip_addresses[0] is not an IP address"),
    ({"host": "kvm1", "csr": "CSR"}, "parameters are mutually exclusive: csr|host"),
    ({}, "one of the following is required: csr, host"),
])
def test_bad_input_changes_nothing(ansible, control, args, words):
    if args.get("csr") == "CSR":
        args = dict(args, csr=make_csr()[1])
    mark = control.mark()
    result = ansible.module("host_certificate", args)
    assert result["failed"] is True and words in result["msg"], result.get("msg")
    assert "\n" not in result["msg"] and "Traceback" not in json.dumps(result)
    assert control.requests(mark) == []


def test_playbook_with_group_defaults(ansible, control, lab_env):
    _key, csr = make_csr("kvm9.lab.invalid")
    play = [{
        "hosts": "localhost",
        "gather_facts": False,
        "module_defaults": {"group/csops.cloudstack.cloudstack": {
            "api_url": lab_env["CLOUDSTACK_ENDPOINT"], "api_key": lab_env["CLOUDSTACK_KEY"],
            "api_secret": lab_env["CLOUDSTACK_SECRET"]}},
        "tasks": [
            {"name": "read the CA", "csops.cloudstack.ca_certificate_info": {}, "register": "ca"},
            {"name": "sign", "csops.cloudstack.host_certificate": {"csr": csr}, "register": "signed"},
            {"name": "the chain is the CA", "ansible.builtin.assert": {"that": [
                "signed.ca_certificates == ca.ca_certificates", "signed.fullchain.startswith(signed.certificate | trim)"
            ]}},
        ],
    }]
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "play.yml")
        with open(path, "w") as handle:
            json.dump(play, handle)
        mark = control.mark()
        # the environment points nowhere useful (a closed loopback port): only the group's defaults can work
        env = {"CLOUDSTACK_ENDPOINT": "http://127.0.0.1:9/client/api", "CLOUDSTACK_KEY": "wrong",
               "CLOUDSTACK_SECRET": "wrong"}
        run = ansible.playbook(path, env=env)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert writes(control, mark) == ["issueCertificate"]
    assert lab_env["CLOUDSTACK_SECRET"] not in run.stdout + run.stderr
