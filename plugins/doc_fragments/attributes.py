# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Descriptions of the attributes; each module states its own support level.
    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check mode and report what would change without changing anything.
  diff_mode:
    description: Returns what changed (or would change) as C(before) and C(after) in diff mode.
"""

    API = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/csops.cloudstack.cloudstack) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - csops.cloudstack.cloudstack
"""

    INFO_MODULE = r"""
options: {}
attributes:
  check_mode:
    support: full
    details: This module only reads, so it runs the same way in check mode.
  diff_mode:
    support: N/A
    details: This module only reads.
"""
