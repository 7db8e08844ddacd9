#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks that the Flatpak manifest is valid JSON and builds the app it should."""

import json
import sys


def main() -> int:
    path, app_id = sys.argv[1], sys.argv[2]
    try:
        with open(path, encoding='utf-8') as f:
            manifest = json.load(f)
    except (OSError, ValueError) as e:
        print(f'{path}: {e}', file=sys.stderr)
        return 1

    problems = []
    if manifest.get('id') != app_id:
        problems.append(f'id is {manifest.get("id")!r}, expected {app_id!r}')
    if manifest.get('command') != 'ferry':
        problems.append(f'command is {manifest.get("command")!r}, expected \'ferry\'')
    modules = manifest.get('modules') or []
    names = [m.get('name') if isinstance(m, dict) else m for m in modules]
    if not names or names[-1] != 'ferry':
        problems.append(f'the last module must be the app itself (ferry), found {names!r}')

    for problem in problems:
        print(f'{path}: {problem}', file=sys.stderr)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
