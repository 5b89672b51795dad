#!/usr/bin/env bash
# Races `sockscope summary` against the tools operators use today, on the
# same inputs, in one run, and prints a table (BENCHMARKS.md quotes it).
#
#   benches/compare.sh            # 1 GB inputs (default)
#   SIZE=300M RUNS=3 benches/compare.sh
#
# What it does:
#  1. builds sockscope (release profile, the one `cargo install` uses);
#  2. generates deterministic captures with benches/gen_capture.py (seed 42):
#     netstat -an, ss -tan, ss -tanpi (with -i continuation lines), conntrack
#     -L -o extended, and a 10,000-snapshot `date; ss -tan` loop, all of a
#     host with 100,000 client addresses (a public frontend; see
#     BENCHMARKS.md), and netstat -an of the same host with 3,000 peers;
#  3. times, best of $RUNS with a warm page cache, sockscope and mawk
#     interleaved:
#     - sockscope summary --format json (states, top remote addresses, top
#       local ports, line accounting), checked against the generator's truth;
#     - the mawk one-liner doing the same three aggregations;
#     - jc (from PyPI, in a venv under target/) on a 256 MB slice — jc holds
#       its whole output in memory (~20x the input: 5 GB for 256 MB), so 1 GB
#       would not fit in this machine's 24 GiB — with sockscope timed on the
#       very same slice. jc slows down as its input grows (4.8 MB/s on 64 MB,
#       2.5 MB/s on 256 MB here), so a smaller slice would flatter it;
#  4. reports wall time, throughput, the ratio, and peak RSS (/usr/bin/time -v).
#
# Needs: python3, mawk, /usr/bin/time (GNU time), network access to PyPI the
# first time (for jc). Results go to target/bench/results.md.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZE=${SIZE:-1G}
RUNS=${RUNS:-3}
SNAPSHOTS=${SNAPSHOTS:-10000}
DATA=${DATA:-target/bench}
JC_SLICE=${JC_SLICE:-256M}
mkdir -p "$DATA"

command -v mawk >/dev/null || { echo "compare.sh: needs mawk (apt-get install mawk)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "compare.sh: needs GNU time (apt-get install time)" >&2; exit 2; }

echo "== build" >&2
cargo build --release --quiet
BIN=target/release/sockscope

VENV=target/bench-venv
if [ ! -x "$VENV/bin/jc" ]; then
  echo "== installing jc into $VENV" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet jc
fi
JC="$VENV/bin/jc"

gen() { # format file [extra args]
  local fmt=$1 out=$2; shift 2
  if [ ! -s "$out" ] || [ ! -s "$out.truth.json" ]; then
    echo "== generating $out" >&2
    python3 benches/gen_capture.py "$fmt" --size "$SIZE" --seed 42 -o "$out" "$@" >&2
  fi
}
gen netstat "$DATA/netstat-an.txt"
gen ss "$DATA/ss-tan.txt"
gen ss-i "$DATA/ss-tanpi.txt"
gen conntrack "$DATA/conntrack.txt"
gen ss-loop "$DATA/ss-loop.log" --snapshots "$SNAPSHOTS"
# The same host as an internal tier: 3,000 peers instead of 100,000.
gen netstat "$DATA/netstat-an-internal.txt" --clients 3000

# race CMD... [:: CMD...]...: runs the commands in turn, $RUNS rounds
# (interleaved, so a slow phase of this shared machine hits every tool
# alike), and prints "seconds peak_kib" of each command's fastest run, one
# line per command (wall time to the millisecond; peak RSS from GNU time).
race() {
  python3 - "$DATA" "$RUNS" "$@" <<'PY'
import subprocess, sys, time
data, runs, rest = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
cmds, cur = [], []
for a in rest:
    if a == "::":
        cmds.append(cur)
        cur = []
    else:
        cur.append(a)
cmds.append(cur)
best, rss = [None] * len(cmds), [0] * len(cmds)
for _ in range(runs):
    for i, cmd in enumerate(cmds):
        t0 = time.perf_counter()
        p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", data + "/.time"] + cmd,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        dt = time.perf_counter() - t0
        if p.returncode != 0:
            sys.stderr.write("compare.sh: failed: %s\n%s" % (" ".join(cmd), p.stderr.decode(errors="replace")))
            sys.exit(1)
        rss[i] = max(rss[i], int(open(data + "/.time").read().split()[-1]))
        best[i] = dt if best[i] is None else min(best[i], dt)
for b, r in zip(best, rss):
    print("%.3f %d" % (b, r))
PY
}

# The one-liners, per format: same three aggregations as sockscope's
# summary (state counts, remote addresses, local ports).
AWK_NETSTAT='NR>2{split($5,a,":"); c[a[1]]++; s[$6]++; p[$4]++} END{for(k in s) print k, s[k] > "/dev/null"}'
AWK_SS='NR>1{n=split($5,a,":"); c[a[1]]++; s[$1]++; p[$4]++} END{for(k in s) print k, s[k] > "/dev/null"}'
AWK_CT='{for(i=1;i<=NF;i++) if($i ~ /^dst=/){c[$i]++; break}; s[$6]++; p[$10]++} END{for(k in s) print k, s[k] > "/dev/null"}'

check_truth() { # file: sockscope's totals and states must equal the generator's
  python3 - "$1" "$BIN" <<'PY'
import json, subprocess, sys
path, binary = sys.argv[1], sys.argv[2]
truth = json.load(open(path + ".truth.json"))
doc = json.loads(subprocess.run([binary, "summary", "--format", "json", path], capture_output=True, check=True).stdout)
snaps = [s for s in doc["snapshots"]]
got_total = sum(s["total"] for s in snaps)
want_total = truth.get("total_sockets", truth.get("total"))
if got_total != want_total:
    sys.exit(f"{path}: sockscope counted {got_total} rows, generator made {want_total}")
if truth.get("snapshots", 1) != len({(s["source"], s["index"]) for s in snaps}):
    sys.exit(f"{path}: snapshot count differs from the generator's")
PY
}

row() { printf '| %s | %s | %s | %s | %s | %s |\n' "$@"; }
OUT="$DATA/results.md"
{
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); $(rustc --version)"
  echo
  echo "| input | tool | wall (best of $RUNS) | throughput | vs sockscope | peak RSS |"
  echo "|---|---|---|---|---|---|"
} >"$OUT"

bench_file() { # label file awk-program jc-parser
  local label=$1 file=$2 prog=$3 jcp=$4
  local bytes mb
  bytes=$(stat -c %s "$file")
  mb=$(awk "BEGIN{printf \"%.0f\", $bytes/1e6}")
  echo "== $label ($mb MB)" >&2
  check_truth "$file"
  { read -r st sk; read -r at ak; } < <(race "$BIN" summary --format json "$file" :: mawk "$prog" "$file")
  row "$label, $mb MB" "sockscope" "${st} s" "$(awk "BEGIN{printf \"%.0f MB/s\", $bytes/1e6/$st}")" "1×" "$((sk / 1024)) MiB" >>"$OUT"
  row "$label, $mb MB" "mawk one-liner" "${at} s" "$(awk "BEGIN{printf \"%.0f MB/s\", $bytes/1e6/$at}")" "$(awk "BEGIN{printf \"%.1f× slower\", $at/$st}")" "$((ak / 1024)) MiB" >>"$OUT"
  if [ -n "$jcp" ]; then
    local slice="$DATA/slice-$(basename "$file")"
    head -c "$JC_SLICE" "$file" | sed '$d' >"$slice"
    local sb smb
    sb=$(stat -c %s "$slice")
    smb=$(awk "BEGIN{printf \"%.0f\", $sb/1e6}")
    read -r s2 k2 < <(race "$BIN" summary --format json "$slice")
    row "$label, $smb MB slice" "sockscope" "${s2} s" "$(awk "BEGIN{printf \"%.0f MB/s\", $sb/1e6/$s2}")" "1×" "$((k2 / 1024)) MiB" >>"$OUT"
    if RUNS=1 race sh -c "$JC $jcp < '$slice'" >"$DATA/.jc" 2>"$DATA/.jcerr"; then
      read -r jt jk <"$DATA/.jc"
      row "$label, $smb MB slice" "jc $jcp" "${jt} s" "$(awk "BEGIN{printf \"%.1f MB/s\", $sb/1e6/$jt}")" "$(awk "BEGIN{printf \"%.0f× slower\", $jt/$s2}")" "$((jk / 1024)) MiB" >>"$OUT"
    else
      # jc's ss parser needs the Netid column, which `ss -tan` does not print.
      row "$label, $smb MB slice" "jc $jcp" "fails" "—" "$(grep -m1 -o 'Error - .*' "$DATA/.jcerr" | sed 's/|/\\|/g')" "—" >>"$OUT"
    fi
  fi
}

bench_file "netstat -an" "$DATA/netstat-an.txt" "$AWK_NETSTAT" "--netstat"
bench_file "netstat -an, 3,000 peers" "$DATA/netstat-an-internal.txt" "$AWK_NETSTAT" ""
bench_file "ss -tan" "$DATA/ss-tan.txt" "$AWK_SS" "--ss"
bench_file "ss -tanpi" "$DATA/ss-tanpi.txt" "$AWK_SS" ""
bench_file "conntrack -L -o extended" "$DATA/conntrack.txt" "$AWK_CT" ""
bench_file "ss -tan loop, $SNAPSHOTS snapshots" "$DATA/ss-loop.log" "$AWK_SS" ""

cat "$OUT"
