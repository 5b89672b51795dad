//! Writing outputs without ever destroying what the user has.
//!
//! Every command that writes goes through here, and the rules are the same
//! for all of them:
//! - an output is checked before any input is read, so a bad `-o` fails in
//!   milliseconds (as hyperfine opens its export files first);
//! - an existing output is replaced only with `--force`, and a directory
//!   only if it carries the marker of a previous sockscope output of the
//!   same kind ([`MARKER`]); a file only if it already is a chart;
//! - an output is never an input, never contains one, and with `--force`
//!   never lies inside an input directory;
//! - a symbolic link is never written through or replaced;
//! - work is staged under an unpredictable name in the output's parent,
//!   created exclusively (a planted symlink is not followed), and renamed
//!   into place at the end; on error, SIGINT, SIGTERM or SIGHUP the staging
//!   is removed ([`cleanup`]).
//!
//! Messages name the final path (`writing report/charts/x.png: No space
//! left on device`), not the staging name the user never sees.

pub mod cleanup;
mod rules;

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;

pub use rules::{Inputs, OutputError};

/// The file that marks a directory as sockscope's own output. Its first
/// line names the kind (`sockscope report`).
pub const MARKER: &str = ".sockscope";

/// What kind of directory an output is: `--force` replaces a directory
/// only with one of the same kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirKind {
    Report,
    Export,
}

impl DirKind {
    pub fn name(self) -> &'static str {
        match self {
            DirKind::Report => "report",
            DirKind::Export => "export",
        }
    }

    fn marker_text(self) -> String {
        format!(
            "sockscope {}\n\nThis directory was written by sockscope. `sockscope {} ... --force` may replace it;\n\
             sockscope replaces no directory without this file.\n",
            self.name(),
            self.name()
        )
    }
}

/// A unique, unpredictable name for staging next to `dest`:
/// `.<name>.sockscope-<16 hex digits>`.
fn staging_name(dest: &Path, tag: &str) -> PathBuf {
    use std::hash::{BuildHasher, Hasher};
    // RandomState is keyed from the OS's random source once per process and
    // then stepped per instance: unpredictable to another local user.
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    if let Ok(t) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        h.write_u128(t.as_nanos());
    }
    let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    parent_of(dest).join(format!(".{name}.sockscope-{tag}{:016x}", h.finish()))
}

/// The directory `dest` is created in (`.` for a bare name).
fn parent_of(dest: &Path) -> &Path {
    dest.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

/// Creates a new directory at an unpredictable name next to `dest`. `mkdir`
/// fails on anything already there, a symlink included, so nothing planted
/// is ever followed.
fn create_unique_dir(dest: &Path, tag: &str) -> io::Result<PathBuf> {
    create_first_free((0..16).map(|_| staging_name(dest, tag)))
}

/// Creates the first of `names` that is free.
fn create_first_free(names: impl Iterator<Item = PathBuf>) -> io::Result<PathBuf> {
    for p in names {
        match fs::create_dir(&p) {
            Ok(()) => return Ok(p),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(io::ErrorKind::AlreadyExists, "no free staging name after 16 tries"))
}

/// An output directory being written: checked, then staged, then
/// committed. Dropping it without [`DirOutput::commit`] removes the staging.
pub struct DirOutput {
    dest: PathBuf,
    kind: DirKind,
    staging: PathBuf,
    committed: bool,
    /// Adding part NAME of a shared dataset (`export --part`), replacing
    /// an earlier part of that name (`--force`).
    part: Option<(String, bool)>,
}

/// Part names: letters, digits, `-` and `_` (they become file names), not
/// digits only.
fn valid_part(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        // `part-00012` is a plain export's file.
        && !name.bytes().all(|b| b.is_ascii_digit())
}

/// Files of part `name` in the dataset `dest`:
/// `<table>/host=<h>/part-<name>.<ext>` and `part-<name>.s<source>.<ext>`.
fn part_files(dest: &Path, name: &str) -> io::Result<Vec<PathBuf>> {
    let prefix = format!("part-{name}.");
    let mut out = Vec::new();
    for t in fs::read_dir(dest)? {
        let t = t?;
        if !t.file_type()?.is_dir() || t.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        for h in fs::read_dir(t.path())? {
            let h = h?;
            if !h.file_type()?.is_dir() || !h.file_name().to_string_lossy().starts_with("host=") {
                continue;
            }
            for f in fs::read_dir(h.path())? {
                let f = f?;
                if f.file_name().to_string_lossy().starts_with(&prefix) && f.file_type()?.is_file() {
                    out.push(f.path());
                }
            }
        }
    }
    out.sort();
    Ok(out)
}

impl DirOutput {
    /// Checks `dest` against the rules and creates its staging directory.
    /// Call before reading any input.
    pub fn create(dest: &Path, force: bool, inputs: &Inputs, kind: DirKind) -> anyhow::Result<DirOutput> {
        rules::check_dir(dest, force, inputs, kind)?;
        let parent = parent_of(dest);
        fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        let staging = cleanup::registered(|| create_unique_dir(dest, ""))
            .with_context(|| format!("creating a staging directory in {}", parent.display()))?;
        Ok(DirOutput { dest: dest.to_path_buf(), kind, staging, committed: false, part: None })
    }

    /// Adds part `name` to the export dataset `dest` (created, marked, if
    /// absent): its files are staged inside the dataset and moved into
    /// their tables' host partitions on commit, named `part-<name>…`, so
    /// shards exported at the same time (other machines, Spark tasks) never
    /// touch each other's files. An existing dataset must be a sockscope
    /// export; an earlier part of the same name is refused, or replaced
    /// with `force` (a retried task). Call before reading any input.
    pub fn create_part(dest: &Path, name: &str, force: bool, inputs: &Inputs) -> anyhow::Result<DirOutput> {
        if !valid_part(name) {
            anyhow::bail!("--part {name:?}: use letters, digits, - and _ (at most 64), not only digits");
        }
        rules::check_part_dir(dest, inputs)?;
        match fs::create_dir_all(dest) {
            Ok(()) => {}
            Err(e) => return Err(e).with_context(|| format!("creating {}", dest.display())),
        }
        // The marker, whole and exactly once however many shards start
        // together: written aside, then linked into place (a link never
        // replaces what is there).
        let marker = dest.join(MARKER);
        if fs::symlink_metadata(&marker).is_err() {
            let tmp = cleanup::registered(|| create_unique_dir(&marker, "new-"))
                .with_context(|| format!("writing {}", marker.display()))?;
            let written = fs::write(tmp.join("m"), DirKind::Export.marker_text()).and_then(|()| {
                match fs::hard_link(tmp.join("m"), &marker) {
                    Err(e) if e.kind() != io::ErrorKind::AlreadyExists => Err(e),
                    _ => Ok(()),
                }
            });
            cleanup::while_locked(|reg| {
                let _ = fs::remove_dir_all(&tmp);
                reg.remove(&tmp);
            });
            written.with_context(|| format!("writing {}", marker.display()))?;
        }
        rules::check_replaceable_dir(dest, DirKind::Export)?;
        let earlier = part_files(dest, name).with_context(|| format!("reading {}", dest.display()))?;
        if !earlier.is_empty() && !force {
            anyhow::bail!(
                "{} already has part {name} ({} and {} more files); pass --force to replace it, or choose another --part",
                dest.display(),
                earlier[0].display(),
                earlier.len() - 1
            );
        }
        let staging = cleanup::registered(|| create_unique_dir(&dest.join(format!("part-{name}")), ""))
            .with_context(|| format!("creating a staging directory in {}", dest.display()))?;
        Ok(DirOutput {
            dest: dest.to_path_buf(),
            kind: DirKind::Export,
            staging,
            committed: false,
            part: Some((name.to_string(), force)),
        })
    }

    /// The final path.
    pub fn dest(&self) -> &Path {
        &self.dest
    }

    /// Where `rel` is written now (inside the staging directory).
    pub fn staged(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.staging.join(rel)
    }

    /// Where `rel` will be once committed: what messages name.
    pub fn shown(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.dest.join(rel)
    }

    /// Creates the directory `rel` in the output.
    pub fn create_dir(&self, rel: impl AsRef<Path>) -> anyhow::Result<()> {
        let rel = rel.as_ref();
        fs::create_dir(self.staged(rel)).with_context(|| format!("creating {}", self.shown(rel).display()))
    }

    /// Writes the file `rel` whole.
    pub fn write(&self, rel: impl AsRef<Path>, bytes: &[u8]) -> anyhow::Result<()> {
        let rel = rel.as_ref();
        fs::write(self.staged(rel), bytes).with_context(|| format!("writing {}", self.shown(rel).display()))
    }

    /// Writes the file `rel` through a buffered writer. Errors from `fill`
    /// and from the final flush name the file.
    pub fn write_with(
        &self,
        rel: impl AsRef<Path>,
        fill: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let rel = rel.as_ref();
        let shown = || format!("writing {}", self.shown(rel).display());
        let f = File::create(self.staged(rel)).with_context(shown)?;
        let mut w = BufWriter::with_capacity(256 << 10, f);
        fill(&mut w).with_context(shown)?;
        let f = w.into_inner().map_err(|e| e.into_error()).with_context(shown)?;
        f.sync_all().with_context(shown)?;
        Ok(())
    }

    /// Opens the staged file `rel` for reading (a part written earlier).
    pub fn open(&self, rel: impl AsRef<Path>) -> anyhow::Result<File> {
        let rel = rel.as_ref();
        File::open(self.staged(rel)).with_context(|| format!("reading back {}", self.shown(rel).display()))
    }

    /// Marks the output and renames it into place. An existing output is
    /// checked again (it may have changed during the run), moved into a
    /// fresh exclusive directory, and removed only once the new one is in
    /// place; if the swap fails the old one is put back.
    pub fn commit(mut self) -> anyhow::Result<()> {
        if let Some((name, force)) = self.part.clone() {
            cleanup::while_locked(|reg| self.commit_part(&name, force, reg))?;
            self.committed = true;
            return Ok(());
        }
        self.write(MARKER, self.kind.marker_text().as_bytes())?;
        // Held against the signal handler: it must not remove the staging
        // halfway through the swap.
        cleanup::while_locked(|reg| self.swap(reg))?;
        self.committed = true;
        Ok(())
    }

    /// Moves the staged part's files into the dataset, file by file
    /// (`part-00000.ext` → `part-<name>.ext`, a row table's
    /// `part-<source>.ext` → `part-<name>.s<source>.ext`), then removes what
    /// an earlier part of the name left that this one did not replace.
    fn commit_part(&self, name: &str, force: bool, reg: &mut cleanup::Registry) -> anyhow::Result<()> {
        let earlier = if force { part_files(&self.dest, name)? } else { Vec::new() };
        let mut moved = std::collections::BTreeSet::new();
        for t in fs::read_dir(&self.staging)? {
            let t = t?;
            if !t.file_type()?.is_dir() {
                continue;
            }
            for h in fs::read_dir(t.path())? {
                let h = h?;
                if !h.file_type()?.is_dir() {
                    continue;
                }
                let dir = self.dest.join(t.file_name()).join(h.file_name());
                fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
                for f in fs::read_dir(h.path())? {
                    let f = f?.path();
                    let file = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                    let (stem, ext) = file.split_once('.').unwrap_or((&file, ""));
                    let to = match stem.strip_prefix("part-") {
                        Some("00000") | None => dir.join(format!("part-{name}.{ext}")),
                        Some(source) => dir.join(format!("part-{name}.s{source}.{ext}")),
                    };
                    fs::rename(&f, &to).with_context(|| format!("moving {} into place", to.display()))?;
                    moved.insert(to);
                }
            }
        }
        for old in earlier.iter().filter(|p| !moved.contains(*p)) {
            fs::remove_file(old)
                .with_context(|| format!("removing {} of the earlier part", old.display()))?;
        }
        let _ = fs::remove_dir_all(&self.staging);
        reg.remove(&self.staging);
        Ok(())
    }

    fn swap(&self, reg: &mut cleanup::Registry) -> anyhow::Result<()> {
        let dest = &self.dest;
        let aside = match fs::symlink_metadata(dest) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(e).with_context(|| format!("checking {}", dest.display())),
            Ok(_) => {
                // A previous output, still checked: it was replaceable at
                // the start of the run.
                rules::check_replaceable_dir(dest, self.kind)?;
                let holder = create_unique_dir(dest, "old-")
                    .with_context(|| format!("moving the old {} aside", dest.display()))?;
                reg.add(&holder);
                let old = holder.join("old");
                if let Err(e) = fs::rename(dest, &old) {
                    let _ = fs::remove_dir(&holder);
                    reg.remove(&holder);
                    return Err(e).with_context(|| format!("moving the old {} aside", dest.display()));
                }
                Some((holder, old))
            }
        };
        if let Err(e) = fs::rename(&self.staging, dest) {
            if let Some((holder, old)) = &aside {
                // Put the old output back where it was.
                if fs::rename(old, dest).is_ok() {
                    let _ = fs::remove_dir(holder);
                    reg.remove(holder);
                }
            }
            return Err(e).with_context(|| format!("renaming the finished output into {}", dest.display()));
        }
        reg.remove(&self.staging);
        if let Some((holder, _)) = aside {
            let _ = fs::remove_dir_all(&holder);
            reg.remove(&holder);
        }
        Ok(())
    }
}

impl Drop for DirOutput {
    fn drop(&mut self) {
        if !self.committed {
            cleanup::while_locked(|reg| {
                let _ = fs::remove_dir_all(&self.staging);
                reg.remove(&self.staging);
            });
        }
    }
}

/// A single output file (a chart): checked, written to a staging file
/// created exclusively next to it, renamed into place.
pub struct FileOutput {
    dest: PathBuf,
    staging: PathBuf,
    committed: bool,
}

impl FileOutput {
    /// Checks `dest` against the rules and creates the staging file. Call
    /// before reading any input.
    pub fn create(dest: &Path, force: bool, inputs: &Inputs) -> anyhow::Result<FileOutput> {
        rules::check_file(dest, force, inputs)?;
        let parent = parent_of(dest);
        fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        let staging = cleanup::registered(|| {
            for _ in 0..16 {
                let p = staging_name(dest, "");
                // O_CREAT|O_EXCL: fails on anything there, symlinks too.
                match fs::OpenOptions::new().write(true).create_new(true).open(&p) {
                    Ok(_) => return Ok(p),
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                    Err(e) => return Err(e),
                }
            }
            Err(io::Error::new(io::ErrorKind::AlreadyExists, "no free staging name after 16 tries"))
        })
        .with_context(|| format!("creating a staging file in {}", parent.display()))?;
        Ok(FileOutput { dest: dest.to_path_buf(), staging, committed: false })
    }

    /// The final path.
    pub fn dest(&self) -> &Path {
        &self.dest
    }

    /// Writes the content and renames it into place.
    pub fn commit(mut self, bytes: &[u8]) -> anyhow::Result<()> {
        let shown = || format!("writing {}", self.dest.display());
        // The staging file was created exclusively by us; open it without
        // O_CREAT so nothing swapped in meanwhile is created or followed
        // as a new file.
        let mut f =
            fs::OpenOptions::new().write(true).truncate(true).open(&self.staging).with_context(shown)?;
        f.write_all(bytes).with_context(shown)?;
        f.sync_all().with_context(shown)?;
        drop(f);
        cleanup::while_locked(|reg| -> anyhow::Result<()> {
            if fs::symlink_metadata(&self.dest).is_ok() {
                rules::check_replaceable_file(&self.dest)?;
            }
            fs::rename(&self.staging, &self.dest)
                .with_context(|| format!("renaming the finished chart into {}", self.dest.display()))?;
            reg.remove(&self.staging);
            Ok(())
        })?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for FileOutput {
    fn drop(&mut self) {
        if !self.committed {
            cleanup::while_locked(|reg| {
                let _ = fs::remove_file(&self.staging);
                reg.remove(&self.staging);
            });
        }
    }
}

#[cfg(test)]
mod tests;
