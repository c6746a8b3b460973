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

from .errors import HostError, describe

# uid_t and gid_t are 32 bits; (uid_t)-1 means "leave unchanged" to chown, so it is no one's id.
MAX_ID = 2 ** 32 - 2
PATH_MAX = 4096
NAME_MAX = 255


class HostFileError(HostError):
    """A file operation failed; the message names the path and the reason."""


def _resolve(value, what, lookup):
    if isinstance(value, bool) or not isinstance(value, (int, str)) or value == "":
        raise HostFileError("must be a %s name or number, got %s" % (what, describe(value)))
    if isinstance(value, int) or value.isdigit():
        number = int(value)
        if not 0 <= number <= MAX_ID:
            raise HostFileError("%s is not a %s id (0 to %d)" % (describe(value), what, MAX_ID))
        return number
    try:
        return lookup(value)
    except (KeyError, ValueError, UnicodeError):
        raise HostFileError("no such %s %s" % (what, describe(value)))


def resolve_user(user):
    """The uid of a user name or number; HostFileError when there is no such user or the number is no uid."""
    return _resolve(user, "user", lambda name: pwd.getpwnam(name).pw_uid)


def resolve_group(group):
    """The gid of a group name or number; HostFileError when there is no such group or the number is no gid."""
    return _resolve(group, "group", lambda name: grp.getgrnam(name).gr_gid)


def check_path(option, value):
    """``value`` if it is an absolute path without control characters, else HostFileError naming ``option``."""
    if not isinstance(value, str) or not value.startswith("/"):
        raise HostFileError("%s: must be an absolute path, got %s" % (option, describe(value)))
    if any(ch < " " or ch == "\x7f" for ch in value):
        raise HostFileError("%s: must not contain line breaks or other control characters, got %s"
                            % (option, describe(value)))
    encoded = value.encode("utf-8", "surrogateescape")
    if len(encoded) >= PATH_MAX or any(len(part) > NAME_MAX for part in encoded.split(b"/")):
        raise HostFileError("%s: too long for a path, got %s" % (option, describe(value)))
    return value


def check_creatable(option, path, kind):
    """Refuse ``path`` (option ``option``) when a ``kind`` ("file" or "directory") cannot be made there.

    It may exist as that kind; otherwise the nearest existing ancestor must be a directory. Returns the
    attributes of ``path`` (None when it does not exist).
    """
    attrs = file_attrs(path)
    if attrs is not None:
        if kind == "directory" and not attrs["is_dir"]:
            raise HostFileError("%s: %s exists and is not a directory" % (option, describe(path, 200)))
        if kind == "file" and attrs["is_dir"]:
            raise HostFileError("%s: %s is a directory" % (option, describe(path, 200)))
        return attrs
    parent = os.path.dirname(path.rstrip("/")) or "/"
    while True:
        above = file_attrs(parent)
        if above is not None:
            if not above["is_dir"]:
                raise HostFileError("%s: %s cannot be created: %s is not a directory"
                                    % (option, describe(path, 200), describe(parent, 200)))
            return None
        parent = os.path.dirname(parent) or "/"


def lstat(path):
    """``os.lstat`` of ``path``, or None when it does not exist."""
    try:
        return os.lstat(path)
    except OSError as error:
        if error.errno in (errno.ENOENT, errno.ENOTDIR):
            return None
        raise HostFileError("stat %s: %s" % (_shown(path), error.strerror))


def read_bytes(path):
    """Content of a regular file (symlinks followed), or None when there is none."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as error:
        if error.errno in (errno.ENOENT, errno.ENOTDIR, errno.EISDIR):
            return None
        raise HostFileError("read %s: %s" % (_shown(path), error.strerror))


def text_of(data):
    """Text of file content for diffs, results and parsing: UTF-8, undecodable bytes shown as ``\\xNN``."""
    if data is None:
        return None
    return data.decode("utf-8", "backslashreplace")


def file_diff(path, attrs, before, after, mode, uid, gid):
    """A diff entry (``before_header``, ``after_header``, ``before``, ``after``) for a file at ``path``: its
    content ``before`` (None: absent) with the mode and owner of ``attrs``, and ``after`` (None: removed) with
    ``mode``, ``uid`` and ``gid``. Each side starts with a ``# mode 0644 owner 0:0`` line; binary content is
    shown as its size."""
    def show(data, file_mode, owner):
        if data is None:
            return ""
        text = "(binary, %d bytes)\n" % len(data) if b"\0" in data else text_of(data)
        return "# mode %04o owner %d:%d\n%s" % (file_mode, owner[0], owner[1], text)

    before_text = show(before, attrs["mode"], (attrs["uid"], attrs["gid"])) if attrs else ""
    after_text = show(after, mode, (uid, gid)) if after is not None else ""
    return {"before_header": path, "after_header": path, "before": before_text, "after": after_text}


def shown(name):
    """A file name or path from the file system as text a result can carry (undecodable bytes as ``\\xNN``)."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


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
        raise HostFileError("write %s: %s" % (_shown(path), error.strerror or error))
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
        raise HostFileError("set mode and owner of %s: %s" % (_shown(path), error.strerror))


def ensure_dir(path, mode, uid, gid, check_mode):
    """Make ``path`` a directory with mode and owner; returns what changed: created/attributes/None."""
    attrs = file_attrs(path)
    if attrs is not None and not attrs["is_dir"]:
        raise HostFileError("%s exists and is not a directory" % _shown(path))
    if attrs is None:
        if not check_mode:
            parent = os.path.dirname(path.rstrip("/"))
            if parent and not os.path.isdir(parent):
                raise HostFileError("create %s: parent directory %s does not exist"
                                    % (_shown(path), _shown(parent)))
            try:
                os.mkdir(path, mode)
            except OSError as error:
                raise HostFileError("create %s: %s" % (_shown(path), error.strerror))
            set_attrs(path, mode, uid, gid)
        return "created"
    if (attrs["mode"], attrs["uid"], attrs["gid"]) != (mode, uid, gid) and not attrs["is_link"]:
        if not check_mode:
            set_attrs(path, mode, uid, gid)
        return "attributes"
    return None


def remove(path):
    """Remove the file (or link) ``path``; nothing when it is already gone."""
    try:
        os.unlink(path)
    except OSError as error:
        if error.errno == errno.ENOENT:
            return
        raise HostFileError("remove %s: %s" % (_shown(path), error.strerror))
    _fsync_dir(os.path.dirname(path) or ".")


def list_dir(path):
    """Names in a directory, sorted; None when the directory does not exist."""
    try:
        return sorted(os.listdir(path))
    except OSError as error:
        if error.errno in (errno.ENOENT, errno.ENOTDIR):
            return None
        raise HostFileError("list %s: %s" % (_shown(path), error.strerror))


def _shown(path):
    """A path for a message: whole up to a sane length, else shortened."""
    return describe(path, limit=200)[1:-1] if len(path) <= 200 else describe(path, limit=200)


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
