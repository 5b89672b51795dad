//! Renders every chart kind, realistic and degenerate, to PNG and SVG and
//! checks what a reader would: the PNG decodes at the right size and is
//! not blank, the SVG is XML with the title and labels as text, no two
//! labels overlap, nothing is drawn off the canvas. The examples are also
//! written to `target/chart-examples/` for a human to look at.

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset, TimeZone};

use super::scene::Scene;
use super::*;

// ---------------------------------------------------------------- data

/// Deterministic pseudo-random numbers (no test flakiness, no extra crate).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn s(text: &str) -> String {
    text.to_string()
}

fn states(pairs: &[(&str, u64)]) -> Vec<(String, u64)> {
    pairs.iter().map(|(k, v)| (s(k), *v)).collect()
}

fn state_bars() -> Chart {
    Chart::new(
        "Socket states",
        "web-07 · 2024-05-01 14:02:11 UTC · 59,377 TCP sockets",
        ChartKind::StateBars {
            states: states(&[
                ("ESTABLISHED", 12_345),
                ("SYN_SENT", 12),
                ("SYN_RECV", 5),
                ("FIN_WAIT1", 44),
                ("FIN_WAIT2", 1_020),
                ("TIME_WAIT", 45_678),
                ("CLOSE", 3),
                ("CLOSE_WAIT", 321),
                ("LAST_ACK", 7),
                ("LISTEN", 24),
                ("CLOSING", 0),
                ("UNCONN", 18),
            ]),
            value_label: "sockets".into(),
        },
    )
}

fn hotspots() -> Chart {
    let mut rng = Lcg(7);
    let rows = (0..20)
        .map(|i| {
            let label = format!(
                "10.{}.{}.{}:{}",
                20 + i,
                rng.below(255),
                rng.below(255),
                [443, 5432, 6379, 8080][i % 4]
            );
            let scale = 4_000 / (i as u64 + 1);
            let counts = vec![
                (s("ESTABLISHED"), scale / 2 + rng.below(scale / 3 + 1)),
                (s("TIME_WAIT"), scale / 3 + rng.below(scale / 4 + 1)),
                (s("CLOSE_WAIT"), if i % 5 == 0 { scale / 6 } else { 0 }),
                (s("SYN_SENT"), rng.below(4)),
            ];
            (label, counts)
        })
        .collect();
    Chart::new(
        "Top remote peers",
        "api-3 · snapshot 2024-05-01 14:02:11 UTC · top 20 of 1,234 peers",
        ChartKind::Hotspots { rows, x_label: s("sockets") },
    )
}

fn hotspots_ipv6_50() -> Chart {
    let mut rng = Lcg(11);
    let rows = (0..50)
        .map(|i| {
            // 45 characters: the longest textual IPv6 form (IPv4-mapped tail).
            let label =
                format!("ffff:ffff:ffff:ffff:ffff:{:04x}:255.255.{}.{}", 0xa000 + i, 100 + i, 200 + i % 50);
            let n = 9_000 / (i as u64 + 2);
            let counts = vec![
                (s("ESTABLISHED"), n),
                (s("TIME_WAIT"), rng.below(n)),
                (s("FIN_WAIT2"), rng.below(n / 5 + 1)),
            ];
            (label, counts)
        })
        .collect();
    Chart::new(
        "Top local addresses",
        "edge-v6-1 · 50 of 50 addresses",
        ChartKind::Hotspots { rows, x_label: s("sockets") },
    )
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, sec: u32) -> DateTime<FixedOffset> {
    FixedOffset::east_opt(0).unwrap().with_ymd_and_hms(y, mo, d, h, mi, sec).unwrap()
}

/// A TIME_WAIT storm building and clearing over `n` snapshots.
fn storm(n: usize) -> Vec<(String, Vec<u64>)> {
    let mut rng = Lcg(3);
    let mut est = Vec::with_capacity(n);
    let mut tw = Vec::with_capacity(n);
    let mut cw = Vec::with_capacity(n);
    let mut listen = Vec::with_capacity(n);
    for i in 0..n {
        let phase = i as f64 / n.max(2) as f64;
        let surge = (-((phase - 0.6) * 8.0).powi(2)).exp();
        est.push(2_000 + rng.below(300) + (1_500.0 * surge) as u64);
        tw.push(800 + rng.below(200) + (9_000.0 * surge) as u64);
        cw.push(if phase > 0.7 { 40 + rng.below(30) } else { rng.below(5) });
        listen.push(12);
    }
    vec![
        (s("TIME_WAIT"), tw),
        (s("ESTABLISHED"), est),
        (s("CLOSE_WAIT"), cw),
        (s("LISTEN"), listen),
        (s("SYN_RECV"), vec![0; n]),
    ]
}

fn timeline_day() -> Chart {
    let start = utc(2024, 4, 30, 18, 0, 0);
    let times: Vec<_> = (0..288).map(|i| start + chrono::Duration::minutes(5 * i)).collect();
    Chart::new(
        "Socket states over time",
        "web-07 · 2024-04-30 18:00 – 2024-05-01 17:55 UTC · 288 snapshots",
        ChartKind::Timeline { x: TimeAxis::Instants(times), series: storm(288) },
    )
}

fn timeline_indices() -> Chart {
    Chart::new(
        "Socket states per snapshot",
        "db-2 · 30 snapshots, no timestamps in the capture",
        ChartKind::Timeline { x: TimeAxis::Indices((1..=30).collect()), series: storm(30) },
    )
}

fn timeline_one_point() -> Chart {
    Chart::new(
        "Socket states over time",
        "web-07 · one snapshot",
        ChartKind::Timeline {
            x: TimeAxis::Instants(vec![utc(2024, 5, 1, 14, 2, 11)]),
            series: vec![
                (s("ESTABLISHED"), vec![2_345]),
                (s("TIME_WAIT"), vec![7_890]),
                (s("LISTEN"), vec![12]),
            ],
        },
    )
}

fn timeline_10k() -> Chart {
    let start = utc(2024, 5, 1, 12, 0, 0);
    let times: Vec<_> = (0..10_000).map(|i| start + chrono::Duration::seconds(i)).collect();
    Chart::new(
        "Socket states over time",
        "web-07 · 10,000 one-second snapshots",
        ChartKind::Timeline { x: TimeAxis::Instants(times), series: storm(10_000) },
    )
}

fn ephemeral() -> Chart {
    let rows = vec![
        (s("10.0.3.17 → 10.1.0.5:5432"), 24_310, 21_900),
        (s("10.0.3.17 → 10.1.0.6:5432"), 15_020, 12_800),
        (s("10.0.3.17 → 10.2.7.40:6379"), 9_870, 9_100),
        (s("10.0.3.17 → 10.9.1.2:443"), 3_400, 800),
        (s("10.0.3.17 → 172.16.4.4:8080"), 1_200, 1_150),
        (s("[2001:db8::17] → [2001:db8:0:1::53]:443"), 640, 20),
    ];
    Chart::new(
        "Ephemeral port use per destination",
        "app-12 · net.ipv4.ip_local_port_range = 32768 60999 (28,232 ports)",
        ChartKind::EphemeralUse { rows, range_size: 28_232 },
    )
}

fn conntrack() -> Chart {
    Chart::new(
        "Conntrack table",
        "fw-1 · 2024-05-01 14:02:11 UTC · 131,072 max entries",
        ChartKind::Conntrack {
            states: states(&[
                ("ESTABLISHED", 61_234),
                ("TIME_WAIT", 30_120),
                ("SYN_SENT", 8_450),
                ("CLOSE", 1_200),
                ("FIN_WAIT", 640),
                ("CLOSE_WAIT", 95),
                ("SYN_RECV", 40),
                ("LAST_ACK", 12),
                ("UDP (no state)", 14_870),
            ]),
            assured: 70_002,
            unreplied: 9_870,
            total: 116_661,
            timeouts: states(&[
                ("0", 120),
                ("1", 340),
                ("2-3", 900),
                ("4-7", 2_100),
                ("8-15", 5_400),
                ("16-31", 7_800),
                ("32-63", 9_000),
                ("64-127", 30_500),
                ("128-255", 4_200),
                ("256-511", 1_100),
                ("512-1023", 300),
                ("1024-2047", 0),
                ("2048-4095", 0),
                ("4096-8191", 2_000),
                ("8192-16383", 1_000),
                ("16384-32767", 400),
                ("32768-65535", 51_401),
                ("65536-131071", 0),
                ("131072-262143", 0),
                ("262144-524287", 0),
                ("≥524288", 0),
            ]),
        },
    )
}

fn conntrack_no_timeouts() -> Chart {
    Chart::new(
        "Conntrack table",
        "fw-2 · conntrack -L without timeouts",
        ChartKind::Conntrack {
            states: states(&[("ESTABLISHED", 912), ("TIME_WAIT", 88), ("SYN_SENT", 3)]),
            assured: 910,
            unreplied: 3,
            total: 1_003,
            timeouts: Vec::new(),
        },
    )
}

const STATE_COLUMNS: [&str; 8] =
    ["ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT", "CLOSE_WAIT", "LISTEN"];

fn heatmap() -> Chart {
    let mut rng = Lcg(5);
    let rows: Vec<String> = (1..=12).map(|i| format!("web-{i:02}.prod.example.net")).collect();
    let values = (0..12)
        .map(|r| {
            STATE_COLUMNS
                .iter()
                .map(|c| match *c {
                    "ESTABLISHED" => 1_500 + rng.below(900),
                    "TIME_WAIT" if r == 6 => 48_000,
                    "TIME_WAIT" => 2_000 + rng.below(3_000),
                    "CLOSE_WAIT" if r == 9 => 3_100,
                    "LISTEN" => 24,
                    _ => rng.below(40),
                })
                .collect()
        })
        .collect();
    Chart::new(
        "Fleet socket states",
        "12 hosts · last snapshot of each",
        ChartKind::Heatmap {
            rows,
            columns: STATE_COLUMNS.iter().map(|c| s(c)).collect(),
            values,
            value_label: s("sockets"),
        },
    )
}

fn heatmap_500() -> Chart {
    let mut rng = Lcg(9);
    let rows: Vec<String> = (0..500).map(|i| format!("node-{i:03}.k8s.eu-west-1.internal")).collect();
    let columns: Vec<String> = (0..24).map(|h| format!("{h:02}:00")).collect();
    let values = (0..500)
        .map(|r| {
            (0..24)
                .map(|h| if (r * 7 + h) % 13 == 0 { 0 } else { rng.below(200) + (r as u64 % 17) * 40 })
                .collect()
        })
        .collect();
    Chart::new(
        "TIME_WAIT per host and hour",
        "500 hosts · 2024-05-01 UTC",
        ChartKind::Heatmap { rows, columns, values, value_label: s("TIME_WAIT sockets (hourly peak)") },
    )
}

/// Every realistic example, by file name.
fn examples() -> Vec<(&'static str, Chart)> {
    vec![
        ("state_bars", state_bars()),
        ("hotspots", hotspots()),
        ("hotspots_ipv6_50", hotspots_ipv6_50()),
        ("timeline_day", timeline_day()),
        ("timeline_indices", timeline_indices()),
        ("timeline_one_point", timeline_one_point()),
        ("timeline_10k", timeline_10k()),
        ("ephemeral", ephemeral()),
        ("conntrack", conntrack()),
        ("conntrack_no_timeouts", conntrack_no_timeouts()),
        ("heatmap", heatmap()),
        ("heatmap_500", heatmap_500()),
    ]
}

/// One empty input per kind.
fn empties() -> Vec<(&'static str, Chart)> {
    vec![
        (
            "empty_state_bars",
            Chart::new(
                "Socket states",
                "no input",
                ChartKind::StateBars { states: Vec::new(), value_label: "sockets".into() },
            ),
        ),
        (
            "empty_hotspots",
            Chart::new(
                "Top peers",
                "",
                ChartKind::Hotspots { rows: vec![(s("10.0.0.1"), vec![])], x_label: s("sockets") },
            ),
        ),
        (
            "empty_timeline",
            Chart::new(
                "Over time",
                "",
                ChartKind::Timeline { x: TimeAxis::Indices(Vec::new()), series: Vec::new() },
            ),
        ),
        (
            "empty_ephemeral",
            Chart::new("Ephemeral", "", ChartKind::EphemeralUse { rows: Vec::new(), range_size: 28_232 }),
        ),
        (
            "empty_conntrack",
            Chart::new(
                "Conntrack",
                "",
                ChartKind::Conntrack {
                    states: Vec::new(),
                    assured: 0,
                    unreplied: 0,
                    total: 0,
                    timeouts: Vec::new(),
                },
            ),
        ),
        (
            "empty_heatmap",
            Chart::new(
                "Fleet",
                "",
                ChartKind::Heatmap {
                    rows: vec![s("a")],
                    columns: vec![s("b")],
                    values: vec![vec![0]],
                    value_label: s("x"),
                },
            ),
        ),
    ]
}

// ---------------------------------------------------------------- checks

fn out_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/chart-examples");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Decodes `bytes` and checks size and that something was drawn.
fn check_png(name: &str, bytes: &[u8], width: u32, height: u32, min_share: f64) {
    let decoder = png::Decoder::new(bytes);
    let mut reader = decoder.read_info().unwrap_or_else(|e| panic!("{name}: PNG does not decode: {e}"));
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), (width, height), "{name}");
    assert_eq!(info.color_type, png::ColorType::Rgb, "{name}");
    let pixels = &buf[..info.buffer_size()];
    let colours: HashSet<&[u8]> = pixels.chunks_exact(3).collect();
    let non_white = pixels.chunks_exact(3).filter(|p| p != &[255, 255, 255]).count();
    let share = non_white as f64 / f64::from(width * height);
    assert!(colours.len() > 2, "{name}: only {} colours", colours.len());
    assert!(share > min_share, "{name}: {:.2}% of pixels drawn", share * 100.0);
}

/// All the text a reader of the SVG sees (title tooltips excluded).
fn svg_texts(name: &str, svg: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("{name}: SVG is not XML: {e}"));
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| {
            n.children()
                .filter(|c| c.is_text())
                .filter_map(|c| c.text())
                .collect::<String>()
                .trim()
                .to_string()
        })
        .collect()
}

fn assert_has(name: &str, texts: &[String], wanted: &str) {
    assert!(texts.iter().any(|t| t.contains(wanted)), "{name}: no text containing {wanted:?} in {texts:?}");
}

/// No label covers another; none sticks out of the canvas.
fn check_layout(name: &str, scene: &Scene) {
    let problems = layout_problems(scene);
    assert!(problems.is_empty(), "{name}:\n{}", problems.join("\n"));
}

fn layout_problems(scene: &Scene) -> Vec<String> {
    let mut problems = Vec::new();
    let boxes: Vec<_> = scene.texts().map(|t| (t.text.clone(), t.bbox())).collect();
    for (text, (x0, y0, x1, y1)) in &boxes {
        if *x0 < 0 || *y0 < 0 || *x1 > scene.width || *y1 > scene.height {
            problems.push(format!("{text:?} at {:?} leaves the canvas", (x0, y0, x1, y1)));
        }
    }
    for (i, (a, (ax0, ay0, ax1, ay1))) in boxes.iter().enumerate() {
        for (b, (bx0, by0, bx1, by1)) in &boxes[i + 1..] {
            // One pixel of slack for rounding in the font metrics.
            if ax0.max(bx0) + 1 < *ax1.min(bx1) && ay0.max(by0) + 1 < *ay1.min(by1) {
                problems.push(format!(
                    "{a:?} {:?} overlaps {b:?} {:?}",
                    (ax0, ay0, ax1, ay1),
                    (bx0, by0, bx1, by1)
                ));
            }
        }
    }
    problems
}

/// Renders `chart` both ways, checks both, writes both to the examples dir.
fn render_both(name: &str, chart: &Chart) -> (Vec<u8>, String) {
    let png = render_png(chart).unwrap_or_else(|e| panic!("{name}: {e}"));
    // A "no data" chart is mostly white by design.
    let min_share = if name.starts_with("empty") { 0.002 } else { 0.02 };
    check_png(name, &png, chart.width, chart.height, min_share);
    let svg = render_svg(chart).unwrap_or_else(|e| panic!("{name}: {e}"));
    let texts = svg_texts(name, &svg);
    assert_has(name, &texts, &chart.title);
    check_layout(name, &build(chart).unwrap());
    let dir = out_dir();
    render(chart, &dir.join(format!("{name}.png"))).unwrap();
    render(chart, &dir.join(format!("{name}.svg"))).unwrap();
    (png, svg)
}

// ---------------------------------------------------------------- tests

#[test]
fn state_bars_render() {
    let chart = state_bars();
    let (_, svg) = render_both("state_bars", &chart);
    let texts = svg_texts("state_bars", &svg);
    for wanted in
        ["sockets", "ESTABLISHED", "TIME_WAIT", "CLOSE_WAIT", "45,678", "12,345", "59,377 TCP sockets"]
    {
        assert_has("state_bars", &texts, wanted);
    }
}

#[test]
fn hotspots_render() {
    let (_, svg) = render_both("hotspots", &hotspots());
    let texts = svg_texts("hotspots", &svg);
    for wanted in ["sockets", "ESTABLISHED", "TIME_WAIT", "CLOSE_WAIT", "top 20 of 1,234 peers"] {
        assert_has("hotspots", &texts, wanted);
    }
    // SYN_SENT is in the data but sums to something small, not zero: listed.
    assert_has("hotspots", &texts, "SYN_SENT");
}

#[test]
fn hotspots_fifty_long_ipv6_rows() {
    let chart = hotspots_ipv6_50();
    assert!(chart.height >= 50 * 28, "height grows with rows: {}", chart.height);
    let (_, svg) = render_both("hotspots_ipv6_50", &chart);
    let texts = svg_texts("hotspots_ipv6_50", &svg);
    let ChartKind::Hotspots { rows, .. } = &chart.kind else { unreachable!() };
    // Each row label is there, whole or shortened in the middle…
    let labels: Vec<&String> = texts.iter().filter(|t| t.starts_with("ffff:")).collect();
    assert_eq!(labels.len(), 50, "{labels:?}");
    // …and a shortened one keeps its full text as an SVG tooltip.
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let titles: HashSet<&str> =
        doc.descendants().filter(|n| n.has_tag_name("title")).filter_map(|n| n.text()).collect();
    for (label, shown) in rows.iter().map(|(l, _)| l).zip(&labels) {
        assert!(
            shown.as_str() == label || (shown.contains('…') && titles.contains(label.as_str())),
            "{label} → {shown}"
        );
    }
}

#[test]
fn hotspots_long_labels_shorten_in_the_middle() {
    let mut chart = hotspots_ipv6_50();
    chart.width = 640;
    let (_, svg) = render_both("hotspots_narrow", &chart);
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let shortened: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter(|n| n.children().any(|c| c.is_text() && c.text().is_some_and(|t| t.contains('…'))))
        .collect();
    assert!(shortened.len() >= 40, "{} labels shortened", shortened.len());
    for text in shortened {
        let title = text.children().find(|c| c.has_tag_name("title")).expect("tooltip with the full label");
        let full = title.text().unwrap();
        let shown = text.children().filter(|c| c.is_text()).filter_map(|c| c.text()).collect::<String>();
        let (head, tail) = shown.trim().split_once('…').unwrap();
        assert!(
            full.starts_with(head) && full.ends_with(tail) && full.len() > head.len() + tail.len(),
            "{full} → {shown}"
        );
    }
}

#[test]
fn hotspots_more_rows_than_fit_say_so() {
    let mut chart = hotspots_ipv6_50();
    chart.height = 520;
    let svg = render_svg(&chart).unwrap();
    let texts = svg_texts("hotspots_short", &svg);
    assert_has("hotspots_short", &texts, "of 50 rows");
    check_layout("hotspots_short", &build(&chart).unwrap());
    render_both("hotspots_short", &chart);
}

#[test]
fn timeline_renders_instants_and_indices() {
    let (_, svg) = render_both("timeline_day", &timeline_day());
    let texts = svg_texts("timeline_day", &svg);
    for wanted in
        ["time (UTC+00:00)", "sockets", "TIME_WAIT", "ESTABLISHED", "2024-04-30", "2024-05-01", "00:00"]
    {
        assert_has("timeline_day", &texts, wanted);
    }
    // SYN_RECV is all zero: no legend entry.
    assert!(!texts.iter().any(|t| t == "SYN_RECV"), "zero series listed: {texts:?}");

    let (_, svg) = render_both("timeline_indices", &timeline_indices());
    let texts = svg_texts("timeline_indices", &svg);
    assert_has("timeline_indices", &texts, "snapshot");
    assert_has("timeline_indices", &texts, "30");
}

#[test]
fn timeline_one_point_is_a_bar() {
    let chart = timeline_one_point();
    let (_, svg) = render_both("timeline_one_point", &chart);
    let texts = svg_texts("timeline_one_point", &svg);
    for wanted in ["14:02:11", "2024-05-01", "10,247", "time (UTC+00:00)"] {
        assert_has("timeline_one_point", &texts, wanted);
    }
    let scene = build(&chart).unwrap();
    assert!(scene.items.iter().any(|i| matches!(i, scene::Item::Rect { .. })));
    assert!(!scene.items.iter().any(|i| matches!(i, scene::Item::Polygon { .. })));
}

#[test]
fn timeline_ten_thousand_points_is_fast() {
    let chart = timeline_10k();
    // Warm up the font cache and allocator before timing.
    let _ = render_png(&timeline_one_point()).unwrap();
    let start = Instant::now();
    let png = render_png(&chart).unwrap();
    let png_time = start.elapsed();
    let start = Instant::now();
    let svg = render_svg(&chart).unwrap();
    let svg_time = start.elapsed();
    eprintln!(
        "10,000 points: PNG {png_time:?} ({} bytes), SVG {svg_time:?} ({} bytes)",
        png.len(),
        svg.len()
    );
    assert!(png_time < Duration::from_millis(700), "PNG took {png_time:?}");
    assert!(svg_time < Duration::from_millis(700), "SVG took {svg_time:?}");
    // Reduced to about two samples per pixel column, not 10,000 points.
    assert!(svg.len() < 400_000, "SVG is {} bytes", svg.len());
    let scene = build(&chart).unwrap();
    assert!(
        !scene.items.iter().any(|i| matches!(i, scene::Item::Circle { .. })),
        "no markers at 10,000 points"
    );
    render_both("timeline_10k", &chart);
}

#[test]
fn ephemeral_renders_thresholds() {
    let (_, svg) = render_both("ephemeral", &ephemeral());
    let texts = svg_texts("ephemeral", &svg);
    for wanted in
        ["local ports in use (of 28,232)", "50%", "80%", "range 28,232", "TIME_WAIT", "other states", "86.1%"]
    {
        assert_has("ephemeral", &texts, wanted);
    }
    assert_has("ephemeral", &texts, "10.0.3.17 → 10.1.0.5:5432");
}

#[test]
fn conntrack_renders_three_panels() {
    let (_, svg) = render_both("conntrack", &conntrack());
    let texts = svg_texts("conntrack", &svg);
    for wanted in ["entries", "assured", "unreplied", "other", "ESTABLISHED", "2-3", "32768-65535", "116,661"]
    {
        assert_has("conntrack", &texts, wanted);
    }
    let (_, svg) = render_both("conntrack_no_timeouts", &conntrack_no_timeouts());
    let texts = svg_texts("conntrack_no_timeouts", &svg);
    assert!(!texts.iter().any(|t| t.contains("Remaining timeout")), "{texts:?}");
}

#[test]
fn heatmap_renders_with_colour_bar() {
    let (_, svg) = render_both("heatmap", &heatmap());
    let texts = svg_texts("heatmap", &svg);
    for wanted in ["web-01.prod.example.net", "TIME_WAIT", "48,000", "sockets"] {
        assert_has("heatmap", &texts, wanted);
    }
}

#[test]
fn heatmap_500_rows_is_cut_and_says_so() {
    let chart = heatmap_500();
    let (_, svg) = render_both("heatmap_500", &chart);
    let texts = svg_texts("heatmap_500", &svg);
    assert_has("heatmap_500", &texts, "of 500 rows");
    let hosts = texts.iter().filter(|t| t.starts_with("node-")).count();
    assert!((10..=heatmap::MAX_ROWS).contains(&hosts), "{hosts} host rows");
    // The host with the largest total (r % 17 == 16) comes first.
    let first = texts.iter().find(|t| t.starts_with("node-")).unwrap();
    let index: usize = first[5..8].parse().unwrap();
    assert_eq!(index % 17, 16, "{first}");
}

#[test]
fn empty_inputs_say_no_data() {
    for (name, chart) in empties() {
        let (_, svg) = render_both(name, &chart);
        let texts = svg_texts(name, &svg);
        assert_has(name, &texts, "No data");
    }
}

#[test]
fn bad_sizes_and_extensions_are_errors() {
    let mut chart = state_bars();
    chart.width = 10;
    assert!(matches!(render_png(&chart), Err(ChartError::Draw(_))));
    let chart = state_bars();
    let err = render(&chart, &out_dir().join("chart.gif")).unwrap_err();
    assert!(matches!(err, ChartError::Extension(ref e) if e == "gif"), "{err}");
    let err = render(&chart, std::path::Path::new("/nonexistent-dir/x.svg")).unwrap_err();
    assert!(matches!(err, ChartError::Io { .. }), "{err}");
}

#[test]
fn every_example_keeps_its_layout_at_other_sizes() {
    // Callers pick sizes (a report may ask for small ones): labels must
    // still neither collide nor leave the canvas.
    let mut problems = Vec::new();
    for (name, chart) in examples().into_iter().chain(empties()) {
        for (width, height) in [(640, 360), (800, 420), (1400, 700), (0, 0)] {
            let chart = Chart { width, height, ..chart.clone() };
            let label = format!("{name} at {width}×{height}");
            let scene = build(&chart).unwrap_or_else(|e| panic!("{label}: {e}"));
            problems.extend(layout_problems(&scene).into_iter().take(3).map(|p| format!("{label}: {p}")));
            if width == 640 {
                render(&chart, &out_dir().join(format!("small_{name}.png"))).unwrap();
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn zero_size_means_default() {
    let chart = Chart { width: 0, height: 0, ..hotspots() };
    let (w, h) = Chart::default_size(&chart.kind);
    let png = render_png(&chart).unwrap();
    check_png("zero_size", &png, w, h, 0.02);
}
