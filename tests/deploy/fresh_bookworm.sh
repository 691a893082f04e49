#!/usr/bin/env bash
# The proof that the README's two commands work on a fresh machine: a bare Debian bookworm root
# (mmdebstrap, nothing but apt, ca-certificates and git), a fresh clone of this repository's
# committed HEAD inside it, then, as a newcomer would, `deploy/local/up.sh` (installs, builds,
# serves the demo), `deploy/local/down.sh`, and `tests/run.sh` (every test). Exits non-zero when
# either command fails. Slow (about 45 minutes on 2 cores: two package installs, a build, the
# whole test run), so it is not part of tests/run.sh; run it after changing install-deps.sh or
# anything a script calls.
#
#   sudo tests/deploy/fresh_bookworm.sh            # the whole proof
#   IMP_FRESH_KEEP=1 ...                           # keep the root for a look afterwards
#   IMP_FRESH_ONLY_UP=1 ...                        # stop after up.sh (a quicker look)
#
# The log of everything run inside the root is written to build/reports/fresh-bookworm-<time>.log
# (path printed; its last line is the verdict), and the reports the test run wrote inside the root
# (fault-figures.jsonl, galera-figures.json) to build/reports/fresh-bookworm-<time>/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
[ "$(id -u)" -eq 0 ] || { echo "fresh_bookworm: run as root (mmdebstrap, chroot, mounts)" >&2; exit 2; }

if ! command -v mmdebstrap >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mmdebstrap >/dev/null
fi

REPORTS="${IMP_REPORT_DIR:-$ROOT/build/reports}"
mkdir -p "$REPORTS"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
LOG="$REPORTS/fresh-bookworm-$STAMP.log"
COMMIT=$(git -C "$ROOT" rev-parse HEAD)
DIR=$(mktemp -d /var/tmp/imp-fresh.XXXXXX)
echo "fresh_bookworm: root $DIR, commit $COMMIT, log $LOG"

mounted=()
cleanup() {
  # Unmount before deleting: rm -rf would follow the bind mounts into the host's /dev and /sys.
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[$i]}" 2>/dev/null || true; done
  if [ -n "${IMP_FRESH_KEEP:-}" ]; then
    echo "fresh_bookworm: kept $DIR (unmount nothing: already done; remove with rm -rf --one-file-system)"
  else
    if mountpoint -q "$DIR/proc" || mountpoint -q "$DIR/dev" || mountpoint -q "$DIR/sys"; then
      echo "fresh_bookworm: something is still mounted under $DIR; not deleting it" >&2
    else
      rm -rf --one-file-system "$DIR"
    fi
  fi
}
trap cleanup EXIT

# A bare root from the host's own apt sources (the registries this machine reaches).
sources=$(cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null || true)
mmdebstrap --variant=apt --include=ca-certificates,git bookworm "$DIR" - <<<"$sources" >>"$LOG" 2>&1

# What any booted machine has and a chroot does not: the site's CA certificates and npm settings
# (so apt and npm reach the registries as the host does), and a resolvable localhost
# (mariadb-install-db refuses to run without it).
if compgen -G "/usr/local/share/ca-certificates/*" >/dev/null; then
  mkdir -p "$DIR/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/* "$DIR/usr/local/share/ca-certificates/"
fi
cp /etc/ssl/certs/ca-certificates.crt "$DIR/etc/ssl/certs/ca-certificates.crt"
for f in /etc/npmrc /usr/local/etc/npmrc /root/.npmrc; do
  if [ -f "$f" ]; then mkdir -p "$DIR$(dirname "$f")"; cp -p "$f" "$DIR$f"; fi
done
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$DIR/etc/hosts"
cp /etc/resolv.conf "$DIR/etc/resolv.conf" 2>/dev/null || true

mount -t proc proc "$DIR/proc" && mounted+=("$DIR/proc")
mount --rbind /dev "$DIR/dev" && mount --make-rslave "$DIR/dev" && mounted+=("$DIR/dev")
mount --rbind /sys "$DIR/sys" && mount --make-rslave "$DIR/sys" && mounted+=("$DIR/sys")

# A fresh clone of what is committed, not this work tree.
git clone -q --no-hardlinks "$ROOT" "$DIR/root/imp"
git -C "$DIR/root/imp" checkout -q "$COMMIT"

steps='cd /root/imp && echo "== up.sh" && bash deploy/local/up.sh && echo "== down.sh" && bash deploy/local/down.sh'
if [ -z "${IMP_FRESH_ONLY_UP:-}" ]; then
  steps="$steps"' && echo "== tests/run.sh" && bash tests/run.sh'
fi
set +e
chroot "$DIR" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  LANG=C.UTF-8 TERM=dumb CI=true bash -c "$steps" >>"$LOG" 2>&1
rc=$?
set -e
# The figures files the test run wrote (fault suite, Galera) travel with the log.
if [ -d "$DIR/root/imp/build/reports" ]; then
  mkdir -p "$REPORTS/fresh-bookworm-$STAMP"
  cp -r "$DIR/root/imp/build/reports/." "$REPORTS/fresh-bookworm-$STAMP/"
  echo "fresh_bookworm: the run's reports are in $REPORTS/fresh-bookworm-$STAMP" | tee -a "$LOG"
fi
tail -5 "$LOG"
if [ $rc -eq 0 ]; then
  echo "fresh_bookworm: PASSED at $COMMIT (both README commands in a bare bookworm)" | tee -a "$LOG"
else
  echo "fresh_bookworm: FAILED (exit $rc) at $COMMIT; see $LOG" | tee -a "$LOG"
fi
exit $rc
