//! Watch every node during a campaign: its height, whether a process the controller
//! believes running has died on its own, and how long each restarted node takes to get
//! back to the tip.
//!
//! # Terminology
//!
//! - *Expected state*: what the controller last did to a node (running, down, paused).
//!   The controller changes it under the same lock it holds while signalling, so the
//!   monitor never mistakes a kill for a crash.
//! - *Catch-up watch*: opened when a node is started during the campaign, with the
//!   highest height any other node had reported at that moment as its target; closed when
//!   the node reports that height, or superseded when the node is stopped again first.
//!   A node that answers `/v1/status` has opened its store (redb's integrity check and the
//!   store's own invariants) and re-verified every block from genesis: `vouchd` does that
//!   before it listens, and exits with a named error when it fails.

use crate::net::Testnet;
use serde::Serialize;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How often each node is asked its status.
pub const POLL: Duration = Duration::from_millis(400);

/// What the controller last did to a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Expect {
    /// Started (or continued).
    Running,
    /// Killed or stopped.
    Down,
    /// SIGSTOP.
    Paused,
}

/// One restart and how it went.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CatchUp {
    /// Node index.
    pub node: usize,
    /// Node name.
    pub name: String,
    /// What brought it back: `start` (a restart), `cont` (the end of a pause) or `mend`
    /// (the end of its isolation).
    pub after: &'static str,
    /// When it was started, ms from the start of the fault phase.
    pub started_ms: u64,
    /// The highest height another node had reported then.
    pub target: u64,
    /// The last height this node had reported before it was stopped, paused or cut off.
    pub height_before: u64,
    /// The height in its first answer afterwards: never below `height_before` (a committed
    /// block is durable; a node that comes back without it lost it).
    pub first_height: Option<u64>,
    /// Time to first answer `/v1/status` (store opened and verified), ms.
    pub answered_ms: Option<u64>,
    /// Time to reach `target`, ms.
    pub caught_up_ms: Option<u64>,
    /// Stopped again before either, so not judged.
    pub superseded: bool,
}

struct Watch {
    started: Instant,
    record: CatchUp,
}

/// Shared between the controller and the monitor threads.
pub struct Monitor {
    origin: Instant,
    names: Vec<String>,
    expect: Mutex<Vec<Expect>>,
    heights: Mutex<Vec<u64>>,
    watches: Mutex<Vec<Watch>>,
    done: Mutex<Vec<CatchUp>>,
    exits: Mutex<Vec<String>>,
    stop: AtomicBool,
    /// What the validators cosigned, from the checkpoints the nodes serve.
    pub cosignings: super::cosigned::Cosignings,
    /// Killed validators' signing guards against the certificates holding their precommits.
    pub signings: super::signed::Signings,
}

impl std::fmt::Debug for Monitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Monitor").field("names", &self.names).finish()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl Monitor {
    /// A monitor of nodes named `names`, all running, with times counted from `origin`.
    pub fn new(names: Vec<String>, origin: Instant) -> Monitor {
        let n = names.len();
        Monitor {
            origin,
            names,
            expect: Mutex::new(vec![Expect::Running; n]),
            heights: Mutex::new(vec![0; n]),
            watches: Mutex::new(Vec::new()),
            done: Mutex::new(Vec::new()),
            exits: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
            cosignings: super::cosigned::Cosignings::default(),
            signings: super::signed::Signings::default(),
        }
    }

    /// Set node `i`'s expected state and, under the same lock, do `act` (the signal).
    pub fn transition<T>(&self, i: usize, to: Expect, act: impl FnOnce() -> T) -> T {
        let mut e = lock(&self.expect);
        if let Some(slot) = e.get_mut(i) {
            *slot = to;
        }
        if to != Expect::Running {
            self.supersede(i);
        }
        act()
    }

    fn supersede(&self, i: usize) {
        let mut w = lock(&self.watches);
        let mut done = lock(&self.done);
        w.retain(|x| {
            if x.record.node == i {
                done.push(CatchUp { superseded: true, ..x.record.clone() });
                false
            } else {
                true
            }
        });
    }

    /// Open a catch-up watch for node `i`, started (or continued) now.
    pub fn started(&self, i: usize, after: &'static str) {
        let heights = lock(&self.heights);
        let target = heights.iter().enumerate().filter(|(k, _)| *k != i).map(|(_, h)| *h).max().unwrap_or(0);
        let height_before = heights.get(i).copied().unwrap_or(0);
        drop(heights);
        let now = Instant::now();
        let record = CatchUp {
            node: i,
            name: self.names.get(i).cloned().unwrap_or_default(),
            after,
            started_ms: ms(now.duration_since(self.origin)),
            target,
            height_before,
            first_height: None,
            answered_ms: None,
            caught_up_ms: None,
            superseded: false,
        };
        lock(&self.watches).push(Watch { started: now, record });
    }

    /// The last height each node reported.
    pub fn heights(&self) -> Vec<u64> {
        lock(&self.heights).clone()
    }

    /// The node expected running, other than `except`, with the highest height seen:
    /// where to read the latest blocks.
    pub fn highest_running(&self, except: usize) -> Option<usize> {
        let expect = lock(&self.expect).clone();
        let heights = self.heights();
        (0..expect.len())
            .filter(|j| *j != except && expect.get(*j) == Some(&Expect::Running))
            .max_by_key(|j| heights.get(*j).copied().unwrap_or(0))
    }

    /// Every restart, judged or not (open watches included, not caught up).
    pub fn catch_ups(&self) -> Vec<CatchUp> {
        let mut all = lock(&self.done).clone();
        all.extend(lock(&self.watches).iter().map(|w| w.record.clone()));
        all.sort_by_key(|c| c.started_ms);
        all
    }

    /// Processes that died while expected running (with their log tail).
    pub fn exits(&self) -> Vec<String> {
        lock(&self.exits).clone()
    }

    /// Stop the monitor threads.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    /// Poll node `i` until stopped (run on its own thread). The last poll comes after
    /// [`Monitor::stop`]: the liveness check, which polls on its own, can see a node reach
    /// the tip between two of these polls and stop the monitor at once, and a watch closed
    /// by nothing later would read as a node that never caught up.
    pub fn watch_node(&self, net: &Testnet, i: usize) {
        let mut reported_exit = false;
        loop {
            let stopping = self.stop.load(Ordering::Relaxed);
            let status = net.client(i).ok().and_then(|c| c.status().ok());
            let now = Instant::now();
            if status.is_some()
                && let Ok(note) = net.checkpoint(i)
            {
                self.cosignings.observe(&note);
            }
            if let Some(s) = &status {
                if let Some(h) = lock(&self.heights).get_mut(i) {
                    *h = s.height;
                }
                let mut w = lock(&self.watches);
                let mut done = lock(&self.done);
                w.retain_mut(|x| {
                    if x.record.node != i {
                        return true;
                    }
                    let elapsed = ms(now.duration_since(x.started));
                    x.record.answered_ms.get_or_insert(elapsed);
                    x.record.first_height.get_or_insert(s.height);
                    if s.height >= x.record.target {
                        x.record.caught_up_ms = Some(elapsed);
                        done.push(x.record.clone());
                        return false;
                    }
                    true
                });
            }
            {
                let e = lock(&self.expect);
                let expected = e.get(i).copied().unwrap_or(Expect::Down);
                if expected == Expect::Down {
                    reported_exit = false;
                } else if !net.is_running(i) && !reported_exit {
                    reported_exit = true;
                    let name = self.names.get(i).cloned().unwrap_or_default();
                    lock(&self.exits).push(format!(
                        "{name} exited on its own at {} ms into the faults; its log ends:\n{}",
                        ms(now.duration_since(self.origin)),
                        net.log_tail(i, 20)
                    ));
                }
            }
            if stopping {
                break;
            }
            std::thread::sleep(POLL);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_watch_takes_the_highest_other_height_and_is_superseded_by_a_kill() {
        let m = Monitor::new(vec!["a".into(), "b".into(), "c".into()], Instant::now());
        *lock(&m.heights) = vec![5, 9, 7];
        m.started(1, "start");
        let c = m.catch_ups();
        assert_eq!(c.first().map(|c| c.target), Some(7), "node 1's own height does not count");
        assert_eq!(c.first().map(|c| c.height_before), Some(9), "its own last height is what it must keep");
        m.transition(1, Expect::Down, || ());
        let c = m.catch_ups();
        assert_eq!(c.len(), 1);
        assert!(c.first().is_some_and(|c| c.superseded));
    }
}
