//! Outputs: one module per kind (`json`, `table`, `csv`, the `report`
//! pages, and `chart` for plotters charts).

pub mod chart;
pub mod charts;
pub mod csv;
pub mod json;
pub mod markdown;
pub mod report;
pub mod table;
