//! `sysctl -a` output: Linux `key = value`, FreeBSD/macOS `key: value`,
//! FreeBSD `-e` `key=value`.
//!
//! ```text
//! net.ipv4.ip_local_port_range = 32768 60999
//! net.netfilter.nf_conntrack_max = 262144
//! sysctl: permission denied on key 'fs.protected_fifos'
//! kern.ostype: FreeBSD
//! ```
//!
//! Values may hold tabs, be empty, repeat (`dev.cdrom.info`), or span lines
//! (FreeBSD XML topology): a line that is not `key<sep>value` right after a
//! key belongs to that key's value.

use super::tokens::{starts_with, trim_end};

/// One line of sysctl output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SysctlLine<'a> {
    Entry {
        key: &'a [u8],
        value: &'a [u8],
    },
    /// `sysctl: permission denied on key …` and similar stderr lines.
    Message,
    Blank,
    /// Not a `key = value` line.
    Other,
}

/// Reads one line.
pub fn parse_line(raw: &[u8]) -> SysctlLine<'_> {
    let line = trim_end(raw);
    if line.iter().all(|b| b.is_ascii_whitespace()) {
        return SysctlLine::Blank;
    }
    if starts_with(line, b"sysctl: ") {
        return SysctlLine::Message;
    }
    // The key: no spaces, at least one dot, starts with a letter.
    let key_end =
        line.iter().position(|&b| b == b' ' || b == b'=' || b == b':' || b == b'\t').unwrap_or(line.len());
    let key = &line[..key_end];
    if key.is_empty()
        || !key[0].is_ascii_alphabetic()
        || !key.contains(&b'.')
        || !key.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'/' | b'%'))
    {
        return SysctlLine::Other;
    }
    let rest = &line[key_end..];
    let value = if let Some(v) = rest.strip_prefix(b" = ") {
        v
    } else if rest == b" =" {
        b""
    } else if let Some(v) = rest.strip_prefix(b": ") {
        v
    } else if rest == b":" {
        b""
    } else if let Some(v) = rest.strip_prefix(b"=") {
        v
    } else {
        return SysctlLine::Other;
    };
    SysctlLine::Entry { key, value }
}

/// The keys a run keeps from a sysctl capture: the network stack's (Linux
/// `net.*` and BSD `net.inet.*`, `kern.ipc.*`) and file and process
/// limits. Per-interface keys (`net.ipv4.conf.eth0.*`, `neigh.*`) are not
/// kept — a host has hundreds, and a fleet thousands of hosts — except
/// the `all` and `default` ones.
pub fn kept(key: &[u8]) -> bool {
    const LIMITS: &[&[u8]] = &[
        b"fs.file-max",
        b"fs.file-nr",
        b"fs.nr_open",
        b"kernel.pid_max",
        b"kernel.threads-max",
        // The kernel a rule's facts depend on (tcp_tw_recycle is gone in 4.12).
        b"kernel.osrelease",
        b"kernel.ostype",
        b"kern.osrelease",
        b"kern.ostype",
        b"kern.maxfiles",
        b"kern.maxfilesperproc",
    ];
    if LIMITS.contains(&key) || key.starts_with(b"kern.ipc.") {
        return true;
    }
    let Some(rest) = key.strip_prefix(b"net.") else { return false };
    for family in [&b"ipv4."[..], b"ipv6."] {
        if let Some(r) = rest.strip_prefix(family) {
            for per_if in [&b"conf."[..], b"neigh."] {
                if let Some(r) = r.strip_prefix(per_if) {
                    return r.starts_with(b"all.") || r.starts_with(b"default.");
                }
            }
        }
    }
    true
}

/// One sysctl capture's keys and values, sorted by key.
///
/// A fleet's hosts have the same few hundred keys and mostly the same
/// values, and a map of owned strings per host was most of what a fleet of
/// thousands cost: the strings are interned for the run (shared by every
/// host that has them), and the map is a sorted slice of their pairs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SysctlMap {
    entries: Vec<(&'static str, &'static str)>,
}

impl SysctlMap {
    /// Sets `key` to `value` (replacing an earlier value).
    pub fn insert(&mut self, key: &str, value: &str) {
        match self.entries.binary_search_by(|(k, _)| (*k).cmp(key)) {
            Ok(i) => self.entries[i].1 = intern(value),
            Err(i) => self.entries.insert(i, (intern(key), intern(value))),
        }
    }

    /// Sets `key` to `value` unless it has one already.
    pub fn insert_first(&mut self, key: &str, value: &str) {
        if let Err(i) = self.entries.binary_search_by(|(k, _)| (*k).cmp(key)) {
            self.entries.insert(i, (intern(key), intern(value)));
        }
    }

    pub fn get(&self, key: &str) -> Option<&'static str> {
        self.get_key_value(key).map(|(_, v)| v)
    }

    pub fn get_key_value(&self, key: &str) -> Option<(&'static str, &'static str)> {
        let i = self.entries.binary_search_by(|(k, _)| (*k).cmp(key)).ok()?;
        Some(self.entries[i])
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Every key and value, by key.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
        self.entries.iter().copied()
    }

    pub fn keys(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.entries.iter().map(|(k, _)| *k)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Gives back what the map grew by beyond its entries.
    pub fn shrink_to_fit(&mut self) {
        self.entries.shrink_to_fit();
    }
}

impl<'a> IntoIterator for &'a SysctlMap {
    type Item = (&'static str, &'static str);
    type IntoIter = std::iter::Copied<std::slice::Iter<'a, (&'static str, &'static str)>>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().copied()
    }
}

impl<K: AsRef<str>, V: AsRef<str>> FromIterator<(K, V)> for SysctlMap {
    /// Later pairs replace earlier ones, as [`SysctlMap::insert`].
    fn from_iter<I: IntoIterator<Item = (K, V)>>(it: I) -> Self {
        let mut m = SysctlMap::default();
        for (k, v) in it {
            m.insert(k.as_ref(), v.as_ref());
        }
        m
    }
}

/// The run's one copy of a sysctl key or value. The strings live as long
/// as the process: a run reads a bounded set of captures, and their keys
/// and values repeat from host to host.
fn intern(s: &str) -> &'static str {
    use std::collections::HashSet;
    use std::sync::{LazyLock, Mutex};
    static SEEN: LazyLock<Mutex<HashSet<&'static str>>> = LazyLock::new(Default::default);
    let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(x) = seen.get(s) {
        return x;
    }
    let leaked: &'static str = Box::leak(s.to_string().into_boxed_str());
    seen.insert(leaked);
    leaked
}

/// `net.ipv4.ip_local_port_range` (`32768\t60999`) of a sysctl capture.
pub fn port_range(m: &SysctlMap) -> Option<(u16, u16)> {
    let v = m.get("net.ipv4.ip_local_port_range")?;
    let mut it = v.split_whitespace().map(|x| x.parse::<u16>().ok());
    match (it.next()??, it.next()??) {
        (lo, hi) if lo <= hi => Some((lo, hi)),
        _ => None,
    }
}

/// True if most of `sample`'s non-blank lines are sysctl entries.
pub fn looks_like_sysctl<'a>(sample: impl Iterator<Item = &'a [u8]>) -> bool {
    let (mut entries, mut other) = (0usize, 0usize);
    for l in sample.take(200) {
        match parse_line(l) {
            SysctlLine::Entry { .. } => entries += 1,
            SysctlLine::Other => other += 1,
            _ => {}
        }
    }
    entries >= 3 && entries >= other * 4
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sysctl_map_is_sorted_first_value_wins_where_asked_and_shares_its_strings() {
        let mut a = SysctlMap::default();
        a.insert_first("net.core.somaxconn", "4096");
        a.insert_first("net.core.somaxconn", "128");
        a.insert("kernel.osrelease", "6.1.0");
        a.insert("kernel.osrelease", "6.12.0");
        a.insert_first("fs.file-max", "9223372036854775807");
        assert_eq!(a.get("net.core.somaxconn"), Some("4096"));
        assert_eq!(a.get("kernel.osrelease"), Some("6.12.0"));
        assert_eq!(a.get("net.core.netdev_max_backlog"), None);
        let keys: Vec<&str> = a.keys().collect();
        assert_eq!(keys, ["fs.file-max", "kernel.osrelease", "net.core.somaxconn"]);
        // Another host's map holds the same strings, not copies.
        let b: SysctlMap = [("net.core.somaxconn", "4096")].into_iter().collect();
        assert!(std::ptr::eq(a.get("net.core.somaxconn").unwrap(), b.get("net.core.somaxconn").unwrap()));
        assert!(std::ptr::eq(a.keys().last().unwrap(), b.keys().next().unwrap()));
    }

    #[test]
    fn the_network_stacks_keys_are_kept_per_interface_ones_are_not() {
        for k in [
            "net.ipv4.ip_local_port_range",
            "net.ipv4.tcp_max_tw_buckets",
            "net.core.somaxconn",
            "net.netfilter.nf_conntrack_max",
            "net.nf_conntrack_max",
            "net.ipv4.conf.all.rp_filter",
            "net.ipv6.neigh.default.gc_thresh3",
            "net.inet.tcp.msl",
            "kern.ipc.somaxconn",
            "fs.file-max",
            "kernel.osrelease",
        ] {
            assert!(kept(k.as_bytes()), "{k}");
        }
        for k in
            ["net.ipv4.conf.eth0.rp_filter", "net.ipv6.conf.lo.mtu", "vm.swappiness", "kernel.random.boot_id"]
        {
            assert!(!kept(k.as_bytes()), "{k}");
        }
    }

    #[test]
    fn linux_bsd_and_equals_forms() {
        assert_eq!(
            parse_line(b"net.ipv4.ip_local_port_range = 32768\t60999"),
            SysctlLine::Entry { key: b"net.ipv4.ip_local_port_range", value: b"32768\t60999" }
        );
        assert_eq!(
            parse_line(b"kern.ostype: FreeBSD"),
            SysctlLine::Entry { key: b"kern.ostype", value: b"FreeBSD" }
        );
        assert_eq!(
            parse_line(b"kern.ostype=FreeBSD"),
            SysctlLine::Entry { key: b"kern.ostype", value: b"FreeBSD" }
        );
        assert_eq!(
            parse_line(b"dev.cdrom.info = "),
            SysctlLine::Entry { key: b"dev.cdrom.info", value: b"" }
        );
        assert_eq!(
            parse_line(b"net.ipv4.conf.eth0/100.rp_filter = 1"),
            SysctlLine::Entry { key: b"net.ipv4.conf.eth0/100.rp_filter", value: b"1" }
        );
        assert_eq!(parse_line(b"sysctl: permission denied on key 'x'"), SysctlLine::Message);
        assert_eq!(parse_line(b"<groups>"), SysctlLine::Other);
        assert_eq!(parse_line(b"tcp 0 0 1.2.3.4:5 6.7.8.9:10 ESTABLISHED"), SysctlLine::Other);
    }
}
