"""cssim: a small Apache CloudStack management-server simulator for the csops.cloudstack lab.

The standard library and PyYAML are used, and ``cryptography`` for the CA (ca.py). Run it with ``python -m cssim`` (see ``__main__``).
"""

DEFAULT_API_KEY = "csl-admin-apikey"
DEFAULT_SECRET_KEY = "csl-admin-secret"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
API_PATH = "/client/api"
CONTROL_PREFIX = "/lab/"

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_SECRET_KEY",
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "API_PATH",
    "CONTROL_PREFIX",
]
