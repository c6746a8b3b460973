# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWX execution environment: ansible-builder creates the build context of extensions/ee/ (no container
engine needed for that), the definition pins the ansible-core and ansible-runner the project tests, and the
collection's own meta/execution-environment.yml, read from the installed artefact by ansible-builder's
introspection (the step an EE build runs after installing the collection), yields the dependencies
meta/ee-requirements.txt and meta/ee-bindep.txt declare."""

import os
import shutil
import subprocess

import yaml

from conftest import REPO, tool

EE_DIR = os.path.join(REPO, "extensions", "ee")


def requirement_lines(path):
    with open(path) as handle:
        return [line.split("#", 1)[0].strip() for line in handle if line.split("#", 1)[0].strip()]


def pin(path, package):
    return [line for line in requirement_lines(path) if line.startswith(package + "==")]


def test_ansible_builder_creates_the_context(tmp_path):
    context = tmp_path / "context"
    proc = subprocess.run([tool("ansible-builder"), "create", "-f", os.path.join(EE_DIR, "execution-environment.yml"),
                           "--context", str(context), "--output-filename", "Containerfile"],
                          capture_output=True, text=True, check=False, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    containerfile = (context / "Containerfile").read_text()
    with open(os.path.join(EE_DIR, "execution-environment.yml")) as handle:
        definition = yaml.safe_load(handle)
    deps = definition["dependencies"]
    refs = 'ARG ANSIBLE_INSTALL_REFS="%s %s"' % (deps["ansible_core"]["package_pip"],
                                                 deps["ansible_runner"]["package_pip"])
    assert refs in containerfile
    # The collections are installed, then introspected for their Python and system needs.
    assert "ansible-galaxy collection install" in containerfile and "introspect" in containerfile
    with open(os.path.join(EE_DIR, "requirements.yml")) as handle:
        wanted = yaml.safe_load(handle)
    assert yaml.safe_load((context / "_build" / "requirements.yml").read_text()) == wanted
    assert [c["name"] for c in wanted["collections"]] == ["csops.cloudstack"]
    assert "openssh-clients" in (context / "_build" / "bindep.txt").read_text()


def test_definition_pins_what_the_project_tests():
    with open(os.path.join(EE_DIR, "execution-environment.yml")) as handle:
        deps = yaml.safe_load(handle)["dependencies"]
    core = pin(os.path.join(REPO, "tests", "requirements-ansible-2.21.txt"), "ansible-core")
    runner = pin(os.path.join(REPO, "tests", "requirements.txt"), "ansible-runner")
    assert core and deps["ansible_core"]["package_pip"] == core[0]
    assert runner and deps["ansible_runner"]["package_pip"] == runner[0]


def introspect(path, tmp_path):
    """ansible-builder's introspection of the collections under ``path``: (pip lines, bindep lines)."""
    out_pip, out_bindep = tmp_path / "pip.txt", tmp_path / "bindep.txt"
    proc = subprocess.run([tool("ansible-builder"), "introspect", "--sanitize", "--write-pip", str(out_pip),
                           "--write-bindep", str(out_bindep), path], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return ([line.split("#")[0].strip() for line in requirement_lines(str(out_pip))] if out_pip.exists() else [],
            [line.split("#")[0].strip() for line in requirement_lines(str(out_bindep))] if out_bindep.exists() else [])


def test_introspection_of_the_installed_artefact_finds_what_meta_declares(artefact, tmp_path):
    _tarball, path, installed = artefact
    with open(os.path.join(installed, "meta", "execution-environment.yml")) as handle:
        meta = yaml.safe_load(handle)
    # Paths in the collection's file are relative to the collection root: that is how introspection reads them.
    for kind in ("python", "system"):
        assert os.path.isfile(os.path.join(installed, meta["dependencies"][kind])), kind
    pip, bindep = introspect(path, tmp_path)
    assert pip == requirement_lines(os.path.join(REPO, "meta", "ee-requirements.txt"))
    assert bindep == requirement_lines(os.path.join(REPO, "meta", "ee-bindep.txt"))


def test_a_requirement_added_to_meta_reaches_the_image(artefact, tmp_path):
    """The wiring, with something to find: a copy of the installed collection that declares one package of each
    kind in its meta files is introspected with them."""
    _tarball, path, _installed = artefact
    copy = tmp_path / "collections"
    shutil.copytree(path, str(copy), symlinks=True)
    meta = copy / "ansible_collections" / "csops" / "cloudstack" / "meta"
    with open(str(meta / "ee-requirements.txt"), "a") as handle:
        handle.write("jmespath>=1.0\n")
    with open(str(meta / "ee-bindep.txt"), "a") as handle:
        handle.write("rsync [platform:rpm]\n")
    pip, bindep = introspect(str(copy), tmp_path)
    assert [line for line in pip if line.startswith("jmespath")] == ["jmespath>=1.0"], pip
    assert any(line.startswith("rsync") for line in bindep), bindep
