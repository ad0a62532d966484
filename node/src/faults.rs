//! Injected faults for the reliability campaign (issue 7): crash points, a clock offset and
//! slow store commits, compiled in only with the `fault-injection` cargo feature (the
//! `vouchd-faults` binary) and armed by environment variables when the node starts:
//!
//! - `VOUCH_FAULT_CRASH_AFTER=propose|precommit`: abort the process 200 ms after the first
//!   proposal this node publishes, or the first precommit it signs (Malachite's
//!   "crash right after proposing / voting" scenarios), so that the restarted node must
//!   neither sign twice nor lose what it proposed;
//! - `VOUCH_FAULT_CLOCK_OFFSET_MS=<ms>` (may be negative): added to the wall clock the node
//!   reads (block times, cosignature timestamps, document windows);
//! - the file `<data_dir>/fault-clock-offset` (not a variable: read while the node runs):
//!   when it holds an integer, that is the offset instead, from within 100 ms of its
//!   writing, so that the campaign can jump a running node's clock either way;
//! - `VOUCH_FAULT_COMMIT_DELAY_MS=<ms>`: sleep that long before every store commit (a slow
//!   fsync, with the commit still durable when it returns).
//!
//! Without the feature every function here is an inline no-op and `vouchd` reads none of
//! these variables or files.

/// Where a crash can be armed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Point {
    /// After publishing a proposal this node built.
    Propose,
    /// After signing a precommit.
    Precommit,
}

#[cfg(feature = "fault-injection")]
mod armed {
    use super::Point;
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

    fn var<T: std::str::FromStr>(name: &str) -> Option<T> {
        let text = std::env::var(name).ok()?;
        match text.trim().parse() {
            Ok(v) => {
                tracing::warn!(variable = name, value = %text, "FAULT INJECTION armed");
                Some(v)
            }
            Err(_) => {
                tracing::warn!(variable = name, value = %text, "fault injection variable ignored: not a number");
                None
            }
        }
    }

    pub fn crash_after(point: Point) {
        static ARMED: OnceLock<Option<Point>> = OnceLock::new();
        static FIRED: AtomicBool = AtomicBool::new(false);
        let armed = ARMED.get_or_init(|| match std::env::var("VOUCH_FAULT_CRASH_AFTER").ok()?.as_str() {
            "propose" => Some(Point::Propose),
            "precommit" => Some(Point::Precommit),
            other => {
                tracing::warn!(
                    value = other,
                    "VOUCH_FAULT_CRASH_AFTER is neither propose nor precommit: ignored"
                );
                None
            }
        });
        if *armed == Some(point) && !FIRED.swap(true, Ordering::SeqCst) {
            tracing::warn!(?point, "FAULT INJECTION: aborting in 200 ms");
            std::thread::spawn(|| {
                std::thread::sleep(std::time::Duration::from_millis(200));
                std::process::abort();
            });
        }
    }

    fn start_offset_ms() -> i64 {
        static OFFSET: OnceLock<i64> = OnceLock::new();
        *OFFSET.get_or_init(|| var("VOUCH_FAULT_CLOCK_OFFSET_MS").unwrap_or(0))
    }

    static LIVE_OFFSET: AtomicI64 = AtomicI64::new(0);
    static WATCHED: AtomicBool = AtomicBool::new(false);

    pub fn clock_offset_ms() -> i64 {
        if WATCHED.load(Ordering::Acquire) { LIVE_OFFSET.load(Ordering::Acquire) } else { start_offset_ms() }
    }

    pub fn watch_clock(data_dir: &std::path::Path) {
        let path = data_dir.join(super::CLOCK_FILE);
        LIVE_OFFSET.store(start_offset_ms(), Ordering::Release);
        if WATCHED.swap(true, Ordering::AcqRel) {
            return;
        }
        let spawned = std::thread::Builder::new().name("fault-clock".into()).spawn(move || {
            loop {
                let read = std::fs::read_to_string(&path).ok().and_then(|t| t.trim().parse::<i64>().ok());
                let offset = read.unwrap_or_else(start_offset_ms);
                let before = LIVE_OFFSET.swap(offset, Ordering::AcqRel);
                if before != offset {
                    tracing::warn!(
                        from_ms = before,
                        to_ms = offset,
                        "FAULT INJECTION: the clock offset jumped"
                    );
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
        });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "cannot watch the fault clock file");
        }
    }

    pub fn before_commit() {
        static DELAY: OnceLock<u64> = OnceLock::new();
        let ms = *DELAY.get_or_init(|| var("VOUCH_FAULT_COMMIT_DELAY_MS").unwrap_or(0));
        if ms > 0 {
            std::thread::sleep(std::time::Duration::from_millis(ms));
        }
    }
}

/// Abort soon after reaching `point`, once, if `VOUCH_FAULT_CRASH_AFTER` names it.
#[inline]
pub fn crash_after(point: Point) {
    #[cfg(feature = "fault-injection")]
    armed::crash_after(point);
    #[cfg(not(feature = "fault-injection"))]
    let _ = point;
}

/// The injected clock offset, ms (0 unless armed).
#[inline]
pub fn clock_offset_ms() -> i64 {
    #[cfg(feature = "fault-injection")]
    return armed::clock_offset_ms();
    #[cfg(not(feature = "fault-injection"))]
    0
}

/// The file in the data directory whose integer, while it is there, is the clock offset.
pub const CLOCK_FILE: &str = "fault-clock-offset";

/// Read the clock offset from [`CLOCK_FILE`] in `data_dir` from now on, as it changes.
#[inline]
pub fn watch_clock(data_dir: &std::path::Path) {
    #[cfg(feature = "fault-injection")]
    armed::watch_clock(data_dir);
    #[cfg(not(feature = "fault-injection"))]
    let _ = data_dir;
}

/// Called before every store commit: sleeps when a slow commit is armed.
#[inline]
pub fn before_commit() {
    #[cfg(feature = "fault-injection")]
    armed::before_commit();
}
