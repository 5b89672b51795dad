//! Outputs: one module per kind (`json`, `table`, `csv`).

pub mod csv;
pub mod json;
pub mod table;
