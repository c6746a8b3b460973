"""Host file helpers used by the libvirt_hook* modules: atomic writes with mode and owner, comparisons."""

import os

import pytest

from ansible_collections.csops.cloudstack.plugins.module_utils._host import files


def test_write_atomic_sets_content_mode_owner_and_leaves_no_temp(tmp_path):
    path = tmp_path / "qemu"
    path.write_text("old")
    uid, gid = os.getuid(), os.getgid()
    files.write_atomic(str(path), b"new\n", 0o750, uid, gid)
    st = os.stat(path)
    assert path.read_bytes() == b"new\n"
    assert (st.st_mode & 0o7777, st.st_uid, st.st_gid) == (0o750, uid, gid)
    assert os.listdir(tmp_path) == ["qemu"]
    assert not files.needs_write(str(path), b"new\n", 0o750, uid, gid)
    assert files.needs_write(str(path), b"new\n", 0o755, uid, gid)
    assert files.needs_write(str(path), b"other\n", 0o750, uid, gid)


def test_write_atomic_replaces_a_symlink_not_its_target(tmp_path):
    target = tmp_path / "target"
    target.write_text("keep")
    link = tmp_path / "link"
    link.symlink_to(target)
    assert files.needs_write(str(link), b"keep", 0o644, os.getuid(), os.getgid())
    files.write_atomic(str(link), b"x", 0o644, os.getuid(), os.getgid())
    assert target.read_text() == "keep" and not link.is_symlink() and link.read_text() == "x"


def test_write_atomic_error_names_the_path(tmp_path):
    with pytest.raises(files.HostFileError, match="write %s/missing/f" % tmp_path):
        files.write_atomic(str(tmp_path / "missing" / "f"), b"x", 0o644, os.getuid(), os.getgid())


def test_ensure_dir_and_attrs(tmp_path):
    path = str(tmp_path / "custom")
    assert files.ensure_dir(path, 0o755, os.getuid(), os.getgid(), check_mode=True) == "created"
    assert not os.path.exists(path)
    assert files.ensure_dir(path, 0o755, os.getuid(), os.getgid(), check_mode=False) == "created"
    assert files.ensure_dir(path, 0o755, os.getuid(), os.getgid(), check_mode=False) is None
    os.chmod(path, 0o700)
    assert files.ensure_dir(path, 0o755, os.getuid(), os.getgid(), check_mode=False) == "attributes"
    assert os.stat(path).st_mode & 0o7777 == 0o755
    (tmp_path / "file").write_text("")
    with pytest.raises(files.HostFileError, match="is not a directory"):
        files.ensure_dir(str(tmp_path / "file"), 0o755, 0, 0, check_mode=True)


def test_file_attrs(tmp_path):
    script = tmp_path / "all_x"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    assert files.file_attrs(str(script))["executable"]
    dangling = files.file_attrs(str(tmp_path / "dangling"))
    assert dangling["is_link"] and not dangling["is_file"] and not dangling["executable"]
    assert files.file_attrs(str(tmp_path / "absent")) is None
    assert files.resolve_user("0") == 0 and files.resolve_group(0) == 0 and files.resolve_user("root") == 0


def test_owner_numbers_must_be_real_ids():
    assert files.resolve_user("4294967294") == 4294967294
    for value in ("4294967295", "99999999999999999999", -1, True, ""):
        with pytest.raises(files.HostFileError):
            files.resolve_user(value)
    with pytest.raises(files.HostFileError, match="no such group 'no-such-group-xyz'"):
        files.resolve_group("no-such-group-xyz")


def test_check_path_and_check_creatable(tmp_path):
    assert files.check_path("p", "/a b/c") == "/a b/c"
    for value, message in [("", "p: must be an absolute path, got ''"), ("a/b", "must be an absolute path"),
                           ("/a\0b", "control characters"), ("/" + "x" * 300, "too long for a path")]:
        with pytest.raises(files.HostFileError, match=message):
            files.check_path("p", value)
    (tmp_path / "f").write_text("")
    assert files.check_creatable("p", str(tmp_path / "new" / "deeper"), "directory") is None
    assert files.check_creatable("p", str(tmp_path), "directory")["is_dir"]
    with pytest.raises(files.HostFileError, match="is not a directory"):
        files.check_creatable("p", str(tmp_path / "f" / "sub"), "directory")
    with pytest.raises(files.HostFileError, match="is a directory"):
        files.check_creatable("p", str(tmp_path), "file")


def test_text_of_and_shown_never_carry_undecodable_bytes():
    assert files.text_of(b"caf\xe9\n") == "caf\\xe9\n"
    assert files.shown(os.fsdecode(b"/x/all_\xff")) == "/x/all_\\xff"


def test_file_diff_shows_mode_owner_and_content():
    attrs = {"mode": 0o644, "uid": 0, "gid": 0}
    diff = files.file_diff("/etc/x", attrs, b"old\n", b"new\n", 0o755, 1, 2)
    assert diff == {"before_header": "/etc/x", "after_header": "/etc/x", "before": "# mode 0644 owner 0:0\nold\n",
                    "after": "# mode 0755 owner 1:2\nnew\n"}
    created = files.file_diff("/etc/y", None, None, b"\0\1", 0o600, 0, 0)
    assert created["before"] == "" and created["after"] == "# mode 0600 owner 0:0\n(binary, 2 bytes)\n"
    assert files.file_diff("/etc/x", attrs, b"old\n", None, 0o755, 0, 0)["after"] == ""
