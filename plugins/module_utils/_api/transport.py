# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One signed CloudStack API call over HTTP, through Ansible's own HTTP layer (ansible.module_utils.urls).

``Transport(connection).send(command, params, timeout)`` signs the call (``signing``), sends it as a GET query
or a form POST, and returns the inner object of CloudStack's ``{"<command>response": {...}}`` answer. It raises:

- ``ApiError`` when CloudStack answers with its error envelope (errorcode, errortext, cserrorcode);
- ``TransportError`` for everything else that is not an answer: an HTTP error without that envelope (``status``
  set), a body that is not CloudStack JSON, a timeout, a refused or broken connection, a TLS failure.

Messages name the endpoint, never the request URL: with GET the URL carries the api key and the signature.
Nothing is retried here (``retry`` decides that). When a write was sent but its answer was lost (a timeout or a
broken connection after sending, or a 5xx without CloudStack's envelope) the message says that the change may
have been made.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import urllib.error

from ansible.module_utils.urls import Request, make_context

from .errors import ApiError, TransportError
from .retry import is_read
from .signing import encode_query, signed_pairs

USER_AGENT = "csops.cloudstack"
FORM_TYPE = "application/x-www-form-urlencoded"
MAY_BE_APPLIED = "the change may have been made"


class Transport:
    """Sends signed calls for one ``Connection`` (endpoint, key, secret, timeout, method, verify)."""

    def __init__(self, connection):
        self.endpoint = connection.endpoint
        self.method = "POST" if str(connection.method).lower() == "post" else "GET"
        self.timeout = connection.timeout
        self._key = connection.key
        self._secret = connection.secret
        verify = connection.verify
        self._validate_certs = verify is not False
        self._ca_path = verify if isinstance(verify, str) else None
        self._context = None
        # Redirects are not followed: a redirected call would carry the signature elsewhere, and a redirected
        # POST would arrive as a GET without its parameters. The error names where api_url should point instead.
        # TLS settings (validate_certs, ca_path) go into the context passed with each request.
        self._request = Request(use_proxy=True, follow_redirects="none", use_netrc=False, http_agent=USER_AGENT)

    def _tls_context(self):
        """The TLS context, built once: Ansible builds one per request otherwise, loading every CA each time.

        An http:// endpoint never opens TLS (redirects are not followed), so it gets a bare context that is
        never used, which spares that cost too.
        """
        if self._context is None:
            if self.endpoint.lower().startswith("https://"):
                self._context = make_context(cafile=self._ca_path, validate_certs=self._validate_certs)
            else:
                self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        return self._context

    def send(self, command, params=None, timeout=None):
        """Call ``command`` with ``params`` (see ``signing.flatten``); returns the answer's inner dict.

        ``timeout`` (seconds, a float; default the connection's timeout) bounds each wait on the network and
        is handed to the HTTP layer unchanged.
        """
        timeout = self.timeout if timeout is None else timeout
        if timeout <= 0:
            raise TransportError("%s not sent to %s: no time left to wait for an answer" % (command, self.endpoint),
                                 command, delivered=False)
        query = encode_query(signed_pairs(command, params, self._key, self._secret))
        if self.method == "POST":
            url, data, headers = self.endpoint, query.encode("ascii"), {"Content-Type": FORM_TYPE}
        else:
            url, data, headers = self.endpoint + ("&" if "?" in self.endpoint else "?") + query, None, {}
        headers["Accept"] = "application/json"
        # Errors are raised outside the except blocks, so that no exception chain (which could quote the
        # URL) travels with them.
        failure = None
        try:
            response = self._request.open(self.method, url, data=data, headers=headers, timeout=timeout,
                                          context=self._tls_context())
            try:
                status, ctype, body = response.status, response.headers.get("Content-Type"), response.read()
            finally:
                response.close()
        except urllib.error.HTTPError as error:
            failure = self._http_error(command, error)
        except urllib.error.URLError as error:
            # Raised while connecting or sending: nothing reached CloudStack.
            failure = self._not_sent(command, error.reason, timeout)
        except (socket.timeout, TimeoutError):
            failure = self._lost(command, "no answer from %s within %ss" % (self.endpoint, _seconds(timeout)))
        except (http.client.InvalidURL, ValueError):
            # http.client or urllib rejects the endpoint (a bad port, say); the message would quote the whole URL.
            failure = TransportError("%s failed: %s is not a usable URL" % (command, self.endpoint), command,
                                     delivered=False)
        except ssl.SSLError as error:
            failure = self._not_sent(command, error, timeout)
        except (http.client.HTTPException, OSError) as error:
            # Raised while reading the answer (the request went out): the connection broke, or the answer was
            # not HTTP.
            failure = self._lost(command, "the connection to %s broke before the whole answer came (%s)"
                                 % (self.endpoint, network_reason(error)))
        if failure is not None:
            raise failure
        return self._answer(command, status, ctype, body)

    # -- answers ----------------------------------------------------------------------------------------

    def _answer(self, command, status, ctype, body):
        inner = _envelope(command, body)
        if inner is None:
            raise TransportError("%s failed: %s answered HTTP %s with %s, not CloudStack's JSON; api_url must be "
                                 "the API endpoint, http(s)://<server>:8080/client/api"
                                 % (command, self.endpoint, status, ctype or "no content type"), command, status)
        return inner

    def _http_error(self, command, error):
        status = error.code
        location = error.headers.get("Location") if error.headers is not None else None
        try:
            body = error.read()
        except (http.client.HTTPException, OSError):
            body = b""  # the status alone is the answer then
        finally:
            error.close()
        inner = _envelope(command, body)
        if inner is not None and ("errorcode" in inner or "errortext" in inner):
            return ApiError(command, inner.get("errorcode", status), inner.get("errortext"), inner.get("cserrorcode"))
        if 300 <= status < 400:
            where = (" to %s" % location.split("?", 1)[0]) if location else ""
            return TransportError("%s failed: %s redirects (HTTP %s)%s; set api_url to the API endpoint itself"
                                  % (command, self.endpoint, status, where), command, status)
        text = "HTTP %s from %s without a CloudStack error body" % (status, self.endpoint)
        if status >= 500:
            return self._lost(command, text, status)
        return TransportError("%s failed: %s" % (command, text), command, status)

    # -- failures -----------------------------------------------------------------------------------------

    def _not_sent(self, command, reason, timeout):
        if isinstance(reason, (socket.timeout, TimeoutError)):
            text = "cannot reach %s: no connection within %ss" % (self.endpoint, _seconds(timeout))
        else:
            text = "cannot reach %s: %s" % (self.endpoint, network_reason(reason))
        return TransportError("%s failed: %s" % (command, text), command, delivered=False)

    def _lost(self, command, text, status=None):
        """The call was sent but its answer is missing; a write may have been carried out."""
        if not is_read(command):
            text += "; " + MAY_BE_APPLIED
        return TransportError("%s failed: %s" % (command, text), command, status)


def _envelope(command, body):
    """The inner dict of ``{"<command>response": {...}}`` (or of a lone ``{"errorresponse": {...}}``), else None."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    key = command.lower() + "response"
    if key not in data and len(data) == 1:
        key = next(iter(data))
    inner = data.get(key)
    return inner if isinstance(inner, dict) else None


def network_reason(error):
    """A short description of a network error (an exception, or urllib's reason text) that never quotes the
    request URL."""
    if isinstance(error, str):
        return error  # urllib's own reasons ("no host given", "unknown url type: ...") name no URL
    if isinstance(error, ssl.SSLCertVerificationError) and error.verify_message:
        return "TLS certificate verification failed: %s" % error.verify_message
    if isinstance(error, ssl.SSLError):
        return "TLS error: %s" % (error.reason or error.__class__.__name__)
    if isinstance(error, socket.gaierror):
        return "name lookup failed: %s" % error.strerror
    if isinstance(error, (socket.timeout, TimeoutError)):
        return "timed out"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return error.__class__.__name__


def _seconds(value):
    return "%g" % value
