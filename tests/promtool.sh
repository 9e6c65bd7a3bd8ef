#!/usr/bin/env bash
# `damo report metrics` output through Prometheus's own linter (`promtool
# check metrics`, from Debian's prometheus package, installed if missing),
# on fake DAMON trees of several kernel versions with every module and a
# scheme with quotas and goals.  Touches no real DAMON (DAMO_SYSFS_ROOT).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v promtool >/dev/null; then
    SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get install -y --no-install-recommends prometheus >/dev/null 2>&1 || {
        $SUDO apt-get update >/dev/null
        $SUDO apt-get install -y --no-install-recommends prometheus >/dev/null
    }
fi
cargo build --release --quiet --bin damo --example fake_tree
DAMO=$PWD/target/release/damo
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
n=0
for v in 6.1 6.12 6.18; do
    T=$W/$v
    target/release/examples/fake_tree "$T" "$v" reclaim lru_sort stat
    export DAMO_SYSFS_ROOT=$T
    sleep 600 &
    pid=$!
    args=(--damos_action pageout --damos_quotas 10ms 64M 1s)
    [ "$v" = 6.1 ] || args+=(--damos_quota_goal some_mem_psi_us 1000)
    "$DAMO" start "$pid" "${args[@]}" >/dev/null
    for extra in "" --pid_labels; do
        # shellcheck disable=SC2086
        "$DAMO" report metrics --once $extra >"$W/out"
        promtool check metrics <"$W/out" || { echo "FAIL promtool on $v $extra"; exit 1; }
        n=$((n + 1))
    done
    "$DAMO" stop >/dev/null
    kill "$pid"
    unset DAMO_SYSFS_ROOT
done
echo "ok promtool check metrics: $n expositions clean ($(promtool --version 2>&1 | head -1))"
