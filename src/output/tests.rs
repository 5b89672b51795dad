use std::fs;
use std::path::Path;

use super::*;

fn tmp() -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let base = fs::canonicalize(d.path()).unwrap();
    (d, base)
}

fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

fn refused(r: anyhow::Result<DirOutput>) -> OutputError {
    match r {
        Ok(_) => panic!("accepted"),
        Err(e) => e.downcast::<OutputError>().expect("an OutputError"),
    }
}

#[test]
fn a_new_report_is_staged_then_renamed_with_its_marker() {
    let (_d, base) = tmp();
    let dest = base.join("out/report");
    let o = DirOutput::create(&dest, false, &Inputs::default(), DirKind::Report).unwrap();
    assert!(!dest.exists());
    o.create_dir("charts").unwrap();
    o.write("charts/a.svg", b"<svg/>").unwrap();
    o.write_with("index.html", |w| Ok(w.write_all(b"<html>")?)).unwrap();
    let staged = listing(&base.join("out"));
    assert_eq!(staged.len(), 1);
    assert!(staged[0].starts_with(".report.sockscope-"), "{staged:?}");
    o.commit().unwrap();
    assert_eq!(listing(&base.join("out")), ["report"]);
    assert_eq!(listing(&dest), [MARKER, "charts", "index.html"]);
    // And --force may now replace it.
    let o = DirOutput::create(&dest, true, &Inputs::default(), DirKind::Report).unwrap();
    o.write("new.txt", b"x").unwrap();
    o.commit().unwrap();
    assert_eq!(listing(&dest), [MARKER, "new.txt"]);
    assert_eq!(listing(&base.join("out")), ["report"]);
}

#[test]
fn a_dropped_output_leaves_nothing() {
    let (_d, base) = tmp();
    let dest = base.join("report");
    let o = DirOutput::create(&dest, false, &Inputs::default(), DirKind::Report).unwrap();
    o.create_dir("charts").unwrap();
    o.write("charts/x.png", b"png").unwrap();
    drop(o);
    assert!(listing(&base).is_empty());
}

#[test]
fn force_needs_the_marker_of_the_same_kind() {
    let (_d, base) = tmp();
    let dest = base.join("mine");
    fs::create_dir(&dest).unwrap();
    fs::write(dest.join("notes.txt"), "precious").unwrap();
    assert!(matches!(
        refused(DirOutput::create(&dest, false, &Inputs::default(), DirKind::Report)),
        OutputError::Exists { .. }
    ));
    assert!(matches!(
        refused(DirOutput::create(&dest, true, &Inputs::default(), DirKind::Report)),
        OutputError::NotOurs { .. }
    ));
    fs::write(dest.join(MARKER), DirKind::Export.marker_text()).unwrap();
    assert!(matches!(
        refused(DirOutput::create(&dest, true, &Inputs::default(), DirKind::Report)),
        OutputError::NotOurs { .. }
    ));
    // A marker that is a symlink to a real marker does not count.
    let real = base.join("real");
    fs::create_dir(&real).unwrap();
    fs::write(real.join(MARKER), DirKind::Report.marker_text()).unwrap();
    fs::remove_file(dest.join(MARKER)).unwrap();
    std::os::unix::fs::symlink(real.join(MARKER), dest.join(MARKER)).unwrap();
    assert!(matches!(
        refused(DirOutput::create(&dest, true, &Inputs::default(), DirKind::Report)),
        OutputError::NotOurs { .. }
    ));
    assert_eq!(fs::read_to_string(dest.join("notes.txt")).unwrap(), "precious");
    assert_eq!(listing(&base), ["mine", "real"]);
}

#[test]
fn outputs_never_overlap_inputs() {
    let (_d, base) = tmp();
    let caps = base.join("caps");
    fs::create_dir_all(caps.join("web-1")).unwrap();
    fs::write(caps.join("web-1/ss.txt"), "State Recv-Q").unwrap();
    // Even a marked directory is refused when it is or holds an input.
    fs::write(caps.join(MARKER), DirKind::Report.marker_text()).unwrap();
    let inputs = Inputs::new(std::slice::from_ref(&caps));
    for (dest, force) in [(&caps, true), (&caps, false), (&base, true)] {
        let e = refused(DirOutput::create(dest, force, &inputs, DirKind::Report));
        assert!(
            matches!(e, OutputError::IsInput { .. } | OutputError::ContainsInput { .. }),
            "{dest:?}: {e}"
        );
    }
    // Spelled differently: through `..` and through a symlink.
    let e = refused(DirOutput::create(&caps.join("web-1/.."), true, &inputs, DirKind::Report));
    assert!(matches!(e, OutputError::NoName { .. }), "{e}");
    std::os::unix::fs::symlink(&caps, base.join("link")).unwrap();
    let e = refused(DirOutput::create(&base.join("link"), true, &inputs, DirKind::Report));
    assert!(matches!(e, OutputError::IsInput { .. }), "{e}");
    let e = refused(DirOutput::create(&base.join("link"), true, &Inputs::default(), DirKind::Report));
    assert!(matches!(e, OutputError::Symlink { .. }), "{e}");
    // A previous report inside an input directory is not replaced.
    let inner = caps.join("report");
    fs::create_dir(&inner).unwrap();
    fs::write(inner.join(MARKER), DirKind::Report.marker_text()).unwrap();
    let e = refused(DirOutput::create(&inner, true, &inputs, DirKind::Report));
    assert!(matches!(e, OutputError::InsideInput { .. }), "{e}");
    assert_eq!(listing(&caps), [MARKER, "report", "web-1"]);
}

#[test]
fn a_planted_symlink_at_a_staging_name_is_not_followed() {
    let (_d, base) = tmp();
    let victim = base.join("victim");
    fs::create_dir(&victim).unwrap();
    let planted = base.join(".report.sockscope-planted");
    std::os::unix::fs::symlink(&victim, &planted).unwrap();
    let free = base.join(".report.sockscope-free");
    let got = create_first_free([planted.clone(), free.clone()].into_iter()).unwrap();
    assert_eq!(got, free);
    assert!(fs::symlink_metadata(&planted).unwrap().file_type().is_symlink());
    assert!(listing(&victim).is_empty());
}

#[test]
fn staging_names_are_not_predictable() {
    let a = staging_name(Path::new("x/report"), "");
    let b = staging_name(Path::new("x/report"), "");
    assert_ne!(a, b);
    assert!(a.starts_with("x"));
}

#[test]
fn chart_files_are_replaced_only_when_they_are_charts() {
    let (_d, base) = tmp();
    let dest = base.join("c.png");
    let o = FileOutput::create(&dest, false, &Inputs::default()).unwrap();
    o.commit(b"\x89PNG\r\n\x1a\nrest").unwrap();
    assert!(FileOutput::create(&dest, false, &Inputs::default()).is_err());
    FileOutput::create(&dest, true, &Inputs::default()).unwrap().commit(b"\x89PNG\r\n\x1a\nnew").unwrap();
    assert_eq!(fs::read(&dest).unwrap(), b"\x89PNG\r\n\x1a\nnew");
    let log = base.join("capture.png");
    fs::write(&log, "tcp 0 0 1.2.3.4:1 5.6.7.8:2 ESTABLISHED\n").unwrap();
    let e = FileOutput::create(&log, true, &Inputs::default()).err().unwrap();
    assert!(matches!(e.downcast_ref::<OutputError>(), Some(OutputError::NotAChart { .. })), "{e}");
    let e = FileOutput::create(&dest, true, &Inputs::new(std::slice::from_ref(&dest))).err().unwrap();
    assert!(matches!(e.downcast_ref::<OutputError>(), Some(OutputError::IsInput { .. })), "{e}");
    // A dropped chart leaves no staging file.
    drop(FileOutput::create(&base.join("d.svg"), false, &Inputs::default()).unwrap());
    assert_eq!(listing(&base), ["c.png", "capture.png"]);
}
