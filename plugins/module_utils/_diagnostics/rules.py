# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rules of CloudStack's diagnostics, as pure functions: the checks ``runDiagnostics`` and ``getDiagnosticsData``
make on their input (done here before anything is sent), the answer's fields, the default file lists, and the
names a diagnostics zip and its ``fileinfo.txt`` manifest use. Nothing here talks to CloudStack.

CloudStack's own checks (``RunDiagnosticsCmd``, ``DiagnosticsServiceImpl``): ``type`` is ``ping``,
``traceroute`` or ``arping`` in any case, else "<type> Is not a valid diagnostics command type."; ``params``
must match ``^[\\w\\-\\s.]+$`` (ASCII word characters, hyphen, white space, dot), else "Optional parameters
contain unwanted characters: ..."; ``ipaddress`` must not be empty. CloudStack puts ``"<type> <ipaddress>
[params]"`` on one command line that the VM splits on white space, so an address is also refused here when it is
not one word that names a host (an IP address or a DNS name): anything else would become extra arguments.
CloudStack's ``\\s`` also lets a line break or a tab through, and the command line is run by a shell, where a
line break starts a second command: a control character (CR, LF, tab, any other) is refused here in both.
"""

from __future__ import annotations

import ipaddress
import posixpath
import re

from .._api.errors import ValidationError, shorten

TYPES = ("ping", "traceroute", "arping")

# hasValidChars in DiagnosticsServiceImpl; Java's \w and \s are ASCII-only, hence re.ASCII.
PARAMS_RE = re.compile(r"^[\w\-\s.]+$", re.ASCII)

_HOST_LABEL_RE = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")

# A getDiagnosticsData ``files`` entry: CloudStack joins the list with spaces into the command the VM's shell
# runs, and splits the API parameter on commas. Anything that would change the list or reach the shell as
# syntax is refused.
_FILE_RE = re.compile(r"^[A-Za-z0-9_./\-\[\]+:@=~%]+$")

# The VM side runs get_diagnostics_files.py, which prints the path of the zip it made (in /root; older versions
# named the same zip content .tar).
ZIP_IN_VM_RE = re.compile(r"^(?:/[A-Za-z0-9_.-]+)*/diagnostics_files_\d{8}-\d{6}\.(?:zip|tar)$")

MANIFEST = "fileinfo.txt"
NOT_FOUND = "File Not Found!!"

# DiagnosticsFilesList: the settings holding each kind's default list.
DEFAULTS_SETTING = {
    "router": "diagnostics.data.router.defaults",
    "systemvm": "diagnostics.data.systemvm.defaults",
}

SCRIPTS_DIR = "/opt/cloud/bin"
RETRIEVE_SCRIPT = "get_diagnostics_files.py"
CLEANUP_SCRIPT = "cleanup.sh"


def check_type(value):
    """The diagnostics type CloudStack would run for ``value`` (matched in any case), in lowercase."""
    text = "" if value is None else str(value)
    if text.lower() in TYPES:
        return text.lower()
    raise ValidationError("type %s is not a valid diagnostics command type: use ping, traceroute or arping"
                          % shorten(text))


def check_address(value):
    """``value`` when it is an IP address or a DNS host name; ValidationError otherwise."""
    text = "" if value is None else str(value)
    if not text.strip():
        raise ValidationError("ipaddress must not be empty")
    if not text.isprintable():
        raise ValidationError("ipaddress must be one line without control characters, got %s" % shorten(text))
    try:
        ipaddress.ip_address(text)
        return text
    except ValueError:
        pass
    name = text[:-1] if text.endswith(".") else text
    labels = name.split(".")
    if len(name) <= 253 and all(_HOST_LABEL_RE.fullmatch(label) for label in labels) and not labels[-1].isdigit():
        return text
    raise ValidationError("ipaddress must be an IP address or a host name, got %s" % shorten(text))


def check_params(value):
    """``value`` (None or empty: no extra parameters) when CloudStack accepts it; ValidationError otherwise."""
    if value is None or value == "":
        return None
    text = str(value)
    if not text.isprintable():
        raise ValidationError("params must be one line without control characters (a line break would start "
                              "another command in the VM's shell), got %s" % shorten(text))
    if not PARAMS_RE.fullmatch(text):
        raise ValidationError("params contain unwanted characters (CloudStack allows only letters, digits, _, -, "
                              ". and spaces): %s" % shorten(text))
    return text


def command_line(kind, address, params):
    """The command CloudStack sends to the VM's diagnostics script: ``"<type> <ipaddress> [params]"``."""
    return "%s %s" % (kind, address) + (" %s" % params if params else "")


def check_files(files):
    """``files`` (None: CloudStack's defaults) as a list of entries, each a name CloudStack runs (``iptables``,
    ``[NAME]``) or an absolute path; ValidationError for an empty list or an entry CloudStack could not pass on
    intact."""
    if files is None:
        return None
    if not files:
        raise ValidationError("files must not be an empty list (leave it out for CloudStack's defaults)")
    checked = []
    for index, entry in enumerate(files):
        text = "" if entry is None else str(entry)
        label = "files[%d]" % index
        if not text.strip():
            raise ValidationError("%s must not be empty" % label)
        if not _FILE_RE.match(text):
            raise ValidationError("%s must be a path or a name without spaces, commas, quotes or shell characters, "
                                  "got %s" % (label, shorten(text)))
        checked.append(text)
    return checked


def split_defaults(value):
    """A default list setting's value as CloudStack splits it (on commas)."""
    return [item for item in (part.strip() for part in str(value or "").split(",")) if item]


def exit_code(value):
    """CloudStack's ``exitcode`` (a string) as a number; None when it is not one."""
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def parse_manifest(text):
    """``fileinfo.txt`` as a list of ``{path, entry, found}``: each line names a path the VM included (its entry
    in the zip is the base name), or one it could not add, marked with "File Not Found!!"."""
    manifest = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        found = not line.endswith(NOT_FOUND)
        path = line if found else line[:-len(NOT_FOUND)].rstrip()
        manifest.append(dict(path=path, entry=posixpath.basename(path) if found else None, found=found))
    return manifest


def local_name(vm_name, source_name):
    """The file name a downloaded zip gets on the controller: the VM's name, then the name it had at the source
    (only letters, digits, ``.``, ``_`` and ``-`` kept)."""
    base = re.sub(r"[^A-Za-z0-9._-]", "_", posixpath.basename(source_name or "")).lstrip(".") or "diagnostics.zip"
    if not base.lower().endswith(".zip"):
        base = posixpath.splitext(base)[0] + ".zip"
    vm = re.sub(r"[^A-Za-z0-9._-]", "_", str(vm_name or "vm")).lstrip(".") or "vm"
    return "%s-%s" % (vm, base)
