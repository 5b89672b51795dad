//! Kernel defaults and how a host's sysctl values are looked up (tcp-facts
//! A2). A value that was not captured falls back to its documented
//! default, and the finding says it assumed it.

use crate::parse::sysctl::SysctlMap;
use std::collections::BTreeMap;

use super::SysctlUsed;

/// TIME_WAIT lasts exactly this long on Linux: `TCP_TIMEWAIT_LEN`,
/// hard-coded, not a sysctl.
pub const TIME_WAIT_SECS: u64 = 60;
/// Default `net.ipv4.ip_local_port_range`.
pub const PORT_RANGE: (u16, u16) = (32768, 60999);
/// Default `net.ipv4.tcp_fin_timeout` (seconds): orphaned FIN_WAIT2 only.
pub const FIN_TIMEOUT: u64 = 60;
/// Default `net.core.somaxconn` since Linux 5.4 (128 before).
pub const SOMAXCONN: u64 = 4096;
/// Conntrack's own TIME_WAIT and ESTABLISHED timeouts (seconds).
pub const CT_TIME_WAIT_TIMEOUT: u64 = 120;
pub const CT_ESTABLISHED_TIMEOUT: u64 = 432_000;
/// Unlike these, `tcp_max_tw_buckets`, `tcp_max_orphans` and
/// `nf_conntrack_max` default to sizes derived from RAM at boot, so a
/// missing value cannot be assumed: rules that need one say so.
pub const RAM_DERIVED: &str = "sized from RAM at boot; not captured";

/// The sysctl keys a rule may read, each with its aliases (legacy names).
pub const TW_BUCKETS: &[&str] = &["net.ipv4.tcp_max_tw_buckets"];
pub const MAX_ORPHANS: &[&str] = &["net.ipv4.tcp_max_orphans"];
pub const CT_MAX: &[&str] =
    &["net.netfilter.nf_conntrack_max", "net.nf_conntrack_max", "net.ipv4.netfilter.ip_conntrack_max"];
pub const CT_COUNT: &[&str] = &["net.netfilter.nf_conntrack_count", "net.ipv4.netfilter.ip_conntrack_count"];
pub const CT_BUCKETS: &[&str] = &["net.netfilter.nf_conntrack_buckets"];
pub const CT_EST_TIMEOUT: &[&str] = &[
    "net.netfilter.nf_conntrack_tcp_timeout_established",
    "net.ipv4.netfilter.ip_conntrack_tcp_timeout_established",
];
pub const SOMAXCONN_KEY: &[&str] = &["net.core.somaxconn"];
pub const FIN_TIMEOUT_KEY: &[&str] = &["net.ipv4.tcp_fin_timeout"];
pub const RESERVED_PORTS: &[&str] = &["net.ipv4.ip_local_reserved_ports"];

/// A host's sysctl values: captured (the host's one sysctl capture, see
/// `ingest::host_sysctls`), overridden by `--sysctl FILE`.
#[derive(Debug, Default, Clone)]
pub struct Knobs<'a> {
    captured: Option<&'a SysctlMap>,
    extra: Option<&'a SysctlMap>,
    /// Where the captured values came from.
    pub source: Option<&'a str>,
}

impl<'a> Knobs<'a> {
    pub fn new(
        captured: Option<&'a SysctlMap>,
        extra: Option<&'a SysctlMap>,
        source: Option<&'a str>,
    ) -> Knobs<'a> {
        Knobs { captured, extra, source }
    }

    /// Any sysctl values at all.
    pub fn any(&self) -> bool {
        self.captured.is_some() || self.extra.is_some()
    }

    /// Every value, `--sysctl` winning.
    pub fn all(&self) -> BTreeMap<&str, &str> {
        let mut m = BTreeMap::new();
        for src in [self.captured, self.extra].into_iter().flatten() {
            for (k, v) in src {
                m.insert(k, v);
            }
        }
        m
    }

    /// The first of `keys` that has a value (`/` and `.` separators both
    /// accepted, as sysctl prints either).
    pub fn get(&self, keys: &[&str]) -> Option<(&str, &str)> {
        for src in [self.extra, self.captured].into_iter().flatten() {
            for k in keys {
                if let Some((k, v)) = src.get_key_value(k) {
                    return Some((k, v));
                }
                let slashed = k.replace('.', "/");
                if let Some((k, v)) = src.get_key_value(&slashed) {
                    return Some((k, v));
                }
            }
        }
        None
    }

    /// A numeric value (the first number of the value).
    pub fn u64(&self, keys: &[&str]) -> Option<u64> {
        self.get(keys).and_then(|(_, v)| v.split_whitespace().next()?.parse().ok())
    }

    /// A value as used: captured, or the default (marked assumed).
    pub fn used(&self, keys: &[&str], default: Option<u64>) -> Option<(u64, SysctlUsed)> {
        match self.get(keys) {
            Some((k, v)) => {
                let n = v.split_whitespace().next()?.parse().ok()?;
                Some((n, SysctlUsed { key: k.to_string(), value: normalize(v), assumed: false }))
            }
            None => default
                .map(|d| (d, SysctlUsed { key: keys[0].to_string(), value: d.to_string(), assumed: true })),
        }
    }

    /// The ephemeral range and the ports reserved inside it.
    pub fn port_range(&self) -> (u16, u16, u64, Vec<SysctlUsed>) {
        let mut used = Vec::new();
        // Read as ingest reads it (an inverted range is no range).
        let range = self.get(&["net.ipv4.ip_local_port_range"]).and_then(|(k, v)| {
            let mut m = SysctlMap::default();
            m.insert("net.ipv4.ip_local_port_range", v);
            let r = crate::parse::sysctl::port_range(&m)?;
            used.push(SysctlUsed { key: k.to_string(), value: normalize(v), assumed: false });
            Some(r)
        });
        let (lo, hi) = range.unwrap_or_else(|| {
            used.push(SysctlUsed {
                key: "net.ipv4.ip_local_port_range".into(),
                value: format!("{} {}", PORT_RANGE.0, PORT_RANGE.1),
                assumed: true,
            });
            PORT_RANGE
        });
        let reserved = self
            .get(RESERVED_PORTS)
            .map(|(k, v)| {
                let n = reserved_in(v, lo, hi);
                if !v.trim().is_empty() {
                    used.push(SysctlUsed { key: k.to_string(), value: normalize(v), assumed: false });
                }
                n
            })
            .unwrap_or(0);
        (lo, hi, reserved, used)
    }

    /// The running kernel's (major, minor), from `kernel.osrelease`.
    pub fn kernel(&self) -> Option<(u32, u32)> {
        let (_, v) = self.get(&["kernel.osrelease"])?;
        let mut it = v.split(|c: char| !c.is_ascii_digit()).filter(|s| !s.is_empty());
        Some((it.next()?.parse().ok()?, it.next()?.parse().ok()?))
    }
}

/// A value as sysctl prints it, its whitespace (tabs) made single spaces.
pub fn normalize(v: &str) -> String {
    v.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Ports of `ip_local_reserved_ports` (`"8080,9000-9010"`) inside `lo..=hi`.
pub fn reserved_in(list: &str, lo: u16, hi: u16) -> u64 {
    let mut n = 0u64;
    for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (a, b) = match part.split_once('-') {
            Some((a, b)) => (a.trim().parse::<u16>(), b.trim().parse::<u16>()),
            None => (part.parse::<u16>(), part.parse::<u16>()),
        };
        if let (Ok(a), Ok(b)) = (a, b) {
            let (a, b) = (a.max(lo), b.min(hi));
            if a <= b {
                n += u64::from(b - a) + 1;
            }
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_ports_are_counted_inside_the_range_only() {
        assert_eq!(reserved_in("", 32768, 60999), 0);
        assert_eq!(reserved_in("8080,40000-40009", 32768, 60999), 10);
        assert_eq!(reserved_in("60990-61010, 32760-32770", 32768, 60999), 10 + 3);
    }

    #[test]
    fn values_fall_back_to_defaults_marked_assumed() {
        let mut m = crate::parse::sysctl::SysctlMap::default();
        m.insert("net.core.somaxconn", "128");
        m.insert("kernel.osrelease", "4.9.0-8-amd64");
        let k = Knobs::new(Some(&m), None, None);
        assert_eq!(k.used(SOMAXCONN_KEY, Some(SOMAXCONN)).unwrap().0, 128);
        let (v, u) = k.used(FIN_TIMEOUT_KEY, Some(FIN_TIMEOUT)).unwrap();
        assert!(v == 60 && u.assumed);
        assert_eq!(k.kernel(), Some((4, 9)));
        let (lo, hi, reserved, used) = k.port_range();
        assert_eq!((lo, hi, reserved), (32768, 60999, 0));
        assert!(used[0].assumed);
        // --sysctl wins over the capture.
        let mut extra = crate::parse::sysctl::SysctlMap::default();
        extra.insert("net.core.somaxconn", "1024");
        let k = Knobs::new(Some(&m), Some(&extra), None);
        assert_eq!(k.u64(SOMAXCONN_KEY), Some(1024));
    }
}
