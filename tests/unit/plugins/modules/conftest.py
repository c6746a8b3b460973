"""Running a module's main() in-process: its arguments, its JSON result, its warnings."""

import json
import os

import pytest

from ansible.module_utils import _internal as ansible_internal
from ansible.module_utils.common import warnings as ansible_warnings
from ansible.module_utils.testing import patch_module_args


@pytest.fixture
def run(capsys, monkeypatch):
    """``run(module, args, check=False, diff=False)``: the module's result, ``warnings`` as plain messages.

    A module that raises instead of exiting (a traceback for the user) fails the test.
    """

    # Modules run on the host, where warnings go into the result; other tests in the same process may have
    # loaded controller code, which sends them to the controller's display instead.
    monkeypatch.setattr(ansible_internal, "is_controller", False)

    def call(module, args, check=False, diff=False):
        args = dict(args, _ansible_check_mode=check, _ansible_diff=diff)
        ansible_warnings._global_warnings.clear()  # module runs in one process share the warning list
        with patch_module_args(args), pytest.raises(SystemExit):
            module.main()
        result = json.loads(capsys.readouterr().out)
        result["warnings"] = [w["event"]["msg"] if isinstance(w, dict) else w for w in result.get("warnings", [])]
        return result

    return call


@pytest.fixture
def me():
    """Owner and group of the files the modules write in tests: whoever runs the tests."""
    return {"owner": str(os.getuid()), "group": str(os.getgid())}


@pytest.fixture
def paths(tmp_path):
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (tmp_path / "log").mkdir()
    return {"hooks_dir": str(hooks), "custom_dir": str(hooks / "custom"), "log_path": str(tmp_path / "log" / "q.log")}


@pytest.fixture
def one_line():
    """``one_line(result, *parts)``: the module failed with one line (under 500 characters) holding every part."""

    def check(result, *parts):
        assert result.get("failed"), result
        message = result["msg"]
        assert "\n" not in message and len(message) < 500, message
        for part in parts:
            assert part in message, message
        return message

    return check
