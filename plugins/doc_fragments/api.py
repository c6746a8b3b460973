# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Same names, defaults and choices as CONNECTION_SPEC in plugins/module_utils/_api/args.py.
    DOCUMENTATION = r"""
options:
  api_url:
    description:
      - URL of the CloudStack API, for example C(https://cloud.example.com/client/api).
      - If not set, the environment variable E(CLOUDSTACK_ENDPOINT) is used, then C(endpoint) in cloudstack.ini.
    type: str
  api_key:
    description:
      - API key of a root admin account.
      - It is kept out of logs and output like the secret (Ansible masks it), since it names the account and,
        with one captured request, is half of what an attacker needs.
      - If not set, E(CLOUDSTACK_KEY) is used, then C(key) in cloudstack.ini.
    type: str
  api_secret:
    description:
      - Secret key that signs the requests. It is never logged nor returned.
      - If not set, E(CLOUDSTACK_SECRET) is used, then C(secret) in cloudstack.ini.
    type: str
  api_timeout:
    description:
      - Seconds to wait for one HTTP answer from the API.
      - If not set, E(CLOUDSTACK_TIMEOUT) is used, then C(timeout) in cloudstack.ini, then C(10).
    type: int
  api_http_method:
    description:
      - HTTP method of the requests.
      - If not set, E(CLOUDSTACK_METHOD) is used, then C(method) in cloudstack.ini, then C(get).
    type: str
    choices: [get, post]
  api_region:
    description:
      - Section of cloudstack.ini to read the settings above from, when they are not given otherwise.
      - The files read are C(~/.cloudstack.ini), C(./cloudstack.ini) and the file named by E(CLOUDSTACK_CONFIG),
        later files overriding earlier ones.
      - If not set, E(CLOUDSTACK_REGION) is used, then C(cloudstack).
    type: str
  validate_certs:
    description:
      - Whether to verify the API's TLS certificate.
      - If not set, E(CLOUDSTACK_DANGEROUS_NO_TLS_VERIFY=true) turns verification off, E(CLOUDSTACK_VERIFY) set to
        C(false) turns it off, set to C(true) keeps it on, and set to a file path keeps it on with that CA bundle;
        cloudstack.ini keys C(dangerous_no_tls_verify) and C(verify) work the same way. The default is to verify.
      - Any other value of those variables is rejected rather than guessed at.
    type: bool
  api_ca_file:
    description:
      - CA bundle to verify the API's certificate with, instead of the system's.
    type: path
notes:
  - Settings are taken, each on its own, from the task options first, then the environment, then cloudstack.ini.
  - Reads (list and query calls) are retried with jittered backoff on connection errors, HTTP 429 and 5xx answers;
    writes are never resent.
"""
