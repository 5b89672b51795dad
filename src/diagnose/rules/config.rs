//! R17 CONFIG_MYTHS: captured sysctl values that come from the classic
//! TIME_WAIT myths (tcp-facts A4), each with what the knob really does.

use std::collections::HashMap;

use polars::prelude::*;

use crate::diagnose::data::{Data, rows};
use crate::diagnose::facts::Knobs;
use crate::diagnose::{Finding, Severity, SysctlUsed};
use crate::table;

/// Keys that tuning guides spell wrong: (wrong, right).
const MISSPELLED: &[(&str, &str)] = &[
    ("net.ipv4.tcp_orphans_retries", "net.ipv4.tcp_orphan_retries"),
    ("net.ipv4.tcp_max_orphan", "net.ipv4.tcp_max_orphans"),
    ("net.ipv4.tcp_tw_buckets", "net.ipv4.tcp_max_tw_buckets"),
    ("net.ipv4.tcp_fin_timeouts", "net.ipv4.tcp_fin_timeout"),
    ("net.core.somaxconnection", "net.core.somaxconn"),
];

/// A `sysctl -a` capture has hundreds of keys; a sysctl.conf fragment a few.
const FULL_CAPTURE: usize = 200;

pub fn run(d: &Data<'_>, out: &mut Vec<Finding>) -> anyhow::Result<()> {
    // TIME_WAIT by direction over every snapshot, per host: tw_reuse only
    // helps outgoing connections.
    let dirs = d.scan(&table::directions::SCHEMA, col("TIME_WAIT").gt(lit(0u64)))?;
    let mut tw: HashMap<&str, (u64, u64)> = HashMap::new();
    for r in rows(&dirs) {
        let e = tw.entry(d.host(r.u32("source_id"))).or_default();
        match r.str("direction").as_str() {
            "inbound" => e.0 = e.0.max(r.u64("TIME_WAIT")),
            "outbound" => e.1 = e.1.max(r.u64("TIME_WAIT")),
            _ => {}
        }
    }
    // Every sysctl capture of a host is checked on its own (a sysctl.conf
    // fragment next to `sysctl -a` holds what someone meant to set), with
    // the kernel version of the host's own capture.
    for (host, facts) in &d.hosts {
        let kernel = facts.knobs.kernel();
        let orphans = facts.knobs.u64(&["net.ipv4.tcp_max_orphans"]);
        for (idx, map) in &d.run.sysctls {
            let s = &d.run.sources[*idx];
            if s.host != *host {
                continue;
            }
            let k = Knobs::new(Some(map), None, Some(s.path.as_str()));
            out.extend(myths(host, &k, tw.get(host).copied(), kernel, orphans));
        }
        if let Some(extra) = d.extra_sysctl {
            let k = Knobs::new(Some(extra), None, Some("--sysctl"));
            out.extend(myths(host, &k, tw.get(host).copied(), kernel, orphans));
        }
    }
    Ok(())
}

fn used(k: &str, v: &str) -> SysctlUsed {
    SysctlUsed { key: k.to_string(), value: v.to_string(), assumed: false }
}

/// The findings for one host's values; `tw` is its largest (inbound,
/// outbound) TIME_WAIT.
pub fn myths(
    host: &str,
    k: &Knobs<'_>,
    tw: Option<(u64, u64)>,
    kernel: Option<(u32, u32)>,
    orphans: Option<u64>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut add = |severity, title: String, values: Vec<SysctlUsed>, note: Option<String>| {
        let mut f = Finding::new(host, "CONFIG_MYTHS", severity, title);
        f.evidence.scope =
            format!("configuration{}", k.source.map(|s| format!(" ({s})")).unwrap_or_default());
        // The setting's own explanation (its myth and the fact), not the
        // rule's general one.
        let topic = values.first().and_then(|v| {
            let key = MISSPELLED.iter().find(|(w, _)| *w == v.key).map_or(v.key.as_str(), |(_, r)| *r);
            crate::diagnose::explain::find(key)
        });
        if let Some(t) = topic {
            f.explanation = t.myth.unwrap_or(t.summary);
        }
        f.evidence.sysctls = values;
        if let Some(n) = note {
            f.evidence.numbers.push(("note".into(), n));
        }
        out.push(f);
    };
    let all = k.all();
    let val = |key: &str| k.get(&[key]).map(|(kk, v)| (kk.to_string(), v.trim().to_string()));
    let num = |key: &str| k.u64(&[key]);
    let kernel = k.kernel().or(kernel);
    let orphans = k.u64(&["net.ipv4.tcp_max_orphans"]).or(orphans);
    let full = all.len() >= FULL_CAPTURE;

    if let Some((key, v)) = val("net.ipv4.tcp_tw_recycle") {
        let on = v != "0";
        let (sev, title) = match kernel {
            Some(kv) if kv >= (4, 12) => (
                Severity::Info,
                format!(
                    "tcp_tw_recycle = {v} is set, but Linux {}.{} has no such setting (removed in 4.12): a stale line",
                    kv.0, kv.1
                ),
            ),
            _ if on && full => (
                Severity::Crit,
                format!(
                    "tcp_tw_recycle = {v} on a kernel that still has it (before 4.12): clients behind NAT lose connections"
                ),
            ),
            _ if on => (
                Severity::Warn,
                format!(
                    "tcp_tw_recycle = {v}: before Linux 4.12 it breaks clients behind NAT; since 4.12 it does not exist"
                ),
            ),
            _ => {
                (Severity::Info, "tcp_tw_recycle is listed (0): the setting was removed in Linux 4.12".into())
            }
        };
        add(
            sev,
            title,
            vec![used(&key, &v)],
            kernel.map(|kv| format!("kernel {}.{} (kernel.osrelease)", kv.0, kv.1)),
        );
    }
    let reuse = num("net.ipv4.tcp_tw_reuse");
    if let (Some(r), Some(0)) = (reuse, num("net.ipv4.tcp_timestamps"))
        && r >= 1
    {
        add(
            Severity::Warn,
            format!("tcp_tw_reuse = {r} with tcp_timestamps = 0: reuse needs timestamps, so it does nothing"),
            vec![used("net.ipv4.tcp_tw_reuse", &r.to_string()), used("net.ipv4.tcp_timestamps", "0")],
            None,
        );
    }
    if let (Some(1), Some((inbound, outbound))) = (reuse, tw)
        && inbound >= 100
        && outbound * 10 < inbound
    {
        add(
            Severity::Info,
            format!(
                "tcp_tw_reuse = 1 does nothing for this host's {inbound} inbound TIME_WAIT (reuse only helps outgoing connect())"
            ),
            vec![used("net.ipv4.tcp_tw_reuse", "1")],
            Some(format!("largest TIME_WAIT seen: {inbound} inbound, {outbound} outbound")),
        );
    }
    if let Some(t) = num("net.ipv4.tcp_fin_timeout")
        && t < 60
    {
        add(
            if t <= 5 { Severity::Warn } else { Severity::Info },
            format!(
                "tcp_fin_timeout = {t} does not shorten TIME_WAIT (fixed at 60 s); it only limits orphaned FIN_WAIT2"
            ),
            vec![used("net.ipv4.tcp_fin_timeout", &t.to_string())],
            None,
        );
    }
    if let Some(0) = num("net.ipv4.tcp_syncookies") {
        add(
            Severity::Warn,
            "tcp_syncookies = 0: a full SYN queue drops new connections instead of answering with cookies"
                .into(),
            vec![used("net.ipv4.tcp_syncookies", "0")],
            None,
        );
    }
    if let Some(s) = num("net.core.somaxconn")
        && s <= 128
    {
        add(
            Severity::Info,
            format!("somaxconn = {s} caps every accept queue at {s} (the default is 4096 since Linux 5.4)"),
            vec![used("net.core.somaxconn", &s.to_string())],
            None,
        );
    }
    // tcp_max_tw_buckets and tcp_max_orphans both default to half the
    // established hash (sized from RAM at boot), so the host's own
    // tcp_max_orphans tells whether tw_buckets was lowered.
    if let Some(b) = num("net.ipv4.tcp_max_tw_buckets") {
        let lowered = match orphans {
            Some(o) if b < o => {
                Some((Severity::Warn, format!("tcp_max_orphans = {o} on this host has the same default")))
            }
            Some(_) => None,
            None if b < 16384 => Some((
                Severity::Info,
                "tcp_max_orphans, which has the same default, was not captured to compare".to_string(),
            )),
            None => None,
        };
        if let Some((sev, note)) = lowered {
            add(
                sev,
                format!(
                    "tcp_max_tw_buckets = {b} looks lowered below its default: past it TIME_WAIT sockets are destroyed early, and the kernel docs say it must not be lowered"
                ),
                vec![used("net.ipv4.tcp_max_tw_buckets", &b.to_string())],
                Some(format!(
                    "the default is half the established hash size, sized from RAM at boot; {note}"
                )),
            );
        }
    }
    for (wrong, right) in MISSPELLED {
        if let Some((key, v)) = val(wrong) {
            add(
                Severity::Info,
                format!("{key} does not exist (did you mean {right}?): this line sets nothing"),
                vec![used(&key, &v)],
                None,
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn knobs(pairs: &[(&str, &str)]) -> crate::parse::sysctl::SysctlMap {
        pairs.iter().copied().collect()
    }

    #[test]
    fn the_classic_time_wait_tuning_is_named_for_what_it_does() {
        let m = knobs(&[
            ("net.ipv4.tcp_tw_recycle", "1"),
            ("net.ipv4.tcp_fin_timeout", "5"),
            ("net.ipv4.tcp_timestamps", "0"),
            ("net.ipv4.tcp_tw_reuse", "1"),
            ("net.ipv4.tcp_max_tw_buckets", "5000"),
            ("net.core.somaxconn", "128"),
            ("net.ipv4.tcp_syncookies", "0"),
            ("net.ipv4.tcp_orphans_retries", "1"),
            ("kernel.osrelease", "6.1.0-13-amd64"),
        ]);
        let f = myths("h", &Knobs::new(Some(&m), None, None), Some((5000, 10)), None, None);
        let titles: Vec<&str> = f.iter().map(|f| f.title.as_str()).collect();
        assert_eq!(f.len(), 8, "{titles:#?}");
        assert!(titles[0].contains("removed in 4.12") && f[0].severity == Severity::Info);
        assert!(titles.iter().any(|t| t.contains("does not shorten TIME_WAIT (fixed at 60 s)")));
        assert!(titles.iter().any(|t| t.contains("does nothing") && t.contains("inbound")));
        assert!(titles.iter().any(|t| t.contains("tcp_orphan_retries")));
        // The default of tcp_max_tw_buckets is tcp_max_orphans's: equal is
        // not lowered (small VMs have 8192), below it is.
        let small = knobs(&[("net.ipv4.tcp_max_tw_buckets", "8192"), ("net.ipv4.tcp_max_orphans", "8192")]);
        assert!(myths("h", &Knobs::new(Some(&small), None, None), None, None, None).is_empty());
        let low = knobs(&[("net.ipv4.tcp_max_tw_buckets", "5000"), ("net.ipv4.tcp_max_orphans", "65536")]);
        assert_eq!(
            myths("h", &Knobs::new(Some(&low), None, None), None, None, None)[0].severity,
            Severity::Warn
        );
        // On an old kernel, recycle is live and dangerous.
        let mut old = m.clone();
        old.insert("kernel.osrelease", "4.4.0-210-generic");
        for i in 0..FULL_CAPTURE {
            old.insert(&format!("net.x.k{i}"), "0");
        }
        let f = myths("h", &Knobs::new(Some(&old), None, None), None, None, None);
        assert_eq!(f[0].severity, Severity::Crit);
    }

    #[test]
    fn default_values_are_not_myths() {
        let m = knobs(&[
            ("net.ipv4.tcp_fin_timeout", "60"),
            ("net.ipv4.tcp_tw_reuse", "2"),
            ("net.ipv4.tcp_timestamps", "1"),
            ("net.ipv4.tcp_syncookies", "1"),
            ("net.core.somaxconn", "4096"),
            ("net.ipv4.tcp_max_tw_buckets", "262144"),
        ]);
        assert!(myths("h", &Knobs::new(Some(&m), None, None), Some((10, 5000)), None, None).is_empty());
    }
}
