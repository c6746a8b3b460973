"""HostHop against a real SSH server on 127.0.0.1 standing in for a KVM host (fakehost.py says what is a
stand-in): host key checking, authentication, the command CloudStack's hop runs on the host, binary output
streamed whole, exit codes, and the deadline."""

import os
import shlex
import time

import pytest

from ansible_collections.csops.cloudstack.plugins.module_utils._api.waiter import Deadline
from ansible_collections.csops.cloudstack.plugins.module_utils._sshvm.hop import (
    HostHop, SshError, vm_command_line, vm_failure)

from .fakehost import FakeKvmHost

LINKLOCAL = "169.254.10.11"


@pytest.fixture
def host(tmp_path):
    fake = FakeKvmHost(str(tmp_path / "kvm1"), LINKLOCAL)
    yield fake
    fake.close()


def hop_for(host, **extra):
    args = dict(port=host.port, user="root", private_key=host.client_key_file, known_hosts=host.known_hosts,
                vm_key=host.vm_key)
    args.update(extra)
    return HostHop("kvm1", host.address, **args)


def test_the_host_side_command_is_cloudstacks_hop():
    line = vm_command_line("169.254.3.4", "/opt/cloud/bin/cleanup.sh /root/a b.zip")
    argv = shlex.split(line)
    assert argv[:4] == ["ssh", "-p", "3922", "-q"]
    assert argv[argv.index("-i") + 1] == "/root/.ssh/id_rsa.cloud"
    assert "StrictHostKeyChecking=no" in argv and "UserKnownHostsFile=/dev/null" in argv and "BatchMode=yes" in argv
    assert argv[-2:] == ["root@169.254.3.4", "/opt/cloud/bin/cleanup.sh /root/a b.zip"]
    assert shlex.split(vm_command_line("169.254.3.4", "true", "/k", become=True))[:3] == ["sudo", "-n", "ssh"]


def test_runs_in_the_vm_through_the_host(host):
    with hop_for(host).connect(Deadline(20)) as hop:
        status, out, err = hop.run_in_vm(LINKLOCAL, "echo in-vm; echo oops >&2; exit 3", Deadline(20))
    assert (status, out, err) == (3, "in-vm\n", "oops\n")
    hop_args = host.hops()[-1]
    assert "'-i', %r" % host.vm_key in hop_args and "'root@%s'" % LINKLOCAL in hop_args


def test_binary_output_arrives_whole(host, tmp_path):
    blob = os.urandom(700 * 1024)
    source = tmp_path / "blob.bin"
    source.write_bytes(blob)
    got = bytearray()
    with hop_for(host).connect(Deadline(20)) as hop:
        status, err = hop.stream(hop.vm_command(LINKLOCAL, "cat %s" % shlex.quote(str(source))), got.extend,
                                 Deadline(20))
    assert status == 0 and err == "" and bytes(got) == blob


def test_a_vm_the_host_cannot_reach_is_exit_255(host):
    with hop_for(host).connect(Deadline(20)) as hop:
        status, _out, err = hop.run_in_vm("169.254.99.99", "true", Deadline(20))
    assert status == 255
    assert vm_failure(status, err) == ("the host could not ssh to the VM on port 3922: ssh: connect to host "
                                       "root@169.254.99.99 port 3922: No route to host")


def test_unknown_host_key_is_refused(host, tmp_path):
    empty = tmp_path / "known_hosts_empty"
    empty.write_text("")
    with pytest.raises(SshError) as info:
        hop_for(host, known_hosts=str(empty)).connect(Deadline(20))
    assert info.value.message == ("ssh to host kvm1 (root@127.0.0.1:%d): its host key is not in known_hosts (add "
                                  "it, or set ssh.host_key_checking to false)" % host.port)
    assert host.commands == []
    with hop_for(host, known_hosts=str(empty), host_key_checking=False).connect(Deadline(20)) as hop:
        assert hop.run("echo ok", Deadline(20))[:2] == (0, "ok\n")
    assert empty.read_text() == ""  # an accepted key is never saved


def test_wrong_key_fails_authentication(host, tmp_path):
    import paramiko
    other = tmp_path / "other_key"
    paramiko.ECDSAKey.generate().write_private_key_file(str(other))
    with pytest.raises(SshError) as info:
        hop_for(host, private_key=str(other)).connect(Deadline(20))
    assert "authentication failed" in info.value.message and str(other) not in info.value.message


def test_nothing_listening(tmp_path):
    import socket
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(SshError) as info:
        HostHop("kvm9", "127.0.0.1", port=port, host_key_checking=False).connect(Deadline(10))
    assert info.value.message == "ssh to host kvm9 (root@127.0.0.1:%d): cannot connect: Connection refused" % port


def test_a_command_is_bounded_by_the_deadline(host):
    with hop_for(host).connect(Deadline(20)) as hop:
        started = time.monotonic()
        with pytest.raises(SshError) as info:
            hop.run_in_vm(LINKLOCAL, "sleep 30", Deadline(1))
    assert time.monotonic() - started < 5
    assert "did not finish within wait_timeout (1s)" in info.value.message


def test_much_standard_error_and_output_at_once(host):
    """More than an SSH window of both streams: neither blocks the other."""
    script = "yes e 2>/dev/null | head -c 3000000 >&2; head -c 3000000 /dev/zero"
    got = bytearray()
    with hop_for(host).connect(Deadline(30)) as hop:
        started = time.monotonic()
        status, err = hop.stream(hop.vm_command(LINKLOCAL, script), got.extend, Deadline(30))
    assert status == 0 and len(got) == 3000000 and len(err) == 3000000 and set(err) == {"e", "\n"}
    assert time.monotonic() - started < 15


def test_a_quick_command_starts_even_when_the_exec_reply_is_late(host, monkeypatch):
    """A busy machine delays paramiko's reply to the exec request (sent after the server's handler returns): the
    fake host must not let the command print, exit and close its channel before that reply, as sshd does not.
    The delay is added to the fake server's handler, the one place it can be made certain."""
    from . import fakehost
    handler = fakehost._Server.check_channel_exec_request

    def late_reply(self, channel, command):
        accepted = handler(self, channel, command)
        time.sleep(0.3)
        return accepted

    monkeypatch.setattr(fakehost._Server, "check_channel_exec_request", late_reply)
    with hop_for(host).connect(Deadline(20)) as hop:
        assert hop.run("echo ok", Deadline(20)) == (0, "ok\n", "")
