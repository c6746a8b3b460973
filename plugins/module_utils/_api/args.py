# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument specs shared by the API modules. Each has a doc fragment with the same defaults and choices:
CONNECTION_SPEC <-> doc_fragments/api.py, WAIT_SPEC <-> doc_fragments/wait.py."""

from __future__ import annotations

from ansible.module_utils.basic import env_fallback

CONNECTION_SPEC = dict(
    api_url=dict(type="str", fallback=(env_fallback, ["CLOUDSTACK_ENDPOINT"])),
    api_key=dict(type="str", no_log=False, fallback=(env_fallback, ["CLOUDSTACK_KEY"])),
    api_secret=dict(type="str", no_log=True, fallback=(env_fallback, ["CLOUDSTACK_SECRET"])),
    api_timeout=dict(type="int", fallback=(env_fallback, ["CLOUDSTACK_TIMEOUT"])),
    api_http_method=dict(type="str", choices=["get", "post"], fallback=(env_fallback, ["CLOUDSTACK_METHOD"])),
    api_region=dict(type="str", fallback=(env_fallback, ["CLOUDSTACK_REGION"])),
    validate_certs=dict(type="bool"),
    api_ca_file=dict(type="path"),
)

WAIT_SPEC = dict(
    wait=dict(type="bool", default=True),
    wait_timeout=dict(type="int", default=600),
)
