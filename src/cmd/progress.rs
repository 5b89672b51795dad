//! The progress bar on stderr: files and bytes done, rate, ETA. Drawn only
//! when stderr is a terminal, never with `--quiet`, and only once the work
//! has taken a second (short runs print nothing).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::ingest::read::Progress;
use crate::ingest::{IngestConfig, Input};

/// The bar's thread; dropping it clears the bar.
pub struct Bar {
    done: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Bar {
    /// Starts counting into `cfg` and drawing after a second.
    pub fn start(inputs: &[Input], cfg: &mut IngestConfig) -> Bar {
        let progress = Arc::new(Progress::default());
        cfg.progress = Some(progress.clone());
        let total: u64 =
            inputs.iter().map(|i| std::fs::metadata(&i.path).map(|m| m.len()).unwrap_or(0)).sum();
        let files = inputs.len() as u64;
        let done = Arc::new(AtomicBool::new(false));
        let stop = done.clone();
        let thread = std::thread::spawn(move || {
            let started = std::time::Instant::now();
            let mut bar: Option<indicatif::ProgressBar> = None;
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(100));
                if bar.is_none() && started.elapsed() >= Duration::from_secs(1) {
                    let b = indicatif::ProgressBar::with_draw_target(
                        Some(total.max(1)),
                        indicatif::ProgressDrawTarget::stderr(),
                    );
                    if let Ok(style) = indicatif::ProgressStyle::with_template(
                        "{bar:30} {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta} · {msg}",
                    ) {
                        b.set_style(style);
                    }
                    bar = Some(b);
                }
                if let Some(b) = &bar {
                    b.set_position(progress.bytes.load(Ordering::Relaxed).min(total));
                    b.set_message(format!("{}/{files} files", progress.files.load(Ordering::Relaxed)));
                }
            }
            if let Some(b) = bar {
                b.finish_and_clear();
            }
        });
        Bar { done, thread: Some(thread) }
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
