//! Progress display for long steps: shown on stderr only when it is a terminal and the user
//! did not ask for `--quiet`, and only once a step has run for about a second, so quick runs
//! and piped or CI output stay clean.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How long a step runs before its progress appears.
pub const SHOW_AFTER: Duration = Duration::from_secs(1);

/// Env var: when set (to anything), every step prints `timing: <step>: <ms> ms` to stderr.
pub const TIMINGS_ENV: &str = "AEDCOVER_TIMINGS";

fn timings_wanted() -> bool {
    static WANTED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *WANTED.get_or_init(|| std::env::var_os(TIMINGS_ENV).is_some())
}

/// Decides once whether progress is shown, then hands out spinners and bars.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    enabled: bool,
}

impl Progress {
    /// Enabled when `quiet` is false and stderr is a terminal.
    pub fn new(quiet: bool) -> Self {
        Progress {
            enabled: !quiet && std::io::stderr().is_terminal(),
        }
    }

    /// Never shows anything (library callers, tests).
    pub fn hidden() -> Self {
        Progress { enabled: false }
    }

    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// Runs `f`; if it takes longer than [`SHOW_AFTER`], a spinner with `message` shows
    /// until it returns, then is cleared.
    pub fn step<T>(&self, message: &str, f: impl FnOnce() -> T) -> T {
        let started = Instant::now();
        let out = self.step_quietly(message, f);
        if timings_wanted() {
            eprintln!("timing: {message}: {} ms", started.elapsed().as_millis());
        }
        out
    }

    fn step_quietly<T>(&self, message: &str, f: impl FnOnce() -> T) -> T {
        if !self.enabled {
            return f();
        }
        let (done_tx, done_rx) = mpsc::channel::<()>();
        std::thread::scope(|scope| {
            scope.spawn(move || {
                if done_rx.recv_timeout(SHOW_AFTER).is_ok() {
                    return;
                }
                let pb = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
                pb.set_style(
                    ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                pb.set_message(message.to_owned());
                pb.enable_steady_tick(Duration::from_millis(120));
                // Ends on the done signal, or when the sender is dropped by a panic in `f`.
                let _ = done_rx.recv();
                pb.finish_and_clear();
            });
            let out = f();
            let _ = done_tx.send(());
            out
        })
    }

    /// A counting bar of `len` items, drawn once [`SHOW_AFTER`] has passed.
    /// Safe to share across rayon threads (`Bar` is `Sync`).
    pub fn bar(&self, len: u64, message: &str) -> Bar {
        let pb = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::hidden());
        pb.set_style(
            ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({eta})")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        pb.set_message(message.to_owned());
        Bar {
            pb,
            started: Instant::now(),
            may_show: self.enabled,
            shown: Arc::new(AtomicBool::new(false)),
        }
    }
}

/// A progress bar that stays hidden for quick jobs.
#[derive(Debug, Clone)]
pub struct Bar {
    pb: ProgressBar,
    started: Instant,
    may_show: bool,
    shown: Arc<AtomicBool>,
}

impl Bar {
    pub fn inc(&self, n: u64) {
        self.pb.inc(n);
        if self.may_show
            && self.started.elapsed() >= SHOW_AFTER
            && !self.shown.swap(true, Ordering::Relaxed)
        {
            self.pb.set_draw_target(ProgressDrawTarget::stderr());
        }
    }

    pub fn position(&self) -> u64 {
        self.pb.position()
    }

    /// Removes the bar from the terminal.
    pub fn finish(&self) {
        self.pb.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_is_never_enabled() {
        assert!(!Progress::new(true).is_enabled());
        assert!(!Progress::hidden().is_enabled());
    }

    #[test]
    fn step_returns_the_result() {
        assert_eq!(Progress::hidden().step("adding", || 2 + 2), 4);
        // Enabled path, forced: the helper thread must not hold the step up.
        let p = Progress { enabled: true };
        assert_eq!(p.step("quick", || "done"), "done");
    }

    #[test]
    fn hidden_bar_counts_across_threads() {
        use rayon::prelude::*;
        let bar = Progress::hidden().bar(1000, "points");
        (0..1000).into_par_iter().for_each(|_| bar.inc(1));
        assert_eq!(bar.position(), 1000);
        bar.finish();
    }
}
