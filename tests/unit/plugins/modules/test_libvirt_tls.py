"""libvirt_tls in-process against a temporary libvirtd.conf and pki directory."""

import os

import pytest

from ansible_collections.csops.cloudstack.plugins.modules import libvirt_tls

CONF = "# libvirtd.conf\n#listen_tls = 0\nlisten_tls = 0\nlog_level = 3\nunix_sock_group = \"libvirt\"\n"


@pytest.fixture
def base(tmp_path, me):
    (tmp_path / "libvirtd.conf").write_text(CONF)
    return dict(libvirtd_conf=str(tmp_path / "libvirtd.conf"), qemu_conf=str(tmp_path / "qemu.conf"),
                pki_dir=str(tmp_path / "pki"), agent_dir="/etc/cloudstack/agent", **me)


def test_check_apply_idempotent(run, base):
    checked = run(libvirt_tls, base, check=True, diff=True)
    assert checked["changed"] and checked["restart_required"] and len(checked["links"]) == 8
    assert open(base["libvirtd_conf"]).read() == CONF and not os.path.exists(base["pki_dir"])
    assert "listen_tls = 1\n" in checked["diff"]["after"]
    applied = run(libvirt_tls, base)
    assert applied["changed"] and applied["restart_required"]
    text = open(base["libvirtd_conf"]).read()
    assert text.startswith("# libvirtd.conf\n#listen_tls = 0\nlisten_tls = 1\nlog_level = 3\n")
    assert 'key_file = "%s/libvirt/private/serverkey.pem"\n' % base["pki_dir"] in text
    assert os.readlink(os.path.join(base["pki_dir"], "libvirt-vnc/server-key.pem")) == \
        os.path.join(base["pki_dir"], "libvirt/private/serverkey.pem")
    assert os.readlink(os.path.join(base["pki_dir"], "CA/cacert.pem")) == "/etc/cloudstack/agent/cloud.ca.crt"
    again = run(libvirt_tls, base)
    assert not again["changed"] and not again["restart_required"]
    plain = run(libvirt_tls, dict(base, tls=False))
    assert plain["changed_keys"] == ["listen_tcp", "listen_tls"] and plain["restart_required"]


def test_qemu_group_gives_pki_dirs_mode_0750(run, base):
    open(base["qemu_conf"], "w").write('#group = "kvm"\ngroup = "%d"\n' % os.getgid())
    result = run(libvirt_tls, base)
    assert result["qemu_group"] == str(os.getgid())
    assert os.stat(os.path.join(base["pki_dir"], "libvirt/private")).st_mode & 0o777 == 0o750


def test_a_regular_file_in_place_of_a_link_is_replaced(run, base):
    os.makedirs(os.path.join(base["pki_dir"], "CA"))
    open(os.path.join(base["pki_dir"], "CA/cacert.pem"), "w").write("old")
    result = run(libvirt_tls, base)
    assert {"path": os.path.join(base["pki_dir"], "CA/cacert.pem"), "target": "/etc/cloudstack/agent/cloud.ca.crt",
            "was": "file"} in result["links"]
    assert os.path.islink(os.path.join(base["pki_dir"], "CA/cacert.pem"))


@pytest.mark.parametrize("change, parts", [
    ({"libvirtd_conf": "/nonexistent/libvirtd.conf"}, ["libvirtd_conf: '/nonexistent/libvirtd.conf' is not a file"]),
    ({"pki_dir": "relative"}, ["pki_dir: must be an absolute path"]),
    ({"group": "no-such-group-xyz"}, ["group: no such group"]),
])
def test_bad_input_changes_nothing(run, base, change, parts, one_line):
    one_line(run(libvirt_tls, dict(base, **change)), *parts)
    assert open(base["libvirtd_conf"]).read() == CONF and not os.path.exists(base["pki_dir"])
