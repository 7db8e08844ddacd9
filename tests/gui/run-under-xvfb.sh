#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Runs a GUI test program (TAP) in a private X server and a private D-Bus session bus, so it
# neither needs nor disturbs the desktop it is started from.
#
# Usage: run-under-xvfb.sh PROGRAM [ARGS…]
# Without xvfb-run or dbus-run-session the test is skipped, unless CI=true, where it fails.

set -eu

missing=""
for tool in xvfb-run xauth dbus-run-session; do
  command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done

if [ -n "$missing" ]; then
  case "${CI:-}" in
    true | TRUE | True | 1)
      echo "Bail out! missing:$missing (install xvfb, xauth and dbus; CI=true forbids skipping)"
      exit 1
      ;;
  esac
  echo "1..0 # SKIP missing:$missing"
  exit 0
fi

# GSK_RENDERER=cairo: Xvfb has no usable GL.  GTK_A11Y=none: no accessibility bus here.
exec xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" \
  dbus-run-session -- \
  env GDK_BACKEND=x11 GTK_A11Y=none GSK_RENDERER=cairo GSETTINGS_BACKEND=memory \
  "$@"
