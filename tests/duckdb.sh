#!/usr/bin/env bash
# Reads an exported dataset with DuckDB (from PyPI, in a venv under
# target/) and checks its counts against `summary --format json`: the
# dataset is readable by an engine that is not polars. Not part of CI (it
# downloads DuckDB); run it by hand after changing a table or the export.
#
#   tests/duckdb.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
BIN=target/release/sockscope
VENV=target/duckdb-venv
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet duckdb
fi
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
"$BIN" export samples -o "$OUT/ds" >/dev/null
"$BIN" summary --format json samples > "$OUT/summary.json"
"$VENV/bin/python" - "$OUT" <<'PY'
import json, sys, duckdb
out = sys.argv[1]
doc = json.load(open(f"{out}/summary.json"))
def q(sql):
    return duckdb.sql(sql.replace("DS", f"{out}/ds")).fetchall()
snaps = q("SELECT host, kind, count(*), sum(total) FROM read_parquet('DS/snapshots/*/*.parquet', hive_partitioning=true) GROUP BY ALL")
want = {}
for s in doc["snapshots"]:
    k = (s["host"], s["kind"])
    n, t = want.get(k, (0, 0))
    want[k] = (n + 1, t + s["total"])
got = {(h, k): (n, int(t)) for h, k, n, t in snaps}
assert got == want, (got, want)
lines = q("SELECT sum(lines) FROM read_parquet('DS/sources/*/*.parquet', hive_partitioning=true)")[0][0]
assert lines == sum(s["lines"]["total"] for s in doc["sources"]), lines
cw = q("SELECT host, max(CLOSE_WAIT) FROM read_parquet('DS/snapshots/*/*.parquet', hive_partitioning=true) WHERE kind <> 'conntrack' GROUP BY host")
want_cw = {}
for s in doc["snapshots"]:
    if s["kind"] != "conntrack":
        want_cw[s["host"]] = max(want_cw.get(s["host"], 0), s["states"].get("CLOSE_WAIT", 0))
assert dict(cw) == want_cw, (cw, want_cw)
print(f"duckdb: {len(snaps)} host/tool groups, {sum(n for n, _ in want.values())} snapshots, {lines} lines: agree with summary")
PY
