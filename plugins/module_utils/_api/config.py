# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where the connection settings come from.

Order, first found wins for each setting: the task's options, then the environment variables that ``cs`` and
CloudMonkey users already have (CLOUDSTACK_ENDPOINT, CLOUDSTACK_KEY, CLOUDSTACK_SECRET, CLOUDSTACK_TIMEOUT,
CLOUDSTACK_METHOD, CLOUDSTACK_VERIFY), then the section named by ``api_region`` / CLOUDSTACK_REGION
(default ``cloudstack``) of the cloudstack.ini files: ``~/.cloudstack.ini``, ``./cloudstack.ini`` and the file
named by CLOUDSTACK_CONFIG, the later overriding the earlier.

TLS verification: ``validate_certs: false`` (or CLOUDSTACK_VERIFY / ini ``verify`` set to a false word, or
CLOUDSTACK_DANGEROUS_NO_TLS_VERIFY / ini ``dangerous_no_tls_verify`` set to a true word) turns verification
off, and nothing else does. A CLOUDSTACK_VERIFY that is a path is a CA bundle and keeps verification on.
"""

from __future__ import annotations

import configparser
import os
from urllib.parse import urlsplit

from .errors import ConfigurationError, shorten

DEFAULT_TIMEOUT = 10
# One answer may take at most an hour; beyond that a timeout is a typo, and overflows socket timeouts.
MAX_TIMEOUT = 3600
DEFAULT_METHOD = "get"
DEFAULT_REGION = "cloudstack"

_TRUE = ("1", "true", "yes", "on", "y", "t")
_FALSE = ("0", "false", "no", "off", "n", "f")


def parse_bool(value, what):
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ConfigurationError("%s must be a boolean (true or false), got %s" % (what, shorten(value)))


class Connection:
    """Resolved connection settings. ``verify`` is True, False, or a CA bundle path."""

    def __init__(self, endpoint, key, secret, timeout, method, verify, region):
        self.endpoint = endpoint
        self.key = key
        self.secret = secret
        self.timeout = timeout
        self.method = method
        self.verify = verify
        self.region = region

    def __repr__(self):
        # Never show the key or the secret.
        return "<Connection %s method=%s verify=%r>" % (self.endpoint, self.method, self.verify)


def ini_paths(environ):
    paths = [os.path.join(os.path.expanduser("~"), ".cloudstack.ini"), os.path.join(os.getcwd(), "cloudstack.ini")]
    if environ.get("CLOUDSTACK_CONFIG"):
        paths.append(os.path.expanduser(environ["CLOUDSTACK_CONFIG"]))
    return paths


def read_ini(region, environ):
    """The ``region`` section of the cloudstack.ini files, or ``{}``."""
    paths = ini_paths(environ)
    explicit = environ.get("CLOUDSTACK_CONFIG")
    if explicit and not os.path.isfile(os.path.expanduser(explicit)):
        raise ConfigurationError("CLOUDSTACK_CONFIG names %s, which is not a file" % explicit)
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read([p for p in paths if os.path.isfile(p)])
    except configparser.Error as error:
        # Only the first line: the next ones quote the file's lines, the secret among them. ``from None`` keeps
        # the original exception, and so those lines, out of the chain Ansible can display.
        raise ConfigurationError("cannot read cloudstack.ini: %s" % str(error).splitlines()[0]) from None
    if not parser.has_section(region):
        return {}
    return {k: v for k, v in parser.items(region) if v != ""}


def _verify_from(value, what):
    """A CLOUDSTACK_VERIFY-like value: a boolean word, or the path of a CA bundle."""
    text = str(value).strip()
    if text.lower() in _TRUE + _FALSE:
        return parse_bool(text, what)
    if os.path.isfile(os.path.expanduser(text)):
        return os.path.expanduser(text)
    raise ConfigurationError("%s must be true, false or the path of a CA bundle file, got %r" % (what, value))


def resolve(params, environ=None):
    """Build a Connection from module ``params`` (already holding env fallbacks) and cloudstack.ini."""
    environ = os.environ if environ is None else environ
    for option, env_name in (("api_url", "CLOUDSTACK_ENDPOINT"), ("api_key", "CLOUDSTACK_KEY"),
                             ("api_secret", "CLOUDSTACK_SECRET"), ("api_region", "CLOUDSTACK_REGION")):
        if params.get(option) is not None and str(params[option]).strip() == "":
            raise ConfigurationError("%s must not be empty (leave it out to use %s or cloudstack.ini)"
                                     % (option, env_name))
    region = params.get("api_region") or environ.get("CLOUDSTACK_REGION") or DEFAULT_REGION
    needs_ini = not (params.get("api_url") and params.get("api_key") and params.get("api_secret"))
    ini = read_ini(region, environ) if needs_ini or environ.get("CLOUDSTACK_CONFIG") else {}

    def pick(option, env_name, ini_key):
        if params.get(option) not in (None, ""):
            return params[option]
        if env_name and environ.get(env_name):
            return environ[env_name]
        return ini.get(ini_key)

    endpoint = pick("api_url", "CLOUDSTACK_ENDPOINT", "endpoint")
    key = pick("api_key", "CLOUDSTACK_KEY", "key")
    secret = pick("api_secret", "CLOUDSTACK_SECRET", "secret")
    missing = [name for name, value in (("api_url", endpoint), ("api_key", key), ("api_secret", secret))
               if not value]
    if missing:
        raise ConfigurationError(
            "missing CloudStack connection settings: %s (set the options, CLOUDSTACK_ENDPOINT/KEY/SECRET, or "
            "a [%s] section in cloudstack.ini)" % (", ".join(missing), region))
    if not str(endpoint).startswith(("http://", "https://")):
        raise ConfigurationError("api_url must start with http:// or https://, got %s" % shorten(endpoint))
    if not urlsplit(str(endpoint)).hostname:
        raise ConfigurationError("api_url names no host: %s" % shorten(endpoint))

    timeout = pick("api_timeout", "CLOUDSTACK_TIMEOUT", "timeout")
    if timeout is None:
        timeout = DEFAULT_TIMEOUT
    try:
        timeout = int(timeout)
    except (TypeError, ValueError):
        raise ConfigurationError("api_timeout must be a whole number of seconds, got %s" % shorten(timeout)) from None
    if not 0 < timeout <= MAX_TIMEOUT:
        raise ConfigurationError("api_timeout must be between 1 and %d seconds, got %d" % (MAX_TIMEOUT, timeout))

    method = str(pick("api_http_method", "CLOUDSTACK_METHOD", "method") or DEFAULT_METHOD).lower()
    if method not in ("get", "post"):
        raise ConfigurationError("api_http_method must be get or post, got %r" % method)

    verify = _resolve_verify(params, environ, ini)
    return Connection(str(endpoint), str(key), str(secret), timeout, method, verify, region)


def _resolve_verify(params, environ, ini):
    ca_file = params.get("api_ca_file")
    if ca_file and not os.path.isfile(os.path.expanduser(ca_file)):
        raise ConfigurationError("api_ca_file %s is not a file" % ca_file)
    verify = params.get("validate_certs")
    if verify is None:
        if environ.get("CLOUDSTACK_DANGEROUS_NO_TLS_VERIFY"):
            verify = not parse_bool(environ["CLOUDSTACK_DANGEROUS_NO_TLS_VERIFY"],
                                    "CLOUDSTACK_DANGEROUS_NO_TLS_VERIFY")
        elif environ.get("CLOUDSTACK_VERIFY"):
            verify = _verify_from(environ["CLOUDSTACK_VERIFY"], "CLOUDSTACK_VERIFY")
        elif ini.get("dangerous_no_tls_verify"):
            verify = not parse_bool(ini["dangerous_no_tls_verify"], "cloudstack.ini dangerous_no_tls_verify")
        elif ini.get("verify"):
            verify = _verify_from(ini["verify"], "cloudstack.ini verify")
        else:
            verify = True
    if verify is False:
        return False
    if ca_file:
        return os.path.expanduser(ca_file)
    return verify
