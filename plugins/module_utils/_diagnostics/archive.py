# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A diagnostics zip on the controller: checked to be a whole zip with CloudStack's layout (flat entries and a
``fileinfo.txt`` manifest), read into a manifest, and optionally unpacked without any entry escaping its
directory."""

from __future__ import annotations

import os
import posixpath
import shutil
import stat
import zipfile
import zlib

from .._api.errors import CloudStackError, shorten
from .rules import MANIFEST, parse_manifest


class ArchiveError(CloudStackError):
    """The file is not a usable diagnostics zip."""


def inspect(path, max_bytes):
    """``(entries, manifest)`` of the zip at ``path``: its entry names, sorted, and its parsed ``fileinfo.txt``.

    Raises ArchiveError when it is not a zip, an entry is damaged (CRC), an entry name could escape a directory,
    the entries unpack to more than ``max_bytes``, or there is no ``fileinfo.txt``."""
    name = os.path.basename(path)
    if not zipfile.is_zipfile(path):
        raise ArchiveError("%s is not a zip file" % name)
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            total = 0
            for info in infos:
                _check_member(name, info)
                total += info.file_size
            if total > max_bytes:
                raise ArchiveError("%s unpacks to %d bytes, more than max_size (%d MiB)"
                                   % (name, total, max_bytes // (1024 * 1024)))
            damaged = archive.testzip()
            if damaged is not None:
                raise ArchiveError("%s is damaged: entry %s fails its CRC check" % (name, shorten(damaged)))
            if MANIFEST not in archive.namelist():
                raise ArchiveError("%s has no %s, so it is not a CloudStack diagnostics zip" % (name, MANIFEST))
            manifest = parse_manifest(archive.read(MANIFEST).decode("utf-8", "replace"))
            entries = sorted(info.filename for info in infos)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, NotImplementedError, EOFError, OSError) as error:
        raise ArchiveError("%s cannot be read as a zip: %s" % (name, error.__class__.__name__))
    return entries, manifest


def unpack(path, target):
    """Unpack the zip at ``path`` (checked by ``inspect``) into the new directory ``target``; returns the paths
    written, sorted. An existing ``target`` is replaced, so it holds exactly this zip's files."""
    if os.path.lexists(target):
        if os.path.islink(target) or not os.path.isdir(target):
            raise ArchiveError("%s exists and is not a directory" % target)
        shutil.rmtree(target)
    os.mkdir(target, 0o700)
    root = os.path.realpath(target)
    written = []
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            _check_member(os.path.basename(path), info)
            out = os.path.realpath(os.path.join(root, *info.filename.split("/")))
            if os.path.commonpath([root, out]) != root or out == root:
                raise ArchiveError("entry %s would be written outside %s" % (shorten(info.filename), target))
            if info.is_dir():
                os.makedirs(out, 0o700, exist_ok=True)
                continue
            os.makedirs(os.path.dirname(out), 0o700, exist_ok=True)
            fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
            with archive.open(info) as src, os.fdopen(fd, "wb") as dst:
                shutil.copyfileobj(src, dst)
            written.append(out)
    return sorted(written)


def _check_member(name, info):
    """Refuse entry names that are absolute, climb up, carry a drive or control characters, and symlinks."""
    filename = info.filename
    parts = filename.replace("\\", "/").split("/")
    if (not filename or filename.startswith("/") or "\\" in filename or ".." in parts or ":" in parts[0]
            or not filename.isprintable()):
        raise ArchiveError("%s holds an unsafe entry name %s" % (name, shorten(filename)))
    mode = info.external_attr >> 16
    if mode and stat.S_ISLNK(mode):
        raise ArchiveError("%s holds a symbolic link %s" % (name, shorten(filename)))
    if posixpath.normpath(filename) in (".", ""):
        raise ArchiveError("%s holds an unsafe entry name %s" % (name, shorten(filename)))
