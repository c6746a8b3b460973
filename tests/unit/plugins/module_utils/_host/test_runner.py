"""CommandRunner: declared argument formats, no shell, LC_ALL=C."""

import pytest

from ansible_collections.csops.cloudstack.plugins.module_utils._host.runner import CommandError, CommandRunner, fmt


class RealCommands:
    """Stands in for AnsibleModule (only the two methods the runner uses), running commands for real."""

    def get_bin_path(self, name, required=False):
        import shutil
        return shutil.which(name)

    def run_command(self, argv, check_rc=False, data=None, binary_data=False, environ_update=None):
        import os
        import subprocess
        env = dict(os.environ, **(environ_update or {}))
        proc = subprocess.run(argv, input=data, capture_output=True, text=True, env=env, check=False)
        return proc.returncode, proc.stdout, proc.stderr


def test_runs_declared_arguments_without_a_shell():
    runner = CommandRunner(RealCommands(), "bash", {"command": fmt.option("-c")})
    result = runner.run(["command"], command='printf "%s" "$LC_ALL"; echo " $0"')
    assert result.ok and result.out.startswith("C ") and result.out.endswith("bash\n")
    assert runner.argv(["command"], command=None) == [runner.path]


def test_failures_and_undeclared_arguments():
    runner = CommandRunner(RealCommands(), "bash", {"command": fmt.option("-c")})
    with pytest.raises(CommandError, match=r"failed \(3\): oops"):
        runner.run(["command"], check=True, command="echo oops >&2; exit 3")
    with pytest.raises(CommandError, match="undeclared argument 'other'"):
        runner.argv(["other"])
    with pytest.raises(CommandError, match="no-such-command-xyz: command not found"):
        CommandRunner(RealCommands(), "no-such-command-xyz")
