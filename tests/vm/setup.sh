#!/usr/bin/env bash
# Prepares the QEMU guest for the end-to-end suite: installs qemu and
# helpers from Debian's packages, fetches a DAMON-enabled Debian 6.12
# kernel (apt-get download + dpkg-deb -x; not installed on the host), and
# packs a busybox initramfs with the modules the guest needs (9p and
# overlay for the host's files, zram for swap) and tests/vm/init.sh.
# Idempotent; FORCE=1 rebuilds.  Work directory: $DAMO_E2E_DIR
# (default ~/.cache/damo-e2e).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
W=${DAMO_E2E_DIR:-$HOME/.cache/damo-e2e}
mkdir -p "$W"
say() { echo "[e2e setup] $*" >&2; }
SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo

missing=()
# linux-perf and file: damo 3.4.3 needs them in the guest (to record and to
# read records) for the comparisons; ours needs neither.  strace: the
# debugfs scenarios trace both tools' writes.  trace-cmd: damo 3.4.3's
# other recorder, for the recorder CPU comparison.  prometheus: the
# exporter scenario's real server and promtool.
for p in qemu-system-x86 busybox-static cpio xz-utils gzip linux-perf file strace trace-cmd prometheus; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    $SUDO apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
        $SUDO apt-get update >/dev/null
        $SUDO apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null
    }
fi

# DAMO_E2E_KERNEL=6.1-damon-dbgfs: the kernel of the debugfs scenarios,
# built from Debian's 6.1 source by tests/vm/kernels/6.1-damon-dbgfs/build.sh
# (about 6 minutes, once; DAMO_E2E_BZIMAGE=FILE takes a prebuilt image).
if [ "${DAMO_E2E_KERNEL:-}" = 6.1-damon-dbgfs ]; then
    K=$W/kernel-6.1-damon-dbgfs
    if [ ! -f "$K/vmlinuz" ] || [ -n "${FORCE:-}" ]; then
        mkdir -p "$K"
        if [ -n "${DAMO_E2E_BZIMAGE:-}" ]; then
            cp "$DAMO_E2E_BZIMAGE" "$K/vmlinuz"
        else
            "$HERE/kernels/6.1-damon-dbgfs/build.sh" "$K"
        fi
    fi
    mkdir -p "$K/modules"
    kver=6.1-damon-dbgfs
fi

# DAMO_E2E_KERNEL=<kver> (any other name): Debian's linux-image-<kver>,
# from the suites in DAMO_E2E_SUITES (e.g. "trixie-backports", "sid")
# through a scratch apt configuration under $W/apt (the system's sources
# are not changed).  Newer Debian kernels are split packages
# (linux-binary-, linux-modules-, linux-base-): all are fetched.
APT=()
if [ -n "${DAMO_E2E_SUITES:-}" ]; then
    A=$W/apt
    mkdir -p "$A/lists/partial" "$A/cache/archives/partial"
    for s in $DAMO_E2E_SUITES; do echo "deb http://deb.debian.org/debian $s main"; done >"$A/sources.new"
    APT=(-o "Dir::Etc::sourcelist=$A/sources.list" -o Dir::Etc::sourceparts=/nonexistent
        -o "Dir::State::Lists=$A/lists" -o "Dir::Cache=$A/cache" -o APT::Get::List-Cleanup=0)
    mv "$A/sources.new" "$A/sources.list"
    # a suite without a package list of the last day: update
    stale=
    for s in $DAMO_E2E_SUITES; do
        [ -n "$(find "$A/lists" -name "*_dists_${s}_*Packages*" -mmin -1440 2>/dev/null)" ] || stale=1
    done
    if [ -n "$stale" ]; then
        say "apt-get update for $DAMO_E2E_SUITES"
        apt-get "${APT[@]}" update >/dev/null 2>&1 || say "warning: apt-get update failed"
    fi
fi
pkg=${DAMO_E2E_KPKG:-}
if [ "${DAMO_E2E_KERNEL:-}" = newest ]; then
    # the newest kernel of the suites: the dependency of the highest
    # linux-image-amd64 any of them has (experimental's release candidate
    # over sid's release), also reachable as $W/kernel-newest
    best=
    for v in $(apt-cache "${APT[@]+"${APT[@]}"}" madison linux-image-amd64 2>/dev/null |
        awk -F'|' '{gsub(/ /, "", $2); print $2}'); do
        [ -z "$best" ] || dpkg --compare-versions "$v" gt "$best" && best=$v
    done
    pkg=
    [ -z "$best" ] || pkg=$(apt-cache "${APT[@]+"${APT[@]}"}" show "linux-image-amd64=$best" 2>/dev/null |
        awk '/^Depends:/ { for (i = 2; i <= NF; i++) if ($i ~ /^linux-image-[0-9]/) { print $i; exit } }')
    [ -n "$pkg" ] || { say "cannot resolve linux-image-amd64 in ${DAMO_E2E_SUITES:-the system suites}"; exit 1; }
    say "newest kernel: $pkg (linux-image-amd64 $best)"
elif [ -z "${kver:-}" ] && [ -z "$pkg" ] && [ -n "${DAMO_E2E_KERNEL:-}" ]; then
    pkg=linux-image-$DAMO_E2E_KERNEL
fi
resolve() { apt-cache depends linux-image-6.12-amd64 2>/dev/null | awk '/Depends: linux-image-6\.12/ {print $2; exit}'; }
[ -n "${kver:-}" ] || [ -n "$pkg" ] || pkg=$(resolve || true)
[ -n "${kver:-}" ] || [ -n "$pkg" ] || { $SUDO apt-get update >/dev/null; pkg=$(resolve || true); }
if [ -z "${kver:-}" ]; then
    [ -n "$pkg" ] || { say "cannot resolve linux-image-6.12-amd64"; exit 1; }
    kver=${pkg#linux-image-}
    K=$W/kernel-$kver
fi
MODS="fs/netfs/netfs net/9p/9pnet net/9p/9pnet_virtio fs/9p/9p fs/overlayfs/overlay lib/lz4/lz4_compress lib/lz4/lz4hc_compress drivers/block/zram/zram"
if [ -n "$pkg" ] && { [ ! -f "$K/vmlinuz" ] || [ -n "${FORCE:-}" ]; }; then
    say "fetching $pkg"
    rm -rf "$W/dl" "$K"; mkdir -p "$W/dl/x" "$K/modules"
    pkgs=("$pkg")
    for extra in $(apt-cache "${APT[@]+"${APT[@]}"}" depends "$pkg" 2>/dev/null |
        awk '/Depends: linux-(binary|modules|base)-/ {print $2}' | sort -u); do
        pkgs+=("$extra")
    done
    (cd "$W/dl" && apt-get "${APT[@]+"${APT[@]}"}" download "${pkgs[@]}" 2>&1 | grep -v unsandboxed >&2 || true)
    ls "$W"/dl/*.deb >/dev/null 2>&1 || { say "cannot download $pkg"; exit 1; }
    for deb in "$W"/dl/*.deb; do dpkg-deb -x "$deb" "$W/dl/x"; done
    X=$W/dl/x
    for f in "$X/boot/vmlinuz-$kver" "$X/usr/lib/modules/$kver/vmlinuz" "$X/lib/modules/$kver/vmlinuz"; do
        [ -f "$f" ] && { cp "$f" "$K/vmlinuz"; break; }
    done
    for f in "$X/boot/config-$kver" "$X/usr/lib/modules/$kver/config" "$X/lib/modules/$kver/config"; do
        [ -f "$f" ] && { cp "$f" "$K/config"; break; }
    done
    [ -f "$K/vmlinuz" ] && [ -f "$K/config" ] || { say "no vmlinuz or config in $pkg"; exit 1; }
    mdir=$X/lib/modules/$kver/kernel
    [ -d "$mdir" ] || mdir=$X/usr/lib/modules/$kver/kernel
    n=0
    for m in $MODS; do
        n=$((n + 1))
        src=$mdir/$m
        dst=$K/modules/$(printf %02d $n)-$(basename "$m").ko
        if [ -f "$src.ko.xz" ]; then xz -dc "$src.ko.xz" >"$dst"
        elif [ -f "$src.ko" ]; then cp "$src.ko" "$dst"
        else say "module $m not found (built in?)"; fi
    done
    rm -rf "$W/dl"
fi
for opt in CONFIG_DAMON CONFIG_DAMON_VADDR CONFIG_DAMON_PADDR CONFIG_DAMON_SYSFS; do
    [ ! -f "$K/config" ] || grep -q "^$opt=y" "$K/config" || { say "$kver lacks $opt=y"; exit 1; }
done
if [ ! -f "$K/initramfs.cpio.gz" ] || [ "$HERE/init.sh" -nt "$K/initramfs.cpio.gz" ] || [ -n "${FORCE:-}" ]; then
    say "packing the initramfs"
    R=$W/initramfs; rm -rf "$R"
    mkdir -p "$R"/{bin,dev,proc,sys,newroot,lib/modules}
    cp /bin/busybox "$R/bin/busybox"; ln -s busybox "$R/bin/sh"
    cp "$K"/modules/*.ko "$R/lib/modules/" 2>/dev/null || true
    cp "$HERE/init.sh" "$R/init"; chmod 755 "$R/init"
    (cd "$R" && find . | cpio -o -H newc --quiet | gzip -1 >"$K/initramfs.cpio.gz")
    rm -rf "$R"
fi
mkdir -p "$W/bin"
if [ ! -x "$W/bin/workload" ] || [ "$HERE/workload.c" -nt "$W/bin/workload" ]; then
    gcc -O2 -static -o "$W/bin/workload" "$HERE/workload.c" 2>/dev/null ||
        gcc -O2 -o "$W/bin/workload" "$HERE/workload.c"
fi
[ -n "${DAMO_E2E_KERNEL:-}" ] || ln -sfn "kernel-$kver" "$W/current"
[ "${DAMO_E2E_KERNEL:-}" != newest ] || ln -sfn "kernel-$kver" "$W/kernel-newest"
say "ready: $kver"
