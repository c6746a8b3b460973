# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The CloudStack API client every module uses.

Transport and request signing are the ``cs`` library's; this layer adds what modules need on top of it:
typed errors, retries of safe calls, full pagination and the async job waiter.
"""

from __future__ import annotations

import traceback

from .errors import ApiError, CloudStackError, TransportError
from .pagination import MAX_PAGE_SIZE, paginate
from .retry import RetryPolicy, is_read
from .waiter import DEFAULT_SCHEDULE, JobWaiter

CS_IMPORT_ERROR = None
try:
    import requests
    from cs import CloudStack, CloudStackApiException, CloudStackException
except ImportError:  # pragma: no cover - reported through missing_required_lib
    CS_IMPORT_ERROR = traceback.format_exc()
    requests = CloudStack = CloudStackApiException = CloudStackException = None

HAS_CS = CS_IMPORT_ERROR is None

# Signed requests expire after this long (signatureversion 3), like CloudMonkey's default.
SIGNATURE_LIFETIME = 600


class CloudStackClient:
    """Calls CloudStack. ``request`` for one call, ``list`` for every page, ``run_job`` for async commands."""

    def __init__(self, connection, retry=None, schedule=DEFAULT_SCHEDULE, transport=None):
        self.connection = connection
        self.retry = retry or RetryPolicy()
        self.schedule = schedule
        self.requests_sent = 0
        self.writes_sent = []
        if transport is None:
            transport = CloudStack(
                endpoint=connection.endpoint,
                key=connection.key,
                secret=connection.secret,
                timeout=connection.timeout,
                method=connection.method,
                verify=connection.verify,
                dangerous_no_tls_verify=connection.verify is False,
                expiration=SIGNATURE_LIFETIME,
                retry=0,
                fetch_result=False,
            )
            if connection.verify is False:
                # cs treats a falsy ``verify`` as "use the default"; make the choice explicit.
                transport.verify = False
        self._transport = transport

    # -- single calls -----------------------------------------------------------------------------------

    def request(self, command, params=None, timeout=None):
        """One API call (retried when it is a read and the failure is transient); returns the unwrapped body."""
        params = _clean(params)
        return self.retry.call(command, lambda: self._send(command, params, timeout))

    def _send(self, command, params, timeout):
        self.requests_sent += 1
        if not is_read(command):
            self.writes_sent.append(command)
        handler = getattr(self._transport, command)
        saved = self._transport.timeout
        if timeout is not None:
            self._transport.timeout = max(0.5, min(float(saved), float(timeout)))
        try:
            return handler(**params)
        except CloudStackApiException as error:
            body = error.error if isinstance(error.error, dict) else {}
            status = getattr(error.response, "status_code", None)
            if "errorcode" in body or "errortext" in body:
                raise ApiError(command, body.get("errorcode", status), body.get("errortext"),
                               body.get("cserrorcode"))
            raise TransportError("%s failed: HTTP %s without a CloudStack error body" % (command, status),
                                 command, status)
        except CloudStackException as error:
            status = getattr(error.response, "status_code", None)
            reason = error.args[0] if error.args else "unexpected answer"
            raise TransportError("%s failed: %s" % (command, reason), command, status)
        except requests.exceptions.Timeout:
            hint = "" if is_read(command) else "; the change may still have been made"
            raise TransportError("%s failed: no answer from %s within %ss%s"
                                 % (command, self.connection.endpoint, self._transport.timeout, hint), command)
        except requests.exceptions.RequestException as error:
            raise TransportError("%s failed: cannot reach %s: %s"
                                 % (command, self.connection.endpoint, _first_line(error)), command)
        finally:
            self._transport.timeout = saved

    # -- lists ------------------------------------------------------------------------------------------

    def list(self, command, params=None, object_name=None, pagesize=MAX_PAGE_SIZE):
        """Every item of a list command, across all pages."""
        params = _clean(params)

        def fetch(page, size):
            return self.request(command, dict(params, page=page, pagesize=size))

        items, _pages = paginate(fetch, pagesize=pagesize, object_name=object_name)
        return items

    def find_one(self, command, params, what, object_name=None):
        """Exactly one item, or None; several matches are an error naming ``what``."""
        items = self.list(command, params, object_name=object_name)
        if len(items) > 1:
            raise CloudStackError("%s matches %d objects, expected one" % (what, len(items)), command)
        return items[0] if items else None

    # -- async jobs -------------------------------------------------------------------------------------

    def submit(self, command, params=None):
        """Start an async command; returns the submit response (``jobid`` and perhaps ``id``)."""
        response = self.request(command, params)
        if not response or "jobid" not in response:
            raise TransportError("%s failed: CloudStack returned no jobid" % command, command)
        return response

    def query_job(self, jobid, timeout=None):
        return self.request("queryAsyncJobResult", {"jobid": jobid}, timeout=timeout)

    def wait(self, jobid, command, timeout, progress=None):
        """Wait for ``jobid`` (started by ``command``); returns its ``jobresult``."""
        waiter = JobWaiter(lambda job, remaining: self.query_job(job, timeout=remaining), self.schedule)
        return waiter.wait(jobid, command, timeout, progress=progress)

    def run_job(self, command, params=None, timeout=600, wait=True):
        """Submit and, unless ``wait`` is false, wait. Returns ``(jobid, jobresult or None)``."""
        jobid = self.submit(command, params)["jobid"]
        if not wait:
            return jobid, None
        return jobid, self.wait(jobid, command, timeout)


def _clean(params):
    """Drop unset parameters; cs turns booleans, numbers and lists into CloudStack's encoding."""
    return {k: v for k, v in (params or {}).items() if v is not None}


def _first_line(error):
    text = str(error).strip()
    return text.splitlines()[0] if text else error.__class__.__name__
