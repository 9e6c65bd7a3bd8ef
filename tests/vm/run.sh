#!/usr/bin/env bash
# Runs one command in a fresh QEMU guest booting the DAMON-enabled kernel
# that tests/vm/setup.sh prepared (run first when missing), and returns
# its stdout, stderr and exit status.  The guest sees the host's files
# read-only at the same paths (writes go to a throw-away overlay), has
# its own sysfs (its own DAMON), and runs the command as root in the
# current directory with E2E_GUEST=1, the host's PATH and HOME, and each
# -e VAR=VAL.  No KVM needed (TCG).
# Usage: run.sh [-m MEM] [-t SECS] [-e VAR=VAL]... -- COMMAND [ARGS...]
# Exit: the command's status; 124 on timeout; 125 if the guest gave none.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
W=${DAMO_E2E_DIR:-$HOME/.cache/damo-e2e}
MEM=1G TMO=900 ENVS=()
while [ $# -gt 0 ]; do
    case $1 in
        -m) MEM=$2; shift 2 ;;
        -t) TMO=$2; shift 2 ;;
        -e) ENVS+=("$2"); shift 2 ;;
        --) shift; break ;;
        *) break ;;
    esac
done
# DAMO_E2E_KERNEL=NAME boots $W/kernel-NAME (see setup.sh); default: the
# Debian 6.12 kernel
K=$W/current
[ -n "${DAMO_E2E_KERNEL:-}" ] && K=$W/kernel-$DAMO_E2E_KERNEL
if [ ! -f "$K/initramfs.cpio.gz" ] || [ "$HERE/init.sh" -nt "$K/initramfs.cpio.gz" ]; then
    "$HERE/setup.sh" || exit 125
fi
RUN=$(mktemp -d)
trap 'rm -rf "$RUN"' EXIT
{
    printf 'export PATH=%q HOME=%q\n' "$PATH" "${HOME:-/root}"
    echo "export E2E_GUEST=1 LANG=C.UTF-8 TERM=dumb"
    for kv in "${ENVS[@]+"${ENVS[@]}"}"; do printf 'export %q\n' "$kv"; done
    printf 'cd %q || exit 126\n' "$PWD"
    printf '%q ' "$@"; echo
} >"$RUN/cmd.sh"
# Single-threaded TCG: with one host thread per vCPU, the guest kernel
# patching its own code (tracepoints being enabled by record) sometimes hit
# a stale int3 on the other vCPU and oopsed ("Oops: int3").  (With one
# vCPU, DAMO_E2E_SMP=1, the 6.12 suite's workload died under monitor in
# CI: two stay the default.)
accel=tcg,thread=single cpu=qemu64 smp=${DAMO_E2E_SMP:-2}
if [ -w /dev/kvm ] && { [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; }; then
    accel=kvm cpu=host smp=${DAMO_E2E_SMP:-2}
fi
timeout -k 5 "$TMO" qemu-system-x86_64 -accel $accel -cpu $cpu -m "$MEM" -smp "$smp" \
    -nodefaults -no-user-config -display none -no-reboot \
    -kernel "$K/vmlinuz" -initrd "$K/initramfs.cpio.gz" \
    -append "console=ttyS0 quiet loglevel=4 panic=-1 oops=panic mitigations=off damo-e2e-guest" \
    -fsdev local,id=h,path=/,security_model=none,readonly=on,multidevs=remap \
    -device virtio-9p-pci,fsdev=h,mount_tag=hostroot \
    -fsdev "local,id=r,path=$RUN,security_model=none,multidevs=remap" \
    -device virtio-9p-pci,fsdev=r,mount_tag=e2erun \
    -serial "file:$RUN/console.log" </dev/null
qrc=$?
[ -f "$RUN/stdout" ] && cat "$RUN/stdout"
[ -f "$RUN/stderr" ] && cat "$RUN/stderr" >&2
if [ $qrc = 124 ] || [ $qrc = 137 ]; then
    echo "run.sh: the guest timed out after $TMO s" >&2; tail -20 "$RUN/console.log" >&2; exit 124
fi
if [ ! -s "$RUN/rc" ]; then
    echo "run.sh: the guest gave no exit status" >&2
    grep -m8 -E "BUG:|Oops|general protection|invalid opcode|Comm:|Kernel panic" "$RUN/console.log" >&2
    tail -30 "$RUN/console.log" >&2; exit 125
fi
exit "$(cat "$RUN/rc")"
