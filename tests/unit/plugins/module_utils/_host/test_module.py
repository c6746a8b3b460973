"""HostModule: shared options, checks before anything runs, and HostError turned into one failure line."""

import json
import os

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.csops.cloudstack.plugins.module_utils._host.errors import HostError
from ansible_collections.csops.cloudstack.plugins.module_utils._host.module import HostModule


def outcome(capsys, args, func, **kwargs):
    """The JSON a HostModule prints for ``args`` when it runs ``func``."""
    with patch_module_args(args), pytest.raises(SystemExit):
        HostModule(**kwargs).run(func)
    return json.loads(capsys.readouterr().out)


def test_owner_and_group_default_to_root_and_are_resolved_once(capsys):
    seen = {}

    def func(module):
        seen.update(uid=module.uid, gid=module.gid, params=module.params)
        return {"changed": False}

    result = outcome(capsys, {}, func, paths=("hooks_dir",), owner=True)
    assert result["changed"] is False
    assert (seen["uid"], seen["gid"]) == (0, 0)
    assert seen["params"]["hooks_dir"] == "/etc/libvirt/hooks"
    outcome(capsys, {"owner": str(os.getuid()), "group": "12345"}, func, owner=True)
    assert (seen["uid"], seen["gid"]) == (os.getuid(), 12345)


@pytest.mark.parametrize("args, message", [
    ({"owner": "4294967295"}, "owner: '4294967295' is not a user id (0 to 4294967294)"),
    ({"group": "no-such-group-xyz"}, "group: no such group 'no-such-group-xyz'"),
    ({"hooks_dir": "etc/libvirt"}, "hooks_dir: must be an absolute path, got 'etc/libvirt'"),
    ({"log_path": "/a\rb"}, "log_path: must not contain line breaks or other control characters, got '/a\\rb'"),
])
def test_bad_input_fails_before_the_backend_runs(capsys, args, message):
    def func(_module):
        raise AssertionError("the backend ran")

    result = outcome(capsys, args, func, paths=("hooks_dir", "log_path"), owner=True)
    assert result["failed"] and result["msg"] == message and result["changed"] is False


def test_a_host_error_carries_the_result_so_far(capsys):
    def func(_module):
        raise HostError("write /x: No space left\non device", result={"changed": True, "files": ["/x"]})

    result = outcome(capsys, {}, func)
    assert result["failed"] and result["changed"] is True and result["files"] == ["/x"]
    assert result["msg"] == "write /x: No space left\\non device"


def test_a_host_error_without_a_result_is_unchanged(capsys):
    def func(_module):
        raise HostError("nothing done")

    result = outcome(capsys, {}, func)
    assert result["failed"] and result["changed"] is False and result["msg"] == "nothing done"
