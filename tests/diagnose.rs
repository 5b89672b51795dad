//! `diagnose`, `explain` and `diff` on real captures: one scenario per rule
//! made with real sockets in network namespaces (`tests/data/scenarios/`,
//! counts in its EXPECTED.json), the bundled samples and the corpus.

use std::path::PathBuf;

use serde_json::Value;

use crate::util::{corpus, repo, samples, sockscope};

fn scenario(name: &str) -> PathBuf {
    repo().join("tests/data/scenarios").join(name)
}

fn expected() -> Value {
    let p = repo().join("tests/data/scenarios/EXPECTED.json");
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

/// `diagnose --format json` over `args`; the findings array.
fn diagnose(args: &[&str]) -> Vec<Value> {
    let out = sockscope().args(["diagnose", "--format", "json"]).args(args).output().unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "status {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    for f in doc["findings"].as_array().unwrap() {
        for k in ["host", "rule", "severity", "confidence", "title", "evidence", "explanation"] {
            assert!(!f[k].is_null(), "finding without {k}: {f}");
        }
        assert!(["info", "warn", "crit"].contains(&f["severity"].as_str().unwrap()));
        assert!(!f["explanation"].as_str().unwrap().is_empty(), "{f}");
    }
    doc["findings"].as_array().unwrap().clone()
}

fn of<'a>(f: &'a [Value], host: &str, rule: &str) -> Vec<&'a Value> {
    f.iter().filter(|x| x["host"] == host && x["rule"] == rule).collect()
}

fn one<'a>(f: &'a [Value], host: &str, rule: &str) -> &'a Value {
    let v = of(f, host, rule);
    assert_eq!(v.len(), 1, "{host} {rule}: {f:#?}");
    v[0]
}

fn thousands(v: u64) -> String {
    let s = v.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn title(f: &Value) -> &str {
    f["title"].as_str().unwrap()
}

fn number<'a>(f: &'a Value, label: &str) -> &'a str {
    f["evidence"]["numbers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p[0] == label)
        .unwrap_or_else(|| panic!("no {label:?} in {f:#}"))[1]
        .as_str()
        .unwrap()
}

#[test]
fn port_exhaustion_is_per_destination_against_the_captured_range() {
    let e = &expected()["port-exhaustion"]["ss-tanpoe.txt"];
    let f = diagnose(&[scenario("port-exhaustion").to_str().unwrap()]);
    let x = one(&f, "port-exhaustion", "PORT_EXHAUSTION");
    assert_eq!(x["severity"], "crit");
    let used = e["to_10.30.0.2:80"].as_u64().unwrap();
    assert_eq!(number(x, "ports in use"), thousands(used));
    assert_eq!(
        number(x, "of those in TIME_WAIT"),
        thousands(e["time_wait_to_10.30.0.2:80"].as_u64().unwrap())
    );
    assert!(title(x).contains("toward 10.30.0.2:80 from 10.30.0.1"), "{x}");
    assert!(number(x, "usable ephemeral ports").starts_with("1,000 (40000–40999"), "{x}");
    // The range was captured: no assumption.
    assert_eq!(x["confidence"], "inferred");
    assert_eq!(x["evidence"]["sysctls"][0]["key"], "net.ipv4.ip_local_port_range");
}

#[test]
fn time_wait_churn_tells_inbound_from_outbound() {
    let f = diagnose(&[scenario("time-wait-churn").to_str().unwrap()]);
    let c = one(&f, "client", "TIME_WAIT_CHURN");
    assert_eq!(c["severity"], "info");
    assert!(
        title(c).starts_with("5,396 TIME_WAIT sockets") && title(c).contains("(0 inbound, 5,396 outbound)")
    );
    assert!(title(c).contains("≈89 connections/s"), "5396 / 60 s: {c}");
    let s = one(&f, "server", "TIME_WAIT_CHURN");
    assert!(title(s).contains("(6,000 inbound, 0 outbound)"), "{s}");
    // Three destinations of 1,800 each: none near exhaustion.
    assert!(of(&f, "client", "PORT_EXHAUSTION").is_empty());
    assert!(f.iter().all(|x| x["severity"] == "info"), "{f:#?}");
}

#[test]
fn tw_buckets_limit_with_the_overflow_counter_as_evidence() {
    let f = diagnose(&[scenario("tw-buckets").to_str().unwrap()]);
    let x = one(&f, "tw-buckets", "TW_BUCKETS_LIMIT");
    assert_eq!(x["severity"], "warn");
    assert!(title(x).contains("1,000 timewait sockets, 100% of tcp_max_tw_buckets = 1,000"), "{x}");
    // One nstat sample: a count since boot is evidence, not confirmation
    // (it says the overflow happened, not that it happened during the capture).
    assert_eq!(x["confidence"], "inferred");
    let c = &x["evidence"]["counters"][0];
    assert_eq!(
        (c[0].as_str().unwrap(), c[1].as_u64().unwrap()),
        ("TcpExt.TCPTimeWaitOverflow (one sample: since boot)", 572)
    );
}

#[test]
fn close_wait_leak_names_the_process_and_its_growth() {
    let f = diagnose(&[scenario("close-wait-leak").to_str().unwrap()]);
    let x = one(&f, "close-wait-leak", "CLOSE_WAIT_LEAK");
    assert_eq!(x["severity"], "crit");
    assert!(title(x).starts_with("210 CLOSE_WAIT sockets held by leaky-app"), "{x}");
    assert!(title(x).contains("growing from 60 to 210"), "{x}");
    assert_eq!(number(x, "course"), "60 → 90 → 120 → 150 → 180 → 210");
    assert!(x["evidence"]["span"].is_array(), "a trend has its span: {x}");
}

#[test]
fn unaccepted_close_wait_is_not_called_a_leak() {
    let e = &expected()["close-wait-unaccepted"]["ss-tanpoe.txt"];
    let f = diagnose(&[scenario("close-wait-unaccepted").to_str().unwrap()]);
    let x = one(&f, "close-wait-unaccepted", "CLOSE_WAIT_UNACCEPTED");
    assert_eq!(x["severity"], "warn");
    assert_eq!(
        number(x, "CLOSE_WAIT without an owner"),
        e["close_wait_on_:9000"].as_u64().unwrap().to_string()
    );
    assert_eq!(
        number(x, "listener Recv-Q (waiting to be accepted)"),
        e["listen_:9000_recv_q"].as_u64().unwrap().to_string()
    );
    assert!(of(&f, "close-wait-unaccepted", "CLOSE_WAIT_LEAK").is_empty(), "{f:#?}");
}

#[test]
fn fin_wait2_on_the_client_is_the_servers_close_wait() {
    let f = diagnose(&[scenario("fin-wait2-stuck").to_str().unwrap()]);
    let stuck = of(&f, "client", "FIN_WAIT2_STUCK");
    assert_eq!(stuck.len(), 2, "{f:#?}");
    assert!(stuck.iter().any(|x| title(x).starts_with("520 FIN_WAIT2 sockets")));
    let p =
        stuck.iter().find(|x| x["subject"] == "persistence").expect("the 4-tuples outlived tcp_fin_timeout");
    assert!(
        title(p).starts_with("520 connections stayed in FIN_WAIT2 longer than tcp_fin_timeout (3 s)"),
        "{p}"
    );
    assert_eq!(p["evidence"]["top"][0]["label"], "10.30.0.2");
    let s = one(&f, "server", "CLOSE_WAIT_LEAK");
    assert!(title(s).starts_with("520 CLOSE_WAIT sockets held by legacy-db"), "{s}");
}

#[test]
fn accept_queue_full_reads_the_ss_backlog_and_the_counters() {
    let f = diagnose(&[scenario("accept-queue-full").to_str().unwrap()]);
    let x = one(&f, "server", "ACCEPT_QUEUE_FULL");
    assert_eq!(x["severity"], "crit", "Recv-Q 11 > backlog 10");
    assert_eq!(x["confidence"], "confirmed");
    assert!(title(x).starts_with("11 connections wait to be accepted on 0.0.0.0:8080 (110% of 10 backlog)"));
    let counters = x["evidence"]["counters"].as_array().unwrap();
    // nstat-before.txt (0) and nstat.txt (42): the growth during the capture.
    assert!(
        counters
            .iter()
            .any(|c| c[0] == "TcpExt.ListenOverflows (growth over the captured samples)" && c[1] == 42),
        "{x}"
    );
}

#[test]
fn syn_recv_flood_is_classified_and_confirmed_by_the_kernel_log() {
    let f = diagnose(&[scenario("syn-recv-flood").to_str().unwrap()]);
    let x = one(&f, "syn-recv-flood", "SYN_RECV_HIGH");
    assert_eq!(x["severity"], "crit", "401 SYN_RECV ≥ the backlog of 400");
    assert_eq!(x["confidence"], "confirmed");
    assert!(title(x).starts_with("401 half-open connections (SYN_RECV) on port 80"), "{x}");
    assert!(title(x).contains("likely a SYN flood"), "{x}");
    // Sources counted over the rows, not the kept ranking.
    let want = expected()["syn-recv-flood"]["ss-tanpoe.txt"]["syn_recv_distinct_sources"].as_u64().unwrap();
    assert_eq!(number(x, "distinct sources"), thousands(want));
    let log = x["evidence"]["logs"][0]["text"].as_str().unwrap();
    assert!(log.contains("Possible SYN flooding on port 0.0.0.0:80. Sending cookies."), "{log}");
}

#[test]
fn syn_sent_to_an_unresponsive_destination_in_every_snapshot() {
    let f = diagnose(&[scenario("syn-sent-unresponsive").to_str().unwrap()]);
    let x = one(&f, "syn-sent-unresponsive", "SYN_SENT_HIGH");
    assert_eq!(x["severity"], "crit", "220 ≥ 200");
    assert!(title(x).starts_with("220 connection attempts (SYN_SENT) to 10.30.0.2:5432"), "{x}");
    assert_eq!(number(x, "snapshots with ≥20"), "5 of 5");
    // Five snapshots a second apart are within one connect()'s ≈127 s of
    // SYN retries: not called persistent.
    assert!(!title(x).contains("in all"), "{x}");
    // Handshake retries are not "retransmitting peers".
    assert!(of(&f, "syn-sent-unresponsive", "RETRANSMITTING").is_empty());
    // Conntrack sees the same: every entry unreplied.
    let c = one(&f, "syn-sent-unresponsive", "CONNTRACK_COMPOSITION");
    assert!(title(c).starts_with("100% of 220 conntrack entries are [UNREPLIED]"), "{c}");
}

#[test]
fn closing_states_each_get_a_finding() {
    let f = diagnose(&[scenario("closing-states").to_str().unwrap()]);
    let v = of(&f, "closing-states", "CLOSING_STATES_STUCK");
    let titles: Vec<&str> = v.iter().map(|x| title(x)).collect();
    assert!(
        titles.contains(&"120 sockets in FIN_WAIT1: peers are not acknowledging the close"),
        "{titles:?}"
    );
    assert!(titles.contains(&"120 sockets in LAST_ACK: peers are not acknowledging the close"), "{titles:?}");
}

#[test]
fn orphans_against_tcp_max_orphans_given_with_sysctl() {
    // tcp_max_orphans is not per network namespace, so the scenario's own
    // sysctl capture lacks it: --sysctl gives it (and wins).
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("orphans.conf");
    std::fs::write(&conf, "# a small host\nnet.ipv4.tcp_max_orphans = 400\n").unwrap();
    let f = diagnose(&[scenario("closing-states").to_str().unwrap(), "--sysctl", conf.to_str().unwrap()]);
    let x = one(&f, "closing-states", "ORPHANS");
    // sockstat's orphan count: 120 FIN_WAIT1 + 120 LAST_ACK.
    assert!(title(x).starts_with("240 orphaned sockets, 60% of tcp_max_orphans = 400"), "{x}");
    assert_eq!(number(x, "orphans (kernel count)"), "240");
    assert_eq!(x["severity"], "crit");
    // Without it, nothing is assumed: the default is sized from RAM.
    let f = diagnose(&[scenario("closing-states").to_str().unwrap()]);
    assert!(of(&f, "closing-states", "ORPHANS").is_empty());
}

#[test]
fn backpressure_tells_a_slow_reader_from_a_slow_peer() {
    let f = diagnose(&[scenario("queue-backpressure").to_str().unwrap()]);
    let c = one(&f, "client", "QUEUE_BACKPRESSURE");
    assert_eq!(c["severity"], "warn");
    assert!(title(c).starts_with("12 connections have ≥1 MiB unread (Recv-Q)"), "{c}");
    let s = one(&f, "server", "QUEUE_BACKPRESSURE");
    assert_eq!(s["severity"], "info");
    assert!(title(s).starts_with("12 connections have ≥1 MiB unacknowledged (Send-Q)"), "{s}");
}

#[test]
fn retransmitting_peer() {
    let f = diagnose(&[scenario("retransmitting").to_str().unwrap()]);
    let x = one(&f, "retransmitting", "RETRANSMITTING");
    assert_eq!(title(x), "12 sockets to 10.30.0.2 are retransmitting (3+ retries each)");
}

#[test]
fn conntrack_full_and_hash_sizing() {
    let f = diagnose(&[scenario("conntrack-full").to_str().unwrap()]);
    let x = one(&f, "conntrack-full", "CONNTRACK_FULL");
    assert_eq!(x["severity"], "crit");
    assert!(title(x).contains("of nf_conntrack_max = 262,144 entries"), "{x}");
    assert!(x["evidence"]["counters"].as_array().unwrap().iter().any(|c| c[0] == "conntrack -S early_drop"));
    // The captured table has one entry per bucket (the 5.15+ default).
    assert!(of(&f, "conntrack-full", "CONNTRACK_HASH").is_empty());
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("ct.conf");
    std::fs::write(&conf, "net.netfilter.nf_conntrack_buckets = 16384\n").unwrap();
    let f = diagnose(&[scenario("conntrack-full").to_str().unwrap(), "--sysctl", conf.to_str().unwrap()]);
    let h = one(&f, "conntrack-full", "CONNTRACK_HASH");
    assert_eq!(h["severity"], "warn", "16 entries per bucket: {h}");
}

#[test]
fn configuration_myths_are_named_for_what_the_knob_does() {
    let f = diagnose(&[scenario("config-myths").to_str().unwrap()]);
    let titles: Vec<&str> = of(&f, "config-myths", "CONFIG_MYTHS").iter().map(|x| title(x)).collect();
    for want in [
        "tcp_tw_recycle = 1 is set, but Linux 6.18 has no such setting (removed in 4.12)",
        "tcp_fin_timeout = 5 does not shorten TIME_WAIT (fixed at 60 s)",
        "tcp_tw_reuse = 1 with tcp_timestamps = 0",
        "tcp_syncookies = 0",
        "tcp_max_tw_buckets = 5000 looks lowered",
        "somaxconn = 128",
        "net.ipv4.tcp_orphans_retries does not exist (did you mean net.ipv4.tcp_orphan_retries?)",
    ] {
        assert!(titles.iter().any(|t| t.starts_with(want)), "{want:?} not in {titles:#?}");
    }
}

#[test]
fn healthy_captures_fire_nothing_at_warn_or_above() {
    let f = diagnose(&[scenario("healthy").to_str().unwrap()]);
    assert!(f.is_empty(), "{f:#?}");
    let f = diagnose(&[samples().join("db-1").to_str().unwrap()]);
    assert!(f.iter().all(|x| x["severity"] == "info"), "{f:#?}");
    if let Some(c) = corpus() {
        let f = diagnose(&[c.to_str().unwrap(), "--min-severity", "warn"]);
        assert!(f.is_empty(), "the corpus holds idle hosts and default settings: {f:#?}");
    }
}

#[test]
fn fail_on_sets_the_exit_code_for_scripts() {
    let healthy = scenario("healthy");
    sockscope().args(["diagnose", "--fail-on", "warn"]).arg(&healthy).assert().code(0);
    let ports = scenario("port-exhaustion");
    sockscope().args(["diagnose", "--fail-on", "crit"]).arg(&ports).assert().code(3);
    let churn = scenario("time-wait-churn");
    sockscope().args(["diagnose", "--fail-on", "warn"]).arg(&churn).assert().code(0);
    // --min-severity filters the output, not what --fail-on sees... of what is shown.
    let out = sockscope().args(["diagnose", "--min-severity", "crit"]).arg(&churn).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("client: no findings"));
}

#[test]
fn text_output_explains_and_stays_terminal_safe() {
    let out = sockscope().arg("diagnose").arg(samples().join("web-1")).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("web-1: "), "{text}");
    assert!(text.contains("CRIT CLOSE_WAIT_LEAK  46 CLOSE_WAIT sockets held by nginx"), "{text}");
    assert!(text.contains("growing from 10 to 46 on port 443"), "{text}");
    assert!(text.contains("why: ") && text.contains("fix: "));
    assert!(!text.chars().any(|c| c.is_control() && c != '\n'), "no control characters");
}

#[test]
fn report_leads_with_the_findings() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    sockscope().arg("report").arg(samples().join("web-1")).arg("-o").arg(&out).assert().success();
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    let findings = md.find("## Findings").expect("findings section");
    assert!(findings < md.find("## web-1").unwrap());
    assert!(
        md.contains("| crit | web-1 | CLOSE\\_WAIT\\_LEAK |")
            || md.contains("| crit | web-1 | CLOSE_WAIT_LEAK |"),
        "{md}"
    );
    assert!(
        md.contains("](#finding-0-close-wait-leak)")
            && md.contains("<a id=\"finding-0-close-wait-leak\"></a>")
    );
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(
        html.contains("<h2 id=\"findings\">Findings</h2>")
            && html.contains("id=\"finding-0-close-wait-leak\"")
    );
    let doc: Value = serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    let f = doc["findings"].as_array().unwrap();
    assert_eq!(f[0]["rule"], "CLOSE_WAIT_LEAK");
    assert!(doc["snapshots"].as_array().is_some_and(|s| !s.is_empty()), "the rest of summary.json stays");
}

#[test]
fn explain_pins_the_facts_most_often_gotten_wrong() {
    let text = |topic: &str| {
        let out = sockscope().args(["explain", topic]).output().unwrap();
        assert!(out.status.success(), "{topic}");
        String::from_utf8(out.stdout).unwrap().split_whitespace().collect::<Vec<_>>().join(" ")
    };
    let tw = text("TIME-WAIT");
    assert!(tw.contains("exactly 60 s") && tw.contains("tcp_fin_timeout does not change it"), "{tw}");
    assert!(text("net.ipv4.tcp_tw_recycle").contains("4.12"));
    let r1 = text("R1");
    assert!(r1.starts_with("R1 PORT_EXHAUSTION") && r1.contains("4-tuple"), "{r1}");
    assert!(text("tcp_fin_timeout").contains("orphaned"));
    let list = sockscope().arg("explain").output().unwrap();
    let list = String::from_utf8(list.stdout).unwrap();
    for rule in ["PORT_EXHAUSTION", "CONFIG_MYTHS", "CLOSE_WAIT", "somaxconn"] {
        assert!(list.contains(rule), "{rule} listed");
    }
    let bad = sockscope().args(["explain", "tcp_orphans_retries"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("did you mean tcp_orphan_retries?"));
}

#[test]
fn diff_between_a_healthy_host_and_an_incident() {
    let before = samples().join("db-1");
    let after = samples().join("web-1");
    let out = sockscope().arg("diff").arg(&before).arg(&after).args(["--format", "json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();
    let cw = &d["states"]["CLOSE_WAIT"];
    assert_eq!(
        (cw["before"].as_u64(), cw["after"].as_u64(), cw["delta"].as_i64()),
        (Some(0), Some(46), Some(46))
    );
    let appeared: Vec<&str> =
        d["findings"]["appeared"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert!(appeared.contains(&"CLOSE_WAIT_LEAK") && appeared.contains(&"ACCEPT_QUEUE_FULL"), "{appeared:?}");
    assert!(d["findings"]["cleared"].as_array().unwrap().is_empty());
    assert!(
        d["listeners_appeared"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l.as_str().unwrap().starts_with("0.0.0.0:8080"))
    );
    // And back: what cleared.
    let out = sockscope().arg("diff").arg(&after).arg(&before).args(["--format", "json"]).output().unwrap();
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(d["findings"]["cleared"].as_array().unwrap().iter().any(|r| r == "CLOSE_WAIT_LEAK"));
    assert_eq!(d["states"]["CLOSE_WAIT"]["delta"], -46);
    // -o writes a report-style directory with the chart.
    let dir = tempfile::tempdir().unwrap();
    let o = dir.path().join("d");
    sockscope().arg("diff").arg(&before).arg(&after).arg("-o").arg(&o).assert().success();
    for f in ["diff.txt", "diff.json", "states.png", "states.svg"] {
        assert!(o.join(f).is_file(), "{f}");
    }
}

#[test]
fn both_ends_in_the_batch_are_matched_by_four_tuple() {
    // The scenario's client holds 520 FIN_WAIT2 toward the server's port
    // 5432, whose application never closes: the server's CLOSE_WAIT.
    let f = diagnose(&[scenario("fin-wait2-stuck").to_str().unwrap()]);
    let c = of(&f, "client", "FIN_WAIT2_STUCK");
    assert!(
        c.iter().all(|x| number(x, "other end")
            .starts_with("520 of its FIN_WAIT2 connections are CLOSE_WAIT on server (port 5432)")),
        "{c:#?}"
    );
    let s = one(&f, "server", "CLOSE_WAIT_LEAK");
    assert!(
        number(s, "other end")
            .starts_with("520 of these CLOSE_WAIT connections (port 5432) are FIN_WAIT2 on client")
    );
    // In the samples: web-1's CLOSE_WAIT on 443 is client-1's FIN_WAIT2, and a
    // finding about another port of the same host is not annotated.
    let f = diagnose(&[samples().to_str().unwrap()]);
    let leak = of(&f, "web-1", "CLOSE_WAIT_LEAK");
    assert!(
        number(leak[0], "other end")
            .starts_with("46 of these CLOSE_WAIT connections (port 443) are FIN_WAIT2 on client-1")
    );
    let queue = one(&f, "web-1", "ACCEPT_QUEUE_FULL");
    assert!(queue["evidence"]["numbers"].as_array().unwrap().iter().all(|p| p[0] != "other end"), "{queue}");
}
