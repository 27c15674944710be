//! Locks that outlive a panic elsewhere.

use std::sync::{Mutex, MutexGuard};

/// Locks `m`, taking its value as a panicking holder left it: every value kept behind
/// these locks (a server's pending edits, pools of spare buffers) stays whole at every
/// step, so a panic in another task never poisons the rest of the run.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
