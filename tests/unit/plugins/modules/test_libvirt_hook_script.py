"""libvirt_hook_script in-process against a temporary custom directory."""

import os

import pytest

from ansible_collections.csops.cloudstack.plugins.modules import libvirt_hook_script


@pytest.fixture
def base(paths, me):
    return dict(custom_dir=paths["custom_dir"], **me)


def test_content_mode_check_and_move(run, base):
    custom = base["custom_dir"]
    args = dict(base, name="10-a.sh", content="#!/bin/sh\nexit 0\n", actions=["start", "stopped"], mode="0750")
    checked = run(libvirt_hook_script, args, check=True, diff=True)
    assert checked["changed"] and not os.path.exists(custom)
    assert [d["after_header"] for d in checked["diff"]] == [os.path.join(custom, n)
                                                            for n in ("start_10-a.sh", "stopped_10-a.sh")]
    assert run(libvirt_hook_script, args)["changed"]
    assert sorted(os.listdir(custom)) == ["start_10-a.sh", "stopped_10-a.sh"]
    st = os.stat(os.path.join(custom, "start_10-a.sh"))
    assert (st.st_mode & 0o7777, st.st_uid, st.st_gid) == (0o750, os.getuid(), os.getgid())
    assert not run(libvirt_hook_script, args)["changed"]
    moved = run(libvirt_hook_script, dict(args, actions=["all"]))
    assert {f["state"] for f in moved["files"]} == {"created", "removed"}
    assert os.listdir(custom) == ["all_10-a.sh"]
    assert moved["paths"] == [os.path.join(custom, "all_10-a.sh")]


def test_from_src_and_warnings(run, base, tmp_path):
    src = tmp_path / "script"
    src.write_bytes(b"#!/bin/sh\necho from src\n")
    result = run(libvirt_hook_script, dict(base, name="20-b", src=str(src), mode="0644"))
    assert result["changed"]
    assert any("without execute permission" in w for w in result["warnings"])
    with open(os.path.join(base["custom_dir"], "all_20-b"), "rb") as handle:
        assert handle.read() == b"#!/bin/sh\necho from src\n"


@pytest.mark.parametrize("content", ["echo no shebang\n", "", "x" * 10000])
def test_a_script_the_hook_would_never_run_is_refused(run, base, content):
    result = run(libvirt_hook_script, dict(base, name="20-c", content=content))
    assert result["failed"] and "content: no #! line, so the hook would never run the script" in result["msg"]
    assert len(result["msg"]) < 300 and "\n" not in result["msg"]
    assert not os.path.exists(os.path.join(base["custom_dir"], "all_20-c"))


@pytest.mark.parametrize("change, message", [
    ({"name": "   "}, "name: must not start or end with spaces"),
    ({"mode": "0755\n"}, "mode: must be an octal string"),
])
def test_blank_names_and_modes_with_line_breaks_are_refused(run, base, change, message):
    result = run(libvirt_hook_script, dict(dict(base, name="20-d", content="#!/bin/sh\n"), **change))
    assert result["failed"] and message in result["msg"]
    assert not os.listdir(base["custom_dir"]) if os.path.isdir(base["custom_dir"]) else True


@pytest.mark.parametrize("change, parts", [
    ({"name": "a/b"}, ["name: must not contain '/'", "got 'a/b'"]),
    ({"name": "a\nb"}, ["name: must not contain", "got 'a\\nb'"]),
    ({"name": "x" * 10000}, ["name: too long for a file name", "(10000 characters)"]),
    ({"actions": ["bogus"]}, ["actions: unknown action 'bogus'"]),
    ({"mode": "u+x"}, ["mode: must be an octal string"]),
    ({"owner": "no-such-user-xyz"}, ["owner: no such user 'no-such-user-xyz'"]),
    ({"owner": "4294967295"}, ["owner: '4294967295' is not a user id"]),
    ({"owner": "184467440737095516160"}, ["owner: '184467440737095516160' is not a user id"]),
    ({"group": "-1"}, ["group: no such group '-1'"]),
    ({"content": None, "src": "/nonexistent/file"}, ["src: '/nonexistent/file' is not a file on the host"]),
    ({"content": None, "src": "relative/file"}, ["src: must be an absolute path, got 'relative/file'"]),
    ({"content": None, "src": "/proc/self/mem"}, ["src: read /proc/self/mem: "]),
    ({"content": None}, ["content: state=present needs content or src, got neither"]),
    ({"custom_dir": "relative"}, ["custom_dir: must be an absolute path, got 'relative'"]),
    ({"custom_dir": ""}, ["custom_dir: must be an absolute path, got ''"]),
])
def test_bad_input_changes_nothing(run, base, change, parts, one_line):
    args = dict(base, name="x", content="#!/bin/sh\n")
    args.update(change)
    if "src" in change:
        del args["content"]
    one_line(run(libvirt_hook_script, args), *parts)
    assert not os.path.exists(base["custom_dir"])


def test_an_owner_number_is_applied_once(run, base):
    args = dict(base, name="x", content="#!/bin/sh\n", owner="4321", group="4321")
    if os.geteuid() != 0:
        pytest.skip("only root can give files away")
    assert run(libvirt_hook_script, args)["changed"]
    assert os.stat(os.path.join(base["custom_dir"], "all_x")).st_uid == 4321
    assert not run(libvirt_hook_script, args)["changed"]


def test_absent_removes_every_action(run, base):
    run(libvirt_hook_script, dict(base, name="y", content="#!/bin/sh\n", actions=["start", "migrate"]))
    gone = run(libvirt_hook_script, dict(base, name="y", state="absent"))
    assert gone["changed"] and sorted(f["state"] for f in gone["files"]) == ["removed", "removed"]
    assert os.listdir(base["custom_dir"]) == []
    assert not run(libvirt_hook_script, dict(base, name="y", state="absent"))["changed"]
