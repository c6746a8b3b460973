"""Diagnostics zips on the controller: CloudStack's layout accepted, and everything that is not a whole, safe
diagnostics zip refused before anything is unpacked."""

import os
import stat
import zipfile

import pytest

from ansible_collections.csops.cloudstack.plugins.module_utils._diagnostics.archive import (
    ArchiveError, inspect, unpack)

MIB = 1024 * 1024


def make_zip(path, entries, manifest="/etc/hosts\niptables.log\n"):
    with zipfile.ZipFile(str(path), "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
        if manifest is not None:
            archive.writestr("fileinfo.txt", manifest)
    return str(path)


def test_cloudstack_layout(tmp_path):
    path = make_zip(tmp_path / "d.zip", {"hosts": "127.0.0.1 localhost\n", "iptables.log": "*filter\n"},
                    "iptables.log\n/etc/hosts\n/var/log/x.logFile Not Found!!\n")
    entries, manifest = inspect(path, MIB)
    assert entries == ["fileinfo.txt", "hosts", "iptables.log"]
    assert manifest[-1] == dict(path="/var/log/x.log", entry=None, found=False)
    target = str(tmp_path / "d")
    os.mkdir(target)
    (tmp_path / "d" / "stale").write_text("from an earlier run")
    files = unpack(path, target)
    assert [os.path.basename(f) for f in files] == entries
    assert (tmp_path / "d" / "hosts").read_text() == "127.0.0.1 localhost\n"
    assert stat.S_IMODE(os.stat(files[0]).st_mode) == 0o600


@pytest.mark.parametrize("name", ["../evil", "/etc/evil", "a/../../evil", "C:evil", "a\\..\\evil"])
def test_escaping_entries_are_refused(tmp_path, name):
    path = make_zip(tmp_path / "d.zip", {name: "x"})
    with pytest.raises(ArchiveError) as info:
        inspect(path, MIB)
    assert "unsafe entry name" in info.value.message
    with pytest.raises(ArchiveError):
        unpack(path, str(tmp_path / "out"))
    assert not (tmp_path / "evil").exists()


def test_symlinks_are_refused(tmp_path):
    link = zipfile.ZipInfo("hosts")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    path = make_zip(tmp_path / "d.zip", {link: "/etc/shadow"})
    with pytest.raises(ArchiveError) as info:
        inspect(path, MIB)
    assert info.value.message == "d.zip holds a symbolic link hosts"


def test_not_a_zip_and_no_manifest(tmp_path):
    (tmp_path / "x.zip").write_bytes(b"<html>Not Found</html>")
    with pytest.raises(ArchiveError) as info:
        inspect(str(tmp_path / "x.zip"), MIB)
    assert info.value.message == "x.zip is not a zip file"
    path = make_zip(tmp_path / "y.zip", {"hosts": "x"}, manifest=None)
    with pytest.raises(ArchiveError) as info:
        inspect(path, MIB)
    assert info.value.message == "y.zip has no fileinfo.txt, so it is not a CloudStack diagnostics zip"


def test_damaged_entry(tmp_path):
    path = make_zip(tmp_path / "d.zip", {"hosts": "A" * 5000})
    data = bytearray((tmp_path / "d.zip").read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("hosts")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra) + 5
    data[start] ^= 0xFF
    (tmp_path / "d.zip").write_bytes(bytes(data))
    with pytest.raises(ArchiveError) as error:
        inspect(path, MIB)
    assert "d.zip" in error.value.message


def test_unpacked_size_is_capped(tmp_path):
    path = make_zip(tmp_path / "bomb.zip", {"zeros": b"\0" * (2 * MIB)})
    assert os.path.getsize(path) < MIB
    with pytest.raises(ArchiveError) as info:
        inspect(path, MIB)
    assert info.value.message.startswith("bomb.zip unpacks to ")
