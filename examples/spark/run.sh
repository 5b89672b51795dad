#!/usr/bin/env bash
# Demo of fleet_job.py in Spark local mode: builds a fleet of HOSTS host
# directories from samples/, exports it in SHARDS Spark tasks into one dataset,
# and prints the Spark SQL answers.  Run from anywhere, e.g. the repo root:
#
#   examples/spark/run.sh
#   SOCKSCOPE=path/to/sockscope HOSTS=100 SHARDS=8 MODE=separate examples/spark/run.sh
#
# Environment (defaults in brackets):
#   SOCKSCOPE     sockscope binary [target/release/sockscope]
#   SPARK_VENV    venv with pyspark [/work/spark-venv]
#   SPARK_SUBMIT  [$SPARK_VENV/bin/spark-submit]
#   SPARK_PYTHON  python of the Spark workers [$SPARK_VENV/bin/python]
#   MASTER        [local[2]]      HOSTS [40]      SHARDS [4]
#   MODE          auto|part|separate [auto: part if `sockscope export --help` has --part]
#   WORK          scratch directory for the fleet and the dataset [a new mktemp -d]
#   JAVA_HOME     [the java on PATH]
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
SOCKSCOPE=$(realpath "${SOCKSCOPE:-target/release/sockscope}")
SPARK_VENV=${SPARK_VENV:-/work/spark-venv}
SPARK_SUBMIT=${SPARK_SUBMIT:-$SPARK_VENV/bin/spark-submit}
SPARK_PYTHON=${SPARK_PYTHON:-$SPARK_VENV/bin/python}
MASTER=${MASTER:-local[2]}
HOSTS=${HOSTS:-40}
SHARDS=${SHARDS:-4}
MODE=${MODE:-auto}
WORK=${WORK:-$(mktemp -d -t sockscope-spark.XXXXXX)}

[ -x "$SOCKSCOPE" ] || { echo "no sockscope binary at $SOCKSCOPE (set SOCKSCOPE=)" >&2; exit 1; }
[ -x "$SPARK_SUBMIT" ] || { echo "no spark-submit at $SPARK_SUBMIT (set SPARK_VENV= or SPARK_SUBMIT=)" >&2; exit 1; }
if [ -z "${JAVA_HOME:-}" ]; then
  java=$(command -v java) || { echo "no java on PATH: apt-get install openjdk-17-jre-headless" >&2; exit 1; }
  JAVA_HOME=$(dirname "$(dirname "$(readlink -f "$java")")")
fi
export JAVA_HOME
# The driver and the workers must run the same python (the one with pyspark).
export PYSPARK_PYTHON=$SPARK_PYTHON PYSPARK_DRIVER_PYTHON=$SPARK_PYTHON

# A fleet made of copies of the three sample hosts.  Each copy keeps the
# single-shot captures and one capture loop cut after k snapshots (k differs per
# host), as if each host had been captured at a different moment of the same
# incident: that is what makes the "last snapshot" ranking differ per host.
# The compressed copies and netstat's loop are dropped: in samples/ they repeat
# the same moments in another format, to test the parsers.
fleet=$WORK/fleet
mkdir -p "$fleet"
roles=(web-1 web-1 client-1 db-1)
for i in $(seq 1 "$HOSTS"); do
  role=${roles[$(( (i - 1) % ${#roles[@]} ))]}
  case $role in web-1) prefix=web ;; client-1) prefix=app ;; db-1) prefix=db ;; esac
  host=$fleet/$(printf '%s-%02d' "$prefix" "$i")
  cp -r "samples/$role" "$host"
  rm -f "$host"/*.gz "$host"/*.zst "$host"/netstat-loop.log
  k=$(( 1 + (i * 7) % 20 ))
  for loop in "$host"/*loop*.log; do
    awk -v k="$k" '/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z][a-z] / { n++ } n <= k' "$loop" > "$loop.tmp"
    mv "$loop.tmp" "$loop"
  done
done

echo "java:      $("$JAVA_HOME/bin/java" -version 2>&1 | head -1) ($JAVA_HOME)"
echo "pyspark:   $("$SPARK_PYTHON" -c 'import pyspark; print(pyspark.__version__)')"
echo "sockscope: $("$SOCKSCOPE" --version)"
echo "fleet:     $fleet ($HOSTS hosts, $(du -sh "$fleet" | cut -f1))"
echo "dataset:   $WORK/dataset"
echo

start=$(date +%s%N)
"$SPARK_SUBMIT" --master "$MASTER" examples/spark/fleet_job.py \
  "$SOCKSCOPE" "$fleet" "$WORK/dataset" "$SHARDS" --mode "$MODE"
echo
ms=$(( ($(date +%s%N) - start) / 1000000 ))
printf 'spark-submit wall time: %d.%03d s\n' $((ms / 1000)) $((ms % 1000))
