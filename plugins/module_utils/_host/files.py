# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Files on a KVM host: read, compare and write them atomically with an explicit mode and owner.

A write goes to a temporary file in the same directory (mode and owner set before any content is
visible), is flushed to disk, then renamed over the target: readers such as libvirt see the old file or
the new one, never a half-written one.
"""

from __future__ import annotations

import errno
import grp
import os
import pwd
import stat
import tempfile


class HostFileError(Exception):
    """A file operation failed; the message names the path and the reason."""


def resolve_user(user):
    """uid of a user name or number."""
    if isinstance(user, int) or (isinstance(user, str) and user.isdigit()):
        return int(user)
    try:
        return pwd.getpwnam(user).pw_uid
    except KeyError:
        raise HostFileError("no such user %r" % user)


def resolve_group(group):
    """gid of a group name or number."""
    if isinstance(group, int) or (isinstance(group, str) and group.isdigit()):
        return int(group)
    try:
        return grp.getgrnam(group).gr_gid
    except KeyError:
        raise HostFileError("no such group %r" % group)


def lstat(path):
    try:
        return os.lstat(path)
    except OSError as error:
        if error.errno in (errno.ENOENT, errno.ENOTDIR):
            return None
        raise HostFileError("stat %s: %s" % (path, error.strerror))


def read_bytes(path):
    """Content of a regular file (symlinks followed), or None when there is none."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as error:
        if error.errno in (errno.ENOENT, errno.ENOTDIR, errno.EISDIR):
            return None
        raise HostFileError("read %s: %s" % (path, error.strerror))


def text_of(data):
    """Text for diffs and parsing: UTF-8 with undecodable bytes kept as escapes."""
    if data is None:
        return None
    return data.decode("utf-8", "surrogateescape")


def file_attrs(path):
    """``{mode, uid, gid, is_file, is_link, executable}`` of ``path`` (no link followed for is_link), or None."""
    st = lstat(path)
    if st is None:
        return None
    is_link = stat.S_ISLNK(st.st_mode)
    target = st
    if is_link:
        try:
            target = os.stat(path)
        except OSError:
            target = None
    is_file = target is not None and stat.S_ISREG(target.st_mode)
    return {
        "mode": stat.S_IMODE(st.st_mode) if not is_link else stat.S_IMODE(target.st_mode) if target else 0,
        "uid": st.st_uid,
        "gid": st.st_gid,
        "is_file": is_file,
        "is_dir": target is not None and stat.S_ISDIR(target.st_mode),
        "is_link": is_link,
        "executable": is_file and os.access(path, os.X_OK),
    }


def needs_write(path, content, mode, uid, gid):
    """Whether ``path`` differs from the wanted content, mode or owner (a symlink always differs)."""
    attrs = file_attrs(path)
    if attrs is None or attrs["is_link"] or not attrs["is_file"]:
        return True
    if (attrs["mode"], attrs["uid"], attrs["gid"]) != (mode, uid, gid):
        return True
    return read_bytes(path) != content


def write_atomic(path, content, mode, uid, gid):
    """Replace ``path`` with ``content`` (bytes), mode and owner, through a temporary file and a rename."""
    directory = os.path.dirname(path) or "."
    fd, tmp = None, None
    try:
        fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), suffix=".tmp", dir=directory)
        os.fchown(fd, uid, gid)
        os.fchmod(fd, mode)
        view = memoryview(content)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
        os.close(fd)
        fd = None
        os.rename(tmp, path)
        tmp = None
        _fsync_dir(directory)
    except OSError as error:
        raise HostFileError("write %s: %s" % (path, error.strerror or error))
    finally:
        if fd is not None:
            os.close(fd)
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def set_attrs(path, mode, uid, gid):
    """Mode and owner of an existing file or directory (not following a final symlink)."""
    try:
        os.chown(path, uid, gid, follow_symlinks=False)
        os.chmod(path, mode)
    except OSError as error:
        raise HostFileError("set mode and owner of %s: %s" % (path, error.strerror))


def ensure_dir(path, mode, uid, gid, check_mode):
    """Make ``path`` a directory with mode and owner; returns what changed: created/attributes/None."""
    attrs = file_attrs(path)
    if attrs is not None and not attrs["is_dir"]:
        raise HostFileError("%s exists and is not a directory" % path)
    if attrs is None:
        if not check_mode:
            parent = os.path.dirname(path.rstrip("/"))
            if parent and not os.path.isdir(parent):
                raise HostFileError("create %s: parent directory %s does not exist" % (path, parent))
            try:
                os.mkdir(path, mode)
            except OSError as error:
                raise HostFileError("create %s: %s" % (path, error.strerror))
            set_attrs(path, mode, uid, gid)
        return "created"
    if (attrs["mode"], attrs["uid"], attrs["gid"]) != (mode, uid, gid) and not attrs["is_link"]:
        if not check_mode:
            set_attrs(path, mode, uid, gid)
        return "attributes"
    return None


def remove(path):
    try:
        os.unlink(path)
    except OSError as error:
        if error.errno == errno.ENOENT:
            return
        raise HostFileError("remove %s: %s" % (path, error.strerror))
    _fsync_dir(os.path.dirname(path) or ".")


def list_dir(path):
    """Names in a directory, sorted; None when the directory does not exist."""
    try:
        return sorted(os.listdir(path))
    except OSError as error:
        if error.errno in (errno.ENOENT, errno.ENOTDIR):
            return None
        raise HostFileError("list %s: %s" % (path, error.strerror))


def _fsync_dir(directory):
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
