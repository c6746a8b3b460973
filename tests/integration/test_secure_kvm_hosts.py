"""playbooks/secure_kvm_hosts.yml (role kvm_host_security) on the lab's kvm1 and kvm2: check mode changes nothing,
one run secures both hosts with certificates from the simulator's CA (keystore, files, libvirt TLS served by each
host's real libvirtd and verified from the other host, both sides checking the CA), a second run changes nothing,
a host set up the way CloudStack's scripts do it is left alone, an expiring certificate is renewed (also while the
agent is disconnected) and no other host is touched, bad certificates are refused with one line, the report lists
every certificate and the hosts it could not read, and no passphrase or private key reaches any output.

Nothing is mocked: the hosts are the lab's namespaces, the files are each host's lab tree (tests/lab/.state/libvirt/
hosts/<host>/etc, never the machine's /etc/pki or /etc/cloudstack), libvirtd restarts are real and the agent restart
is the lab's stand-in agent, which opens the keystore with keytool when it starts (tests/lab/libvirt/labvirt.py).
"""

import base64
import datetime
import hashlib
import ipaddress
import json
import os
import re
import shlex
import subprocess
import sys

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
LABVIRT = os.path.join(REPO, "tests", "lab", "libvirt", "labvirt.py")
PLAYBOOK = os.path.join(REPO, "playbooks", "secure_kvm_hosts.yml")
sys.path.insert(0, os.path.dirname(LABVIRT))
import labvirt  # noqa: E402  (path set just above)

HOSTS = ("kvm1", "kvm2")
ADDRESS = {"kvm1": "10.250.0.11", "kvm2": "10.250.0.12"}
OUTPUTS = []  # every captured output of this module's runs, searched for secrets at the end
SECRETS = {}  # every passphrase and private key line the hosts held after a run: {text: what}


def lab(*args, check=True):
    proc = subprocess.run([sys.executable, LABVIRT] + list(args), capture_output=True, text=True, timeout=300,
                          check=False)
    if check and proc.returncode != 0:
        raise AssertionError("labvirt %s: %s%s" % (" ".join(args), proc.stdout, proc.stderr))
    return proc


def in_host(host, *cmd, env=None, check=True):
    proc = subprocess.run(["ip", "netns", "exec", labvirt.KVM_HOSTS[host]] + list(cmd), capture_output=True,
                          text=True, timeout=120, check=False, env=dict(os.environ, **(env or {})))
    if check and proc.returncode != 0:
        raise AssertionError("%s on %s: %s%s" % (" ".join(cmd), host, proc.stdout, proc.stderr))
    return proc


def on_host(host, script, env):
    """A shell script run on the lab host over ssh (its own hostname and /etc/hosts, as Ansible sees it)."""
    assignments = " ".join("%s=%s" % (k, shlex.quote(v)) for k, v in sorted(env.items()))
    proc = subprocess.run(["ssh", "-F", os.path.join(REPO, "tests", "lab", ".state", "ssh", "ssh_config"), host,
                           "env %s sh -c %s" % (assignments, shlex.quote(script))], capture_output=True, text=True,
                          timeout=300, check=False)
    if proc.returncode != 0:
        raise AssertionError("script on %s: %s%s" % (host, proc.stdout, proc.stderr))
    return proc


def paths(host):
    return labvirt.host_paths(host)


def agent_file(host, name):
    return os.path.join(paths(host)["agent_dir"], name)


def read(path):
    with open(path) as handle:
        return handle.read()


def passphrase(host):
    return labvirt.read_passphrase(agent_file(host, "agent.properties"))


def tree(host):
    """Every file and link of the host's lab tree with its content hash (or target), mode and mtime."""
    root = labvirt.host_file(host, "etc")
    out = {}
    for base, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(base, name)
            st = os.lstat(path)
            if os.path.islink(path):
                what = "-> " + os.readlink(path)
            elif os.path.isdir(path):
                what = "dir"
            else:
                with open(path, "rb") as handle:
                    what = hashlib.sha256(handle.read()).hexdigest()
            out[os.path.relpath(path, root)] = (what, oct(st.st_mode), st.st_mtime_ns)
    return out


def libvirtd_pid(host):
    if host == labvirt.MAIN_HOST:
        return labvirt.read_pid(labvirt.LIBVIRTD_PID, "libvirtd")
    return labvirt.read_pid(labvirt.host_file(host, "libvirtd.pid"), "libvirtd")


def daemons():
    return {h: (libvirtd_pid(h), labvirt.agent_status(h)["starts"]) for h in HOSTS}


def recap(stdout):
    found = {}
    for match in re.finditer(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", stdout,
                             re.M):
        found[match.group(1)] = {"ok": int(match.group(2)), "changed": int(match.group(3)),
                                 "unreachable": int(match.group(4)), "failed": int(match.group(5))}
    return found


def keytool_list(host, alias=None):
    cmd = ["keytool", "-list", "-v", "-keystore", agent_file(host, "cloud.jks"), "-storepass:env", "CSL_PW"]
    if alias:
        cmd += ["-alias", alias]
    return in_host(host, *cmd, env={"CSL_PW": passphrase(host)}).stdout


def cert_of(host, name="cloud.crt"):
    return x509.load_pem_x509_certificate(read(agent_file(host, name)).encode())


def issued(control):
    return [x509.load_pem_x509_certificate(i["certificate"].encode()) for i in control.ca()["issued"]]


def issue_calls(control, mark):
    return control.requests(mark, command="issueCertificate")


def lab_ca(ansible):
    info = ansible.module("ca_certificate_info")
    assert not info.get("failed"), info.get("msg")
    return info["ca_certificate"]


def remember_secrets():
    for host in HOSTS:
        if os.path.exists(agent_file(host, "agent.properties")) and passphrase(host):
            SECRETS[passphrase(host)] = "the keystore passphrase of %s" % host
        if os.path.exists(agent_file(host, "cloud.key")):
            for line in read(agent_file(host, "cloud.key")).splitlines():
                if line and not line.startswith("-----"):
                    SECRETS[line] = "a line of the private key of %s" % host


@pytest.fixture(scope="module")
def secure(ansible, control, tmp_path_factory):
    """Runs the playbook against the lab (with -vvv and an Ansible log, kept for the secrets test)."""
    for host in HOSTS:
        if not libvirtd_pid(host):
            pytest.fail("libvirtd of %s is not running: run `make lab-up` (tests/lab/libvirt/labvirt.py up)" % host)
    control.reset()
    control.set_job_durations(issueCertificate=0.2)
    for host in HOSTS:
        lab("reset-host", "--host", host)
    logdir = tmp_path_factory.mktemp("secure")
    counter = [0]

    def play(*args, check=False, diff=True, extra_vars=None, playbook=PLAYBOOK, expect_rc=0):
        counter[0] += 1
        log = logdir / ("ansible-%d.log" % counter[0])
        proc = ansible.playbook(playbook, "-vvv", *args, check=check, diff=diff, extra_vars=extra_vars,
                                env={"ANSIBLE_LOG_PATH": str(log)})
        OUTPUTS.append(proc.stdout + proc.stderr + (log.read_text() if log.exists() else ""))
        remember_secrets()
        if expect_rc is not None:
            assert proc.returncode == expect_rc, proc.stdout[-6000:] + proc.stderr[-3000:]
        return proc

    yield play
    for host in HOSTS:
        lab("reset-host", "--host", host, check=False)
    control.reset()


def test_check_mode_changes_nothing_on_the_hosts(secure, control):
    before = {h: tree(h) for h in HOSTS}
    running = daemons()
    mark = control.mark()
    proc = secure(check=True)
    counts = recap(proc.stdout)
    assert all(counts[h]["changed"] > 0 for h in HOSTS), proc.stdout[-3000:]
    assert {h: tree(h) for h in HOSTS} == before
    assert daemons() == running, "check mode restarted a daemon"
    assert issue_calls(control, mark) == [] and control.ca()["issued"] == []


def test_one_run_secures_both_hosts_with_the_cloudstack_ca(secure, control, ansible):
    running = daemons()
    mark = control.mark()
    proc = secure()
    counts = recap(proc.stdout)
    assert all(counts[h]["changed"] > 0 and counts[h]["failed"] == 0 for h in HOSTS), counts
    assert len(issue_calls(control, mark)) == 2
    ca = x509.load_pem_x509_certificate(lab_ca(ansible).encode())
    by_serial = {c.serial_number: c for c in issued(control)}
    for host in HOSTS:
        cert = cert_of(host)
        assert cert.serial_number in by_serial, "%s holds a certificate the simulator did not issue" % host
        cert.verify_directly_issued_by(ca)
        assert x509.IPAddress(ipaddress.ip_address(ADDRESS[host])) in \
            cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert read(agent_file(host, "cloud.ca.crt")).strip() == lab_ca(ansible).strip()
        listing = keytool_list(host)
        assert re.search(r"^Alias name: cloud$\s+Creation date: .*\s+Entry type: PrivateKeyEntry\s+"
                         r"Certificate chain length: 2", listing, re.M), listing
        assert re.search(r"^Alias name: cloudca\.1$\s+Creation date: .*\s+Entry type: trustedCertEntry", listing,
                         re.M), listing
        key = serialization.load_pem_private_key(read(agent_file(host, "cloud.key")).encode(), None)
        assert key.public_key().public_numbers() == cert.public_key().public_numbers()
        # libvirt's files are CloudStack's links to the agent's files
        pki = paths(host)["pki_dir"]
        assert os.readlink(os.path.join(pki, "libvirt", "servercert.pem")) == agent_file(host, "cloud.crt")
        assert os.readlink(os.path.join(pki, "libvirt", "private", "serverkey.pem")) == agent_file(host, "cloud.key")
        assert 'listen_tls = 1' in read(paths(host)["libvirtd_conf"])
        # both daemons restarted once, and the agent opened the new keystore
        assert libvirtd_pid(host) != running[host][0]
        agent = labvirt.agent_status(host)
        assert agent["starts"] == running[host][1] + 1 and agent["secured"] and agent["error"] is None
        assert agent["aliases"] == ["cloud", "cloudca.1"]
        assert agent["cloud_crt_sha256"] == hashlib.sha256(read(agent_file(host, "cloud.crt")).encode()).hexdigest()
        assert not os.path.exists(agent_file(host, ".csops-restart-pending"))
    assert proc.stdout.count("TASK [csops.cloudstack.kvm_host_security : Connect to libvirtd over TLS") == 2
    assert re.search(r"ok: \[kvm1 -> kvm2\b", proc.stdout) and re.search(r"ok: \[kvm2 -> kvm1\b", proc.stdout)


def _pkipath(tmp_path, name, ca_pem, cert_pem, key_pem):
    directory = tmp_path / name
    directory.mkdir()
    for file_name, text in (("cacert.pem", ca_pem), ("clientcert.pem", cert_pem), ("clientkey.pem", key_pem)):
        (directory / file_name).write_text(text)
        os.chmod(directory / file_name, 0o600)
    return str(directory)


def _other_ca(days=3650, cn="csops lab other CA"):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    return key, cert


def _leaf(ca_key, ca_cert, public_key, address, not_before, not_after):
    return (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kvm2.lab.invalid")]))
            .issuer_name(ca_cert.subject).public_key(public_key).serial_number(x509.random_serial_number())
            .not_valid_before(not_before).not_valid_after(not_after)
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(address))]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))


def _pem(obj):
    if isinstance(obj, x509.Certificate):
        return obj.public_bytes(serialization.Encoding.PEM).decode()
    return obj.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def test_libvirt_tls_verifies_both_ways(secure, tmp_path):
    """kvm2's libvirt client reaches kvm1's libvirtd with kvm2's files; a client certificate from another CA is
    refused by libvirtd, and a client that trusts another CA refuses libvirtd."""
    uri = "qemu+tls://%s/system?pkipath=%%s" % ADDRESS["kvm1"]
    pki2 = paths("kvm2")["pki_dir"]
    good = _pkipath(tmp_path, "good", read(os.path.join(pki2, "CA", "cacert.pem")),
                    read(os.path.join(pki2, "libvirt", "clientcert.pem")),
                    read(os.path.join(pki2, "libvirt", "private", "clientkey.pem")))
    ok = in_host("kvm2", "virsh", "-c", uri % good, "uri", check=False)
    assert ok.returncode == 0, ok.stderr
    other_key, other_ca = _other_ca()
    now = datetime.datetime.now(datetime.timezone.utc)
    client_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    foreign = _leaf(other_key, other_ca, client_key.public_key(), ADDRESS["kvm2"], now - datetime.timedelta(days=1),
                    now + datetime.timedelta(days=30))
    # libvirt's client checks its own certificate against the CA it is given before it connects, so the client
    # is given a CA file holding both CAs: the server still holds only CloudStack's and must refuse it.
    both = read(os.path.join(pki2, "CA", "cacert.pem")) + _pem(other_ca)
    refused = in_host("kvm2", "virsh", "-c", uri % _pkipath(tmp_path, "foreign", both, _pem(foreign),
                                                            _pem(client_key)), "uri", check=False)
    assert refused.returncode != 0, refused.stdout
    distrust = in_host("kvm2", "virsh", "-c", uri % _pkipath(tmp_path, "distrust", _pem(other_ca), _pem(foreign),
                                                             _pem(client_key)), "uri", check=False)
    assert distrust.returncode != 0 and "certificate" in distrust.stderr.lower(), distrust.stderr


def test_second_run_changes_nothing(secure, control):
    before = {h: tree(h) for h in HOSTS}
    running = daemons()
    mark = control.mark()
    proc = secure()
    counts = recap(proc.stdout)
    assert all(counts[h]["changed"] == 0 for h in HOSTS), counts
    assert issue_calls(control, mark) == []
    assert {h: tree(h) for h in HOSTS} == before
    assert daemons() == running
    assert "Connect to libvirtd over TLS" in proc.stdout


def test_check_mode_after_a_full_run_changes_nothing(secure):
    before = {h: tree(h) for h in HOSTS}
    running = daemons()
    proc = secure(check=True)
    assert all(c["changed"] == 0 for c in recap(proc.stdout).values()), proc.stdout[-3000:]
    assert {h: tree(h) for h in HOSTS} == before and daemons() == running


def test_report_lists_every_certificate_sorted_and_the_hosts_it_could_not_read(secure, tmp_path):
    report = tmp_path / "report.json"
    extra = tmp_path / "extra.yml"
    # A third KVM host that cannot be reached (nothing listens on loopback port 1).
    extra.write_text(yaml.safe_dump({"kvm_hosts": {"hosts": {"kvm9": {
        "ansible_host": "127.0.0.1", "ansible_port": 1, "ansible_user": "root",
        "ansible_ssh_common_args": "-o ConnectTimeout=3 -o StrictHostKeyChecking=no"}}}}))
    proc = secure("-i", str(extra), extra_vars={"kvm_host_security_report_file": str(report)}, expect_rc=None)
    assert recap(proc.stdout)["kvm9"]["unreachable"] == 1
    data = json.loads(report.read_text())
    assert data["secured_hosts"] == ["kvm1", "kvm2"] and data["renew_before"] == 30
    assert [u["host"] for u in data["unreadable"]] == ["kvm9"]
    rows = data["certificates"]
    assert [r["not_after"] for r in rows] == sorted(r["not_after"] for r in rows)
    for host in HOSTS:
        names = {r["certificate"] for r in rows if r["host"] == host}
        assert {"agent cloud.crt", "agent cloud.ca.crt", "libvirt server", "libvirt client", "libvirt CA",
                "keystore cloud.jks (cloud)"} <= names, names
        agent = [r for r in rows if r["host"] == host and r["certificate"] == "agent cloud.crt"][0]
        assert agent["days_left"] == (cert_of(host).not_valid_after_utc
                                      - datetime.datetime.now(datetime.timezone.utc)).days
    assert "KVM HOST CERTIFICATES: 3 host(s), 2 secured, 1 not read" in proc.stdout
    assert re.search(r"kvm9\s+NOT READ: ", proc.stdout)


def test_cloud_report_has_a_certificates_section(secure, tmp_path):
    out = tmp_path / "report.txt"
    proc = secure(playbook=os.path.join(REPO, "playbooks", "cloud_report.yml"), diff=False,
                  extra_vars={"cloud_report_file": str(out)})
    text = out.read_text()
    assert "CLOUDSTACK CLOUD REPORT" in text and "Virtual routers" in text, text
    section = text.split("Certificates of KVM hosts", 1)[1]
    for host in HOSTS:
        assert re.search(r"^\s+%s\s+agent cloud\.crt\s+\d+" % host, section, re.M), section
    assert proc.returncode == 0


def test_expiring_certificate_is_renewed_while_the_agent_is_disconnected(secure, control, ansible):
    """kvm2 gets a certificate valid for 5 days; with the CA back at 365 days, the next run renews kvm2 only,
    while CloudStack shows kvm2's agent as disconnected (nothing on the host side needs it)."""
    set_validity = ansible.module("setting", {"name": "ca.framework.cert.validity.period", "value": "5"})
    assert not set_validity.get("failed"), set_validity.get("msg")
    try:
        lab("reset-host", "--host", "kvm2")
        secure()
        short = cert_of("kvm2")
        assert (short.not_valid_after_utc - short.not_valid_before_utc).days == 5
    finally:
        restore = ansible.module("setting", {"name": "ca.framework.cert.validity.period", "value": "365"})
        assert not restore.get("failed"), restore.get("msg")
    control.add_fault(kind="host_state", host="kvm2", state="Disconnected")
    kvm1_tree = tree("kvm1")
    running = daemons()
    mark = control.mark()
    proc = secure()
    counts = recap(proc.stdout)
    assert counts["kvm1"]["changed"] == 0 and counts["kvm2"]["changed"] > 0, counts
    assert len(issue_calls(control, mark)) == 1
    renewed = cert_of("kvm2")
    assert renewed.serial_number != short.serial_number
    assert renewed.public_key().public_numbers() != short.public_key().public_numbers()
    assert (renewed.not_valid_after_utc - datetime.datetime.now(datetime.timezone.utc)).days >= 364
    assert tree("kvm1") == kvm1_tree and daemons()["kvm1"] == running["kvm1"]
    assert libvirtd_pid("kvm2") != running["kvm2"][0]
    assert labvirt.agent_status("kvm2")["starts"] == running["kvm2"][1] + 1
    assert "new key (certificate expires in 4 days)" in proc.stdout or \
        "new key (certificate expires in 5 days)" in proc.stdout, proc.stdout[-4000:]
    again = secure()
    assert all(c["changed"] == 0 for c in recap(again.stdout).values())


@pytest.mark.parametrize("case", ["another key", "another CA", "expired"])
def test_bad_certificate_is_refused_with_one_line_and_the_host_is_unchanged(secure, ansible, case):
    ca_pem = read(agent_file("kvm2", "cloud.ca.crt"))
    now = datetime.datetime.now(datetime.timezone.utc)
    if case == "another key":
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        csr = (x509.CertificateSigningRequestBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kvm2.lab.invalid")]))
               .add_extension(x509.SubjectAlternativeName([x509.IPAddress(
                   ipaddress.ip_address(ADDRESS["kvm2"]))]), False)
               .sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode())
        signed = ansible.module("host_certificate", {"csr": csr})
        assert not signed.get("failed"), signed.get("msg")
        certificate, expected = signed["certificate"], "does not match the key"
    else:
        other_key, other_ca = _other_ca()
        public = cert_of("kvm2").public_key()
        if case == "another CA":
            leaf = _leaf(other_key, other_ca, public, ADDRESS["kvm2"], now - datetime.timedelta(days=1),
                         now + datetime.timedelta(days=300))
            expected = "not signed by any certificate of the CA chain"
        else:
            leaf = _leaf(other_key, other_ca, public, ADDRESS["kvm2"], now - datetime.timedelta(days=40),
                         now - datetime.timedelta(days=2))
            expected = "expired"
        certificate = _pem(leaf)
    before = tree("kvm2")
    running = daemons()
    result = ansible.module("agent_certificate", {"agent_dir": paths("kvm2")["agent_dir"],
                                                  "certificate": certificate, "ca_certificate": ca_pem}, hosts="kvm2")
    OUTPUTS.append(result["_stdout"])
    assert result.get("failed") and expected in result["msg"], result.get("msg")
    assert "\n" not in result["msg"] and "Traceback" not in result["_stdout"]
    assert tree("kvm2") == before and daemons() == running


CLOUDSTACK_SETUP = r"""set -eu
# What keystore-setup and keystore-cert-import do on a KVM host, with the lab's paths.
cd "$AGENT"
PW="$KS_PASS"
FQDN=$(hostname --fqdn)
printf 'keystore.passphrase=%s\n' "$PW" >> agent.properties
keytool -genkey -storepass "$PW" -keypass "$PW" -alias cloud -keyalg RSA -validity 365 \
    -dname "cn=$FQDN,ou=cloudstack,o=cloudstack,c=cloudstack" -keystore cloud.jks
SANS=$(ip -o addr show | awk '{print $4}' | cut -d/ -f1 \
    | grep -v -e '^169\.254\.' -e '^127\.0\.0\.1$' -e '^::1$' -e '^fe80' | sed 's/^/ip:/' | tr '\n' ',')
keytool -certreq -storepass "$PW" -alias cloud -file cloud.csr -keystore cloud.jks -ext san="$SANS"
chmod 600 cloud.jks agent.properties cloud.csr
"""

CLOUDSTACK_IMPORT = r"""set -eu
cd "$AGENT"
PW=$(sed -n 's/^keystore.passphrase=//p' agent.properties)
keytool -import -storepass "$PW" -alias cloudca.1 -file cloud.ca.crt -keystore cloud.jks -noprompt
keytool -import -storepass "$PW" -alias cloud -file cloud.crt -keystore cloud.jks -noprompt
keytool -importkeystore -srckeystore cloud.jks -destkeystore cloud.jks.p12 -deststoretype PKCS12 -srcalias cloud \
    -deststorepass "$PW" -destkeypass "$PW" -srcstorepass "$PW" -srckeypass "$PW" -noprompt
openssl pkcs12 -in cloud.jks.p12 -nodes -nocerts -password pass:"$PW" | openssl rsa -out cloud.key
rm -f cloud.jks.p12
chmod 750 cloud.crt cloud.ca.crt cloud.key
mkdir -p "$PKI/CA" "$PKI/libvirt/private" "$PKI/libvirt-vnc"
ln -sf "$AGENT/cloud.ca.crt" "$PKI/CA/cacert.pem"
ln -sf "$AGENT/cloud.crt" "$PKI/libvirt/clientcert.pem"
ln -sf "$AGENT/cloud.crt" "$PKI/libvirt/servercert.pem"
ln -sf "$AGENT/cloud.key" "$PKI/libvirt/private/clientkey.pem"
ln -sf "$AGENT/cloud.key" "$PKI/libvirt/private/serverkey.pem"
ln -sf "$PKI/CA/cacert.pem" "$PKI/libvirt-vnc/ca-cert.pem"
ln -sf "$PKI/libvirt/servercert.pem" "$PKI/libvirt-vnc/server-cert.pem"
ln -sf "$PKI/libvirt/private/serverkey.pem" "$PKI/libvirt-vnc/server-key.pem"
chgrp root "$PKI/CA" "$PKI/libvirt" "$PKI/libvirt/private" "$PKI/libvirt-vnc"
chmod 750 "$PKI/CA" "$PKI/libvirt" "$PKI/libvirt/private" "$PKI/libvirt-vnc"
cat >> "$CONF" <<EOF
listen_tcp=0
listen_tls=1
key_file="$PKI/libvirt/private/serverkey.pem"
cert_file="$PKI/libvirt/servercert.pem"
ca_file="$PKI/CA/cacert.pem"
tcp_port="16509"
tls_port="16514"
auth_tcp="none"
auth_tls="none"
EOF
"""


def test_host_set_up_by_cloudstack_scripts_is_secured_and_left_alone(secure, control, ansible):
    lab("reset-host", "--host", "kvm1")
    env = {"AGENT": paths("kvm1")["agent_dir"], "PKI": paths("kvm1")["pki_dir"],
           "CONF": paths("kvm1")["libvirtd_conf"],
           "KS_PASS": base64.b32encode(os.urandom(10)).decode().rstrip("=")}
    on_host("kvm1", CLOUDSTACK_SETUP, env)
    signed = ansible.module("host_certificate", {"csr": read(agent_file("kvm1", "cloud.csr"))})
    assert not signed.get("failed"), signed.get("msg")
    with open(agent_file("kvm1", "cloud.crt"), "w") as handle:
        handle.write(signed["certificate"])
    with open(agent_file("kvm1", "cloud.ca.crt"), "w") as handle:
        handle.write("".join(signed["ca_certificates"]))
    on_host("kvm1", CLOUDSTACK_IMPORT, env)
    lab("restart", "--host", "kvm1")
    lab("agent-restart", "--host", "kvm1")
    before = tree("kvm1")
    running = daemons()
    mark = control.mark()
    proc = secure()
    counts = recap(proc.stdout)
    assert counts["kvm1"]["changed"] == 0 and counts["kvm2"]["changed"] == 0, proc.stdout[-5000:]
    assert issue_calls(control, mark) == []
    assert tree("kvm1") == before and daemons() == running
    assert re.search(r"KVM HOST CERTIFICATES: 2 host\(s\), 2 secured, 0 not read", proc.stdout)


def test_failed_restart_stays_pending_and_the_next_run_does_it(secure, control):
    """The agent restart fails after kvm2 got a new certificate: the host fails with one line, the marker of
    pending restarts stays, and the next run (with nothing else to change) restarts it."""
    starts = labvirt.agent_status("kvm2")["starts"]
    broken = "sh -c 'echo agent will not start >&2; exit 3'"
    failed = secure(extra_vars={"kvm_host_security_hosts": "kvm2", "kvm_host_security_renew_before": 400,
                                "kvm_host_security_agent_restart_command": broken}, expect_rc=None)
    assert failed.returncode != 0
    assert "secure kvm2: Restart the CloudStack agent: agent will not start; its restarts stay pending" in failed.stdout
    assert os.path.exists(agent_file("kvm2", ".csops-restart-pending"))
    assert labvirt.agent_status("kvm2")["starts"] == starts
    mark = control.mark()
    again = secure(extra_vars={"kvm_host_security_hosts": "kvm2"})
    assert issue_calls(control, mark) == []
    assert labvirt.agent_status("kvm2")["starts"] == starts + 1 and labvirt.agent_status("kvm2")["error"] is None
    assert not os.path.exists(agent_file("kvm2", ".csops-restart-pending"))
    assert recap(again.stdout)["kvm2"]["failed"] == 0
    third = secure(extra_vars={"kvm_host_security_hosts": "kvm2"})
    assert recap(third.stdout)["kvm2"]["changed"] == 0


def test_no_passphrase_or_private_key_in_any_output(secure):
    """Every run above was made with -vvv, --diff and an Ansible log; none of them shows a secret."""
    remember_secrets()
    assert len(OUTPUTS) >= 8 and len([w for w in SECRETS.values() if "passphrase" in w]) >= 3, SECRETS.values()
    text = "\n".join(OUTPUTS)
    leaked = sorted({what for secret, what in SECRETS.items() if secret in text})
    assert not leaked, leaked
    assert "PRIVATE KEY-----" not in text
