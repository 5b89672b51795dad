//! `sysctl`: the captured sysctl values the passes read, per source (see
//! [`crate::parse::sysctl::kept`]).

use super::schema::{Rows, Schema, Ty, col};
use crate::parse::sysctl::SysctlMap;

pub static SCHEMA: Schema = Schema {
    name: "sysctl",
    row: "one sysctl key of one `sysctl -a` capture: the network stack's keys (per-interface ones only for `all` and `default`), file and process limits and the kernel release",
    columns: &[
        col("source_id", Ty::U32, "the sysctl capture (see sources)"),
        col("key", Ty::Str, "e.g. net.ipv4.ip_local_port_range"),
        col("value", Ty::Str, "as captured (first value of a repeated key)"),
    ],
};

pub fn fill(r: &mut Rows, id: u32, map: &SysctlMap) {
    for (k, v) in map {
        r.row().u32(id).str(k).str(v).end();
    }
}
