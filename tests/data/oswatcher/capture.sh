#!/usr/bin/env bash
# capture.sh - regenerate the OSWatcher Black Box (oswbb) netstat archive in
# tests/data/oswatcher/archive/oswnetstat/.
#
# Usage:   sudo tests/data/oswatcher/capture.sh          (about 40 s)
#
# oswbb itself is not available here.  This script does what its netstat
# collector does (OSWatcher.sh v8.0.1 + oswnet.sh, see README.md for the
# sources), with the same commands and the same file layout, and no Oracle code:
#   * startOSWbb.sh exports LC_ALL=C;
#   * file per hour: <hostname>_netstat_$(date +'%y.%m.%d.%H00.dat');
#   * a new hour file starts with the line "$(uname) OSWbb v8.0.1", and the
#     previous hour's file is then compressed with the zip program given to
#     startOSWbb.sh (here gzip, giving .dat.gz);
#   * each sample appends  echo "zzz ***"`date '+%a %b %e %T %Z %Y'`
#     (the oswgCompliance=1 default), then `netstat -a -i -n`, then `netstat -s`.
# The "host" is a fresh network namespace with its own hostname
# (unshare --net --uts --mount, hostname sockscope-osw1) and one veth (eth0,
# 10.88.0.1/24) to a client namespace (10.88.0.2/24).  Real TCP traffic between
# them (tests/data/sosreport/holder.py) changes the counters between samples.
#
# The clock: so that the two hour files exist without waiting for a real hour
# boundary, every `date` of the collector runs under libfaketime with one fixed
# offset (faketime -f +Ns) that puts the first sample ~20 s before the next
# full hour; the clock keeps ticking normally.  TZ=America/Chicago, so the
# stamps read CST like many real OSWatcher archives.
#
# Each sample is taken twice-checked: counters are read with nstat and ss right
# before and right after the sample's commands and must agree, else the sample
# is retaken.  Counts go to EXPECTED.tsv (README.md quotes them).
set -euo pipefail
export LC_ALL=C TZ=America/Chicago

D=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HOSTN=sockscope-osw1
VERSION=v8.0.1
INTERVAL=2
HOLDER=$D/../sosreport/holder.py
PY=/usr/bin/python3; [[ -x $PY ]] || PY=$(command -v python3)

die() { echo "capture.sh: error: $*" >&2; exit 1; }
note() { echo "capture.sh: $(date +%T) $*" >&2; }

if [[ ${1:-} != --inner ]]; then
  [[ $(id -u) == 0 ]] || die "must run as root"
  missing=()
  for spec in netstat:net-tools faketime:faketime ss:iproute2 nstat:iproute2 ip:iproute2 \
              unshare:util-linux gzip:gzip python3:python3; do
    command -v "${spec%%:*}" >/dev/null 2>&1 || missing+=("${spec#*:}")
  done
  if ((${#missing[@]})); then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  exec unshare --net --uts --mount --propagation private bash "${BASH_SOURCE[0]}" --inner
fi

# ------------------------------------------------------------ private host
WORK=$(mktemp -d /tmp/sockscope-osw.XXXXXX)
declare -A PID=()
on_exit() {
  local rc=$? k
  set +e
  for k in "${!PID[@]}"; do kill "${PID[$k]}" 2>/dev/null; done
  for k in "${!PID[@]}"; do wait "${PID[$k]}" 2>/dev/null; done
  ip netns del client 2>/dev/null
  rm -rf "$WORK"
  exit $rc
}
trap on_exit EXIT
trap 'exit 130' INT TERM

mkdir -p /run/netns
mount -t tmpfs -o mode=0755 sockscope-netns /run/netns
hostname "$HOSTN"
ip link set lo up
ip netns add client
ip -n client link set lo up
for ns in "" client; do   # no IPv6 chatter (RS/MLD) on eth0 moving the counters
  if [[ -z $ns ]]; then
    sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  else
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  fi
done
ip link add eth0 type veth peer name eth0 netns client
ip addr add 10.88.0.1/24 dev eth0
ip -n client addr add 10.88.0.2/24 dev eth0
ip link set eth0 up
ip -n client link set eth0 up

start() {   # start -|client NAME ACTION...: holder.py with argv[0] = comm = NAME
  local ns=$1 name=$2 ready i; shift 2
  ready=$WORK/ready.$ns.$name
  if [[ $ns == - ]]; then
    bash -c 'exec -a "$0" "$@"' "$name" "$PY" "$HOLDER" "$name" "$ready" "$@" 2>>"$WORK/holder.log" &
  else
    ip netns exec "$ns" bash -c 'exec -a "$0" "$@"' "$name" "$PY" "$HOLDER" "$name" "$ready" "$@" \
      2>>"$WORK/holder.log" &
  fi
  PID[$name]=$!
  for ((i = 0; i < 200; i++)); do
    [[ -s $ready ]] && { sleep 0.5; return 0; }
    kill -0 "${PID[$name]}" 2>/dev/null || break
    sleep 0.05
  done
  cat "$WORK/holder.log" >&2
  die "$name in $ns did not get ready"
}
stop() {   # stop NAME: SIGTERM, the kernel closes its sockets
  kill "${PID[$1]}"; wait "${PID[$1]}" 2>/dev/null || true; unset "PID[$1]"; sleep 0.5
}

# ------------------------------------------------------------ clock
now=$(date +%s)
OFF=$(( (now / 3600 + 1) * 3600 - 20 - now ))   # first sample ~20 s before a full hour
fdate() { faketime -f "+${OFF}s" date "$@"; }
note "clock offset +${OFF}s: collector clock starts at $(fdate)"

# ------------------------------------------------------------ counting
METRICS="TcpActiveOpens TcpPassiveOpens TcpAttemptFails TcpEstabResets TcpInSegs TcpOutSegs TcpOutRsts"
counters() {
  local m
  for m in $METRICS; do echo "$m $(nstat -asz "$m" | awk -v m="$m" '$1 == m {print $2}')"; done
  # tcpCurrEstab (RFC 1213) = sockets in ESTABLISHED or CLOSE-WAIT
  echo "TcpCurrEstab $(ss -Htan state established state close-wait | wc -l)"
  awk 'NR > 2 {gsub(":", " "); print "if." $1 ".rx_packets", $3; print "if." $1 ".tx_packets", $11}' /proc/net/dev | sort
}

OUT=$D/archive/oswnetstat
rm -rf "$D/archive"; mkdir -p "$OUT"
EXP=$D/EXPECTED.tsv
printf 'file\tsample\tzzz\tmetric\tlive\n' >"$EXP"
lasthour=0
n=0
sample() {   # sample STEP-DESCRIPTION: one collector cycle
  local desc=$1 hour file try before after stamp m v
  hour=$(fdate +'%y.%m.%d.%H00.dat')
  file=${HOSTN}_netstat_$hour
  if [[ $hour != "$lasthour" ]]; then
    echo "$(uname) OSWbb $VERSION" >>"$OUT/$file"
    [[ -f $OUT/${HOSTN}_netstat_$lasthour ]] && gzip "$OUT/${HOSTN}_netstat_$lasthour"
  fi
  for try in 1 2 3 4 5; do
    before=$(counters)
    {
      echo "zzz ***$(fdate '+%a %b %e %T %Z %Y')"
      netstat -a -i -n
      netstat -s
    } >"$WORK/sample"
    after=$(counters)
    [[ $before == "$after" ]] && break
    note "counters moved during sample (try $try), retaking"; sleep 0.3
  done
  [[ $before == "$after" ]] || die "counters not static"
  cat "$WORK/sample" >>"$OUT/$file"
  touch -d "@$(fdate +%s)" "$OUT/$file"   # mtime on the collector's clock (gzip keeps it)
  n=$((n + 1))
  stamp=$(head -1 "$WORK/sample"); stamp=${stamp#zzz \*\*\*}
  printf '%s\t%s\t%s\t%s\t%s\n' "$file" "$n" "$stamp" "step" "$desc" >>"$EXP"
  while read -r m v; do printf '%s\t%s\t%s\t%s\t%s\n' "$file" "$n" "$stamp" "$m" "$v" >>"$EXP"; done <<<"$after"
  note "sample $n -> $file ($stamp): $desc"
  lasthour=$hour
}

# ------------------------------------------------------------ the run
start - tnslsnr listen,4,0.0.0.0,1521,128,close
start client ons listen,4,0.0.0.0,6200,128,hold
start client sqlplus hold,10.88.0.1,1521,3
start - oraagent hold,10.88.0.2,6200,2
sample "3 inbound (sqlplus -> :1521) + 2 outbound (oraagent -> 10.88.0.2:6200) held"
sleep $INTERVAL
start client jdbc hold,10.88.0.1,1521,4
sample "+4 inbound held (jdbc)"
sleep $INTERVAL
start client probe closefirst,10.88.0.1,1521,5
sample "+5 inbound opened and closed by the client (probe)"
sleep $INTERVAL
[[ $(ls "$OUT" | wc -l) == 1 ]] || die "hour changed too early"
while [[ $(fdate +'%y.%m.%d.%H00.dat') == "$lasthour" ]]; do sleep 0.5; done   # oswbb just keeps sampling
stop jdbc
sample "jdbc exited: its 4 connections closed (new hour file)"
sleep $INTERVAL
start client probe2 refused,10.88.0.1,1522,2
start - oraagent2 refused,10.88.0.2,6201,1
sample "2 inbound SYNs to closed :1522 (RST sent), 1 outbound connect refused by 10.88.0.2:6201"
sleep $INTERVAL
sample "no change"
ls "$OUT" | grep -q '\.gz$' || die "no hour rollover happened"
for f in "$OUT"/*.gz; do   # EXPECTED.tsv names the files as they are now
  f=$(basename "$f"); sed -i "s|^${f%.gz}\t|$f\t|" "$EXP"
done

# ------------------------------------------------------------ counts from the files
# independent of the capture: awk over the archive (zcat for the .gz file)
FILECNT=$D/FILECOUNTS.tsv
{
  printf 'file\tsample\tzzz\tifaces\tactive_openings\tpassive_openings\tfailed_attempts\tresets_received\tconnections_established\tsegments_received\tsegments_sent\tresets_sent\tlo_rx_ok\teth0_rx_ok\n'
  base=0
  for f in $(ls "$OUT" | sort); do
    if [[ $f == *.gz ]]; then cat=zcat; else cat=cat; fi
    $cat "$OUT/$f" | awk -v f="$f" -v s="$base" -F'\n' '
      function flush() { if (z != "") print f "\t" s "\t" z "\t" nif "\t" a["active connection openings"] "\t" a["passive connection openings"] "\t" a["failed connection attempts"] "\t" a["connection resets received"] "\t" a["connections established"] "\t" a["segments received"] "\t" a["segments sent out"] "\t" a["resets sent"] "\t" lo "\t" eth }
      /^zzz \*\*\*/ { flush(); s++; z = substr($0, 8); nif = 0; sec = ""; delete a; next }
      /^Kernel Interface table/ { sec = "if"; next }
      /^Iface/ { next }
      /^[A-Za-z]+:$/ { sec = $0; next }
      sec == "if" { split($0, w, " "); nif++; if (w[1] == "lo") lo = w[3]; if (w[1] == "eth0") eth = w[3]; next }
      sec == "Tcp:" { line = $0; sub(/^ +/, "", line); v = line; sub(/ .*/, "", v); k = line; sub(/^[0-9]+ /, "", k); a[k] = v }
      END { flush() }'
    base=$((base + $($cat "$OUT/$f" | grep -c '^zzz \*\*\*')))
  done
} >"$FILECNT"
# cross-check: the file counts must equal the live counters
awk -F'\t' '
  FNR == NR { if (FNR > 1) { key = $2; L[key, $4] = $5 }; next }
  FNR == 1 { next }
  { key = $2
    chk("TcpActiveOpens", $5); chk("TcpPassiveOpens", $6); chk("TcpAttemptFails", $7)
    chk("TcpEstabResets", $8); chk("TcpCurrEstab", $9); chk("TcpInSegs", $10)
    chk("TcpOutSegs", $11); chk("TcpOutRsts", $12)
    chk("if.lo.rx_packets", $13); chk("if.eth0.rx_packets", $14) }
  function chk(m, v) { if (L[key, m] != v) { print "mismatch " key " " m ": live " L[key, m] " file " v; bad = 1 } }
  END { exit bad }' "$EXP" "$FILECNT" >&2 || die "file counts differ from live counters"
{
  echo "kernel|$(uname -r)"
  echo "os|$(. /etc/os-release; echo "$PRETTY_NAME")"
  echo "net-tools|$(netstat -V 2>&1 | head -1)"
  echo "iproute2|$(ss -V | sed 's/.*iproute2-//')"
  echo "faketime|$(dpkg-query -W -f '${Version}' faketime 2>/dev/null)"
  echo "clock_offset_s|$OFF"
  echo "TZ|$TZ"
} >"$D/VERSIONS"
note "done: $(du -sh --apparent-size "$D/archive" | cut -f1) in $D/archive"
