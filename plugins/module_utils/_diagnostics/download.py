# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bringing a file to the controller: an HTTP(S) download with Ansible's own HTTP layer, or any stream of bytes,
written to a temporary file in the destination directory, capped in size and bounded by the task's Deadline, and
renamed into place only when complete. A partial file never stays behind."""

from __future__ import annotations

import http.client
import os
import socket
import ssl
import tempfile
import urllib.error

from ansible.module_utils.urls import open_url

from .._api.errors import CloudStackError
from .._api.transport import network_reason

CHUNK = 64 * 1024
USER_AGENT = "csops.cloudstack"


class DownloadError(CloudStackError):
    """The file could not be brought to the controller (nothing is left in the destination)."""


class TooLargeError(DownloadError):
    """The file is larger than the cap."""


class PartFile:
    """A file being received: ``write(chunk)`` appends to a temporary file (mode 0600) in ``dest_dir``, raising
    TooLargeError past ``max_bytes``; ``commit()`` renames it to ``dest_dir/name`` and returns ``(path, size)``.
    Used as a context manager, it removes the temporary file unless committed."""

    def __init__(self, dest_dir, name, max_bytes, what="the file"):
        self.path = os.path.join(dest_dir, name)
        self.max_bytes = max_bytes
        self.what = what
        self.size = 0
        fd, self._tmp = tempfile.mkstemp(dir=dest_dir, prefix=".%s." % name, suffix=".part")
        self._out = os.fdopen(fd, "wb")

    def write(self, chunk):
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise TooLargeError("%s is larger than max_size (%d MiB)" % (self.what, self.max_bytes // (1024 * 1024)))
        self._out.write(chunk)

    def commit(self):
        self._out.close()
        os.replace(self._tmp, self.path)
        self._tmp = None
        return self.path, self.size

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self._tmp is not None:
            self._out.close()
            if os.path.exists(self._tmp):
                os.unlink(self._tmp)


def save_stream(read, dest_dir, name, max_bytes, deadline=None, what="the file"):
    """Write what ``read(size)`` returns (until it returns nothing) to ``dest_dir/name``; returns ``(path,
    size)``. Raises TooLargeError past ``max_bytes`` and DownloadError when ``deadline`` runs out."""
    with PartFile(dest_dir, name, max_bytes, what) as part:
        while True:
            if deadline is not None and deadline.expired():
                raise DownloadError("%s did not arrive within wait_timeout (%ss); %d bytes came"
                                    % (what, deadline.seconds, part.size))
            chunk = read(CHUNK)
            if not chunk:
                break
            part.write(chunk)
        return part.commit()


def download(url, dest_dir, name, max_bytes, deadline, validate_certs=True, ca_path=None, timeout=30):
    """Download ``url`` to ``dest_dir/name``; returns ``(path, size)``.

    Raises DownloadError naming the host (never the whole URL, which is the only key to the file) when the URL
    cannot be reached or does not answer 200 with the file, and TooLargeError past ``max_bytes``."""
    where = _host_of(url)
    what = "the zip from %s" % where
    failure = None
    response = None
    try:
        response = open_url(url, method="GET", timeout=deadline.clip(timeout), validate_certs=validate_certs,
                            ca_path=ca_path, follow_redirects="safe", use_netrc=False, http_agent=USER_AGENT)
        return save_stream(response.read, dest_dir, name, max_bytes, deadline, what)
    except urllib.error.HTTPError as error:
        failure = DownloadError("download %s: HTTP %s" % (what, error.code))
    except urllib.error.URLError as error:
        failure = DownloadError("download %s: cannot reach %s: %s" % (what, where, network_reason(error.reason)))
    except (socket.timeout, TimeoutError):
        failure = DownloadError("download %s: no answer from %s in time" % (what, where))
    except ssl.SSLError as error:
        failure = DownloadError("download %s: %s" % (what, network_reason(error)))
    except (http.client.HTTPException, OSError, ValueError) as error:
        failure = DownloadError("download %s: %s" % (what, network_reason(error)))
    finally:
        if response is not None:
            response.close()
    raise failure


def _host_of(url):
    rest = str(url).split("://", 1)[-1]
    return rest.split("/", 1)[0].rsplit("@", 1)[-1] or "the URL"
