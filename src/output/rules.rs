//! May this output be written? The checks behind [`super::DirOutput`] and
//! [`super::FileOutput`], with errors that name the path and say why.

use std::fs;
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};

use super::{DirKind, MARKER};

/// Why an output path is refused. Nothing has been touched when one of
/// these is returned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OutputError {
    /// The output exists and `--force` was not given.
    #[error("{path} exists; pass --force to replace it")]
    Exists { path: PathBuf },
    /// `--force`, but the directory is not a previous sockscope output.
    #[error(
        "{path} exists and is not a previous sockscope {kind} (it has no {MARKER} file): refusing to replace it, even with --force; choose another output, or remove it yourself"
    )]
    NotOurs { path: PathBuf, kind: &'static str },
    /// `--force`, but the file is not a chart sockscope could have drawn.
    #[error(
        "{path} exists and is not a PNG or SVG image: refusing to replace it, even with --force; choose another output, or remove it yourself"
    )]
    NotAChart { path: PathBuf },
    /// The output is one of the inputs.
    #[error("{path} is an input ({input}): refusing to write over it")]
    IsInput { path: PathBuf, input: PathBuf },
    /// The output directory holds an input.
    #[error("{path} contains the input {input}: refusing to replace it")]
    ContainsInput { path: PathBuf, input: PathBuf },
    /// `--force` on an output inside an input directory.
    #[error(
        "{path} lies inside the input directory {input}: refusing to replace it; write the output outside the inputs"
    )]
    InsideInput { path: PathBuf, input: PathBuf },
    /// The output is a symbolic link: sockscope neither writes through nor
    /// replaces one.
    #[error("{path} is a symbolic link: name the directory or file itself")]
    Symlink { path: PathBuf },
    /// A directory was expected and something else is there, or the
    /// reverse.
    #[error("{path} exists and is not a {expected}: refusing to replace it")]
    WrongType { path: PathBuf, expected: &'static str },
    /// The path names no directory entry (`.`, `..`, `/`).
    #[error("{path}: name a new directory or file as the output (e.g. report/)")]
    NoName { path: PathBuf },
    /// The path could not be examined.
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
}

/// The inputs of a run, resolved to absolute paths without symlinks, so
/// that an output can be compared with them however either was spelled.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    canon: Vec<PathBuf>,
}

impl Inputs {
    /// Resolves the command-line inputs (`-`, stdin, is skipped; a path
    /// that does not exist cannot overlap anything and is left to the
    /// reader to report; a glob pattern counts as the directory its
    /// matches lie in).
    pub fn new(paths: &[PathBuf]) -> Inputs {
        let canon = paths
            .iter()
            .filter(|p| p.as_os_str() != "-")
            .filter_map(|p| {
                // A pattern's matches are not known yet: the directory they
                // all lie in stands for them.
                let p = match p.exists() || !crate::ingest::is_pattern(p) {
                    true => p.clone(),
                    false => crate::ingest::pattern_base(p),
                };
                fs::canonicalize(p).ok()
            })
            .collect();
        Inputs { canon }
    }

    /// The first rule `out` (resolved) breaks against the inputs.
    fn overlap(&self, shown: &Path, out: &Path, force: bool) -> Result<(), OutputError> {
        for input in &self.canon {
            let err = |f: fn(PathBuf, PathBuf) -> OutputError| Err(f(shown.to_path_buf(), input.clone()));
            if out == input {
                return err(|path, input| OutputError::IsInput { path, input });
            }
            if input.starts_with(out) {
                return err(|path, input| OutputError::ContainsInput { path, input });
            }
            if force && out.starts_with(input) {
                return err(|path, input| OutputError::InsideInput { path, input });
            }
        }
        Ok(())
    }
}

/// `p` as an absolute path with symlinks resolved, for a path that may not
/// exist yet: the longest existing ancestor is resolved, the rest appended.
fn resolve(p: &Path) -> io::Result<PathBuf> {
    let abs = if p.is_absolute() { p.to_path_buf() } else { std::env::current_dir()?.join(p) };
    let mut rest = Vec::new();
    let mut cur = abs.as_path();
    loop {
        match fs::canonicalize(cur) {
            Ok(mut c) => {
                for part in rest.iter().rev() {
                    c.push(part);
                }
                return Ok(c);
            }
            Err(_) => {
                let (Some(parent), Some(name)) = (cur.parent(), cur.file_name()) else {
                    return Ok(abs);
                };
                rest.push(name.to_os_string());
                cur = parent;
            }
        }
    }
}

/// Refuses paths that name no entry of their own: `.`, `..`, `/`, `x/..`.
fn named(p: &Path) -> Result<(), OutputError> {
    match p.components().next_back() {
        Some(Component::Normal(_)) => Ok(()),
        _ => Err(OutputError::NoName { path: p.to_path_buf() }),
    }
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> OutputError + '_ {
    move |source| OutputError::Io { path: path.to_path_buf(), source }
}

/// Checks an output directory before the run.
pub(super) fn check_dir(dest: &Path, force: bool, inputs: &Inputs, kind: DirKind) -> Result<(), OutputError> {
    named(dest)?;
    let exists = match fs::symlink_metadata(dest) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => false,
        Err(e) => return Err(io_err(dest)(e)),
        Ok(_) => true,
    };
    let resolved = resolve(dest).map_err(io_err(dest))?;
    // Overlap first: "it is your input" is the more useful message.
    inputs.overlap(dest, &resolved, force && exists)?;
    if exists {
        if !force {
            check_type(dest, true)?;
            return Err(OutputError::Exists { path: dest.to_path_buf() });
        }
        check_replaceable_dir(dest, kind)?;
    }
    Ok(())
}

/// Checks a shared dataset a part is added to: a new directory, or a
/// sockscope export; never an input, inside one, or holding one.
pub(super) fn check_part_dir(dest: &Path, inputs: &Inputs) -> Result<(), OutputError> {
    named(dest)?;
    let exists = match fs::symlink_metadata(dest) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => false,
        Err(e) => return Err(io_err(dest)(e)),
        Ok(_) => true,
    };
    let resolved = resolve(dest).map_err(io_err(dest))?;
    // Files are added inside it: as strict as replacing it.
    inputs.overlap(dest, &resolved, true)?;
    if exists {
        check_replaceable_dir(dest, DirKind::Export)?;
    }
    Ok(())
}

/// Refuses a symlink, and an entry of the wrong type.
fn check_type(dest: &Path, dir: bool) -> Result<(), OutputError> {
    let m = fs::symlink_metadata(dest).map_err(io_err(dest))?;
    if m.file_type().is_symlink() {
        return Err(OutputError::Symlink { path: dest.to_path_buf() });
    }
    if dir && !m.is_dir() {
        return Err(OutputError::WrongType { path: dest.to_path_buf(), expected: "directory" });
    }
    if !dir && !m.is_file() {
        return Err(OutputError::WrongType { path: dest.to_path_buf(), expected: "regular file" });
    }
    Ok(())
}

/// An existing directory may be replaced: a real directory (not a
/// symlink) holding the marker of the same kind of output.
pub(super) fn check_replaceable_dir(dest: &Path, kind: DirKind) -> Result<(), OutputError> {
    check_type(dest, true)?;
    let not_ours = || OutputError::NotOurs { path: dest.to_path_buf(), kind: kind.name() };
    let marker = dest.join(MARKER);
    // The marker itself must be a regular file, not a link to one.
    let m = fs::symlink_metadata(&marker).map_err(|_| not_ours())?;
    if !m.is_file() {
        return Err(not_ours());
    }
    let mut first = String::new();
    fs::File::open(&marker).and_then(|f| f.take(256).read_to_string(&mut first)).map_err(|_| not_ours())?;
    if first.lines().next() != Some(&format!("sockscope {}", kind.name())) {
        return Err(not_ours());
    }
    Ok(())
}

/// Checks an output file before the run.
pub(super) fn check_file(dest: &Path, force: bool, inputs: &Inputs) -> Result<(), OutputError> {
    named(dest)?;
    let exists = match fs::symlink_metadata(dest) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => false,
        Err(e) => return Err(io_err(dest)(e)),
        Ok(_) => true,
    };
    let resolved = resolve(dest).map_err(io_err(dest))?;
    inputs.overlap(dest, &resolved, force && exists)?;
    if exists {
        if !force {
            check_type(dest, false)?;
            return Err(OutputError::Exists { path: dest.to_path_buf() });
        }
        check_replaceable_file(dest)?;
    }
    Ok(())
}

/// An existing file may be replaced: a regular file that is a PNG or an
/// SVG image (a chart), nothing else.
pub(super) fn check_replaceable_file(dest: &Path) -> Result<(), OutputError> {
    check_type(dest, false)?;
    let mut head = Vec::with_capacity(512);
    fs::File::open(dest).and_then(|f| f.take(512).read_to_end(&mut head)).map_err(io_err(dest))?;
    if !is_image(&head) {
        return Err(OutputError::NotAChart { path: dest.to_path_buf() });
    }
    Ok(())
}

/// PNG signature, or an SVG document (optionally after an XML
/// declaration, comments and whitespace).
fn is_image(head: &[u8]) -> bool {
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        return true;
    }
    let text = String::from_utf8_lossy(head);
    let t = text.trim_start_matches('\u{feff}').trim_start();
    (t.starts_with("<?xml") || t.starts_with("<svg") || t.starts_with("<!--")) && text.contains("<svg")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_recognized_by_content() {
        assert!(is_image(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"));
        assert!(is_image(b"<svg xmlns=\"http://www.w3.org/2000/svg\">"));
        assert!(is_image(b"<?xml version=\"1.0\"?>\n<svg>"));
        assert!(!is_image(b"tcp 0 0 1.2.3.4:22 5.6.7.8:9 ESTABLISHED"));
        assert!(!is_image(b"<?xml version=\"1.0\"?><html>"));
        assert!(!is_image(b""));
    }

    #[test]
    fn paths_without_a_name_are_refused() {
        for p in [".", "..", "/", "a/.."] {
            assert!(matches!(named(Path::new(p)), Err(OutputError::NoName { .. })), "{p}");
        }
        assert!(named(Path::new("a/report")).is_ok());
        assert!(named(Path::new("report/")).is_ok());
    }

    #[test]
    fn resolve_handles_missing_tails_and_dotdot() {
        let d = tempfile::tempdir().unwrap();
        let base = fs::canonicalize(d.path()).unwrap();
        fs::create_dir(base.join("a")).unwrap();
        assert_eq!(resolve(&base.join("a/b/c")).unwrap(), base.join("a/b/c"));
        assert_eq!(resolve(&base.join("a/../a")).unwrap(), base.join("a"));
    }
}
