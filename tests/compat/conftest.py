# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests of where the collection runs: the ansible-core matrix, the built artefact, the AWX execution environment
and ansible-runner. The lab fixtures (lab_env, control, ansible) are the integration suite's own."""

import glob
import importlib.util
import os
import shutil
import subprocess
import sys

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV_BIN = os.path.dirname(sys.executable)
SOURCE_COLLECTIONS = os.path.join(REPO, ".build", "collections")

_spec = importlib.util.spec_from_file_location("integration_conftest",
                                               os.path.join(REPO, "tests", "integration", "conftest.py"))
integration = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(integration)

# Fixtures shared with tests/integration (pytest finds fixtures by name in a conftest module).
lab_env = integration.lab_env
control = integration.control
ansible = integration.ansible
_clean_faults = integration._clean_faults
INVENTORY = integration.INVENTORY


def read_yaml(*parts):
    with open(os.path.join(REPO, *parts)) as handle:
        return yaml.safe_load(handle)


def module_names():
    """The collection's modules, from plugins/modules/ (so new modules are checked without a list here)."""
    return sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(REPO, "plugins", "modules", "*.py"))
                  if not os.path.basename(p).startswith("_"))


def role_names():
    return sorted(os.path.basename(os.path.dirname(p)) for p in glob.glob(os.path.join(REPO, "roles", "*", "")))


def playbook_names():
    return sorted(os.path.basename(p)[:-4] for p in glob.glob(os.path.join(REPO, "playbooks", "*.yml")))


def shipped_source_files():
    """The files the artefact must carry: what git knows under the shipped top-level directories (tracked, and
    new files not ignored), as ``make sanity`` copies them."""
    out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "--", "plugins", "roles", "playbooks",
                          "meta", "extensions", "docs", "README.md"],
                         cwd=REPO, capture_output=True, text=True, check=True).stdout
    return sorted(path for path in out.splitlines() if os.path.isfile(os.path.join(REPO, path)))


def tool(name):
    """A command of this venv (the ansible-core under test)."""
    return os.path.join(VENV_BIN, name)


def clean_env(**more):
    """The environment for an ansible command that must see only the collections ``more`` names."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "CLOUDSTACK_"))}
    env.update(ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="False", ANSIBLE_NOCOLOR="1", ANSIBLE_HOST_KEY_CHECKING="False",
               ANSIBLE_RETRY_FILES_ENABLED="False", PATH=VENV_BIN + os.pathsep + os.environ.get("PATH", ""))
    env.update(more)
    return env


@pytest.fixture(scope="session")
def artefact(tmp_path_factory):
    """The collection built with ``ansible-galaxy collection build`` and installed from the tarball into a fresh
    path: ``(tarball, collections_path, installed_collection_dir)``."""
    work = tmp_path_factory.mktemp("artefact")
    # Built from a snapshot of the files git knows (tracked, and new ones not ignored), as a release would be
    # built from a clean checkout: galaxy.yml's build_ignore decides the rest.
    source = work / "src"
    listed = subprocess.run(["git", "ls-files", "-z", "-co", "--exclude-standard"], cwd=REPO, capture_output=True,
                            check=True).stdout.decode().split("\0")
    for path in filter(None, listed):
        if os.path.isfile(os.path.join(REPO, path)):
            os.makedirs(os.path.dirname(str(source / path)), exist_ok=True)
            shutil.copy2(os.path.join(REPO, path), str(source / path))
    env = clean_env(ANSIBLE_COLLECTIONS_PATH=str(work / "none"))
    proc = subprocess.run([tool("ansible-galaxy"), "collection", "build", "--output-path", str(work / "dist"),
                           str(source)], env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    [tarball] = glob.glob(str(work / "dist" / "*.tar.gz"))
    path = work / "collections"
    proc = subprocess.run([tool("ansible-galaxy"), "collection", "install", "--offline", "-p", str(path), tarball],
                          env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    installed = path / "ansible_collections" / "csops" / "cloudstack"
    assert installed.is_dir(), proc.stdout
    return tarball, str(path), str(installed)
