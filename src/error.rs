//! Typed errors for the cases callers branch on.

use std::path::PathBuf;

/// A problem with one input. Other inputs are still processed; the run
/// ends with exit code 1.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// The file could not be opened or read.
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    /// A `.gz` or `.zst` stream is corrupt or truncated; the lines before
    /// the damage were still analyzed.
    #[error("{path}: {what} stream is damaged after {bytes} bytes: {source}")]
    Decompress { path: PathBuf, what: &'static str, bytes: u64, source: std::io::Error },
    /// No supported format was recognized in the start of the file.
    #[error(
        "{path}: not a netstat, ss, conntrack, ss -s, sysctl or conntrack-stat capture (first line: {first_line:?}); pass --input-format to force one"
    )]
    UnknownFormat { path: PathBuf, first_line: String },
    /// Reading this input hit a bug (a panic). The input is dropped from
    /// the run; the other inputs are still processed.
    #[error("{path}: internal error while reading this input (please report this bug): {message}")]
    Panicked { path: PathBuf, message: String },
    /// `--strict` and a line was rejected.
    #[error("{path}:{line}: {reason}: {text:?}")]
    Rejected { path: PathBuf, line: u64, reason: crate::parse::RejectReason, text: String },
}

impl InputError {
    pub fn path(&self) -> &std::path::Path {
        match self {
            InputError::Io { path, .. }
            | InputError::Decompress { path, .. }
            | InputError::UnknownFormat { path, .. }
            | InputError::Panicked { path, .. }
            | InputError::Rejected { path, .. } => path,
        }
    }
}
