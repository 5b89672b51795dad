//! Command-line definitions (clap derive). Doc comments are the help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::ingest::InputFormat;

/// Analyze saved socket tables (netstat, ss, conntrack) offline.
#[derive(Debug, Parser)]
#[command(name = "sockscope", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Per host and snapshot: totals, TCP states, top peers and ports, and
    /// the line accounting of every input.
    Summary(SummaryArgs),
    /// Postmortem report: index.html (charts inline), report.md, charts as
    /// PNG and SVG, and summary.json, written into a directory.
    Report(ReportArgs),
    /// Render one chart (PNG or SVG, by the output's extension).
    Chart(ChartArgs),
    /// Write the tables as a dataset (Parquet, CSV or NDJSON) that DuckDB,
    /// Spark, Trino or polars read: DIR/<table>/host=<host>/part-<n>.<ext>.
    Export(ExportArgs),
    /// Findings per host, worst first: what the captures show and what to
    /// do, each with its evidence (rules: `sockscope explain`).
    Diagnose(DiagnoseArgs),
    /// What a TCP state, sysctl or rule means, and the myth it corrects;
    /// with no topic, the list of topics.
    Explain(ExplainArgs),
    /// What changed between a baseline and an incident capture (or two
    /// hosts): states, peers, ports, listeners, sysctls, findings.
    Diff(DiffArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish,
    /// powershell) to stdout.
    Completions(CompletionsArgs),
    /// Print the manual page (roff) to stdout: `sockscope man | man -l -`.
    Man,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Options shared by every command that reads captures.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Capture files or directories (read recursively); `-` reads stdin.
    /// Plain, .gz and .zst are detected from content. A quoted glob
    /// pattern ('caps/*/ss*.txt', 'caps/**/*.gz') is expanded by sockscope.
    /// A dataset written by `sockscope export` (Parquet) is read as its
    /// tables instead.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,

    /// Force the input format instead of detecting it per file.
    #[arg(long, value_enum, default_value_t = InputFormat::Auto)]
    pub input_format: InputFormat,

    /// Time zone for timestamps without an offset and for zone
    /// abbreviations: UTC, +02:00, or an IANA name like Europe/Berlin.
    /// Without it, naive times are read as UTC.
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,

    /// Host name for all inputs (default: from the sosreport or OSWatcher
    /// layout, or the file name).
    #[arg(long, value_name = "NAME", conflicts_with = "host_from")]
    pub host: Option<String>,

    /// Take each input's host from the first capture group of REGEX
    /// matched against its path, e.g. 'dc1/([^/]+)/' (inputs it does not
    /// match keep the default and are named in a note).
    #[arg(long, value_name = "REGEX")]
    pub host_from: Option<String>,

    /// Fail on the first rejected line (`path:LINE: reason`) instead of
    /// counting it.
    #[arg(long)]
    pub strict: bool,

    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,

    /// No progress bar (it is drawn only when stderr is a terminal and
    /// the work takes more than a second).
    #[arg(long, short)]
    pub quiet: bool,

    /// Text encoding of every input, when detection cannot tell (it finds
    /// UTF-16 and UTF-8 byte-order marks, UTF-16 without one, and legacy
    /// code pages holding a known localized header).
    #[arg(long, value_enum, value_name = "ENCODING")]
    pub input_encoding: Option<crate::ingest::encoding::TextEncoding>,
}

#[derive(Debug, Args)]
pub struct SummaryArgs {
    #[command(flatten)]
    pub input: InputArgs,

    /// Output format.
    #[arg(long, value_enum, default_value_t = SummaryFormat::Table)]
    pub format: SummaryFormat,

    /// How many remote addresses and local ports to list per snapshot.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub top: usize,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub input: InputArgs,

    /// Output directory (staged under a temporary name beside it, then
    /// renamed into place).
    #[arg(short, long, value_name = "DIR")]
    pub output: std::path::PathBuf,

    /// Replace the output directory if it is a previous sockscope report
    /// (it has a .sockscope file) and neither is, contains nor lies inside
    /// an input. Anything else is refused, and nothing is touched.
    #[arg(long)]
    pub force: bool,

    /// Rows per hotspot table.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub top: usize,

    /// Hosts given a section of their own: `all`, or at most N, chosen
    /// by what matters (critical findings, warnings, then how unusual
    /// the host is against the fleet). Every host stays in the fleet
    /// table either way.
    #[arg(long, default_value = "50", value_name = "N|all", value_parser = parse_hosts)]
    pub hosts: HostSections,
}

/// How many hosts a report details (`--hosts`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostSections {
    All,
    AtMost(usize),
}

fn parse_hosts(s: &str) -> Result<HostSections, String> {
    if s.eq_ignore_ascii_case("all") {
        return Ok(HostSections::All);
    }
    s.parse::<usize>().map(HostSections::AtMost).map_err(|_| format!("expected a number or `all`, got `{s}`"))
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub input: InputArgs,

    /// Output directory (staged beside it, then renamed into place).
    #[arg(short, long, value_name = "DIR")]
    pub output: std::path::PathBuf,

    /// Replace the output directory if it is a previous sockscope export
    /// (it has a .sockscope file) and neither is, contains nor lies inside
    /// an input.
    /// With --part: replace an earlier part of that name (a retried shard).
    #[arg(long)]
    pub force: bool,

    /// File format.
    #[arg(long, value_enum, default_value_t = crate::export::Format::Parquet)]
    pub format: crate::export::Format,

    /// Tables to write, comma-separated (default: all). See README,
    /// "Tables".
    #[arg(long, value_name = "LIST")]
    pub tables: Option<String>,

    /// Add this run's files to the dataset DIR as part NAME instead of
    /// writing a new directory: DIR is created if absent (an existing one
    /// must be a sockscope export) and its files are named part-NAME…, so
    /// shards exported on many machines at once fill one dataset. An
    /// earlier part NAME is refused, or replaced with --force.
    #[arg(long, value_name = "NAME")]
    pub part: Option<String>,

    /// Rows kept per snapshot in each ranking table (peers, services, …).
    #[arg(long, default_value_t = crate::table::DEFAULT_TOP, value_name = "N")]
    pub top: usize,
}

#[derive(Debug, Args)]
pub struct ChartArgs {
    /// Which chart.
    #[arg(value_enum)]
    pub kind: crate::render::charts::ChartName,

    #[command(flatten)]
    pub input: InputArgs,

    /// Output file: .png or .svg.
    #[arg(short, long, value_name = "FILE")]
    pub output: std::path::PathBuf,

    /// Replace the output file if it is a PNG or SVG image and not an
    /// input.
    #[arg(long)]
    pub force: bool,

    /// Rows of the hotspot chart.
    #[arg(long, default_value_t = 15, value_name = "N")]
    pub top: usize,

    /// State to follow in `fleet-time` (default: the most telling one).
    #[arg(long, value_name = "STATE")]
    pub state: Option<String>,

    /// Width and height in pixels (default: the chart's own).
    #[arg(long, value_name = "PX")]
    pub width: Option<u32>,
    #[arg(long, value_name = "PX")]
    pub height: Option<u32>,
}

#[derive(Debug, Args)]
pub struct DiagnoseArgs {
    #[command(flatten)]
    pub input: InputArgs,

    /// sysctl values (`sysctl -a` output or a sysctl.conf fragment) for
    /// every host; they win over captured ones.
    #[arg(long, value_name = "FILE")]
    pub sysctl: Option<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
    pub format: TextOrJson,

    /// Leave out findings below this severity.
    #[arg(long, value_enum, default_value_t = crate::diagnose::Severity::Info)]
    pub min_severity: crate::diagnose::Severity,

    /// Exit with code 3 when a finding at or above this severity exists
    /// (for scripted triage).
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<FailOn>,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A TCP state (TIME_WAIT, CLOSE-WAIT), a sysctl (tcp_fin_timeout,
    /// net.ipv4.tcp_tw_reuse) or a rule id (CLOSE_WAIT_LEAK, R4).
    pub topic: Option<String>,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The baseline: a capture file or directory.
    pub before: PathBuf,
    /// The incident: a capture file or directory.
    pub after: PathBuf,

    /// Output format.
    #[arg(long, value_enum, default_value_t = TableOrJson::Table)]
    pub format: TableOrJson,

    /// Also write a report-style directory (diff.md, diff.json and a chart
    /// of the state deltas as PNG and SVG).
    #[arg(short, long, value_name = "DIR")]
    pub output: Option<PathBuf>,

    /// Replace the output directory if it is a previous sockscope output.
    #[arg(long)]
    pub force: bool,

    /// Rows per list (peers, ports).
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub top: usize,

    /// Time zone for naive timestamps (as in `summary`).
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TextOrJson {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TableOrJson {
    Table,
    Json,
}

/// `--fail-on`: the lowest severity that fails the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Warn,
    Crit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SummaryFormat {
    Table,
    Json,
    Csv,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
