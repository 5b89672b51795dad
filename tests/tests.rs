//! One integration-test binary (every extra `tests/*.rs` would link polars
//! again). Each module runs the real `sockscope` binary.

mod util;

mod cli;
mod corpus;
mod dataset;
mod diagnose;
mod encoding;
mod export;
mod fleet;
mod hosts;
mod regression;
mod report;
mod robustness;
mod safety;
mod samples;
