# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base of every API module: AnsibleModule plus the connection options, a lazily built client, the checks
every task's input gets before anything is sent, and the one place where the collection's errors become a
one-line ``fail_json``."""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule

from .args import CONNECTION_SPEC, MAX_WAIT_TIMEOUT, WAIT_SPEC
from .client import CloudStackClient
from .config import resolve
from .errors import CloudStackError, ValidationError, shorten
from .lookup import is_uuid
from .waiter import Deadline

# Longest value a selecting option may have: CloudStack's names and ids fit in 255 characters, URLs in 2048.
MAX_SELECTOR_LENGTH = 255
MAX_URL_LENGTH = 2048


class CloudStackModule(AnsibleModule):
    """AnsibleModule for CloudStack API modules.

    ``with_wait=True`` adds the ``wait`` / ``wait_timeout`` options. ``selectors`` names the options that choose
    what the task acts on: given empty (``""``, ``[]``, or a list with an empty item) they are an error, never
    "everything"; they must also be one line and of a length CloudStack could store. ``uuids`` names the options
    (among them or not) whose values must be UUIDs. ``run(func)`` calls ``func(self)`` and exits with the result
    dict it returns.
    """

    def __init__(self, argument_spec=None, with_wait=False, selectors=(), uuids=(), **kwargs):
        spec = dict(CONNECTION_SPEC)
        if with_wait:
            spec.update(WAIT_SPEC)
        spec.update(argument_spec or {})
        kwargs.setdefault("supports_check_mode", True)
        super().__init__(argument_spec=spec, **kwargs)
        self._selectors = selectors
        self._uuids = uuids
        self._with_wait = with_wait
        self._client = None

    @property
    def client(self):
        if self._client is None:
            self._client = CloudStackClient(resolve(self.params))
        return self._client

    def deadline(self):
        """A new Deadline of ``wait_timeout`` seconds."""
        return Deadline(self.params["wait_timeout"])

    def check_input(self):
        """Raise ValidationError for an empty, multi-line or over-long selector, a value that must be a UUID and
        is not, or a wait_timeout out of range."""
        for name in self._selectors:
            value = self.params.get(name)
            if isinstance(value, list):
                if not value:
                    raise ValidationError("%s must not be an empty list (leave it out instead)" % name)
                for index, item in enumerate(value):
                    _check_selector("%s[%d]" % (name, index), item)
            elif value is not None:
                _check_selector(name, value)
        for name in self._uuids:
            value = self.params.get(name)
            for index, item in enumerate(value if isinstance(value, list) else [value]):
                if item is not None and not is_uuid(item):
                    label = "%s[%d]" % (name, index) if isinstance(value, list) else name
                    raise ValidationError("%s must be a UUID, got %s" % (label, shorten(item)))
        if self._with_wait:
            timeout = self.params["wait_timeout"]
            if not 0 < timeout <= MAX_WAIT_TIMEOUT:
                raise ValidationError("wait_timeout must be between 1 and %d seconds, got %s"
                                      % (MAX_WAIT_TIMEOUT, shorten(timeout)))

    def run(self, func):
        failure = None
        try:
            self.check_input()
            result = func(self)
        except CloudStackError as error:
            failure = error
        # Failing outside the except block keeps the exception chain (which may quote a URL or a config line)
        # out of what Ansible can display.
        if failure is not None:
            self.fail_error(failure)
        self.exit_json(**result)

    def run_backend(self, backend_class):
        """Run ``backend_class`` (an ApiBackend) with this task's client, options, check and diff mode, and a
        Deadline of ``wait_timeout`` when the module waits; exit with its result."""
        self.run(lambda m: backend_class(m.client, m.params, m.check_mode, m._diff,
                                         m.deadline() if m._with_wait else None).run())

    def fail_error(self, error):
        """Fail with a CloudStackError: one line, its codes, the result so far, and ``changed`` when a write
        went through (or may have) before the failure."""
        result = dict(error.result or {})
        result.update(error.to_result())
        result["changed"] = bool(result.get("changed")) or bool(self._client is not None and self._client.writes_done)
        self.fail_json(msg=error.message, **result)


def _check_selector(label, value):
    if value is None or str(value).strip() == "":
        raise ValidationError("%s must not be empty (leave it out instead)" % label)
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise ValidationError("%s must be a single value, got %s" % (label, shorten(value)))
    text = str(value)
    if not text.isprintable():
        raise ValidationError("%s must be one line of text, got %s" % (label, shorten(text)))
    limit = MAX_URL_LENGTH if label.split("[")[0].endswith("url") else MAX_SELECTOR_LENGTH
    if len(text) > limit:
        raise ValidationError("%s is longer than %d characters: %s" % (label, limit, shorten(text)))
