# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``diagnostics`` backend: ``runDiagnostics`` (ping, traceroute or arping from inside a system VM or router).

``DiagnosticsBackend(client, params, check_mode, diff, deadline).run()`` checks the input as CloudStack would
before anything is sent, finds the VM, runs the command through CloudStack's job and returns ``stdout``,
``stderr``, ``exitcode`` (a number) and ``success``. Running a network test changes nothing in the cloud, so it
runs in check mode too and never reports ``changed``.
"""

from __future__ import annotations

from .._api.backend import ApiBackend
from .._api.errors import CloudStackError, shorten
from .rules import check_address, check_params, check_type, command_line, exit_code
from .target import describe, find_target, require_host

COMMAND = "runDiagnostics"


class DiagnosticsBackend(ApiBackend):
    def what(self):
        key = "id" if self.params.get("id") else "name"
        return "run diagnostics on %s" % shorten(self.params.get(key))

    def run(self):
        try:
            return self._run()
        except CloudStackError as error:
            if not error.message.startswith("run diagnostics "):
                error.args = ("%s: %s" % (self.what(), error.message),)
            raise

    def _run(self):
        params = self.params
        kind_name = check_type(params["type"])
        address = check_address(params["ipaddress"])
        extra = check_params(params.get("params"))
        key = "id" if params.get("id") else "name"
        kind, vm = find_target(self.client, key, params[key], self.deadline)
        require_host(vm)
        result = dict(changed=False, vm=describe(kind, vm), command_line=command_line(kind_name, address, extra))
        request = dict(targetid=vm["id"], type=kind_name, ipaddress=address, params=extra)
        jobid, answer = self.client.run(COMMAND, request, self.deadline, wait=params.get("wait", True))
        result["jobid"] = jobid
        if answer is None:
            return result
        output = answer.get("diagnostics") or {}
        code = exit_code(output.get("exitcode"))
        result.update(stdout=output.get("stdout") or "", stderr=output.get("stderr") or "", exitcode=code,
                      success=code == 0)
        result["stdout_lines"] = result["stdout"].splitlines()
        result["stderr_lines"] = result["stderr"].splitlines()
        return result
