//! Captures in other text encodings read exactly like the original: real
//! captures re-encoded as Windows PowerShell 5 writes them (UTF-16LE, BOM,
//! CRLF), as UTF-16BE without a BOM, and with a UTF-8 BOM.

use serde_json::Value;

use crate::util::{corpus, repo, summary_json};

fn utf16(text: &str, le: bool, bom: bool) -> Vec<u8> {
    let mut out = match (bom, le) {
        (false, _) => Vec::new(),
        (true, true) => vec![0xFF, 0xFE],
        (true, false) => vec![0xFE, 0xFF],
    };
    for u in text.encode_utf16() {
        out.extend_from_slice(&if le { u.to_le_bytes() } else { u.to_be_bytes() });
    }
    out
}

/// What must not change with the encoding: every snapshot's counts and the
/// line accounting.
fn essence(doc: &Value) -> (Vec<Value>, Value) {
    let snaps = doc["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| serde_json::json!([s["total"], s["states"], s["protocols"], s["top_remote"]]))
        .collect();
    let mut lines = doc["sources"][0]["lines"].clone();
    lines.as_object_mut().unwrap().remove("rejected_samples");
    (snaps, lines)
}

fn check(original: &std::path::Path) {
    let text = String::from_utf8(std::fs::read(original).unwrap()).unwrap();
    let want = summary_json(&["--host", "h", original.to_str().unwrap()]);
    let dir = tempfile::tempdir().unwrap();
    let crlf = text.replace('\n', "\r\n");
    let mut bom8 = vec![0xEF, 0xBB, 0xBF];
    bom8.extend_from_slice(text.as_bytes());
    for (name, bytes, enc) in [
        ("ps5.txt", utf16(&crlf, true, true), "utf-16le"),
        ("be.txt", utf16(&text, false, false), "utf-16be"),
        ("bom.txt", bom8, "utf-8 (BOM)"),
    ] {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        let got = summary_json(&["--host", "h", p.to_str().unwrap()]);
        assert_eq!(got["sources"][0]["encoding"], enc, "{name}");
        let (ws, wl) = essence(&want);
        let (gs, gl) = essence(&got);
        assert_eq!(gs, ws, "{name}: the same snapshots as {}", original.display());
        assert_eq!(gl, wl, "{name}: the same line accounting");
    }
}

#[test]
fn samples_in_utf16_and_with_a_bom_read_the_same() {
    check(&repo().join("samples/web-1/netstat-an.txt"));
    check(&repo().join("samples/client-1/ss-loop.log"));
}

#[test]
fn a_windows_capture_as_powershell_writes_it() {
    let Some(c) = corpus() else { return };
    check(&c.join("jc/windows/windows-10/netstat-an.out"));
}

/// Real net-tools captures in every language it ships a catalog for
/// (`tests/data/locale/capture.sh`: one socket mix, `netstat` run with
/// `LANGUAGE=xx` and in English back to back): translated titles, column
/// headers and states (German `VERBUNDEN`, Brazilian `OUÇA`,
/// `ESPERANDO_FECHAR`, Czech `NASLOUCHÁ`) give the English counts.
#[test]
fn localized_net_tools_captures_count_as_the_english_one() {
    let dir = repo().join("tests/data/locale");
    for flags in ["tan", "tane"] {
        let en =
            summary_json(&["--host", "h", dir.join(format!("netstat-{flags}.en.txt")).to_str().unwrap()]);
        let (want, want_lines) = essence(&en);
        assert_eq!(en["snapshots"][0]["total"], 24);
        assert!(en["sources"][0]["language"].is_null());
        for lang in ["cs", "de", "et", "fr", "ja", "pt_BR"] {
            let p = dir.join(format!("netstat-{flags}.{lang}.txt"));
            let got = summary_json(&["--host", "h", p.to_str().unwrap()]);
            assert_eq!(got["sources"][0]["language"], lang, "{}", p.display());
            let (snaps, lines) = essence(&got);
            assert_eq!(snaps, want, "{}", p.display());
            assert_eq!(lines, want_lines, "{}", p.display());
        }
    }
}

/// A legacy code page is told from the translations it decodes: the
/// Brazilian capture written in Windows-1252 (`Conexões`, `OUÇA`) is read
/// as cp1252, not as CP850 or CP1251, and counts as the original.
#[test]
fn a_legacy_code_page_is_found_by_its_translated_header() {
    let src = repo().join("tests/data/locale/netstat-tan.pt_BR.txt");
    let text = String::from_utf8(std::fs::read(&src).unwrap()).unwrap();
    let cp1252: Vec<u8> = text
        .chars()
        .map(|c| match c {
            'õ' => 0xF5,
            'Ç' => 0xC7,
            'ç' => 0xE7,
            'ã' => 0xE3,
            'é' => 0xE9,
            'ê' => 0xEA,
            'á' => 0xE1,
            'í' => 0xED,
            'ó' => 0xF3,
            'ú' => 0xFA,
            'â' => 0xE2,
            'à' => 0xE0,
            c if c.is_ascii() => c as u8,
            c => panic!("add {c:?} to the test's cp1252 table"),
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("br.txt");
    std::fs::write(&p, cp1252).unwrap();
    let got = summary_json(&["--host", "h", p.to_str().unwrap()]);
    assert_eq!(got["sources"][0]["encoding"], "cp1252");
    assert_eq!(got["sources"][0]["language"], "pt_BR");
    let want = summary_json(&["--host", "h", src.to_str().unwrap()]);
    assert_eq!(essence(&got), essence(&want));
    // --input-encoding forces it (here: the same).
    let forced = summary_json(&["--host", "h", "--input-encoding", "cp1252", p.to_str().unwrap()]);
    assert_eq!(essence(&forced), essence(&want));
}
