# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection on the ansible-core running these tests (the venv's 2.19, or 2.17 / 2.21 from `make
compat-smoke`): the version is one meta/runtime.yml claims, and every module, role and playbook found in the tree
loads on it: documentation renders, argument specs parse, playbooks pass the syntax check. No lab needed."""

import glob
import json
import os
import subprocess

import pytest
from ansible.release import __version__ as ansible_core_version
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from conftest import (INVENTORY, REPO, SOURCE_COLLECTIONS, clean_env, module_names, playbook_names, read_yaml,
                      role_names, tool)

ENV = clean_env(ANSIBLE_COLLECTIONS_PATH=SOURCE_COLLECTIONS)


def run(*cmd):
    proc = subprocess.run(cmd, env=ENV, cwd=REPO, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, "%s\n%s\n%s" % (" ".join(cmd), proc.stdout[-3000:], proc.stderr[-3000:])
    return proc


def test_this_ansible_core_is_one_runtime_yml_claims():
    claim = read_yaml("meta", "runtime.yml")["requires_ansible"]
    assert Version(ansible_core_version) in SpecifierSet(claim), (ansible_core_version, claim)


def test_requirements_files_allow_only_versions_runtime_yml_claims():
    claim = SpecifierSet(read_yaml("meta", "runtime.yml")["requires_ansible"])
    files = glob.glob(os.path.join(REPO, "tests", "requirements-ansible-*.txt"))
    assert len(files) >= 2, files
    for path in files + [os.path.join(REPO, "tests", "requirements.txt")]:
        with open(path) as handle:
            specs = [line.split("#")[0].strip()[len("ansible-core"):] for line in handle
                     if line.startswith("ansible-core")]
        assert len(specs) == 1, path
        lowest = [spec.version for spec in SpecifierSet(specs[0]) if spec.operator in ("==", ">=")]
        assert len(lowest) == 1, "%s: ansible-core needs a pin or a lower bound" % path
        assert Version(lowest[0]) in claim, (path, lowest[0], str(claim))


def test_every_module_documents_itself():
    names = module_names()
    assert names, "no modules found under plugins/modules"
    docs = json.loads(run(tool("ansible-doc"), "--json", *("csops.cloudstack." + n for n in names)).stdout)
    for name in names:
        doc = docs.get("csops.cloudstack." + name, {}).get("doc")
        assert doc and doc.get("short_description"), name
        assert doc.get("options") is not None, name


def test_every_role_argument_spec_loads():
    names = role_names()
    assert names, "no roles found under roles/"
    docs = json.loads(run(tool("ansible-doc"), "-t", "role", "--json",
                          *("csops.cloudstack." + n for n in names)).stdout)
    for name in names:
        assert docs.get("csops.cloudstack." + name, {}).get("entry_points", {}).get("main") is not None, name


@pytest.mark.parametrize("playbook", playbook_names())
def test_playbook_passes_the_syntax_check(playbook):
    inventory = ["-i", INVENTORY] if os.path.exists(INVENTORY) else ["-i", "localhost,"]
    run(tool("ansible-playbook"), "--syntax-check", *inventory, "csops.cloudstack." + playbook)
