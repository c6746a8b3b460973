"""The diagnostics_data backend against a private simulator (its getDiagnosticsData makes a zip with CloudStack's
layout and serves it on 127.0.0.1), and for the SSH way a real SSH server standing in for the VM's KVM host
(see _sshvm/fakehost.py for what is a stand-in there): the zip on disk, checked and unpacked, the manifest, the
fallback when the URL is down, the same layout both ways, bad input refused before any API call."""

import os
import re
import stat
import zipfile

import pytest

from ansible_collections.csops.cloudstack.plugins.module_utils._api.errors import CloudStackError, ValidationError
from ansible_collections.csops.cloudstack.plugins.module_utils._api.waiter import Deadline
from ansible_collections.csops.cloudstack.plugins.module_utils._diagnostics.data import DiagnosticsDataBackend

from _sshvm.fakehost import FakeKvmHost

ROUTER = "r-10-VM"
ROUTER_LINKLOCAL = "169.254.10.21"


@pytest.fixture
def url_switch(control):
    """Turns the simulator's download URL off (connections reset) and back on."""
    def switch(down):
        control._call("POST", "/lab/diagnostics", {"url_down": down})
    yield switch
    switch(False)


@pytest.fixture
def kvm1(tmp_path):
    host = FakeKvmHost(str(tmp_path / "kvm1"), ROUTER_LINKLOCAL)
    yield host
    host.close()


def ssh_options(host):
    return dict(address=host.address, port=host.port, user="root", private_key=host.client_key_file,
                known_hosts=host.known_hosts, host_key_checking=True, vm_key=host.vm_key, become=False)


def backend(client, dest, check_mode=False, **extra):
    params = dict(name=ROUTER, id=None, files=None, dest=str(dest), unpack=False, max_size=16, fallback="auto",
                  url_validate_certs=True, url_ca_file=None, url_timeout=10, ssh={}, wait=True, wait_timeout=60)
    params.update(extra)
    return DiagnosticsDataBackend(client, params, check_mode, False, Deadline(params["wait_timeout"]))


def commands(control, mark):
    return [r["command"] for r in control.requests(mark)]


def test_the_url_way_brings_the_zip_home(control, client, tmp_path):
    dest = tmp_path / "diag"
    result = backend(client, dest, unpack=True).run()
    assert result["changed"] is True and result["method"] == "url"
    assert result["url"].startswith("http://127.0.0.1:") and "url_error" not in result
    path = result["path"]
    assert os.path.dirname(path) == str(dest) and os.path.basename(path).startswith(ROUTER + "-")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600 and stat.S_IMODE(os.stat(dest).st_mode) == 0o700
    with zipfile.ZipFile(path) as archive:
        names = sorted(archive.namelist())
    assert result["entries"] == names and result["size"] == os.path.getsize(path)
    for name in ("fileinfo.txt", "iptables.log", "ipaddr.log", "iprule.log", "iproute.log", "hosts"):
        assert name in names
    assert {"path": "/etc/hosts", "entry": "hosts", "found": True} in result["manifest"]
    assert sorted(os.path.basename(f) for f in result["files"]) == names
    assert all(f.startswith(result["unpacked_dir"] + os.sep) for f in result["files"])
    with open(os.path.join(result["unpacked_dir"], "fileinfo.txt")) as fh:
        assert "/etc/hosts" in fh.read()


def test_given_files_are_passed_on(control, client, tmp_path):
    mark = control.mark()
    result = backend(client, tmp_path, files=["iptables", "/etc/hosts"]).run()
    sent = [r for r in control.requests(mark) if r["command"] == "getDiagnosticsData"]
    assert sent[0]["params"]["files"] == "iptables,/etc/hosts"
    assert result["entries"] == ["fileinfo.txt", "hosts", "iptables.log"]


def test_url_down_falls_back_to_ssh_through_the_host(control, client, tmp_path, url_switch, kvm1):
    url_switch(True)
    result = backend(client, tmp_path / "d", ssh=ssh_options(kvm1), unpack=True).run()
    assert result["method"] == "ssh" and result["changed"] is True
    assert result["url_error"].startswith("download the zip from 127.0.0.1:")
    # The router's default list, from CloudStack's setting, as the URL way would have used.
    default = client.list("listConfigurations", {"name": "diagnostics.data.router.defaults"})[0]["value"]
    assert result["requested"] == default.split(",")
    assert os.path.basename(result["zip_in_vm"]).startswith("diagnostics_files_")
    assert result["cleanup"] == "Deleting diagnostics zip file %s" % result["zip_in_vm"]
    assert not os.path.exists(result["zip_in_vm"])  # removed in the VM (cleanup.sh ran)
    assert "fileinfo.txt" in result["entries"] and "hosts" in result["entries"] and "iptables.log" in result["entries"]
    assert result["ssh_host"] == dict(name="kvm1", address="127.0.0.1", port=kvm1.port, user="root")
    # On the host: only CloudStack's hop to the VM, with the host's key for it.
    assert all(c.startswith("ssh -p 3922 -q ") and "root@%s" % ROUTER_LINKLOCAL in c for c in kvm1.commands)
    assert len(kvm1.commands) == 3  # make the zip, copy it back, clean it up


def test_same_layout_both_ways(control, client, tmp_path, url_switch, kvm1):
    files = ["iptables", "iproute", "/etc/hosts", "/no/such/file"]
    by_url = backend(client, tmp_path / "u", files=files).run()
    by_ssh = backend(client, tmp_path / "s", files=files, fallback="always", ssh=ssh_options(kvm1)).run()
    assert by_url["method"] == "url" and by_ssh["method"] == "ssh"
    assert by_url["entries"] == by_ssh["entries"] == ["fileinfo.txt", "hosts", "iproute.log", "iptables.log"]
    assert [m["path"] for m in by_url["manifest"]] == [m["path"] for m in by_ssh["manifest"]]


def test_always_does_not_ask_cloudstack_for_the_zip(control, client, tmp_path, kvm1):
    mark = control.mark()
    result = backend(client, tmp_path, files=["/etc/hosts"], fallback="always", ssh=ssh_options(kvm1)).run()
    assert result["method"] == "ssh" and result["url"] is None and "jobid" not in result
    assert control.write_calls(mark) == []
    assert "getDiagnosticsData" not in commands(control, mark)


def test_never_fails_when_the_url_is_down(control, client, tmp_path, url_switch):
    url_switch(True)
    with pytest.raises(CloudStackError) as info:
        backend(client, tmp_path, fallback="never").run()
    assert info.value.message.startswith("get diagnostics data from r-10-VM: download the zip from 127.0.0.1:")
    assert info.value.result["url"] and info.value.result["path"] is None
    assert os.listdir(tmp_path) == []  # no partial file left


def test_fallback_that_cannot_reach_the_host_says_why(control, client, tmp_path, url_switch, kvm1):
    url_switch(True)
    wrong = dict(ssh_options(kvm1), known_hosts=str(tmp_path / "empty"))
    (tmp_path / "empty").write_text("")
    with pytest.raises(CloudStackError) as info:
        backend(client, tmp_path / "d", ssh=wrong).run()
    assert "its host key is not in known_hosts" in info.value.message
    assert info.value.result["method"] == "ssh" and info.value.result["url_error"]
    assert kvm1.commands == []


def test_too_large_is_refused_and_nothing_is_left(control, client, tmp_path, kvm1):
    # A 1 MiB cap is the smallest; a zip of a larger file in the VM exceeds it.
    big = os.path.join(kvm1.vm_root, "big.bin")
    with open(big, "wb") as fh:
        fh.write(os.urandom(1536 * 1024))
    with pytest.raises(CloudStackError) as info:
        backend(client, tmp_path / "d", files=[big], fallback="always", ssh=ssh_options(kvm1), max_size=1).run()
    assert info.value.message.endswith("the zip from r-10-VM is larger than max_size (1 MiB)")
    assert os.listdir(tmp_path / "d") == []
    assert info.value.result["cleanup"].startswith("Deleting diagnostics zip file")


@pytest.mark.parametrize("extra,message", [
    (dict(files=["/etc/hosts; reboot"]), "files[0] must be a path or a name without spaces, commas, quotes or "
                                         "shell characters, got /etc/hosts; reboot"),
    (dict(files=[]), "files must not be an empty list (leave it out for CloudStack's defaults)"),
    (dict(dest="relative/dir"), "dest must be an absolute directory path on the controller, got relative/dir"),
    (dict(max_size=0), "max_size must be between 1 and 1048576 (MiB), got 0"),
    (dict(wait=False), "wait=false is not supported: the zip is downloaded as soon as the job ends"),
    (dict(ssh=dict(known_hosts="/no/such/known_hosts")), "ssh.known_hosts /no/such/known_hosts is not a file on the "
                                                         "controller"),
    (dict(ssh=dict(port=0)), "ssh.port must be between 1 and 65535, got 0"),
    (dict(dest="/tmp/" + "x" * 10000), "dest is longer than 4096 bytes: '/tmp/%s...x'" % ("x" * 49)),
    (dict(dest="/tmp/" + "x" * 256), "dest has a directory name longer than 255 bytes: '/tmp/%s...x'" % ("x" * 49)),
    (dict(dest="/tmp/a\nb"), "dest must be one line without control characters, got '/tmp/a\\nb'"),
    (dict(url_ca_file="/no/such/ca.pem"), "url_ca_file /no/such/ca.pem is not a file on the controller"),
])
@pytest.mark.parametrize("check_mode", [False, True])
def test_bad_input_fails_before_any_api_call(control, client, tmp_path, extra, message, check_mode):
    mark = control.mark()
    extra = dict(extra)
    with pytest.raises(ValidationError) as info:
        backend(client, extra.pop("dest", tmp_path), check_mode=check_mode, **extra).run()
    assert info.value.message == "get diagnostics data from r-10-VM: " + message
    assert len(info.value.message) <= 200
    assert control.requests(mark) == []


def test_the_download_url_is_neither_returned_nor_in_the_zips_name(control, client, tmp_path, monkeypatch):
    """The URL is the only key to the zip: the result keeps its scheme and host only. The client's run is
    wrapped (the real call goes through) only to see the URL CloudStack answered."""
    answers = []
    real_run = client.run

    def recording_run(*args, **kwargs):
        jobid, answer = real_run(*args, **kwargs)
        answers.append(answer)
        return jobid, answer

    monkeypatch.setattr(client, "run", recording_run)
    result = backend(client, tmp_path / "diag").run()
    url = answers[0]["diagnostics"]["url"]
    secret = url.rsplit("/", 1)[-1].split(".")[0]
    assert len(secret) >= 32 and secret in url
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", result["url"]), result["url"]
    assert secret not in repr(result)
    assert re.fullmatch(r"r-10-VM-diagnostics_files_\d{8}-\d{6}\.zip", os.path.basename(result["path"]))


def test_a_failed_download_names_the_host_not_the_url(control, client, tmp_path, url_switch, monkeypatch):
    answers = []
    real_run = client.run

    def recording_run(*args, **kwargs):  # the real call, recorded (see above)
        jobid, answer = real_run(*args, **kwargs)
        answers.append(answer)
        return jobid, answer

    monkeypatch.setattr(client, "run", recording_run)
    url_switch(True)
    with pytest.raises(CloudStackError) as info:
        backend(client, tmp_path / "d", fallback="never").run()
    url = answers[0]["diagnostics"]["url"]
    path = url.split("://", 1)[1].split("/", 1)[1]
    assert path not in info.value.message and path not in repr(info.value.result)
    assert "127.0.0.1" in info.value.message


def test_dest_that_is_a_file_is_refused(control, client, tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    mark = control.mark()
    with pytest.raises(ValidationError):
        backend(client, target).run()
    assert control.requests(mark) == []


def test_check_mode_collects_nothing(control, client, tmp_path):
    mark = control.mark()
    result = backend(client, tmp_path / "d", check_mode=True).run()
    assert result["changed"] is True and result["method"] == "url" and result["path"] is None
    assert control.write_calls(mark) == [] and not (tmp_path / "d").exists()
