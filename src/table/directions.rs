//! `directions`: connected sockets of each snapshot by direction and
//! state (tcp-facts A3: inbound when the local port is one this host
//! listens on, outbound when it is in the ephemeral range, else unknown).
//! Folded by `report`, `diagnose` and `export`, not by `summary`.

use super::Key;
use super::schema::{Rows, Schema, Ty, col};
use crate::detail::{Direction, SnapshotDetail};

pub static SCHEMA: Schema = Schema {
    name: "directions",
    row: "one direction in one snapshot, its sockets by state",
    columns: crate::with_state_columns![
        col("direction", Ty::Str, "inbound, outbound or unknown"),
        col("count", Ty::U64, "connected sockets in this direction"),
    ],
};

pub fn fill(r: &mut Rows, key: &Key, d: &SnapshotDetail) {
    for dir in Direction::ALL {
        let states = &d.by_direction[dir as usize];
        let total: u64 = states.iter().sum();
        if total > 0 {
            r.row().key(key).str(dir.name()).u64(total).states(states).end();
        }
    }
}
