"""A host set up the way CloudStack's keystore-setup and keystore-cert-import do it (their keytool and openssl
commands, run for real in a temporary directory) is reported as done by agent_keystore, agent_certificate,
libvirt_tls and host_certificate_info, which change nothing. The CA is a throwaway one made in the test."""

import json
import os
import subprocess

import pytest

from ansible_collections.csops.cloudstack.plugins.modules import (agent_certificate, agent_keystore,
                                                                  host_certificate_info, libvirt_tls)

from test_agent_keystore import make_ca, pem, sign  # noqa: E402  (same directory)

PASS = "vmops-Pass-4321"
FQDN = "kvm1.example.test"
ADDRESSES = ["10.0.0.5", "fd00::5"]


def sh(*argv, **kwargs):
    done = subprocess.run(list(argv), capture_output=True, text=True, check=False, **kwargs)
    assert done.returncode == 0, (argv, done.stdout, done.stderr)
    return done.stdout


def cloudstack_host(root, storetype=None):
    """keystore-setup then keystore-cert-import (CSR flow), with the commands FACTS section A lists."""
    agent = root / "agent"
    agent.mkdir()
    props, jks, csr = agent / "agent.properties", agent / "cloud.jks", agent / "cloud.csr"
    props.write_text("guid=1e2f\nhost=10.0.0.1\nkeystore.passphrase=%s\n" % PASS)
    extra = ["-storetype", storetype] if storetype else []
    sh("keytool", "-genkey", "-storepass", PASS, "-keypass", PASS, "-alias", "cloud", "-keyalg", "RSA",
       "-validity", "365", "-dname", "cn=%s,ou=cloudstack,o=cloudstack,c=cloudstack" % FQDN, "-keystore",
       str(jks), *extra)
    sh("keytool", "-certreq", "-storepass", PASS, "-alias", "cloud", "-file", str(csr), "-keystore", str(jks),
       "-ext", "san=" + "".join("ip:%s," % a for a in ADDRESSES))
    for path in (jks, props, csr):
        os.chmod(path, 0o600)
    ca = make_ca()
    cert = sign(ca, csr.read_text())
    (agent / "cloud.crt").write_text(cert)
    (agent / "cloud.ca.crt").write_text(pem(ca[1]))
    work = root / "work"
    work.mkdir()
    (work / "cloudca.1").write_text(pem(ca[1]))
    sh("keytool", "-import", "-storepass", PASS, "-alias", "cloudca.1", "-file", "cloudca.1", "-keystore",
       str(jks), "-noprompt", "-trustcacerts", cwd=str(work))
    sh("keytool", "-import", "-storepass", PASS, "-alias", "cloud", "-file", str(agent / "cloud.crt"),
       "-keystore", str(jks), "-noprompt")
    p12 = str(jks) + ".p12"
    sh("keytool", "-importkeystore", "-srckeystore", str(jks), "-destkeystore", p12, "-srcstoretype",
       storetype or "PKCS12", "-deststoretype", "PKCS12", "-srcalias", "cloud", "-deststorepass", PASS,
       "-srcstorepass", PASS, "-noprompt")
    key = subprocess.run(["openssl", "pkcs12", "-in", p12, "-nodes", "-nocerts", "-nomac", "-password",
                          "pass:" + PASS], capture_output=True, check=True).stdout
    subprocess.run(["openssl", "rsa", "-out", str(agent / "cloud.key")], input=key, check=True,
                   capture_output=True)
    os.unlink(p12)
    for name in ("cloud.crt", "cloud.ca.crt", "cloud.key"):
        os.chmod(agent / name, 0o750)
    pki = root / "pki"
    for sub in ("CA", "libvirt/private", "libvirt-vnc"):
        (pki / sub).mkdir(parents=True)
    links = [("CA/cacert.pem", agent / "cloud.ca.crt"), ("libvirt/clientcert.pem", agent / "cloud.crt"),
             ("libvirt/servercert.pem", agent / "cloud.crt"), ("libvirt/private/clientkey.pem", agent / "cloud.key"),
             ("libvirt/private/serverkey.pem", agent / "cloud.key"), ("libvirt-vnc/ca-cert.pem", pki / "CA/cacert.pem"),
             ("libvirt-vnc/server-cert.pem", pki / "libvirt/servercert.pem"),
             ("libvirt-vnc/server-key.pem", pki / "libvirt/private/serverkey.pem")]
    for link, target in links:
        os.symlink(str(target), str(pki / link))
    conf = root / "libvirtd.conf"
    conf.write_text('#listen_tls = 0\nlog_level = 3\nlisten_tcp=0\nlisten_tls=1\ntcp_port = "16509"\n'
                    'tls_port="16514"\nauth_tcp="none"\nauth_tls = "none"\n'
                    'key_file="%s"\ncert_file="%s"\nca_file="%s"\n'
                    % (pki / "libvirt/private/serverkey.pem", pki / "libvirt/servercert.pem", pki / "CA/cacert.pem"))
    return {"agent_dir": str(agent), "pki_dir": str(pki), "libvirtd_conf": str(conf), "cert": cert,
            "ca": pem(ca[1]), "ca_key": ca}


def snapshot(root):
    state = {}
    for dirpath, _dirs, names in os.walk(str(root)):
        for name in names:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            state[path] = (st.st_mode, st.st_mtime_ns, os.readlink(path) if os.path.islink(path) else
                           open(path, "rb").read())
    return state


@pytest.mark.parametrize("storetype", [None, "JKS"])
def test_a_host_cloudstack_set_up_is_done(run, tmp_path, me, storetype, capsys):
    host = cloudstack_host(tmp_path, storetype)
    before = snapshot(tmp_path)
    keystore = run(agent_keystore, dict(agent_dir=host["agent_dir"], fqdn=FQDN, addresses=ADDRESSES, **me))
    assert not keystore["changed"] and keystore["keytool_calls"] == 0, keystore
    assert keystore["keystore_format"] == (storetype or "PKCS12")
    assert keystore["csr"] == open(os.path.join(host["agent_dir"], "cloud.csr"), newline="").read()
    cert = run(agent_certificate, dict(agent_dir=host["agent_dir"], certificate=host["cert"],
                                       ca_certificate=host["ca"], management_address="10.0.0.5", **me))
    assert not cert["changed"] and cert["keytool_calls"] == 0, cert
    tls = run(libvirt_tls, dict(libvirtd_conf=host["libvirtd_conf"], qemu_conf=str(tmp_path / "none.conf"),
                                pki_dir=host["pki_dir"], agent_dir=host["agent_dir"], **me))
    assert not tls["changed"] and not tls["restart_required"], tls
    info = run(host_certificate_info, dict(agent_dir=host["agent_dir"], pki_dir=host["pki_dir"]))
    assert info["secured"] and info["links_ok"]
    certs = info["certificates"]
    assert certs["agent"]["matches_key"] and certs["agent"]["signed_by_ca"]
    assert certs["agent"]["ip_sans"] == ADDRESSES and 28 <= certs["agent"]["days_left"] <= 30
    assert certs["vnc_server"]["matches_key"] and certs["libvirt_server"]["matches_key"]
    assert certs["vnc_ca"]["subject"] == "CN=Test CA"
    ks = info["keystore"]
    assert ks["format"] == (storetype or "PKCS12") and ks["aliases"] == ["cloud", "cloudca.1"]
    assert ks["matches_cloud_crt"] and ks["chain_length"] == 2
    assert snapshot(tmp_path) == before
    dumped = json.dumps([keystore, cert, tls, info]) + capsys.readouterr().err
    assert PASS not in dumped and "PRIVATE KEY" not in dumped


def test_info_on_a_bare_host(run, tmp_path):
    (tmp_path / "agent").mkdir()
    info = run(host_certificate_info, dict(agent_dir=str(tmp_path / "agent"), pki_dir=str(tmp_path / "pki")))
    assert not info["secured"] and not info["links_ok"] and not info["keystore"]["exists"]
    assert all(not c["exists"] for c in info["certificates"].values())
