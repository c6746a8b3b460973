"""Offline stand-in for the get-pip.py bootstrap script that ansible-test downloads.

ansible-test fetches get-pip.py from a host outside the package registries. `make sanity` copies this file
to ~/.ansible/test/cache/get_pip_<version>.py, where ansible-test looks first. It bootstraps pip from the
interpreter's bundled wheel (ensurepip) and then installs the requested pip version from the package index.
"""

import subprocess
import sys

# Options that only get-pip.py understands; `pip install` would reject them.
GET_PIP_OPTIONS = ("--no-setuptools", "--no-wheel")


def main():
    """Bootstrap pip, then `pip install` the arguments ansible-test passed."""
    args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_OPTIONS]
    subprocess.run([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install"] + args, check=True)


if __name__ == "__main__":
    main()
