# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Run commands on a KVM host with declared argument formats (no shell, no string building).

    runner = CommandRunner(module, "bash", {"command": fmt.option("-c")})
    result = runner.run(["command"], command="echo ok")

Each argument a module may pass is declared once with its format; ``run()`` takes the names in order and
their values, builds the argv, runs it without a shell (LC_ALL=C), and returns a ``CommandResult``.
"""

from __future__ import annotations

from .errors import HostError


class CommandError(HostError):
    """A command could not be run or failed; the message holds the command and its error output."""


class CommandResult:
    def __init__(self, argv, rc, out, err):
        self.argv = argv
        self.rc = rc
        self.out = out
        self.err = err

    @property
    def ok(self):
        return self.rc == 0


class fmt:
    """Argument formats: functions from a value to a list of argv items."""

    @staticmethod
    def option(flag):
        """``[flag, value]``, or nothing when the value is None."""
        return lambda value: [] if value is None else [flag, str(value)]


class CommandRunner:
    def __init__(self, module, command, arg_formats=None, required=True):
        self.module = module
        self.command = command
        self.formats = dict(arg_formats or {})
        self.path = command if command.startswith("/") else module.get_bin_path(command, required=False)
        if required and not self.path:
            raise CommandError("%s: command not found" % command)

    @property
    def available(self):
        return bool(self.path)

    def argv(self, order, **values):
        """The argv for the declared arguments ``order`` with ``values``."""
        argv = [self.path]
        for name in order:
            if name not in self.formats:
                raise CommandError("%s: undeclared argument %r" % (self.command, name))
            argv.extend(self.formats[name](values.get(name)))
        return argv

    def run(self, order=(), check=False, data=None, **values):
        """Run the command; returns a CommandResult, or raises CommandError when ``check`` and it failed."""
        if not self.path:
            raise CommandError("%s: command not found" % self.command)
        argv = self.argv(order, **values)
        rc, out, err = self.module.run_command(argv, check_rc=False, data=data, binary_data=data is not None,
                                               environ_update={"LC_ALL": "C"})
        result = CommandResult(argv, rc, out, err)
        if check and rc != 0:
            raise CommandError("%s failed (%d): %s" % (" ".join(argv), rc, (err or out).strip()))
        return result
