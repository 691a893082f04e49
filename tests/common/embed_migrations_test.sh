#!/usr/bin/env bash
# cmake/EmbedMigrations.cmake writes each file's number as a decimal C++ literal: 0008 -> 8 and
# 0010 -> 10 (a leading zero would make it octal: 0010 == 8, and 0008 would not compile).
# Args: SOURCE_DIR
set -euo pipefail
src=$1
work=$(mktemp -d /tmp/imp-embed.XXXXXX)
trap 'rm -rf "$work"' EXIT
for f in 0001_a 0008_b 0010_c 0120_d; do echo "SELECT 1;" >"$work/$f.sql"; done
cmake -DOUT="$work/out.cc" -DNAMESPACE=t \
  "-DFILES=$work/0001_a.sql|$work/0008_b.sql|$work/0010_c.sql|$work/0120_d.sql" \
  -P "$src/cmake/EmbedMigrations.cmake"
for want in '{1, "0001_a.sql"' '{8, "0008_b.sql"' '{10, "0010_c.sql"' '{120, "0120_d.sql"'; do
  grep -qF "$want" "$work/out.cc" || { echo "FAIL: no '$want' in:"; cat "$work/out.cc"; exit 1; } >&2
done
echo "embedded migration versions: ok"
