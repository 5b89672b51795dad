//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

/// The built binary, run from the repository root.
pub fn sockscope() -> Command {
    let mut c = Command::cargo_bin("sockscope").expect("binary built");
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn samples() -> PathBuf {
    repo().join("samples")
}

/// `../shared/corpus/public`, if this checkout has it.
pub fn corpus() -> Option<PathBuf> {
    let p = repo().join("../shared/corpus/public");
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!("skipping: {} is absent", p.display());
        None
    }
}

/// Runs `summary --format json` and parses the output.
pub fn summary_json(args: &[&str]) -> Value {
    let out = sockscope().arg("summary").arg("--format").arg("json").args(args).output().expect("runs");
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(1),
        "status {:?}, stderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("bad JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

/// Number of lines as sockscope counts them: newline-terminated lines plus
/// an unterminated last fragment.
pub fn line_count(bytes: &[u8]) -> u64 {
    let n = bytes.iter().filter(|&&b| b == b'\n').count() as u64;
    n + u64::from(!bytes.is_empty() && bytes.last() != Some(&b'\n'))
}

/// Decompressed bytes of a sample (plain, gzip or zstd).
pub fn read_any(p: &Path) -> Vec<u8> {
    use std::io::Read;
    let raw = std::fs::read(p).expect("readable");
    let mut out = Vec::new();
    if raw.starts_with(&[0x1f, 0x8b]) {
        flate2::read::MultiGzDecoder::new(&raw[..]).read_to_end(&mut out).expect("gzip");
    } else if raw.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        zstd::stream::read::Decoder::new(&raw[..]).expect("zstd").read_to_end(&mut out).expect("zstd");
    } else {
        out = raw;
    }
    out
}

/// Asserts the accounting invariant of every source in a summary.
pub fn assert_accounting(doc: &Value) {
    for s in doc["sources"].as_array().expect("sources") {
        let l = &s["lines"];
        let sum: u64 =
            ["parsed", "structural", "ignored", "rejected"].iter().map(|k| l[k].as_u64().unwrap()).sum();
        assert_eq!(sum, l["total"].as_u64().unwrap(), "accounting of {}", s["path"]);
        if s["path"] != "-" {
            let path = repo().join(s["path"].as_str().unwrap());
            let path = if path.exists() { path } else { PathBuf::from(s["path"].as_str().unwrap()) };
            assert_eq!(
                line_count(&read_any(&path)),
                l["total"].as_u64().unwrap(),
                "line count of {}",
                s["path"]
            );
        }
    }
}

/// The report's anchors: lowercase letters, digits and single dashes.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}
