//! `ct_states`: conntrack entries of each snapshot by conntrack's own
//! state (TCP's `ESTABLISHED`, `TIME_WAIT`, `FIN_WAIT`, … and the SCTP and
//! DCCP states), non-zero only.

use super::Key;
use super::schema::{Rows, Schema, Ty, col};
use crate::model::{CtState, Kind};
use crate::snapshot::KindSummary;

pub static SCHEMA: Schema = Schema {
    name: "ct_states",
    row: "one conntrack state in one conntrack snapshot",
    columns: crate::keyed_columns![
        col("state", Ty::Str, "conntrack's state name"),
        col("entries", Ty::U64, "entries in that state"),
    ],
};

pub fn fill(r: &mut Rows, key: &Key, k: &KindSummary) {
    if k.kind != Kind::Conntrack {
        return;
    }
    for (code, n) in k.ct_states.iter().enumerate().filter(|(_, n)| **n > 0) {
        r.row().key(key).str(CtState::from_code(code as u8).name()).u64(*n).end();
    }
}
