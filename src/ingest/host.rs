//! Which host a capture file came from.
//!
//! In order: `--host NAME`; a sosreport tree (the `hostname` file at the
//! root, i.e. the directory that holds `sos_commands/`, else the
//! `sosreport-<host>-…` directory name); an OSWatcher archive file
//! (`<host>_<tool>_YY.MM.DD.HHMM.dat[.gz]`); otherwise the file name
//! without its suffixes, a fully qualified name kept whole (`web-1.log` →
//! `web-1`, `web-1.dc1.log` → `web-1.dc1`), except when the name is a
//! command's name (`ss-tan.txt`, `netstat_-W_-neopa`, `nf_conntrack`):
//! then the host is the directory holding it (`web-1/ss-tan.txt` → `web-1`),
//! or the first above it not named after a date
//! (`web-1/2026-12-01/ss.txt` → `web-1`).

use std::path::{Path, PathBuf};

/// File-name prefixes that name a command, not a host.
const COMMAND_PREFIXES: &[&str] = &[
    "ss",
    "netstat",
    "conntrack",
    "nf_conntrack",
    "sysctl",
    "sockstat",
    "ip_netns_exec",
    "proc",
    "tcp",
    "udp",
    "dmesg",
    "nstat",
    "snmp",
    "kern",
    "syslog",
    "messages",
    "journal",
    "capture",
    "snapshot",
    "output",
    "stdin",
];

/// `--host-from REGEX`: the first capture group of `re` matched against
/// the path as given (`None` if it does not match).
pub fn host_from(re: &regex::Regex, path: &Path) -> Option<String> {
    let p = path.to_string_lossy();
    let c = re.captures(&p)?;
    let h = c.get(1)?.as_str();
    (!h.is_empty()).then(|| h.to_string())
}

/// A file name that names a command (`ss-tan`, `netstat_-W_-neopa`,
/// `nf_conntrack`), not a host.
fn is_command(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    COMMAND_PREFIXES.iter().any(|p| {
        lower == *p || lower.strip_prefix(p).is_some_and(|r| r.starts_with(['-', '_', ' ']) || r.is_empty())
    })
}

/// The directory a host name was taken from, when the default rules named
/// the host after the directory holding a command-named file
/// (`web-1/ss-tan.txt`): two such directories with one name in different
/// places (`dc1/web-1/`, `dc2/web-1/`; or `<host>/<date>/ss.txt`) would be
/// merged into one host silently.
pub fn host_dir(path: &Path) -> Option<PathBuf> {
    if path.as_os_str() == "-" || sosreport_root(path).is_some() {
        return None;
    }
    let file = path.file_name()?.to_string_lossy().into_owned();
    if oswatcher_host(&file).is_some() {
        return None;
    }
    let stem = file.split('.').next().unwrap_or(&file);
    if !(is_command(stem) || stem.is_empty()) {
        return None;
    }
    let dir = host_ancestor(path)?;
    std::path::absolute(dir).ok()
}

/// A directory named after a date or time (`2026-12-01`, `20261201T1000`,
/// `12.01`): a capture layout's level below the host, never a host.
fn is_date_dir(name: &str) -> bool {
    let digits = name.bytes().filter(u8::is_ascii_digit).count();
    // `2026/12/01/`: the month and day levels are all digits.
    (digits >= 4 || (digits > 0 && digits == name.len()))
        && name.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'_' | b':' | b'.' | b'T' | b'Z'))
}

/// The directory a command-named file's host is named after: its own, or
/// the first above it that is not named after a date
/// (`web-1/2026-12-01/ss.txt` → `web-1`).
fn host_ancestor(path: &Path) -> Option<&Path> {
    let mut dir = path.parent()?;
    while let Some(name) = dir.file_name()
        && is_date_dir(&name.to_string_lossy())
        && let Some(up) = dir.parent()
        && up.file_name().is_some()
    {
        dir = up;
    }
    Some(dir)
}

/// Infers the host of `path`. `None` only for stdin without `--host`.
pub fn infer_host(path: &Path) -> Option<String> {
    if path.as_os_str() == "-" {
        return None;
    }
    if let Some(h) = sosreport_host(path) {
        return Some(h);
    }
    let file = path.file_name()?.to_string_lossy().into_owned();
    if let Some(h) = oswatcher_host(&file) {
        return Some(h);
    }
    let stem = file.split('.').next().unwrap_or(&file).to_string();
    if (is_command(&stem) || stem.is_empty())
        && let Some(dir) = host_ancestor(path).and_then(|p| p.file_name())
    {
        let d = dir.to_string_lossy();
        if d != "." && d != ".." && !d.is_empty() && d != "networking" && d != "sos_commands" {
            return Some(d.into_owned());
        }
    }
    Some(if stem.is_empty() { file } else { qualified(&file, &stem) })
}

/// `stem` and the domain labels after it in `file`: fully qualified names
/// are kept whole (`web-1.dc1.log` → `web-1.dc1`, `db.example.com.txt` →
/// `db.example.com`), so two domains never merge into one host. A label is
/// a domain label when it is a host-name word with a letter in it and not
/// a command or file-type word (`web-1.ss.log`, `web-1.2024-03-05.txt` →
/// `web-1`).
fn qualified(file: &str, stem: &str) -> String {
    const NOT_DOMAIN: &[&str] =
        &["log", "txt", "out", "dat", "gz", "zst", "zstd", "bz2", "xz", "csv", "tsv", "json", "cap", "snap"];
    let mut host = stem.to_string();
    for label in file.split('.').skip(1) {
        let lower = label.to_ascii_lowercase();
        let word = !label.is_empty()
            && label.len() <= 63
            && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && label.bytes().any(|b| b.is_ascii_alphabetic());
        let command = is_command(label);
        if !word || command || NOT_DOMAIN.contains(&lower.as_str()) {
            break;
        }
        host.push('.');
        host.push_str(label);
    }
    host
}

/// The network namespace of a per-namespace capture:
/// `ip_netns_exec_<ns>_<command>…` (sosreport's per-namespace copies),
/// the namespace name ending where a command's name starts.
pub fn netns(path: &Path) -> Option<String> {
    const COMMANDS: &[&str] = &[
        "ss",
        "netstat",
        "ip",
        "ip6tables",
        "iptables",
        "conntrack",
        "nstat",
        "sysctl",
        "cat",
        "ethtool",
        "nft",
    ];
    let file = path.file_name()?.to_string_lossy().into_owned();
    let rest = file.strip_prefix("ip_netns_exec_")?;
    // The first `_<command>_` (or `_<command>` at the end) after at least
    // one character of name.
    let at = (1..rest.len()).filter(|i| rest.as_bytes()[*i] == b'_').find(|i| {
        let after = &rest[i + 1..];
        COMMANDS
            .iter()
            .any(|c| after.strip_prefix(c).is_some_and(|r| r.is_empty() || r.starts_with(['_', '.'])))
    })?;
    Some(rest[..at].to_string())
}

/// The collection time of the sosreport a file is in
/// (`sos_commands/date/date`, or the root's `date`), for captures that
/// carry no time of their own.
pub fn sosreport_time(path: &Path) -> Option<crate::parse::timestamp::RawTime> {
    let root = sosreport_root(path)?;
    for f in [root.join("sos_commands/date/date"), root.join("date")] {
        if let Ok(text) = std::fs::read_to_string(&f)
            && let Some(t) =
                text.lines().find_map(|l| crate::parse::timestamp::parse_timestamp_line(l.as_bytes()))
        {
            return Some(t);
        }
    }
    None
}

/// The root of the sosreport tree a file is in: the nearest directory above
/// it holding `sos_commands/`. Every file asks (for its host, its time and
/// its name's collisions), so each directory is looked up once.
fn sosreport_root(path: &Path) -> Option<PathBuf> {
    use std::collections::HashMap;
    use std::sync::{LazyLock, Mutex};
    static ROOTS: LazyLock<Mutex<HashMap<PathBuf, Option<PathBuf>>>> = LazyLock::new(Default::default);
    let abs = std::path::absolute(path).ok()?;
    let dir = abs.parent()?;
    if let Some(r) = ROOTS.lock().unwrap_or_else(|e| e.into_inner()).get(dir) {
        return r.clone();
    }
    let root = dir.ancestors().find(|d| d.join("sos_commands").is_dir()).map(Path::to_path_buf);
    ROOTS.lock().unwrap_or_else(|e| e.into_inner()).insert(dir.to_path_buf(), root.clone());
    root
}

/// The host of a file inside a sosreport tree.
fn sosreport_host(path: &Path) -> Option<String> {
    let root = sosreport_root(path)?;
    if let Ok(h) = std::fs::read_to_string(root.join("hostname")) {
        let h = h.lines().next().unwrap_or("").trim();
        if !h.is_empty() {
            return Some(h.to_string());
        }
    }
    Some(sos_dir_host(&root.file_name()?.to_string_lossy()))
}

/// `sosreport-web-1-01234567-2024-03-05-abcdef` → `web-1`;
/// any other directory name is used as is.
fn sos_dir_host(name: &str) -> String {
    let Some(rest) = name.strip_prefix("sosreport-") else { return name.to_string() };
    // Drop the date and random suffix (`-YYYY-MM-DD-xxxxx`) and a numeric
    // case id before it.
    let parts: Vec<&str> = rest.split('-').collect();
    let mut end = parts.len();
    if let Some(p) = parts.iter().position(|p| p.len() == 4 && p.chars().all(|c| c.is_ascii_digit())) {
        end = p;
    }
    // A case id is a long number; a short one is part of the host name.
    while end > 1 && parts[end - 1].len() >= 5 && parts[end - 1].chars().all(|c| c.is_ascii_digit()) {
        end -= 1;
    }
    parts[..end].join("-")
}

/// `db01_netstat_24.03.05.1000.dat.gz` → `db01`.
fn oswatcher_host(file: &str) -> Option<String> {
    let base = file.trim_end_matches(".gz").trim_end_matches(".bz2").trim_end_matches(".zst");
    let base = base.strip_suffix(".dat")?;
    let (rest, stamp) = base.rsplit_once('_')?;
    let ok = stamp.len() == 13
        && stamp.split('.').map(str::len).eq([2, 2, 2, 4])
        && stamp.chars().all(|c| c.is_ascii_digit() || c == '.');
    if !ok {
        return None;
    }
    let (host, _tool) = rest.rsplit_once('_')?;
    (!host.is_empty()).then(|| host.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_and_directories() {
        assert_eq!(infer_host(Path::new("caps/web-1.log")).as_deref(), Some("web-1"));
        assert_eq!(infer_host(Path::new("caps/web-1/ss-tan.txt")).as_deref(), Some("web-1"));
        assert_eq!(infer_host(Path::new("db2/netstat_-W_-neopa")).as_deref(), Some("db2"));
        assert_eq!(infer_host(Path::new("host9/nf_conntrack")).as_deref(), Some("host9"));
        assert_eq!(infer_host(Path::new("sstable-node.log")).as_deref(), Some("sstable-node"));
        // Fully qualified names stay whole: two domains are two hosts.
        assert_eq!(infer_host(Path::new("caps/web-1.dc1.log")).as_deref(), Some("web-1.dc1"));
        assert_eq!(infer_host(Path::new("caps/web-1.dc2.log.gz")).as_deref(), Some("web-1.dc2"));
        assert_eq!(infer_host(Path::new("db.example.com.txt")).as_deref(), Some("db.example.com"));
        // Tool, date and type suffixes are not domains.
        assert_eq!(infer_host(Path::new("web-1.ss.log")).as_deref(), Some("web-1"));
        assert_eq!(infer_host(Path::new("web-1.netstat-an.txt")).as_deref(), Some("web-1"));
        assert_eq!(infer_host(Path::new("web-1.2024-03-05.txt")).as_deref(), Some("web-1"));
        assert_eq!(infer_host(Path::new("-")), None);
    }

    #[test]
    fn per_namespace_captures_name_their_namespace() {
        let ns = |p: &str| netns(Path::new(p));
        assert_eq!(ns("sos/sos_commands/networking/ip_netns_exec_blue_ss_-peaonmi").as_deref(), Some("blue"));
        assert_eq!(
            ns("x/ip_netns_exec_snat-984c22fd-64b3_netstat_-W_-neopa").as_deref(),
            Some("snat-984c22fd-64b3")
        );
        // Underscores inside the name stay in it.
        assert_eq!(ns("ip_netns_exec_cni_a_b_ip_address_show").as_deref(), Some("cni_a_b"));
        assert_eq!(ns("sos/sos_commands/networking/ss_-peaonmi"), None);
        assert_eq!(ns("ip_netns_exec_"), None);
    }

    #[test]
    fn date_directories_below_the_host_are_skipped() {
        assert_eq!(infer_host(Path::new("fleet/web-1/2026-12-01/ss.txt")).as_deref(), Some("web-1"));
        assert_eq!(infer_host(Path::new("web-1/20261201T1000Z/ss-tan.txt")).as_deref(), Some("web-1"));
        assert_eq!(infer_host(Path::new("db-2/2026/12/01/netstat-an.txt")).as_deref(), Some("db-2"));
        // A date as the first directory of a relative path stays: there is
        // nothing above it to name the host.
        assert_eq!(infer_host(Path::new("2026-12-01/ss.txt")).as_deref(), Some("2026-12-01"));
        // Host names with digits are not dates.
        assert_eq!(infer_host(Path::new("node-0042/ss.txt")).as_deref(), Some("node-0042"));
        assert_eq!(
            host_dir(Path::new("/x/web-1/2026-12-01/ss.txt")).unwrap(),
            std::path::PathBuf::from("/x/web-1")
        );
    }

    #[test]
    fn oswatcher_archive_names() {
        assert_eq!(oswatcher_host("db01_netstat_24.03.05.1000.dat.gz").as_deref(), Some("db01"));
        assert_eq!(
            oswatcher_host("db01.example.com_netstat_24.03.05.1000.dat").as_deref(),
            Some("db01.example.com")
        );
        assert_eq!(oswatcher_host("netstat.dat"), None);
    }

    #[test]
    fn sosreport_directory_names() {
        assert_eq!(sos_dir_host("sosreport-web-1-01234567-2024-03-05-abcdef"), "web-1");
        assert_eq!(sos_dir_host("sosreport-db2-2024-03-05-xyz"), "db2");
        assert_eq!(sos_dir_host("coreos-sosreport-master1"), "coreos-sosreport-master1");
    }

    #[test]
    fn sosreport_tree_uses_hostname_file() {
        let dir = tempfile::tempdir().unwrap();
        let net = dir.path().join("sos_commands/networking");
        std::fs::create_dir_all(&net).unwrap();
        std::fs::write(dir.path().join("hostname"), "node-7.example\n").unwrap();
        std::fs::write(net.join("ss_-peaonmi"), "").unwrap();
        assert_eq!(infer_host(&net.join("ss_-peaonmi")).as_deref(), Some("node-7.example"));
    }
}
