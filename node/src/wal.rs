//! Own the consensus write-ahead log's file at start-up: a log that Malachite cannot open
//! (a header torn by a crash while the file was being created, or damaged on disk) is set
//! aside under a new name and the engine starts a fresh one.
//!
//! The log only replays the current height's consensus messages after a restart; what
//! keeps a validator from signing twice is its signing guard (`guard`), kept beside its key.
//! Without this, Malachite's open fails ("Failed to read sequence number") at every start
//! and the node never comes back. With it, a validator whose log was lost may be asked to
//! sign a step its guard has passed; the guard refuses and the node sits that height out
//! (`node::run`).

use std::path::{Path, PathBuf};

/// What [`check_at_start`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum WalAtStart {
    /// Absent, or opened cleanly (a partial last entry is cut by the open, as Malachite does).
    Usable,
    /// Could not be opened; moved to this path.
    SetAside {
        /// Where it went.
        to: PathBuf,
        /// Why it could not be opened.
        reason: String,
    },
}

/// Open the log at `path` the way the engine will; if that fails, rename it to
/// `<path>.unreadable-<unix ms>` so the engine starts a fresh one. An error only when the
/// rename itself fails (the node must then stop: it cannot start consensus).
pub fn check_at_start(path: &Path, now_ms: u64) -> std::io::Result<WalAtStart> {
    if !path.exists() {
        return Ok(WalAtStart::Usable);
    }
    match malachitebft_wal::Log::open(path) {
        Ok(_) => Ok(WalAtStart::Usable),
        Err(e) => {
            let mut to = path.as_os_str().to_owned();
            to.push(format!(".unreadable-{now_ms}"));
            let to = PathBuf::from(to);
            std::fs::rename(path, &to)?;
            Ok(WalAtStart::SetAside { to, reason: e.to_string() })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_torn_header_is_set_aside_and_a_good_log_is_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("consensus.wal");
        assert_eq!(check_at_start(&path, 1).expect("absent"), WalAtStart::Usable);

        // A fresh log, as Malachite writes it: kept.
        drop(malachitebft_wal::Log::open(&path).expect("create"));
        assert_eq!(check_at_start(&path, 2).expect("good"), WalAtStart::Usable);
        assert!(path.exists());

        // Its 12-byte header cut to 10 (a crash between the two header writes leaves 4).
        for size in [4, 10] {
            drop(malachitebft_wal::Log::open(&path).expect("create"));
            std::fs::OpenOptions::new().write(true).open(&path).and_then(|f| f.set_len(size)).expect("cut");
            match check_at_start(&path, 3 + size).expect("rename") {
                WalAtStart::SetAside { to, reason } => {
                    assert!(to.exists() && !path.exists(), "{}", to.display());
                    assert!(reason.contains("sequence"), "{reason}");
                }
                other => panic!("a torn header was kept: {other:?}"),
            }
        }
    }
}
