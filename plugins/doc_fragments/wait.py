# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Same names and defaults as WAIT_SPEC in plugins/module_utils/_api/args.py.
    DOCUMENTATION = r"""
options:
  wait:
    description:
      - Wait for CloudStack's asynchronous jobs to finish, and fail if one fails.
      - When false the module returns the job ids as soon as the jobs are accepted.
      - Nothing is waited for in check mode.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait for the jobs of this task, in all.
      - Jobs are polled quickly at first, then less often, up to every 10 seconds.
    type: int
    default: 600
"""
