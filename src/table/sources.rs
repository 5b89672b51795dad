//! `sources`: one row per input, with its line accounting.

use super::schema::{Rows, Schema, Ty, col, opt};
use crate::ingest::SourceReport;

pub static SCHEMA: Schema = Schema {
    name: "sources",
    row: "one input file (or stdin)",
    columns: &[
        col("source_id", Ty::U32, "the key other tables use"),
        col("source", Ty::Str, "path as given (`-` for stdin)"),
        col("host", Ty::Str, "host the input belongs to"),
        col(
            "format",
            Ty::Str,
            "netstat, ss, conntrack, ss-summary, sysctl, conntrack-stat, kernel-log, counters; mixed: ss+conntrack; empty",
        ),
        col("compression", Ty::Str, "none, gzip or zstd"),
        opt("encoding", Ty::Str, "text encoding decoded from when not plain UTF-8: utf-16le, cp866, …"),
        opt("language", Ty::Str, "language of a localized capture (de, ru, pt_BR, …)"),
        col("bytes", Ty::U64, "decompressed bytes read"),
        col("lines", Ty::U64, "lines (a final line without a newline counts)"),
        col("parsed", Ty::U64, "lines read as data"),
        col("structural", Ty::U64, "blank lines, headers, timestamps, rulers, annotations, tool messages"),
        col("ignored", Ty::U64, "lines ignored by design (UNIX sockets, other netstat sections)"),
        col(
            "rejected",
            Ty::U64,
            "lines no parser accepted (parsed + structural + ignored + rejected = lines)",
        ),
        col("snapshots", Ty::U64, "snapshots read"),
        col("notes", Ty::Str, "what the operator should know, one per line"),
        opt("error", Ty::Str, "read or decompression error that cut the input short"),
    ],
};

pub fn fill(r: &mut Rows, id: u32, s: &SourceReport) {
    let l = &s.lines;
    r.row()
        .u32(id)
        .str(&s.path)
        .str(&s.host)
        .str(&s.format)
        .str(s.compression)
        .opt_str(s.encoding)
        .opt_str(s.language)
        .u64(s.bytes)
        .u64(l.total)
        .u64(l.parsed)
        .u64(l.structural)
        .u64(l.ignored)
        .u64(l.rejected)
        .u64(s.snapshots as u64)
        .str(&s.notes.join("\n"))
        .opt_str(s.error.as_deref())
        .end();
}
