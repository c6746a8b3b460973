# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument specs shared by the API modules. Each has a doc fragment with the same defaults and choices:
CONNECTION_SPEC <-> doc_fragments/api.py, WAIT_SPEC <-> doc_fragments/wait.py, LOCATION_SPEC <->
doc_fragments/location.py."""

from __future__ import annotations

from ansible.module_utils.basic import env_fallback

CONNECTION_SPEC = dict(
    api_url=dict(type="str", fallback=(env_fallback, ["CLOUDSTACK_ENDPOINT"])),
    # The key is kept out of logs too: with a captured request it is half of what an attacker needs.
    api_key=dict(type="str", no_log=True, fallback=(env_fallback, ["CLOUDSTACK_KEY"])),
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

# The largest wait_timeout accepted: a week, far beyond any CloudStack job, small enough for every clock.
MAX_WAIT_TIMEOUT = 7 * 24 * 3600

LOCATION_KINDS = ("zone", "pod", "cluster", "host")

LOCATION_SPEC = dict((kind, dict(type="str")) for kind in LOCATION_KINDS)


def location_spec(*kinds):
    """The LOCATION_SPEC options for ``kinds`` (all four when none are named)."""
    return dict((kind, dict(LOCATION_SPEC[kind])) for kind in (kinds or LOCATION_KINDS))
