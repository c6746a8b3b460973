# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A KVM host for unit tests: a real SSH server (paramiko's server side) on 127.0.0.1, port 0, with its own host
key, that accepts one client key and runs every command it is sent with /bin/sh, for real.

What cannot be real outside the lab is the VM behind the host (a link-local address reachable only from a host's
namespace): the host's ``ssh`` is a stand-in (first on the PATH of the commands) that checks what CloudStack's
hop must give it (port 3922, root at the VM's link-local address, an existing key file) and then runs the VM
command with /bin/sh in a directory standing in for the VM, with the lab's own VM scripts
(tests/lab/hosts/vm/, installed as the lab installs them) in place of /opt/cloud/bin. A wrong hop fails like ssh does (exit status 255).

A command starts only once the reply to its exec request has gone out, as with sshd. paramiko's server sends that
reply after ``check_channel_exec_request`` returns, so a command started from there could print, exit and close
its channel first when the machine is busy, and the client would see "Channel closed." instead of a started
command.
"""

import os
import socket
import struct
import subprocess
import sys
import threading
from pathlib import Path

import paramiko

from hosts.vms import install_scripts  # tests/lab is on sys.path (module_utils/conftest.py)


SSH_STANDIN = r'''#!%(python)s
import os
import sys

args = sys.argv[1:]
opts = {}
i = 0
while i < len(args) and args[i].startswith("-"):
    if args[i] in ("-p", "-i", "-o"):
        opts.setdefault(args[i], []).append(args[i + 1])
        i += 2
    else:
        i += 1
dest, command = args[i], " ".join(args[i + 1:])
with open(%(log)r, "a") as log:
    log.write(repr(sys.argv[1:]) + "\n")
if opts.get("-p") != ["3922"] or dest != "root@" + %(linklocal)r or not os.path.isfile((opts.get("-i") or [""])[0]):
    sys.stderr.write("ssh: connect to host %%s port %%s: No route to host\n" %% (dest, (opts.get("-p") or ["22"])[0]))
    sys.exit(255)
os.chdir(%(vm_root)r)
os.environ["CSLAB_DIAG_ZIP_DIR"] = %(vm_root)r
os.execv("/bin/sh", ["/bin/sh", "-c", command.replace("/opt/cloud/bin/", %(scripts)r + "/")])
'''


_CHANNEL_SUCCESS = bytes([99])  # SSH_MSG_CHANNEL_SUCCESS (RFC 4254)
_CHANNEL_FAILURE = bytes([100])  # SSH_MSG_CHANNEL_FAILURE


class _Server(paramiko.ServerInterface):
    def __init__(self, host):
        self.host = host

    def get_allowed_auths(self, username):
        return "publickey"

    def check_auth_publickey(self, username, key):
        if username == self.host.user and key.get_base64() == self.host.client_key.get_base64():
            return paramiko.AUTH_SUCCESSFUL
        return paramiko.AUTH_FAILED

    def check_channel_request(self, kind, chanid):
        return paramiko.OPEN_SUCCEEDED if kind == "session" else paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_exec_request(self, channel, command):
        command = command.decode("utf-8") if isinstance(command, bytes) else command
        self.host.commands.append(command)
        thread = threading.Thread(target=self.host.execute, args=(channel, command), daemon=True)
        self.host.after_reply(channel, thread.start)
        return True


class FakeKvmHost:
    """The host: ``address``/``port`` to connect to as ``user`` with ``client_key_file``; ``known_hosts`` lists
    its host key; ``vm_key`` is the file the host-side hop uses; ``vm_root`` is the VM's stand-in directory;
    ``commands`` the commands it ran and ``hops`` the arguments its ``ssh`` got."""

    def __init__(self, workdir, linklocal, user="root"):
        self.user = user
        self.linklocal = linklocal
        self.commands = []
        self.host_key = paramiko.ECDSAKey.generate()
        self.client_key = paramiko.ECDSAKey.generate()
        os.makedirs(workdir, exist_ok=True)
        self.client_key_file = os.path.join(workdir, "id_ecdsa")
        self.client_key.write_private_key_file(self.client_key_file)
        self.vm_key = os.path.join(workdir, "id_rsa.cloud")
        with open(self.vm_key, "w") as fh:
            fh.write("the key the host keeps for its system VMs\n")
        self.vm_root = os.path.join(workdir, "vm")
        os.makedirs(self.vm_root, exist_ok=True)
        # The lab's VM-side scripts, installed as the lab installs them in a VM's /opt/cloud/bin.
        scripts = os.path.join(workdir, "opt-cloud-bin")
        os.makedirs(scripts, exist_ok=True)
        install_scripts(Path(scripts))
        self.hop_log = os.path.join(workdir, "hops.log")
        bindir = os.path.join(workdir, "bin")
        os.makedirs(bindir, exist_ok=True)
        standin = os.path.join(bindir, "ssh")
        with open(standin, "w") as fh:
            fh.write(SSH_STANDIN % dict(python=sys.executable, log=self.hop_log, linklocal=linklocal,
                                        vm_root=self.vm_root, scripts=scripts))
        os.chmod(standin, 0o755)
        self.env = dict(os.environ, PATH=bindir + os.pathsep + os.environ.get("PATH", "/usr/bin:/bin"))
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.address, self.port = self.sock.getsockname()
        self.known_hosts = os.path.join(workdir, "known_hosts")
        with open(self.known_hosts, "w") as fh:
            fh.write("[%s]:%d %s %s\n" % (self.address, self.port, self.host_key.get_name(), self.host_key.get_base64()))
        self._transports = []
        self._open_channels = []
        self._after_reply = {}
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def hops(self):
        if not os.path.exists(self.hop_log):
            return []
        with open(self.hop_log) as fh:
            return [line.strip() for line in fh if line.strip()]

    def _accept(self):
        while not self._closed:
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                return
            transport = paramiko.Transport(conn)
            transport.add_server_key(self.host_key)
            self._watch_replies(transport)
            self._transports.append(transport)
            try:
                transport.start_server(server=_Server(self))
            except (paramiko.SSHException, EOFError, OSError):
                continue
            threading.Thread(target=self._channels, args=(transport,), daemon=True).start()

    def _channels(self, transport):
        # Accepted channels are kept: paramiko closes a channel when its object goes away.
        while transport.is_active():
            channel = transport.accept(1)
            if channel is not None:
                self._open_channels.append(channel)

    def after_reply(self, channel, start):
        """Call ``start()`` once the reply to ``channel``'s pending request has been sent."""
        with self._lock:
            self._after_reply[(id(channel.get_transport()), channel.remote_chanid)] = start

    def _watch_replies(self, transport):
        # paramiko offers no hook after a request's reply, so the transport's sending of messages is watched:
        # after a channel success or failure goes out, the command waiting for it starts.
        send = transport._send_user_message

        def send_and_start(message):
            send(message)
            data = message.asbytes()
            if data[:1] in (_CHANNEL_SUCCESS, _CHANNEL_FAILURE) and len(data) >= 5:
                with self._lock:
                    start = self._after_reply.pop((id(transport), struct.unpack(">I", data[1:5])[0]), None)
                if start is not None:
                    start()

        transport._send_user_message = send_and_start

    def execute(self, channel, command):
        proc = subprocess.Popen(["/bin/sh", "-c", command], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=self.env, cwd=self.vm_root)

        def pump_err():
            for chunk in iter(lambda: proc.stderr.read(4096), b""):
                channel.sendall_stderr(chunk)

        err = threading.Thread(target=pump_err, daemon=True)
        err.start()
        try:
            for chunk in iter(lambda: proc.stdout.read1(65536), b""):
                channel.sendall(chunk)
        except OSError:
            proc.kill()
        rc = proc.wait()
        err.join(5)
        # A command killed by a signal ends as a shell reports it (128 + the signal): the SSH exit status is
        # unsigned.
        channel.send_exit_status(rc if rc >= 0 else 128 - rc)
        channel.close()

    def close(self):
        self._closed = True
        self.sock.close()
        for transport in self._transports:
            transport.close()
