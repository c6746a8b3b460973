# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How AWX / Automation Controller turns a credential of a custom credential type into a job's environment, for
tests: AWX itself cannot run here, so this follows its documented rules for injectors. Only the inputs the
credential has (and non-empty) are defined, a boolean input left out is false, every template is rendered by
Jinja's immutable sandbox (undefined renders as ""), ``file`` injectors are written under the job's private data
directory and named by ``tower.filename``, and every ``env`` injector is set, empty or not."""

import os
import tempfile

import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CREDENTIAL_TYPE = os.path.join(REPO, "extensions", "awx", "credential_type.yml")


def load_credential_type(path=CREDENTIAL_TYPE):
    with open(path) as handle:
        return yaml.safe_load(handle)


class _Namespace:
    pass


def inject(credential_type, inputs, private_data_dir):
    """The environment variables a job gets from a credential with ``inputs``."""
    fields = credential_type["inputs"]["fields"]
    missing = [name for name in credential_type["inputs"].get("required", []) if inputs.get(name) in (None, "")]
    if missing:
        raise ValueError("AWX refuses the credential: missing required inputs %s" % ", ".join(missing))
    unknown = set(inputs) - set(field["id"] for field in fields)
    if unknown:
        raise ValueError("AWX refuses the credential: unknown inputs %s" % ", ".join(sorted(unknown)))
    tower = _Namespace()
    namespace = {"tower": tower}
    for name, value in inputs.items():
        if isinstance(value, bool) or len(value):
            namespace[name] = value
    for field in fields:
        if field["type"] == "boolean" and field["id"] not in inputs:
            namespace[field["id"]] = False
    sandbox = ImmutableSandboxedEnvironment()
    injectors = credential_type.get("injectors", {})
    env_dir = os.path.join(private_data_dir, "env")
    os.makedirs(env_dir, exist_ok=True)
    for label, template in injectors.get("file", {}).items():
        handle, path = tempfile.mkstemp(dir=env_dir)
        with os.fdopen(handle, "w") as out:
            out.write(sandbox.from_string(template).render(**namespace))
        os.chmod(path, 0o600)
        if "." not in label:
            tower.filename = path
        else:
            if not hasattr(tower, "filename"):
                tower.filename = _Namespace()
            setattr(tower.filename, label.split(".", 1)[1], path)
    return {name: sandbox.from_string(template).render(**namespace)
            for name, template in injectors.get("env", {}).items()}
