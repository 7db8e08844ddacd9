#!/bin/sh
# Every source file with translatable strings must be listed in po/POTFILES.
set -eu
cd "$(dirname "$0")/.."
status=0
# src/core/*/ are the layers of libferry (src/core/meson.build).
for file in $(grep -l '_("' src/core/*.c src/core/*/*.c src/cli/*.c src/gui/*.c) \
            $(grep -l 'translatable="yes"' ui/*.ui); do
  if ! grep -qx "$file" po/POTFILES; then
    echo "not in po/POTFILES: $file"
    status=1
  fi
done
exit $status
