#!/usr/bin/env python3
"""Fan `sockscope export` out over a fleet's captures with Spark, then query the
one shared Parquet dataset with Spark SQL.

    spark-submit fleet_job.py SOCKSCOPE INPUT_ROOT DATASET SHARDS [--mode auto|part|separate]

INPUT_ROOT holds one directory per host (INPUT_ROOT/<host>/... captures).
Step 1 runs one Spark task per shard; each task runs sockscope on its hosts'
directories and writes into DATASET. Step 2 reads DATASET/<table> with hive
partition discovery (host=<host>) and prints what an on-call SRE asks first.

See README.md beside this file for the cluster setup.
"""

import argparse
import functools
import glob
import os
import re
import socket
import subprocess
import sys
import time

from pyspark import TaskContext
from pyspark.sql import SparkSession
from pyspark.sql import types as T


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("sockscope", help="sockscope binary (same path on every executor)")
    p.add_argument("input_root", help="directory of host directories")
    p.add_argument("dataset", help="dataset directory (shared storage on a cluster)")
    p.add_argument("shards", type=int, help="number of Spark tasks to split the hosts into")
    p.add_argument(
        "--mode",
        choices=["auto", "part", "separate"],
        default="auto",
        help="part: every shard adds part-shard-<k>.parquet files to DATASET "
        "(`export --part`); separate: every shard writes its own export to "
        "DATASET/shard-<k>/ and the tables are read with a glob (for a sockscope "
        "without --part); auto: part if this sockscope has it",
    )
    p.add_argument(
        "--read-uri",
        help="where Spark reads DATASET from when that is not the path sockscope "
        "wrote to, e.g. s3a://bucket/fleet for a bucket the executors mount at DATASET",
    )
    p.add_argument(
        "--append",
        action="store_true",
        help="allow a DATASET that already has files (part mode only adds to it)",
    )
    p.add_argument(
        "--run",
        default=time.strftime("run%Y%m%dT%H%M%S", time.gmtime()),
        help="prefix of this job's part names (<run>-shard-<k>), so --append adds "
        "parts beside an earlier run's instead of colliding with them "
        "[default: run<UTC start time>]",
    )
    return p.parse_args()


def help_text(binary, *cmd):
    return subprocess.run([binary, *cmd, "--help"], capture_output=True, text=True).stdout


def host_dirs(root):
    """Host directories under root with their size in bytes, largest first."""
    hosts = []
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        if entry.is_dir() and not entry.name.startswith("."):
            size = sum(
                os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(entry.path) for f in files
            )
            hosts.append((entry.path, size))
    return sorted(hosts, key=lambda h: -h[1])


def split_into_shards(hosts, n):
    """Greedy: each host (largest first) goes to the shard with the fewest bytes.

    A week-long capture loop can be 1000x a single `ss -tan`, so splitting by
    host count alone leaves one task running long after the others finished."""
    shards = [{"bytes": 0, "hosts": []} for _ in range(min(n, len(hosts)))]
    for path, size in hosts:
        lightest = min(shards, key=lambda s: s["bytes"])
        lightest["bytes"] += size
        lightest["hosts"].append(path)
    return [sorted(s["hosts"]) for s in shards]


def make_export_task(binary, dataset, host_regex, mode, run):
    """The function each Spark task runs on one (k, [host dirs]) shard."""

    def run_export(shard):
        k, hosts = shard
        name = f"{run}-shard-{k}" if mode == "part" else f"shard-{k}"
        # Spark already runs one task per core: an export that took every core
        # of the executor (sockscope's default) would oversubscribe it.
        ctx = TaskContext.get()
        threads = ctx.cpus() if ctx is not None else 1
        cmd = [binary, "export", "--quiet", "--threads", str(threads), "--host-from", host_regex]
        if mode == "part":
            # --force: a task Spark retries after its export finished (a lost
            # executor) replaces its own part instead of being refused. It
            # touches only this part's files, never another shard's.
            cmd += ["--part", name, "--force", "-o", dataset]
        else:
            cmd += ["-o", os.path.join(dataset, name)]
        cmd += hosts
        started = time.monotonic()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        # A failed export is returned, not raised: raising makes Spark retry the
        # task, which repeats the same rejected input; the driver reports every
        # shard's error at once instead. Lost executors are still retried by Spark.
        return {
            "shard": name,
            "hosts": len(hosts),
            "rc": proc.returncode,
            "seconds": round(time.monotonic() - started, 2),
            "worker": socket.gethostname(),
            "stdout": proc.stdout.strip(),
            "stderr": proc.stderr.strip()[-4000:],
            "cmd": " ".join(cmd[:12]) + (" ..." if len(cmd) > 12 else ""),
        }

    return run_export


def read_table(spark, dataset, read_uri, mode, table):
    if mode == "part":
        df = spark.read.parquet(f"{read_uri}/{table}")
    else:
        # A glob over DATASET/shard-*/<table> fails partition discovery
        # (CONFLICTING_DIRECTORY_STRUCTURES: several roots), so each shard's
        # table is read on its own and the shards are unioned.
        shards = sorted(os.path.basename(p) for p in glob.glob(os.path.join(dataset, "shard-*")))
        df = functools.reduce(
            lambda a, b: a.unionByName(b, allowMissingColumns=True),
            (spark.read.parquet(f"{read_uri}/{shard}/{table}") for shard in shards),
        )
    # sockscope writes counts as unsigned 64-bit; Spark reads UINT64 as
    # decimal(20,0). Socket counts are far below 2^63, so BIGINT is lossless and
    # keeps sums and printing plain.
    for field in df.schema.fields:
        if isinstance(field.dataType, T.DecimalType) and field.dataType.scale == 0:
            df = df.withColumn(field.name, df[field.name].cast("bigint"))
    return df


def main():
    args = parse_args()
    binary = os.path.abspath(args.sockscope)
    root = os.path.abspath(args.input_root)
    dataset = os.path.abspath(args.dataset)
    read_uri = (args.read_uri or dataset).rstrip("/")
    t_start = time.monotonic()

    mode = args.mode
    if mode == "auto":
        mode = "part" if "--part" in help_text(binary, "export") else "separate"
    if os.path.isdir(dataset) and os.listdir(dataset) and not args.append:
        sys.exit(f"{dataset} is not empty: pick a new dataset directory, or pass --append")
    if mode == "separate":
        os.makedirs(dataset, exist_ok=True)
    # In part mode sockscope creates DATASET itself (with its .sockscope marker);
    # an empty directory made here would not be a sockscope export.

    hosts = host_dirs(root)
    if not hosts:
        sys.exit(f"no host directories under {root}")
    shards = split_into_shards(hosts, args.shards)
    # Anchored on the input root so a host is always the first directory below
    # it, whatever depth its captures sit at (sosreports nest them deeply).
    host_regex = "^" + re.escape(root) + "/([^/]+)/"

    spark = (
        SparkSession.builder.appName("sockscope-fleet")
        # Keep host=<name> a string: with inference on, a host called "0042"
        # becomes the integer 42 and one called "10" joins another type's rows.
        .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.log.level", "WARN")
        # snapshots has 56 columns; the default (25) logs a warning per plan.
        .config("spark.sql.debug.maxToStringFields", "200")
        .getOrCreate()
    )
    sc = spark.sparkContext
    print(f"spark {spark.version}, master {sc.master}; sockscope {binary}; mode {mode}")
    print(f"{len(hosts)} hosts ({sum(s for _, s in hosts) / 2**20:.1f} MiB of captures) "
          f"under {root} -> {len(shards)} shards")

    # ---- Step 1: one task per shard, each running sockscope export ----------
    t1 = time.monotonic()
    task = make_export_task(binary, dataset, host_regex, mode, args.run)
    # numSlices == len(shards): exactly one shard per partition, so one task each.
    results = sc.parallelize(list(enumerate(shards)), len(shards)).map(task).collect()
    step1 = time.monotonic() - t1
    print(f"\n== step 1: export ({step1:.1f} s wall)")
    for r in results:
        print(f"{r['shard']:>9}  {r['hosts']:3d} hosts  rc={r['rc']}  {r['seconds']:6.2f} s  "
              f"{r['worker']}  {r['stdout'] or (r['stderr'].splitlines() or [''])[-1]}")
    failed = [r for r in results if r["rc"] != 0]
    for r in failed:
        print(f"\n{r['shard']} failed: {r['cmd']}\n{r['stderr']}", file=sys.stderr)
    if failed:
        spark.stop()
        sys.exit(1)

    # ---- Step 2: Spark SQL over the shared dataset ---------------------------
    t2 = time.monotonic()
    for table in ("sources", "snapshots", "peers"):
        read_table(spark, dataset, read_uri, mode, table).createOrReplaceTempView(table)

    print("\n== fleet")
    spark.sql("""
        SELECT (SELECT count(DISTINCT host) FROM sources)  AS hosts,
               (SELECT count(*) FROM sources)              AS sources,
               (SELECT count(*) FROM snapshots)            AS snapshots,
               (SELECT sum(lines) FROM sources)            AS lines,
               -- a parser that skipped lines means the numbers below undercount
               (SELECT count(*) FROM sources
                 WHERE rejected > 0 OR error IS NOT NULL)  AS sources_with_rejects
    """).show(truncate=False)

    # The last snapshot of each host: only ss/netstat socket tables carry TCP
    # states (conntrack has its own vocabulary, `ss -s` counters have no
    # CLOSE_WAIT). Captures without a timestamp cannot be placed in time, so a
    # timed snapshot wins; among untimed ones the order is arbitrary but stable.
    spark.sql("""
        CREATE OR REPLACE TEMP VIEW last_snapshot AS
        SELECT * FROM (
            SELECT s.*, row_number() OVER (
                       PARTITION BY host
                       ORDER BY `time` DESC NULLS LAST, source DESC, `index` DESC) AS rn
            FROM snapshots s
            WHERE kind IN ('ss', 'netstat') AND NOT from_counters)
        WHERE rn = 1
    """)

    print("\n== hosts by CLOSE_WAIT at their last snapshot (peak: worst snapshot of the capture)")
    # CLOSE_WAIT first: it only grows when the application never closes its
    # side, so it is the leak that paging is about; the peak column shows a
    # host that recovered before its last snapshot.
    spark.sql("""
        SELECT l.host,
               date_format(l.`time`, 'HH:mm:ss') AS at,
               l.CLOSE_WAIT, p.peak_close_wait, l.TIME_WAIT, l.ESTABLISHED, l.total,
               regexp_extract(l.source, '[^/]+$', 0) AS file
        FROM last_snapshot l
        JOIN (SELECT host, max(CLOSE_WAIT) AS peak_close_wait
              FROM snapshots WHERE kind IN ('ss', 'netstat') AND NOT from_counters
              GROUP BY host) p
          ON p.host = l.host
        ORDER BY l.CLOSE_WAIT DESC, l.TIME_WAIT DESC, l.host
    """).show(12, truncate=False)

    print("\n== top peers across the fleet, at each host's last snapshot")
    # Joined on the last snapshot rather than summed over all of them: a loop
    # would count one long-lived connection once per snapshot, and every other
    # tool's view of the same moment would count it again. `peers` keeps each
    # snapshot's top N (export --top, default 50), so a long tail is cut.
    spark.sql("""
        SELECT p.remote_addr, p.direction,
               count(DISTINCT p.host) AS hosts,
               sum(p.count)           AS sockets,
               sum(p.ESTABLISHED)     AS established,
               sum(p.CLOSE_WAIT)      AS close_wait,
               sum(p.TIME_WAIT)       AS time_wait
        FROM peers p
        JOIN last_snapshot l
          ON p.host = l.host AND p.source = l.source AND p.kind = l.kind AND p.`index` = l.`index`
        GROUP BY p.remote_addr, p.direction
        ORDER BY sockets DESC, p.remote_addr
    """).show(10, truncate=False)
    step2 = time.monotonic() - t2
    print(f"\nstep 2: Spark SQL {step2:.1f} s wall; job total {time.monotonic() - t_start:.1f} s")
    spark.stop()

    # `sockscope summary DATASET` reads an export once the binary supports it;
    # an older one would read the Parquet files as captures, so ask its help first.
    summary_help = help_text(binary, "summary").lower()
    if mode == "part" and ("dataset" in summary_help or "export" in summary_help):
        print("\n== sockscope summary (first 40 lines)")
        out = subprocess.run([binary, "summary", dataset], capture_output=True, text=True)
        print("\n".join((out.stdout or out.stderr).splitlines()[:40]))


if __name__ == "__main__":
    main()
