# -*- coding: utf-8 -*-
# Copyright (c) csops.cloudstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""CloudStack settings (configuration values): ``rules`` (pure value and input rules), ``writer`` (the one
planner and writer of setting values at any scope, for every caller), ``backend`` (the ``setting`` and
``setting_info`` tasks)."""
