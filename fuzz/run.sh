#!/usr/bin/env bash
# Runs every fuzz target for a fixed time, seeded from samples/.
#
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]     (default: 60 s, all)
#
# Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
# SANITIZER=address turns AddressSanitizer on (slower; the crate forbids
# unsafe code, so the default is none). Crashes land in
# fuzz/artifacts/<target>/; reproduce one with
#   cargo +nightly fuzz run <target> fuzz/artifacts/<target>/crash-…
# and fix it with a regression test in the main crate. Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(classify netstat ss conntrack companions timestamp sniff pipeline)
fi
sanitizer=${SANITIZER:-none}

# Seeds: every sample capture, whole (the line targets split them), plus
# compressed ones for the pipeline (its first byte picks the chunk size).
for t in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$t"
    for f in samples/*/*; do
        [ -f "$f" ] || continue
        name=$(echo "$f" | tr '/' '_')
        case "$t" in
            pipeline) { printf '\x2a'; cat "$f"; } > "fuzz/corpus/$t/$name" ;;
            *) case "$f" in *.gz|*.zst) ;; *) cp "$f" "fuzz/corpus/$t/$name" ;; esac ;;
        esac
    done
done

status=0
for t in "${targets[@]}"; do
    echo "== $t: ${secs}s"
    if ! cargo +nightly fuzz run --sanitizer "$sanitizer" "$t" "fuzz/corpus/$t" -- \
        -max_total_time="$secs" -max_len=262144 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1; then
        echo "!! $t found a crash: see fuzz/artifacts/$t/"
        status=1
    fi
done
exit $status
