#!/usr/bin/env bash
# Fleet scale: time, peak memory and output size of `report`, `summary` and
# `diagnose` over generated fleets of 1,000 and 5,000 hosts, and the speed-up
# of --threads 2 over --threads 1 (BENCHMARKS.md, "Fleet").
#
#   benches/fleet.sh                 # 1,000 and 5,000 hosts
#   SIZES="300 1000" RUNS=5 benches/fleet.sh
#
# Fleets come from the integration tests' generator (tests/fleet.rs, the
# ignored `generate_for_benchmarks`): real captures from tests/data/scenarios
# in four directory layouts, one host in twenty with a scenario's problem.
# Each figure is the median of RUNS runs with a warm page cache; peak RSS from
# GNU time. Output goes to target/bench/fleet-N*/ and is kept.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=${SIZES:-"1000 5000"}
RUNS=${RUNS:-3}
DATA=${DATA:-target/bench}
mkdir -p "$DATA"
[ -x /usr/bin/time ] || { echo "fleet.sh: needs GNU time (apt-get install time)" >&2; exit 2; }

cargo build --release --quiet
BIN=$PWD/target/release/sockscope

gen() { # hosts → directory
  local n=$1 dir=$DATA/fleet-$1
  if [ ! -d "$dir" ]; then
    echo "== generating $n hosts in $dir" >&2
    SOCKSCOPE_FLEET_DIR=$dir SOCKSCOPE_FLEET_HOSTS=$n \
      cargo test --release --quiet --test integration generate_for_benchmarks -- --ignored >&2
  fi
}

# median of RUNS runs: prints "wall_s peak_MiB"
measure() { # command...
  local out=() i
  for ((i = 0; i < RUNS; i++)); do
    /usr/bin/time -f '%e %M' -o "$DATA/.time" "$@" >/dev/null 2>"$DATA/.stderr" || {
      rc=$?
      # 1 = some inputs were rejected or failed (the generator's corrupt ones): still a run.
      [ $rc -eq 1 ] || { cat "$DATA/.stderr" >&2; exit $rc; }
    }
    out+=("$(tail -1 "$DATA/.time")")
  done
  printf '%s\n' "${out[@]}" | sort -n | awk -v n="$RUNS" 'NR == int((n + 1) / 2) { printf "%.2f %.0f\n", $1, $2 / 1024 }'
}

printf '%-6s %-9s %-26s %8s %9s %10s %7s\n' hosts input command wall_s peak_MiB output_MB files
for n in $SIZES; do
  gen "$n"
  dir=$DATA/fleet-$n
  input_mb=$(du -sm "$dir" | cut -f1)
  row() { printf '%-6s %-9s %-26s %8s %9s %10s %7s\n' "$n" "${input_mb} MB" "$@"; }

  read -r w m < <(measure "$BIN" summary --format json "$dir")
  row "summary --format json" "$w" "$m" - -
  # What operators run today: states per file with the one-liner, over the
  # socket tables (the few gzipped ones left out, which would need zcat;
  # for the few netstat tables $1 is the protocol, so it is only a rough
  # equivalent), sysctls and host names not looked at.
  read -r w m < <(measure sh -c "find '$dir' -type f \( -name 'ss*' -o -name '*.log' \) ! -name '*.gz' -print0 |
    xargs -0 mawk 'FNR > 1 { c[FILENAME \" \" \$1]++ } END { for (k in c) print c[k], k }'")
  row "mawk states per file" "$w" "$m" - -
  read -r w m < <(measure "$BIN" diagnose "$dir")
  row "diagnose" "$w" "$m" - -
  rep=$DATA/fleet-$n-report
  read -r w m < <(measure "$BIN" report --force -o "$rep" "$dir")
  row "report (--hosts 50)" "$w" "$m" "$(du -sm "$rep" | cut -f1)" "$(find "$rep" -type f | wc -l)"
done

# --threads: the same work on one core and on two.
n=$(echo "$SIZES" | awk '{ print $1 }')
dir=$DATA/fleet-$n
echo
printf '%-6s %-26s %10s %10s %8s\n' hosts command threads_1_s threads_2_s speedup
for cmd in "summary --format json" "report --force -o $DATA/fleet-$n-report"; do
  read -r w1 _ < <(measure "$BIN" $cmd --threads 1 "$dir")
  read -r w2 _ < <(measure "$BIN" $cmd --threads 2 "$dir")
  printf '%-6s %-26s %10s %10s %8s\n' "$n" "${cmd%% -o*}" "$w1" "$w2" "$(awk -v a="$w1" -v b="$w2" 'BEGIN { printf "%.2fx", a / b }')"
done
rm -f "$DATA/.time" "$DATA/.stderr"
