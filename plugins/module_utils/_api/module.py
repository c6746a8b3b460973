# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base of every API module: AnsibleModule plus the connection options, a lazily built client, and one
place where the collection's errors become a one-line ``fail_json``."""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from .args import CONNECTION_SPEC, WAIT_SPEC
from .client import CS_IMPORT_ERROR, HAS_CS, CloudStackClient
from .config import resolve
from .errors import CloudStackError


class CloudStackModule(AnsibleModule):
    """AnsibleModule for CloudStack API modules.

    ``with_wait=True`` adds the ``wait`` / ``wait_timeout`` options. ``run(func)`` calls ``func(self)`` and
    exits with its result dict, turning CloudStackError into ``fail_json``.
    """

    def __init__(self, argument_spec=None, with_wait=False, **kwargs):
        spec = dict(CONNECTION_SPEC)
        if with_wait:
            spec.update(WAIT_SPEC)
        spec.update(argument_spec or {})
        kwargs.setdefault("supports_check_mode", True)
        super().__init__(argument_spec=spec, **kwargs)
        if not HAS_CS:
            self.fail_json(msg=missing_required_lib("cs"), exception=CS_IMPORT_ERROR)
        self._client = None

    @property
    def client(self):
        if self._client is None:
            self._client = CloudStackClient(resolve(self.params))
        return self._client

    def fail_error(self, error, prefix=None, **extra):
        """Fail with a CloudStackError: one line, plus its errorcode/cserrorcode/errortext/command keys."""
        msg = error.message if prefix is None else "%s: %s" % (prefix, error.message)
        result = error.to_result()
        result.update(extra)
        self.fail_json(msg=msg, **result)

    def run(self, func):
        try:
            result = func(self)
        except CloudStackError as error:
            self.fail_error(error)
        self.exit_json(**result)
