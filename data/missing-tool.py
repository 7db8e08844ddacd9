#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Stands in for a validation tool that meson did not find: skip locally, fail under CI."""

import os
import sys

tool = sys.argv[1] if len(sys.argv) > 1 else 'a required tool'
if os.environ.get('CI', '').lower() in ('true', '1'):
    print(f'{tool} is not installed, and CI=true forbids skipping this test', file=sys.stderr)
    sys.exit(1)
print(f'{tool} is not installed; skipping', file=sys.stderr)
sys.exit(77)
