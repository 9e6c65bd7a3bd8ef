#!/usr/bin/env bash
# Builds the guest kernel of the debugfs scenarios (tests/vm/dbgfs.sh):
# Debian bookworm's 6.1 source (linux-source-6.1), `make tinyconfig` plus
# damon-guest.config, everything built in (no modules), with both DAMON
# interfaces: sysfs and the old debugfs one (CONFIG_DAMON_DBGFS; upstream
# removed it in 6.9, and Debian's packaged 6.1 kernels have no DAMON).
#
# Usage: build.sh OUTDIR   (writes OUTDIR/vmlinuz, OUTDIR/config; idempotent:
#                           reuses the unpacked tree and the build)
# Env: DAMO_E2E_KBUILD  scratch directory (default ${TMPDIR:-/tmp}/damo-e2e-kbuild-6.1)
#      JOBS             make -j (default: the number of CPUs); runs under nice
# About 6 minutes on 2 cores.  Installs its build dependencies with apt-get.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${1:?usage: build.sh OUTDIR}
FRAG=$HERE/damon-guest.config
B=${DAMO_E2E_KBUILD:-${TMPDIR:-/tmp}/damo-e2e-kbuild-6.1}
JOBS=${JOBS:-$(nproc)}
TARBALL=/usr/src/linux-source-6.1.tar.xz
say() { echo "[e2e kernel 6.1-damon-dbgfs] $*" >&2; }
SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo

need=()
for p in linux-source-6.1 build-essential bc bison flex libelf-dev libssl-dev cpio xz-utils; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
    say "installing ${need[*]}"
    $SUDO apt-get install -y --no-install-recommends "${need[@]}" >/dev/null 2>&1 || {
        $SUDO apt-get update >/dev/null
        $SUDO apt-get install -y --no-install-recommends "${need[@]}" >/dev/null
    }
fi
[ -f "$TARBALL" ] || { say "missing $TARBALL"; exit 1; }
SRCVER=$(dpkg-query -W -f='${Version}' linux-source-6.1)
mkdir -p "$B" "$OUT"
S=$B/linux-source-6.1
if [ ! -f "$S/Makefile" ] || [ "$(cat "$B/.srcver" 2>/dev/null)" != "$SRCVER" ]; then
    say "unpacking linux-source-6.1 $SRCVER"
    rm -rf "$S"
    tar -C "$B" -xf "$TARBALL"
    echo "$SRCVER" >"$B/.srcver"
fi
cd "$S"
M=(make ARCH=x86_64)
"${M[@]}" tinyconfig >/dev/null
ARCH=x86_64 ./scripts/kconfig/merge_config.sh -m .config "$FRAG" >/dev/null
"${M[@]}" olddefconfig >/dev/null
# every option of the fragment must have survived olddefconfig
bad=0
while IFS= read -r line; do
    case $line in
        CONFIG_*=*) grep -qxF "$line" .config || { say "config: wanted '$line'"; bad=1; } ;;
    esac
done <"$FRAG"
[ $bad = 0 ] || { say "config check failed"; exit 1; }
say "nice make -j$JOBS bzImage"
t0=$(date +%s)
nice "${M[@]}" -j"$JOBS" bzImage >"$B/build.log" 2>&1 || {
    tail -n 40 "$B/build.log" >&2
    say "build failed (log: $B/build.log)"
    exit 1
}
install -m 644 arch/x86/boot/bzImage "$OUT/vmlinuz"
install -m 644 .config "$OUT/config"
say "built $("${M[@]}" -s kernelrelease) in $(($(date +%s) - t0)) s"
