//! One test per pitfall in `../shared/docs/formats.md` (numbered as there),
//! so a parser change that reopens one of them fails by name.

use super::addr::flags;
use super::*;
use crate::model::{CtState, Family, Proto, TcpState};

fn one(l: &str) -> Line<'_> {
    let mut st = LineState::new(None);
    st.section = Section::Inet;
    classify(l.as_bytes(), &mut st)
}

fn sock(l: &str) -> record::SocketRecord<'_> {
    match one(l) {
        Line::Socket(r) => r,
        o => panic!("{l}: {o:?}"),
    }
}

/// Classifies a whole text, returning each line's outcome.
fn all(text: &str) -> Vec<Line<'_>> {
    let mut st = LineState::new(None);
    text.lines().map(|l| classify(l.as_bytes(), &mut st)).collect()
}

#[test]
fn p01_truncated_ipv6_without_w_keeps_the_port_and_is_flagged() {
    let r = sock("udp6       0      0 fe80::b1f3:2c:3c6c::123 :::*");
    assert_eq!(r.local.port, Some(123));
    assert!(r.local.flags & flags::TRUNCATED != 0);
}

#[test]
fn p02_resolved_names_and_services() {
    let r = sock("tcp        0      0 localhost.localdoma:ssh 0.0.0.0:*               LISTEN");
    assert_eq!((r.local.port, r.state), (Some(22), TcpState::Listen));
    assert!(r.local.flags & flags::RESOLVED != 0);
    let r = sock("tcp        0      0 host:1234  lb-192-30-255-112:https ESTABLISHED");
    assert_eq!(r.remote.port, Some(443));
}

#[test]
fn p03_overlong_fields_push_columns_right() {
    let r = sock("tcp        0      0 localhost.localdomain:domain 0.0.0.0:*               LISTEN");
    assert_eq!((r.local.port, r.state), (Some(53), TcpState::Listen));
}

#[test]
fn p04_empty_numeric_and_localized_states() {
    assert_eq!(sock("udp        0      0 0.0.0.0:68   0.0.0.0:*").state, TcpState::None);
    assert_eq!(
        sock("udp        0      0 10.0.0.1:5000   10.0.0.2:53   ESTABLISHED").state,
        TcpState::Established
    );
    let r = sock("raw6       0      0 :::58                   :::*                    7");
    assert_eq!((r.state, r.state_raw), (TcpState::Unknown, &b"7"[..]));
    // A translated state is read through net-tools' own catalog (German
    // `VERBUNDEN` = ESTABLISHED, `parse::locale`), the word kept as printed;
    // an unknown word is counted as unknown, never rejected.
    let r = sock("tcp        0      0 10.0.0.1:22    10.0.0.2:5000    VERBUNDEN");
    assert_eq!((r.state, r.state_raw), (TcpState::Established, &b"VERBUNDEN"[..]));
    let r = sock("tcp        0      0 10.0.0.1:22    10.0.0.2:5000    GESCHLOSSENX");
    assert_eq!(r.state, TcpState::Unknown);
    // Czech net-tools' LAST_ACK is two words; with -e, User and Inode follow.
    let r = sock("tcp        0      0 10.0.0.1:22    10.0.0.2:5000    POSLEDNÍ ACK 1000       4242");
    assert_eq!((r.state, r.state_raw), (TcpState::LastAck, "POSLEDNÍ ACK".as_bytes()));
    assert_eq!((r.uid, r.inode), (Some(1000), Some(4242)));
    assert!(matches!(
        one("Aktive Internetverbindungen (Server und stehende Verbindungen)"),
        Line::Structure(_)
    ));
}

#[test]
fn p05_pid_program_dash_absent_spaces() {
    assert!(sock("tcp 0 0 0.0.0.0:22 0.0.0.0:* LISTEN -").process().is_none());
    assert!(sock("tcp 0 0 0.0.0.0:22 0.0.0.0:* LISTEN").process().is_none());
    let p = sock("tcp 0 0 0.0.0.0:22 0.0.0.0:* LISTEN      600/sshd: /usr/sbin").process().unwrap();
    assert_eq!((p.pid, p.name), (Some(600), &b"sshd: /usr/sbin"[..]));
}

#[test]
fn p06_extra_columns_user_inode_timer() {
    let r = sock(
        "tcp  0  0 10.0.0.5:22  10.0.0.9:50514  ESTABLISHED 0  35443  1016/sshd: core  keepalive (6.63/0/0)",
    );
    assert_eq!(
        (r.uid, r.inode, r.timer.unwrap().kind),
        (Some(0), Some(35443), crate::model::TimerKind::Keepalive)
    );
}

#[test]
fn p07_sections_headers_stderr() {
    let out = all(
        "(Not all processes could be identified, non-owned process info\n will not be shown, you would have to be root to see it all.)\nActive Internet connections (w/o servers)\nProto Recv-Q Send-Q Local Address           Foreign Address         State\ntcp 0 0 10.0.0.1:22 10.0.0.2:5 ESTABLISHED\nActive UNIX domain sockets (w/o servers)\nProto RefCnt Flags       Type       State         I-Node   Path\nunix  3      [ ]         STREAM     CONNECTED     18059    /run/x\nActive Bluetooth connections (w/o servers)\nProto  Destination       Source            State         PSM DCID\nl2cap  00:11:22:33:44:55 66:77:88:99:AA:BB CONNECTED     1 64",
    );
    assert!(matches!(out[0], Line::Structure(Structure::ToolMessage)));
    assert!(matches!(out[1], Line::Structure(Structure::ToolMessage)));
    assert!(matches!(out[4], Line::Socket(_)));
    assert_eq!(out[7], Line::Ignored(Ignored::Unix));
    assert_eq!(out[10], Line::Ignored(Ignored::OtherSection));
    // grep'd output without a header still parses.
    assert!(matches!(all("tcp 0 0 10.0.0.1:22 10.0.0.2:5 ESTABLISHED")[0], Line::Socket(_)));
}

#[test]
fn p08_linux_address_forms() {
    assert!(sock("tcp 0 0 0.0.0.0:22 0.0.0.0:* LISTEN").remote.is_wildcard());
    assert!(sock("tcp 0 0 *:22 *:* LISTEN").remote.is_wildcard());
    assert_eq!(sock("tcp6 0 0 :::22 :::* LISTEN").local.port, Some(22));
    assert_eq!(sock("tcp6 0 0 [::]:ssh [::]:* LISTEN").local.port, Some(22));
    assert_eq!(
        sock("tcp6 0 0 ::ffff:127.0.0.1:7403 ::ffff:127.0.0.1:5000 ESTABLISHED").remote.addr,
        b"127.0.0.1"
    );
}

#[test]
fn p09_bsd_last_dot_port_separator() {
    let r = sock("tcp4       0      0  192.168.1.33.22        192.168.1.1.50123      ESTABLISHED");
    assert_eq!((r.local.addr, r.local.port), (&b"192.168.1.33"[..], Some(22)));
    assert_eq!(sock("tcp6 0 0 fe80::1%lo0.123 *.* LISTEN").local.scope, b"lo0");
    assert_eq!(sock("tcp4 0 0 on-in-x6d.1e100..imaps 10.0.0.1.50000 ESTABLISHED").local.port, Some(993));
}

#[test]
fn p10_bsd_protocols_and_states() {
    assert_eq!(sock("tcp46 0 0 *.80 *.* LISTEN").family, Family::V6);
    assert_eq!(sock("tcp4 0 0 127.0.0.1.25 10.0.0.1.5000 SYN_RCVD").state, TcpState::SynRecv);
    assert_eq!(sock("tcp4 0 0 127.0.0.1.25 10.0.0.1.5000 FIN_WAIT_2").state, TcpState::FinWait2);
    assert_eq!(sock("tcp4 0 0 127.0.0.1.25 10.0.0.1.5000 CLOSED").state, TcpState::Close);
    assert_eq!(sock("icm6       0      0  *.*                    *.*").proto, Proto::Icmpv6);
    assert!(matches!(
        one("Proto Recv-Q Send-Q Local Address          Foreign Address        (state)"),
        Line::Structure(_)
    ));
}

#[test]
fn p11_macos_extra_columns_and_prefixes() {
    let r = sock(
        "tcp4       0      0  10.0.0.5.5000      17.1.2.3.443       ESTABLISHED 131072 131768  12345      0 00102 00000008",
    );
    assert_eq!((r.state, r.remote.port), (TcpState::Established, Some(443)));
    let r = sock(
        "7fb03cb94d505aed cedd0cbf tcp4       0      0  10.0.0.5.50000     17.1.2.3.443       ESTABLISHED",
    );
    assert_eq!(r.remote.port, Some(443));
}

#[test]
fn p12_solaris_blocks() {
    let out = all(
        "TCP: IPv4\n   Local Address        Remote Address    Swind Send-Q Rwind Recv-Q    State\n-------------------- -------------------- ----- ------ ----- ------ -----------\n8.8.17.4.1337    8.8.213.120.65472 262140      0 1049920      0 ESTABLISHED",
    );
    assert!(matches!(out[2], Line::Structure(Structure::Ruler)));
    assert!(matches!(&out[3], Line::Socket(r) if r.proto == Proto::Tcp));
}

#[test]
fn p13_windows_rows() {
    assert_eq!(
        sock("  TCP    [::]:135               [::]:0                 LISTENING").state,
        TcpState::Listen
    );
    assert_eq!(sock("  UDP    0.0.0.0:500            *:*").state, TcpState::None);
    // `-b` puts the executable on its own bracketed line.
    assert!(matches!(one(" [svchost.exe]"), Line::Structure(Structure::Annotation)));
}

#[test]
fn p14_ss_state_spellings() {
    for (w, s) in [
        ("ESTAB", TcpState::Established),
        ("SYN-SENT", TcpState::SynSent),
        ("SYN-RECV", TcpState::SynRecv),
        ("FIN-WAIT-1", TcpState::FinWait1),
        ("FIN-WAIT-2", TcpState::FinWait2),
        ("TIME-WAIT", TcpState::TimeWait),
        ("CLOSE-WAIT", TcpState::CloseWait),
        ("LAST-ACK", TcpState::LastAck),
        ("CLOSING", TcpState::Closing),
        ("UNCONN", TcpState::Close),
    ] {
        assert_eq!(sock(&format!("{w} 0 0 10.0.0.1:1 10.0.0.2:2")).state, s, "{w}");
    }
    assert_eq!(CtState::from_word(b"SYN_SENT2"), Some(CtState::SynSent2));
}

#[test]
fn p15_netid_only_with_several_socket_types() {
    assert_eq!(sock("ESTAB 0 0 10.0.0.1:1 10.0.0.2:2").proto, Proto::Tcp);
    assert_eq!(sock("udp UNCONN 0 0 10.0.0.1:1 *:*").proto, Proto::Udp);
}

#[test]
fn p16_header_variants_and_glued_columns() {
    for h in [
        "State      Recv-Q Send-Q Local Address:Port               Peer Address:Port",
        "Netid State  Recv-Q Send-Q                    Local Address:Port  Peer Address:PortProcess",
        "Netid State      Recv-Q Send-Q Local Address:Port  Peer Address:Port",
    ] {
        assert_eq!(one(h), Line::Structure(Structure::TableHeader(crate::model::Kind::Ss)), "{h}");
    }
    assert_eq!(sock("tcpESTAB 0 0 10.0.0.1:1 10.0.0.2:2").state, TcpState::Established);
}

#[test]
fn p17_huge_padding() {
    let pad = " ".repeat(300);
    let line = format!("tcp{pad}ESTAB{pad}0{pad}0{pad}10.0.0.1:22{pad}10.0.0.2:5000{pad}");
    let r = sock(&line);
    assert_eq!(r.local.port, Some(22));
}

#[test]
fn p18_continuation_lines_attach_to_the_row_above() {
    let out = all(
        "ESTAB 0 0 10.0.0.1:22 10.0.0.2:5000\n\t skmem:(r0,rb87380,t0,tb16384,f0,w0,o0,bl0,d0) cubic wscale:7,7 rto:201 rtt:0.329/0.315 send 352.1Mbps app_limited\n\t\nTIME-WAIT 0 0 10.0.0.1:22 10.0.0.2:5001",
    );
    assert_eq!(out[1], Line::Continuation);
    assert_eq!(out[2], Line::Continuation, "TIME-WAIT/SYN-RECV get a TAB-only line");
    assert!(matches!(out[3], Line::Socket(_)));
}

#[test]
fn p19_ss_address_forms() {
    assert_eq!(sock("tcp ESTAB 0 0 [::ffff:1.2.3.4]:80 [::ffff:5.6.7.8]:5000").remote.addr, b"5.6.7.8");
    assert_eq!(sock("tcp ESTAB 0 0 2a01:4f8:190:514a::2:443 10.0.0.1:5").local.port, Some(443));
    assert_eq!(sock("udp UNCONN 0 0 192.168.1.160%enp61s0:36590 *:*").local.scope, b"enp61s0");
    assert!(matches!(one("nl   UNCONN  0  0  rtnl:NetworkManager/878   *"), Line::Ignored(_)));
}

#[test]
fn p20_users_block_grammar() {
    let r = sock(
        "tcp LISTEN 0 128 *:111 *:* users:((\"rpc bind, (v2)\",pid=1139,fd=5),(\"systemd\",pid=1,fd=41))",
    );
    assert_eq!(r.process().unwrap().name, b"rpc bind, (v2)");
    assert_eq!(
        sock("tcp ESTAB 0 0 10.0.0.1:22 10.0.0.2:5 users:((\"sshd\",1231,3))").process().unwrap().pid,
        Some(1231)
    );
}

#[test]
fn p21_extra_e_and_o_tokens() {
    let r = sock(
        "tcp LISTEN 0 128 0.0.0.0:39681 0.0.0.0:* uid:29 ino:24910 sk:ffff88007861ec00 cgroup:/system.slice/x v6only:1 <->",
    );
    assert_eq!((r.uid, r.inode), (Some(29), Some(24910)));
    let r = sock("tcp ESTAB 0 0 10.0.0.1:22 10.0.0.2:5 timer:(keepalive,6.535ms,0) -->");
    assert_eq!(r.timer.unwrap().retrans, 0);
}

#[test]
fn p22_ss_s_both_layouts() {
    assert!(matches!(
        one("TCP:   32 (estab 8, closed 5, orphaned 0, synrecv 0, timewait 4/0), ports 0"),
        Line::Sockstat(_)
    ));
    assert!(matches!(one("TCP:   129 (estab 32, closed 79, orphaned 0, timewait 17)"), Line::Sockstat(_)));
    assert_eq!(one("RAW\t  0         0         0"), Line::SockstatOther);
}

#[test]
fn p23_conntrack_field_order_variants() {
    for l in [
        "ipv4     2 tcp      6 117 TIME_WAIT src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 zone-orig=1 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 zone-reply=1 [ASSURED] mark=0 secctx=x zone=1 delta-time=12 use=2",
        "tcp      6 431999 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 [ASSURED] mark=0 use=1 id=3581571072",
        "tcp      6 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 [HW_OFFLOAD] mark=0 use=2",
    ] {
        assert!(matches!(one(l), Line::Conntrack(_)), "{l}");
    }
    assert_eq!(
        one(
            "    [NEW] tcp      6 120 SYN_SENT src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1"
        ),
        Line::Ignored(Ignored::ConntrackEvent)
    );
    assert_eq!(
        one("conntrack v1.4.5 (conntrack-tools): 11 flow entries have been shown."),
        Line::Structure(Structure::ConntrackTrailer(11))
    );
}

#[test]
fn p24_repeated_keys_icmp_gre_unknown() {
    match one(
        "gre      47 179 src=10.0.0.1 dst=10.0.0.2 srckey=0x0 dstkey=0x0 src=10.0.0.2 dst=10.0.0.1 srckey=0x0 dstkey=0x0 [ASSURED] mark=0 use=1",
    ) {
        Line::Conntrack(r) => {
            assert_eq!((r.proto, r.proto_num, r.reply.src), (Proto::Gre, 47, &b"10.0.0.2"[..]))
        }
        o => panic!("{o:?}"),
    }
    assert!(matches!(
        one("unknown  2 599 src=10.0.0.1 dst=224.0.0.1 [UNREPLIED] src=224.0.0.1 dst=10.0.0.1 mark=0 use=1"),
        Line::Conntrack(_)
    ));
}

#[test]
fn p25_nat_reply_kept_separately() {
    match one(
        "ipv4 2 tcp 6 7437 ESTABLISHED src=192.168.1.10 dst=1.2.3.4 sport=51000 dport=443 src=1.2.3.4 dst=42.191.180.28 sport=443 dport=51000 [ASSURED] mark=0 use=2",
    ) {
        Line::Conntrack(r) => assert_ne!(r.reply.dst, r.orig.src),
        o => panic!("{o:?}"),
    }
}

#[test]
fn p26_timeout_is_seconds_left() {
    match one(
        "tcp 6 7440 ESTABLISHED src=1.1.1.1 dst=2.2.2.2 sport=1 dport=2 src=2.2.2.2 dst=1.1.1.1 sport=2 dport=1 [ASSURED] mark=0 use=1",
    ) {
        Line::Conntrack(r) => assert_eq!(r.timeout, Some(7440)),
        o => panic!("{o:?}"),
    }
}

#[test]
fn p27_conntrack_stat_hex_with_either_header() {
    use super::ctstat::*;
    let mut s = CtStats::default();
    s.add(&parse_line(b"entries  clashres found new invalid ignore delete chainlength insert insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete search_restart"));
    assert!(s.add(&parse_line(b"00000010  00000001 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000005 00000002 00000000 00000000  00000000 00000000 00000000 00000000")));
    assert_eq!((s.counters["clashres"], s.counters["insert_failed"], s.counters["drop"]), (1, 5, 2));
}

#[test]
fn p28_no_final_newline() {
    use crate::ingest::read::lines;
    let v: Vec<_> = lines(b"tcp 6 1 CLOSE src=1.1.1.1 dst=2.2.2.2 sport=1 dport=2 src=2.2.2.2 dst=1.1.1.1 sport=2 dport=1 mark=0 use=1").collect();
    assert_eq!(v.len(), 1);
    assert!(matches!(one(std::str::from_utf8(v[0]).unwrap()), Line::Conntrack(_)));
}

#[test]
fn p29_to_p31_sysctl_forms() {
    use super::sysctl::*;
    assert!(matches!(
        parse_line(b"kernel.printk = 4\t4\t1\t7"),
        SysctlLine::Entry { value: b"4\t4\t1\t7", .. }
    ));
    assert!(matches!(parse_line(b"kern.ostype: FreeBSD"), SysctlLine::Entry { .. }));
    assert_eq!(parse_line(b"sysctl: reading key \"net.ipv6.conf.all.stable_secret\""), SysctlLine::Message);
    assert!(matches!(parse_line(b"net.ipv4.conf.eth0/100.rp_filter = 1"), SysctlLine::Entry { .. }));
}

#[test]
fn p32_annotations_prompts_and_failed_captures() {
    let out = all(
        "[FW: 1.1.8 Build 210728 Rel.34711n(4555)]\n---------------------\n$ netstat -an\nexec of \"netstat\" failed: No such file or directory\nbash: ss: command not found",
    );
    assert!(out.iter().all(|l| matches!(l, Line::Structure(_))), "{out:?}");
}

#[test]
fn p33_crlf_and_trailing_spaces() {
    assert_eq!(
        sock("tcp        0      0 0.0.0.0:22     0.0.0.0:*     LISTEN     \r").state,
        TcpState::Listen
    );
    assert!(matches!(
        one("Proto Recv-Q Send-Q Local Address           Foreign Address         State      \r"),
        Line::Structure(_)
    ));
}

#[test]
fn other_tools_after_the_unix_section_are_not_swallowed() {
    // `date; netstat -an; conntrack -L 2>&1; ss -s`: netstat's UNIX
    // section comes last, the next tool follows directly.
    let out = all(
        "Active UNIX domain sockets (servers and established)\nProto RefCnt Flags       Type       State         I-Node   Path\nunix  2      [ ACC ]     STREAM     LISTENING     977 /run/x\ntcp      6 117 TIME_WAIT src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 [ASSURED] mark=0 use=2\nconntrack v1.4.7 (conntrack-tools): 1 flow entries have been shown.\nTotal: 192\nTCP:   407 (estab 162, closed 229, orphaned 3, timewait 24)\nESTAB 0 0 10.0.0.1:22 10.0.0.2:5000",
    );
    assert_eq!(out[2], Line::Ignored(Ignored::Unix));
    assert!(matches!(out[3], Line::Conntrack(_)), "{:?}", out[3]);
    assert!(matches!(out[4], Line::Structure(Structure::ConntrackTrailer(1))));
    assert!(matches!(out[5], Line::Sockstat(_)));
    assert!(matches!(out[6], Line::Sockstat(_)));
    assert!(matches!(out[7], Line::Socket(_)));
}
