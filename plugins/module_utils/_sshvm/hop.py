# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SSH into a system VM or virtual router the way CloudStack does, through the KVM host that runs it.

A system VM on KVM accepts SSH only on its link-local address, port 3922, as root, and only from its host, where
CloudStack keeps the key at ``/root/.ssh/id_rsa.cloud``. ``HostHop`` opens one SSH connection (paramiko) to the
host with the operator's own settings, and runs on the host what CloudStack's ``router_proxy.sh`` runs there:
``ssh -p 3922 -q -o StrictHostKeyChecking=no -i /root/.ssh/id_rsa.cloud root@<link-local> '<command>'``. It
neither needs a key for the VM on the controller nor writes anything on the host (the host's known_hosts is
left alone).

Every call is bounded by the task's Deadline. Failures raise SshError, one line naming the host, never a key.
"""

from __future__ import annotations

import shlex
import socket

from .._api.errors import CloudStackError, shorten

try:
    import paramiko
    HAS_PARAMIKO = True
    IMPORT_ERROR = None
except ImportError as error:  # pragma: no cover - depends on the controller
    paramiko = None
    HAS_PARAMIKO = False
    IMPORT_ERROR = error

VM_PORT = 3922
VM_USER = "root"
HOST_VM_KEY = "/root/.ssh/id_rsa.cloud"
# How long the host's ssh client waits for the VM to accept a connection.
VM_CONNECT_TIMEOUT = 10
CHUNK = 64 * 1024


class SshError(CloudStackError):
    """An SSH step failed: the connection to the host, or a command on the host or in the VM."""


def vm_command_line(linklocal, command, vm_key=HOST_VM_KEY, become=False):
    """The command run on the host to run ``command`` in the VM at ``linklocal``, as CloudStack runs it."""
    argv = ["ssh", "-p", str(VM_PORT), "-q", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "BatchMode=yes", "-o", "ConnectTimeout=%d" % VM_CONNECT_TIMEOUT, "-i", vm_key,
            "%s@%s" % (VM_USER, linklocal), command]
    line = " ".join(shlex.quote(arg) for arg in argv)
    return "sudo -n " + line if become else line


class HostHop:
    """One SSH connection to a KVM host (``address``, ``port``, ``user``, optional ``private_key`` file,
    ``known_hosts`` file and ``host_key_checking``), used to reach the VMs it runs with ``vm_key`` (a path on the
    host). ``become`` runs the host-side commands with ``sudo -n``."""

    def __init__(self, name, address, port=22, user="root", private_key=None, known_hosts=None,
                 host_key_checking=True, vm_key=HOST_VM_KEY, become=False):
        self.name = name
        self.address = address
        self.port = port
        self.user = user
        self.private_key = private_key
        self.known_hosts = known_hosts
        self.host_key_checking = host_key_checking
        self.vm_key = vm_key
        self.become = become
        self._client = None

    def where(self):
        return "host %s (%s@%s:%s)" % (self.name, self.user, self.address, self.port)

    # -- the connection -------------------------------------------------------------------------------------

    def connect(self, deadline):
        """Connect and authenticate to the host, within ``deadline``."""
        if not HAS_PARAMIKO:
            raise SshError("ssh to %s needs the Python library paramiko on the controller" % self.where())
        if deadline.expired():
            raise SshError("ssh to %s: wait_timeout (%ss) ran out first" % (self.where(), deadline.seconds))
        keys = self._load_key()
        client = paramiko.SSHClient()
        failure = None
        try:
            if self.host_key_checking:
                # Keys are read, never saved: an unknown or changed host key is refused.
                client.load_system_host_keys(self.known_hosts)
                client.set_missing_host_key_policy(paramiko.RejectPolicy())
            else:
                client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
            wait = deadline.clip(30)
            client.connect(self.address, port=self.port, username=self.user, timeout=wait, banner_timeout=wait,
                           auth_timeout=wait, allow_agent=True, look_for_keys=self.private_key is None, **keys)
        except paramiko.BadHostKeyException:
            failure = "its host key does not match the one in known_hosts"
        except paramiko.AuthenticationException:
            failure = "authentication failed (check user and private_key)"
        except paramiko.SSHException as error:
            text = str(error)
            if "not found in known_hosts" in text:
                failure = "its host key is not in known_hosts (add it, or set ssh.host_key_checking to false)"
            else:
                failure = _short(text) or error.__class__.__name__
        except paramiko.ssh_exception.NoValidConnectionsError as error:
            reasons = sorted({getattr(e, "strerror", None) or str(e) for e in error.errors.values()})
            failure = "cannot connect: %s" % (", ".join(reasons) or "no address answered")
        except (socket.timeout, TimeoutError):
            failure = "no answer in time"
        except (OSError, ValueError) as error:
            failure = getattr(error, "strerror", None) or _short(str(error)) or error.__class__.__name__
        if failure is not None:
            client.close()
            raise SshError("ssh to %s: %s" % (self.where(), failure))
        self._client = client
        return self

    def _load_key(self):
        """``connect`` arguments for ``private_key``: the key itself when paramiko can tell its type (so a wrong
        key fails as an authentication failure), else the file name."""
        if self.private_key is None:
            return {}
        from_path = getattr(paramiko.PKey, "from_path", None)  # paramiko 3.2 and later
        if from_path is None:
            return dict(key_filename=self.private_key)
        try:
            return dict(pkey=from_path(self.private_key))
        except paramiko.PasswordRequiredException:
            raise SshError("ssh to %s: private_key %s needs a passphrase; load it into an SSH agent instead"
                           % (self.where(), self.private_key))
        except (paramiko.SSHException, OSError, ValueError) as error:
            raise SshError("ssh to %s: private_key %s cannot be read: %s"
                           % (self.where(), self.private_key, getattr(error, "strerror", None) or
                              _short(str(error)) or error.__class__.__name__))

    def close(self):
        if self._client is not None:
            self._client.close()
            self._client = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- commands -------------------------------------------------------------------------------------------

    def _open(self, command, deadline):
        if self._client is None:
            raise SshError("ssh to %s: not connected" % self.where())
        try:
            channel = self._client.get_transport().open_session(timeout=deadline.clip(30))
            channel.settimeout(max(0.1, deadline.clip(60)))
            channel.exec_command(command)
        except (paramiko.SSHException, OSError, AttributeError) as error:
            raise SshError("ssh to %s: cannot start a command: %s" % (self.where(), _short(str(error))
                                                                      or error.__class__.__name__))
        return channel

    def run(self, command, deadline):
        """``(exit status, stdout, stderr)`` of ``command`` on the host, as text."""
        out = bytearray()
        status, err = self.stream(command, out.extend, deadline)
        return status, out.decode("utf-8", "replace"), err

    def vm_command(self, linklocal, command):
        """The host-side command that runs ``command`` in the VM at ``linklocal``."""
        return vm_command_line(linklocal, command, self.vm_key, self.become)

    def run_in_vm(self, linklocal, command, deadline):
        """``(exit status, stdout, stderr)`` of ``command`` in the VM at ``linklocal``."""
        return self.run(self.vm_command(linklocal, command), deadline)

    def stream(self, command, sink, deadline):
        """Run ``command`` on the host and pass its standard output, as bytes, to ``sink(chunk)``; returns
        ``(exit status, stderr text)``. ``sink`` may raise to stop."""
        channel = self._open(command, deadline)
        err = bytearray()
        try:
            while True:
                if deadline.expired():
                    raise SshError("%s on %s did not finish within wait_timeout (%ss)"
                                   % (_first_word(command), self.where(), deadline.seconds))
                # Short waits, so standard error is drained even while standard output is quiet.
                channel.settimeout(max(0.1, deadline.clip(1)))
                try:
                    chunk = channel.recv(CHUNK)
                except (socket.timeout, TimeoutError):
                    while channel.recv_stderr_ready():
                        err.extend(channel.recv_stderr(CHUNK))
                    continue
                while channel.recv_stderr_ready():
                    err.extend(channel.recv_stderr(CHUNK))
                if not chunk:
                    break
                sink(bytes(chunk))
            while not channel.exit_status_ready():
                if deadline.expired():
                    raise SshError("%s on %s did not exit within wait_timeout (%ss)"
                                   % (_first_word(command), self.where(), deadline.seconds))
                while channel.recv_stderr_ready():
                    err.extend(channel.recv_stderr(CHUNK))
                channel.status_event.wait(min(0.2, max(0.01, deadline.remaining())))
            while channel.recv_stderr_ready():
                err.extend(channel.recv_stderr(CHUNK))
            return channel.recv_exit_status(), err.decode("utf-8", "replace")
        except (paramiko.SSHException, OSError) as error:
            raise SshError("ssh to %s broke: %s" % (self.where(), _short(str(error)) or error.__class__.__name__))
        finally:
            channel.close()


def vm_failure(status, err):
    """Why a command through the host failed: ssh's own exit status 255 means the VM could not be reached."""
    text = _short(err.strip().splitlines()[-1]) if err.strip() else ""
    if status == 255:
        return "the host could not ssh to the VM on port %d%s" % (VM_PORT, ": " + text if text else "")
    if status == 1 and "sudo" in text:
        return "sudo on the host failed: %s" % text
    return "exit status %s%s" % (status, ": " + text if text else "")


def _first_word(command):
    return shorten(command.split(" ", 1)[0], 30)


def _short(text, limit=200):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."
