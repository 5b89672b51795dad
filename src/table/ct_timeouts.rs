//! `ct_timeouts`: conntrack entries of each snapshot by state and seconds
//! left before they expire (log2 buckets; tcp-facts A2: the timeout
//! column counts down, it is not an age).

use super::Key;
use super::schema::{Rows, Schema, Ty, col};
use crate::detail::SnapshotDetail;

pub static SCHEMA: Schema = Schema {
    name: "ct_timeouts",
    row: "one conntrack state and timeout bucket in one snapshot (non-empty buckets only)",
    columns: crate::keyed_columns![
        col("state", Ty::Str, "conntrack state"),
        col("timeout_lo", Ty::U64, "bucket: seconds left, from (inclusive)"),
        col("timeout_hi", Ty::U64, "… to (inclusive)"),
        col("entries", Ty::U64, "entries in the bucket"),
    ],
};

pub fn fill(r: &mut Rows, key: &Key, d: &SnapshotDetail) {
    for (state, hist) in &d.ct_timeouts {
        for (i, n) in hist.iter().enumerate().filter(|(_, n)| **n > 0) {
            let (lo, hi) = if i == 0 { (0, 0) } else { (1u64 << (i - 1), (1u64 << i) - 1) };
            r.row().key(key).str(state.name()).u64(lo).u64(hi).u64(u64::from(*n)).end();
        }
    }
}
