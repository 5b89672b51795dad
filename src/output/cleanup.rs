//! Staging paths removed when the run is interrupted.
//!
//! While an output is staged its path is registered here. The first
//! registration installs handlers for SIGINT, SIGTERM and SIGHUP (on a
//! thread of their own, via signal-hook: nothing runs in signal context).
//! On a signal the handler removes every registered path and exits with
//! 128 + the signal number (130, 143, 129), as a shell reports a process
//! killed by that signal. Committing an output holds the registry lock, so
//! a signal never lands between moving an old output aside and putting the
//! new one in place.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, Once};

/// The registered staging paths.
#[derive(Debug, Default)]
pub struct Registry {
    paths: Vec<PathBuf>,
}

impl Registry {
    /// Registers a path to remove on a signal.
    pub fn add(&mut self, p: &Path) {
        self.paths.push(p.to_path_buf());
    }

    /// Forgets a path (committed or already removed).
    pub fn remove(&mut self, p: &Path) {
        self.paths.retain(|x| x != p);
    }

    fn remove_all(&mut self) {
        for p in self.paths.drain(..) {
            remove_path(&p);
        }
    }
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry { paths: Vec::new() });

fn lock() -> MutexGuard<'static, Registry> {
    // A panic while holding the lock leaves a consistent list of paths.
    REGISTRY.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs `f` with the registry locked: a signal arriving meanwhile is
/// handled after `f` returns.
pub fn while_locked<R>(f: impl FnOnce(&mut Registry) -> R) -> R {
    f(&mut lock())
}

/// Creates a staging path with `create` and registers it, installing the
/// signal handlers on first use.
pub fn registered(create: impl FnOnce() -> io::Result<PathBuf>) -> io::Result<PathBuf> {
    install();
    let mut reg = lock();
    let p = create()?;
    reg.add(&p);
    Ok(p)
}

/// Removes a directory tree or a file. Workers may still be writing into a
/// staging directory when a signal arrives: files they create after a
/// listing make `remove_dir_all` fail with "not empty", so retry a few
/// times (new files need an existing directory, so this converges).
fn remove_path(p: &Path) {
    for _ in 0..20 {
        let r = match std::fs::symlink_metadata(p) {
            Err(_) => return,
            Ok(m) if m.is_dir() => std::fs::remove_dir_all(p),
            Ok(_) => std::fs::remove_file(p),
        };
        if r.is_ok() {
            return;
        }
    }
}

fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        // Without handlers (a sandbox that forbids them) the default action
        // still ends the process; only the cleanup is lost.
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
            return;
        };
        let spawned = std::thread::Builder::new().name("sockscope-signals".into()).spawn(move || {
            if let Some(sig) = signals.forever().next() {
                lock().remove_all();
                std::process::exit(128 + sig);
            }
        });
        drop(spawned);
    });
}
