#!/usr/bin/env bash
# Peak memory (and wall time) of `summary --format json` and `report` on
# large inputs: what memory grows with, measured (BENCHMARKS.md, "Memory").
#
#   benches/memory.sh             # 1 GB inputs, loops of 10,000 / 50,000 / 200,000 snapshots
#   SIZE=300M benches/memory.sh
#
# Inputs come from benches/gen_capture.py (seed 42) into target/bench/ and
# are shared with benches/compare.sh. Each figure is one run with a warm page
# cache; peak RSS from GNU time. SOCKSCOPE_SPOOL_MEMORY=0 rows send every
# finished snapshot to the temporary file, which shows what is left in memory.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZE=${SIZE:-1G}
DATA=${DATA:-target/bench}
mkdir -p "$DATA"
[ -x /usr/bin/time ] || { echo "memory.sh: needs GNU time (apt-get install time)" >&2; exit 2; }

cargo build --release --quiet
BIN=target/release/sockscope

gen() { # format file [extra args]
  local fmt=$1 out=$2; shift 2
  if [ ! -s "$out" ]; then
    echo "== generating $out" >&2
    python3 benches/gen_capture.py "$fmt" --size "$SIZE" --seed 42 -o "$out" "$@" >&2
  fi
}

gen netstat "$DATA/netstat-an.txt"
gen netstat "$DATA/netstat-an-internal.txt" --clients 3000
gen ss "$DATA/ss-tan.txt"
gen ss-i "$DATA/ss-tanpi.txt"
gen conntrack "$DATA/conntrack.txt"
gen ss-loop "$DATA/ss-loop.log" --snapshots 10000
gen ss-loop "$DATA/ss-loop-50k.log" --snapshots 50000
gen ss-loop "$DATA/ss-loop-200k.log" --snapshots 200000
gen netstat "$DATA/netstat-an-400k.txt" --clients 400000
# A hostile shape: 2,000,000 snapshots of one row each (an epoch-seconds
# line, then an `ss` row), ~100 MB.
TINY="$DATA/tiny-snapshots.log"
if [ ! -s "$TINY" ]; then
  echo "== generating $TINY" >&2
  python3 - "$TINY" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(2_000_000):
        f.write("%d\nESTAB 0 0 10.0.0.1:22 10.0.%d.%d:50000\n" % (1764115200 + i, (i >> 8) & 255, i & 255))
PY
fi

# Hostile shapes for the reader's bounds: one 256 MiB line without a
# newline, and 256 lines of 1 MiB between real rows (each longer than the
# 64 KiB line limit, rejected with its length).
LONG1="$DATA/one-long-line.txt"
LONGN="$DATA/long-lines.txt"
if [ ! -s "$LONG1" ] || [ ! -s "$LONGN" ]; then
  echo "== generating $LONG1 and $LONGN" >&2
  python3 - "$LONG1" "$LONGN" <<'PY'
import sys
row = b"ESTAB 0 0 10.0.0.1:22 10.0.0.2:50000\n"
with open(sys.argv[1], "wb") as f:
    f.write(row)
    for _ in range(256):
        f.write(b"x" * (1 << 20))
with open(sys.argv[2], "wb") as f:
    for _ in range(256):
        f.write(row * 1000)
        f.write(b"y" * (1 << 20) + b"\n")
PY
fi

run() { # label file [env]
  local label=$1 file=$2 envs=${3:-}
  local out s r
  out=$(mktemp -d)
  cat "$file" >/dev/null   # warm the page cache: time the tool, not the disk
  s=$(/usr/bin/time -f "%e s, %M" env $envs "$BIN" summary --format json "$file" 2>&1 >/dev/null | tail -1)
  r=$(/usr/bin/time -f "%e s, %M" env $envs "$BIN" report "$file" -o "$out/r" 2>&1 >/dev/null | tail -1)
  rm -rf "$out"
  local mb
  mb=$(( $(du -sb "$file" | cut -f1) / 1000000 ))
  printf '| %s, %s MB | %s MiB | %s MiB |\n' "$label" "$mb" \
    "$(awk -F', ' '{printf "%s, %d", $1, $2/1024}' <<<"$s")" \
    "$(awk -F', ' '{printf "%s, %d", $1, $2/1024}' <<<"$r")"
}

# A fleet: 500 hosts, each with the web-1 sample's netstat loop and
# conntrack listing (report: one section with charts per host).
FLEET="$DATA/fleet-500"
if [ ! -d "$FLEET" ]; then
  for i in $(seq 1 500); do
    mkdir -p "$FLEET/h$i"
    cp samples/web-1/netstat-loop.log samples/web-1/conntrack-L.txt "$FLEET/h$i/"
  done
fi

{
  echo "| input | \`summary --format json\` | \`report\` |"
  echo "|---|---|---|"
  run "netstat -an, 100,000 clients" "$DATA/netstat-an.txt"
  run "netstat -an, 3,000 peers" "$DATA/netstat-an-internal.txt"
  run "ss -tan" "$DATA/ss-tan.txt"
  run "ss -tanpi" "$DATA/ss-tanpi.txt"
  run "conntrack -L -o extended" "$DATA/conntrack.txt"
  run "netstat -an, 400,000 clients" "$DATA/netstat-an-400k.txt"
  run "\`date; ss -tan\` loop, 10,000 snapshots" "$DATA/ss-loop.log"
  run "\`date; ss -tan\` loop, 50,000 snapshots" "$DATA/ss-loop-50k.log"
  run "\`date; ss -tan\` loop, 200,000 snapshots" "$DATA/ss-loop-200k.log"
  run "same, SOCKSCOPE_SPOOL_MEMORY=0" "$DATA/ss-loop-200k.log" "SOCKSCOPE_SPOOL_MEMORY=0"
  run "2,000,000 one-row snapshots" "$TINY"
  run "500 hosts (a netstat loop and a conntrack listing each)" "$FLEET"
  run "one 256 MiB line" "$LONG1"
  run "256 lines of 1 MiB between rows" "$LONGN"
} | tee "$DATA/memory.md"
