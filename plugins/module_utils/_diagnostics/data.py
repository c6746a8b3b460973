# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``diagnostics_data`` backend: a system VM's or router's files, brought to the controller as CloudStack's
diagnostics zip.

``DiagnosticsDataBackend(client, params, check_mode, diff, deadline).run()`` returns the module's result, or
raises a CloudStackError whose ``result`` holds what was done so far. Two ways, said in ``method``:

- ``url``: ``getDiagnosticsData`` makes the zip in the VM and puts it on secondary storage behind a URL, which is
  downloaded at once (CloudStack removes it after ``diagnostics.data.max.file.age``).
- ``ssh``: through the VM's KVM host, the VM's own ``get_diagnostics_files.py`` makes the same zip from the same
  list (CloudStack's default list for the VM's kind when none is given), it is copied back over the connection,
  and ``cleanup.sh`` removes it from the VM, as CloudStack does. Used when ``fallback`` is ``always``, or
  ``auto`` and the URL could not be downloaded.

Either way the zip must be whole, with CloudStack's layout and its ``fileinfo.txt``, which is returned as the
manifest; it can be unpacked beside the zip.

The URL CloudStack returns needs no credentials: whoever has it can fetch the zip until CloudStack removes it.
It is used for the download only: the result gives its scheme and host (``url``), the zip is named from the
time it was fetched, not from the URL, and no message quotes it.
"""

from __future__ import annotations

import os
import shlex
import time

from .._api import lookup
from .._api.backend import ApiBackend
from .._api.errors import CloudStackError, ValidationError, shorten
from .._sshvm.hop import HOST_VM_KEY, HostHop, SshError, vm_failure
from .archive import ArchiveError, inspect, unpack
from .download import DownloadError, PartFile, TooLargeError, download
from .rules import (CLEANUP_SCRIPT, DEFAULTS_SETTING, RETRIEVE_SCRIPT, SCRIPTS_DIR, ZIP_IN_VM_RE, check_files,
                    local_name, split_defaults)
from .target import describe, find_target, require_host

COMMAND = "getDiagnosticsData"
MIB = 1024 * 1024
MAX_SIZE_MIB = 1024 * 1024
# Linux's PATH_MAX and NAME_MAX: a longer dest could not be created.
MAX_PATH = 4096
MAX_NAME = 255


def check_dest(dest):
    """Raise ValidationError unless ``dest`` is an absolute path of one line that Linux can create: at most
    MAX_PATH bytes, each part at most MAX_NAME, and not an existing file that is not a directory."""
    text = "" if dest is None else str(dest)
    if not text or not os.path.isabs(text):
        raise ValidationError("dest must be an absolute directory path on the controller, got %s" % shorten(text))
    if not text.isprintable():
        raise ValidationError("dest must be one line without control characters, got %s" % shorten(text))
    encoded = text.encode("utf-8", "surrogateescape")
    if len(encoded) > MAX_PATH:
        raise ValidationError("dest is longer than %d bytes: %s" % (MAX_PATH, shorten(text)))
    if any(len(part) > MAX_NAME for part in encoded.split(b"/")):
        raise ValidationError("dest has a directory name longer than %d bytes: %s" % (MAX_NAME, shorten(text)))
    if os.path.lexists(text) and not os.path.isdir(text):
        raise ValidationError("dest %s exists and is not a directory" % shorten(text))


def url_origin(url):
    """``scheme://host[:port]`` of ``url``: what the result may show of a URL that is the only key to a file."""
    scheme, _sep, rest = str(url).partition("://")
    host = rest.split("/", 1)[0].split("?", 1)[0].rsplit("@", 1)[-1]
    return "%s://%s" % (scheme, host) if _sep and host else None


def check_input(params):
    """The checked ``files`` (None for CloudStack's defaults); raises ValidationError for bad input."""
    if params.get("wait") is False:
        raise ValidationError("wait=false is not supported: the zip is downloaded as soon as the job ends")
    files = check_files(params.get("files"))
    check_dest(params.get("dest"))
    ca_file = params.get("url_ca_file")
    if ca_file is not None and not os.path.isfile(ca_file):
        raise ValidationError("url_ca_file %s is not a file on the controller" % shorten(ca_file))
    if not 0 < params["max_size"] <= MAX_SIZE_MIB:
        raise ValidationError("max_size must be between 1 and %d (MiB), got %s"
                              % (MAX_SIZE_MIB, shorten(params["max_size"])))
    if params.get("url_timeout") is not None and not 0 < params["url_timeout"] <= 3600:
        raise ValidationError("url_timeout must be between 1 and 3600 seconds, got %s" % shorten(params["url_timeout"]))
    ssh = params.get("ssh") or {}
    port = ssh.get("port", 22)
    if port is not None and not 0 < port < 65536:
        raise ValidationError("ssh.port must be between 1 and 65535, got %s" % shorten(port))
    for option in ("private_key", "known_hosts"):
        if ssh.get(option) is not None and not os.path.isfile(ssh[option]):
            raise ValidationError("ssh.%s %s is not a file on the controller" % (option, shorten(ssh[option])))
    return files


class DiagnosticsDataBackend(ApiBackend):
    def __init__(self, client, params, check_mode, diff, deadline):
        super().__init__(client, params, check_mode, diff, deadline)
        self.result = dict(changed=False, method=None, url=None, path=None, size=None, entries=[], manifest=[],
                           files=[])

    def what(self):
        key = "id" if self.params.get("id") else "name"
        return "get diagnostics data from %s" % shorten(self.params.get(key))

    def run(self):
        try:
            try:
                return self._run()
            except OSError as error:  # the controller's own files: dest, the zip, the unpacked directory
                where = " (%s)" % shorten(error.filename) if getattr(error, "filename", None) else ""
                raise CloudStackError("%s%s" % (error.strerror or error.__class__.__name__, where))
        except CloudStackError as error:
            if not error.message.startswith("get diagnostics data "):
                error.args = ("%s: %s" % (self.what(), error.message),)
            if error.result is None:
                error.result = dict(self.result)
            raise

    def _run(self):
        params = self.params
        files = check_input(params)
        fallback = params["fallback"]
        max_bytes = params["max_size"] * MIB
        key = "id" if params.get("id") else "name"
        kind, vm = find_target(self.client, key, params[key], self.deadline)
        result = self.result
        result["vm"] = describe(kind, vm)
        require_host(vm)
        if self.check_mode:
            result.update(changed=True, method="ssh" if fallback == "always" else "url")
            return result
        dest = params["dest"]
        if not os.path.isdir(dest):
            os.makedirs(dest, 0o700)
        path = size = None
        if fallback != "always":
            path, size = self.by_url(vm, files, dest, max_bytes, fallback)
        if path is None:
            path, size = self.by_ssh(kind, vm, files, dest, max_bytes)
        result.update(changed=True, path=path, size=size)
        try:
            entries, manifest = inspect(path, max_bytes)
        except ArchiveError as error:
            os.unlink(path)
            result["path"] = None
            error.args = ("%s; it was removed from %s" % (error.message, dest),)
            raise
        result.update(entries=entries, manifest=manifest)
        if params.get("unpack"):
            result["unpacked_dir"] = os.path.splitext(path)[0]
            result["files"] = unpack(path, result["unpacked_dir"])
        return result

    # -- the URL way ----------------------------------------------------------------------------------------

    def by_url(self, vm, files, dest, max_bytes, fallback):
        """``(path, size)`` of the zip downloaded from CloudStack's URL; ``(None, None)`` when it could not be
        downloaded and the SSH way may be tried."""
        result = self.result
        result["method"] = "url"
        jobid, answer = self.client.run(COMMAND, dict(targetid=vm["id"], files=files), self.deadline)
        result["jobid"] = jobid
        url = ((answer or {}).get("diagnostics") or {}).get("url")
        if not url:
            raise CloudStackError("%s job %s returned no URL" % (COMMAND, jobid), COMMAND)
        result["url"] = url_origin(url)
        # The URL's file name is the random part of the URL (the key to the zip), so the local name is made like
        # the one the VM's script gives the zip, from the time it was fetched.
        name = local_name(vm.get("name"), time.strftime("diagnostics_files_%Y%m%d-%H%M%S.zip", time.gmtime()))
        params = self.params
        try:
            return download(url, dest, name, max_bytes, self.deadline, params.get("url_validate_certs", True),
                            params.get("url_ca_file"), params.get("url_timeout") or 30)
        except TooLargeError:
            raise
        except DownloadError as error:
            if fallback != "auto":
                raise
            result["url_error"] = error.message
        return None, None

    # -- the SSH way ----------------------------------------------------------------------------------------

    def default_files(self, kind):
        """CloudStack's default list for VMs of ``kind``, from its setting."""
        setting = DEFAULTS_SETTING[kind]
        rows = lookup.find(self.client, "setting", deadline=self.deadline, name=setting)
        files = split_defaults(rows[0].get("value")) if rows else []
        if not files:
            raise CloudStackError("setting %s is empty or missing, so there is no default file list; give files"
                                  % setting, "listConfigurations")
        return files

    def by_ssh(self, kind, vm, files, dest, max_bytes):
        """``(path, size)`` of the zip made in the VM by its own script and copied back through its KVM host."""
        result = self.result
        result["method"] = "ssh"
        hypervisor = str(vm.get("hypervisor") or "")
        if hypervisor.lower() != "kvm":
            raise SshError("the SSH way reaches VMs on KVM hosts; %s runs on %s"
                           % (vm.get("name"), hypervisor or "an unknown hypervisor"))
        linklocal = vm.get("linklocalip")
        if not linklocal:
            raise SshError("CloudStack reports no link-local address for %s" % vm.get("name"))
        host = lookup.get(self.client, "host", vm["hostid"], deadline=self.deadline)
        if files is None:
            files = self.default_files(kind)
        result["requested"] = list(files)
        ssh = self.params.get("ssh") or {}
        hop = HostHop(host.get("name"), ssh.get("address") or host.get("ipaddress"), port=ssh.get("port") or 22,
                      user=ssh.get("user") or "root", private_key=ssh.get("private_key"),
                      known_hosts=ssh.get("known_hosts"), host_key_checking=ssh.get("host_key_checking", True),
                      vm_key=ssh.get("vm_key") or HOST_VM_KEY, become=bool(ssh.get("become")))
        result["ssh_host"] = dict(name=host.get("name"), address=hop.address, port=hop.port,
                                  user=hop.user)
        with hop.connect(self.deadline):
            script = "%s/%s %s" % (SCRIPTS_DIR, RETRIEVE_SCRIPT, " ".join(shlex.quote(f) for f in files))
            status, out, err = hop.run_in_vm(linklocal, script, self.deadline)
            if status != 0:
                raise SshError("%s in %s through %s: %s"
                               % (RETRIEVE_SCRIPT, vm.get("name"), hop.where(), vm_failure(status, err)))
            lines = [line.strip() for line in out.splitlines() if line.strip()]
            zip_in_vm = lines[-1] if lines else ""
            if not ZIP_IN_VM_RE.match(zip_in_vm):
                raise SshError("%s in %s printed no zip path (got %s)"
                               % (RETRIEVE_SCRIPT, vm.get("name"), shorten(zip_in_vm)))
            result["zip_in_vm"] = zip_in_vm
            try:
                return self.fetch(hop, linklocal, vm, zip_in_vm, dest, max_bytes)
            finally:
                self.cleanup(hop, linklocal, zip_in_vm)

    def fetch(self, hop, linklocal, vm, zip_in_vm, dest, max_bytes):
        name = local_name(vm.get("name"), zip_in_vm)
        with PartFile(dest, name, max_bytes, "the zip from %s" % vm.get("name")) as part:
            status, err = hop.stream(hop.vm_command(linklocal, "cat %s" % shlex.quote(zip_in_vm)), part.write,
                                     self.deadline)
            if status != 0:
                raise SshError("copying %s from %s failed: %s" % (zip_in_vm, vm.get("name"), vm_failure(status, err)))
            return part.commit()

    def cleanup(self, hop, linklocal, zip_in_vm):
        """Remove the zip from the VM with its cleanup script, as CloudStack does; a failure is reported, not
        raised (the zip is already on the controller or the task failed for another reason)."""
        command = "%s/%s %s" % (SCRIPTS_DIR, CLEANUP_SCRIPT, shlex.quote(zip_in_vm))
        try:
            status, out, err = hop.run_in_vm(linklocal, command, self.deadline)
        except SshError as error:
            self.result["cleanup_error"] = error.message
            return
        self.result["cleanup"] = " ".join(out.split())
        if status != 0:
            self.result["cleanup_error"] = "%s: %s" % (CLEANUP_SCRIPT, vm_failure(status, err))
