//! One server per database: `aedcover serve` holds an exclusive lock on `<db>.lock` for
//! its whole life, so a second one on the same database stops before it touches the
//! database or `<db>.analysis/`. The operating system drops the lock when the process
//! ends, however it ends (`kill -9` included), so a stale lock file never blocks a restart.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// Why the lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "{db}: another aedcover serve is already using this database ({holder}); \
         stop it first, or give this one another --db"
    )]
    Held { db: PathBuf, holder: String },
    #[error("{lock}: cannot lock: {source}")]
    Io {
        lock: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The held lock; dropping it (or ending the process) releases it.
#[derive(Debug)]
pub struct DbLock {
    _file: File,
    path: PathBuf,
}

/// `<db>.lock`.
pub fn lock_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".lock");
    name.into()
}

impl DbLock {
    /// Takes the lock of `db`, or says who holds it.
    pub fn acquire(db: &Path) -> Result<DbLock, LockError> {
        let path = lock_path(db);
        let io = |source| LockError::Io {
            lock: path.clone(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                file.read_to_string(&mut holder).ok();
                let holder = match holder.trim() {
                    "" => format!("lock {} held", path.display()),
                    h => format!("{h}; lock {}", path.display()),
                };
                return Err(LockError::Held {
                    db: db.to_path_buf(),
                    holder,
                });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        writeln!(file, "process {}", std::process::id()).map_err(io)?;
        Ok(DbLock { _file: file, path })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_database_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("r.db");
        let first = DbLock::acquire(&db).unwrap();
        let e = DbLock::acquire(&db).unwrap_err().to_string();
        assert!(e.contains("another aedcover serve"), "{e}");
        assert!(
            e.contains(&format!("process {}", std::process::id())),
            "{e}"
        );
        drop(first);
        DbLock::acquire(&db).unwrap();
    }
}
