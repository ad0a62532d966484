//! Draw a campaign's faults from a seed, before anything runs, and expand each into the
//! timed steps the controller carries out.
//!
//! The schedule depends only on the seed, the campaign length and the number of nodes,
//! never on how the run goes: the same seed replays the same faults at the same planned
//! times (`schedule.jsonl`). When the controller falls behind (a graceful stop that takes
//! a few seconds), later steps slip by the same amount, so each fault keeps its planned
//! length.
//!
//! # Terminology
//!
//! - *Disruptive* fault: one that takes a node out of consensus (crash, pause, restart,
//!   isolation, split). At most one at a time, followed by [`SETTLE_MS`] of quiet, so at
//!   most one validator is down or cut off at once outside a split.
//! - *Degrading* fault: link delay or connection resets; these may overlap a disruptive
//!   one (not each other).

use rand::Rng as _;
use rand::SeedableRng as _;
use rand::distributions::{Distribution as _, WeightedIndex};
use rand::seq::SliceRandom as _;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// Quiet time after a disruptive fault ends before the next one starts.
pub const SETTLE_MS: u64 = 2_500;

/// Time between the starts of two drawn faults (before waiting for quiet): the CI
/// campaign, about 45 faults in 6 minutes.
pub const GAP_MS: (u64, u64) = (2_000, 4_000);

/// The same for a soak: one fault every 15–30 s, for hours.
pub const SOAK_GAP_MS: (u64, u64) = (15_000, 30_000);

/// The fault kinds with their weights, after the CI weights of `RELIABILITY.md`. The last
/// three restart a node armed through `vouchd-faults`' `VOUCH_FAULT_*` variables.
pub const WEIGHTS: [(Kind, u32); 13] = [
    (Kind::Kill, 25),
    (Kind::DoubleKill, 8),
    (Kind::Pause, 12),
    (Kind::Restart, 8),
    (Kind::Isolate, 15),
    (Kind::IsolateOneWay, 6),
    (Kind::Split, 6),
    (Kind::Delay, 12),
    (Kind::Reset, 8),
    (Kind::WalCut, 6),
    (Kind::Clock, 4),
    (Kind::SlowCommit, 4),
    (Kind::CrashAfter, 4),
];

/// Added to [`WEIGHTS`] for a campaign run with `--packet-loss` (as root, with iptables).
pub const PACKET_LOSS_WEIGHT: (Kind, u32) = (Kind::Loss, 10);

/// The variable arming a clock offset in `vouchd-faults`.
pub const CLOCK_OFFSET_VAR: &str = "VOUCH_FAULT_CLOCK_OFFSET_MS";
/// The variable arming slow store commits.
pub const COMMIT_DELAY_VAR: &str = "VOUCH_FAULT_COMMIT_DELAY_MS";
/// The variable arming a crash point.
pub const CRASH_AFTER_VAR: &str = "VOUCH_FAULT_CRASH_AFTER";

/// How long a node armed with a crash point may run before it is killed anyway (it may
/// not propose or precommit a block in that time).
pub const CRASH_WAIT_MS: u64 = 15_000;

/// What a fault does (without its parameters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// `kill -9`, then restart.
    Kill,
    /// `kill -9`, restart, `kill -9` again within 2 s of the restart, restart.
    DoubleKill,
    /// `SIGSTOP` longer than the round timeouts, then `SIGCONT`.
    Pause,
    /// SIGTERM (graceful), then restart.
    Restart,
    /// Cut every link of one node, both ways.
    Isolate,
    /// Cut one direction of every link of one node.
    IsolateOneWay,
    /// Two validators apart from the other two (the observer with the first pair).
    Split,
    /// Delay every flow into and out of one node.
    Delay,
    /// Reset the live connections of one node.
    Reset,
    /// `kill -9`, cut the tail of the consensus write-ahead log, restart.
    WalCut,
    /// Restart a node with its clock offset, halfway jump its running clock to the
    /// opposite offset, later restart it without.
    Clock,
    /// Restart a node with slow store commits, later restart it without.
    SlowCommit,
    /// Restart a validator armed to abort right after proposing or precommitting, then
    /// restart it unarmed.
    CrashAfter,
    /// Drop a share of one node's consensus packets in the kernel (`--packet-loss` only).
    Loss,
}

impl Kind {
    /// The name used in `schedule.jsonl` and reports.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Kill => "kill",
            Kind::DoubleKill => "double_kill",
            Kind::Pause => "pause",
            Kind::Restart => "restart",
            Kind::Isolate => "isolate",
            Kind::IsolateOneWay => "isolate_one_way",
            Kind::Split => "split",
            Kind::Delay => "delay",
            Kind::Reset => "reset",
            Kind::WalCut => "wal_cut",
            Kind::Clock => "clock",
            Kind::SlowCommit => "slow_commit",
            Kind::CrashAfter => "crash_after",
            Kind::Loss => "loss",
        }
    }

    /// Whether it takes a node out of consensus.
    pub fn disruptive(self) -> bool {
        !matches!(self, Kind::Delay | Kind::Reset | Kind::Loss)
    }
}

/// A fault with its parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// `kill -9` `target`, restart after `down_ms`.
    Kill {
        /// Node index.
        target: usize,
        /// Time down.
        down_ms: u64,
    },
    /// `kill -9`, restart after `down_ms`, `kill -9` again `again_ms` after the restart,
    /// restart after `down2_ms`.
    DoubleKill {
        /// Node index.
        target: usize,
        /// First time down.
        down_ms: u64,
        /// From the restart to the second kill (under 2 s: during recovery).
        again_ms: u64,
        /// Second time down.
        down2_ms: u64,
    },
    /// `SIGSTOP`, `SIGCONT` after `pause_ms`.
    Pause {
        /// Node index.
        target: usize,
        /// Time paused.
        pause_ms: u64,
    },
    /// SIGTERM (SIGKILL after 10 s), restart `down_ms` after it exited.
    Restart {
        /// Node index.
        target: usize,
        /// Time down.
        down_ms: u64,
    },
    /// Block every flow into and out of `target` for `ms` (live connections reset).
    Isolate {
        /// Node index.
        target: usize,
        /// Length.
        ms: u64,
    },
    /// Block the flows out of `target` (`mute`: it hears, is not heard) or into it (it is
    /// heard, hears nothing), for `ms`.
    IsolateOneWay {
        /// Node index.
        target: usize,
        /// Length.
        ms: u64,
        /// Which direction: true blocks what it says, false what it hears.
        mute: bool,
    },
    /// Block every flow between `side_a` and `side_b` for `ms`.
    Split {
        /// One side (two validators and the observer).
        side_a: Vec<usize>,
        /// The other side (two validators).
        side_b: Vec<usize>,
        /// Length.
        ms: u64,
    },
    /// Delay every flow into and out of `target` by `delay_ms` for `ms`.
    Delay {
        /// Node index.
        target: usize,
        /// Added latency per direction.
        delay_ms: u64,
        /// Length.
        ms: u64,
    },
    /// Reset the live connections of `target`.
    Reset {
        /// Node index.
        target: usize,
    },
    /// `kill -9` `target`, cut the last `cut_bytes` of its consensus write-ahead log (all
    /// of it when shorter), restart after `down_ms`: a crash in the middle of an append.
    WalCut {
        /// Node index.
        target: usize,
        /// Bytes cut from the end.
        cut_bytes: u64,
        /// Time down.
        down_ms: u64,
    },
    /// Run `target` with its wall clock `offset_ms` off (either way) for `ms`, its clock
    /// jumping to `-offset_ms` while it runs halfway through.
    Clock {
        /// Node index.
        target: usize,
        /// Offset, ms.
        offset_ms: i64,
        /// Length.
        ms: u64,
    },
    /// Run `target` with `delay_ms` added before every store commit for `ms`.
    SlowCommit {
        /// Node index.
        target: usize,
        /// Delay per commit, ms.
        delay_ms: u64,
        /// Length.
        ms: u64,
    },
    /// Restart validator `target` armed to abort 200 ms after its first published
    /// proposal (`propose`) or signed precommit (`precommit`); restart it unarmed once it
    /// has (or after [`CRASH_WAIT_MS`]).
    CrashAfter {
        /// Validator index.
        target: usize,
        /// `propose` or `precommit`.
        point: &'static str,
    },
    /// Drop `percent` % of the TCP packets to and from `target`'s p2p port for `ms`.
    Loss {
        /// Node index.
        target: usize,
        /// Share of packets dropped.
        percent: u32,
        /// Length.
        ms: u64,
    },
}

impl Fault {
    /// Its kind.
    pub fn kind(&self) -> Kind {
        match self {
            Fault::Kill { .. } => Kind::Kill,
            Fault::DoubleKill { .. } => Kind::DoubleKill,
            Fault::Pause { .. } => Kind::Pause,
            Fault::Restart { .. } => Kind::Restart,
            Fault::Isolate { .. } => Kind::Isolate,
            Fault::IsolateOneWay { .. } => Kind::IsolateOneWay,
            Fault::Split { .. } => Kind::Split,
            Fault::Delay { .. } => Kind::Delay,
            Fault::Reset { .. } => Kind::Reset,
            Fault::WalCut { .. } => Kind::WalCut,
            Fault::Clock { .. } => Kind::Clock,
            Fault::SlowCommit { .. } => Kind::SlowCommit,
            Fault::CrashAfter { .. } => Kind::CrashAfter,
            Fault::Loss { .. } => Kind::Loss,
        }
    }

    /// Planned length, from its first step to its last.
    pub fn length_ms(&self) -> u64 {
        match self {
            Fault::Kill { down_ms, .. } | Fault::Restart { down_ms, .. } | Fault::WalCut { down_ms, .. } => {
                *down_ms
            }
            Fault::DoubleKill { down_ms, again_ms, down2_ms, .. } => down_ms + again_ms + down2_ms,
            Fault::Pause { pause_ms, .. } => *pause_ms,
            Fault::Isolate { ms, .. }
            | Fault::IsolateOneWay { ms, .. }
            | Fault::Split { ms, .. }
            | Fault::Delay { ms, .. }
            | Fault::Clock { ms, .. }
            | Fault::SlowCommit { ms, .. }
            | Fault::Loss { ms, .. } => *ms,
            Fault::CrashAfter { .. } => CRASH_WAIT_MS,
            Fault::Reset { .. } => 0,
        }
    }

    /// The node it targets, if one.
    pub fn target(&self) -> Option<usize> {
        match self {
            Fault::Kill { target, .. }
            | Fault::DoubleKill { target, .. }
            | Fault::Pause { target, .. }
            | Fault::Restart { target, .. }
            | Fault::Isolate { target, .. }
            | Fault::IsolateOneWay { target, .. }
            | Fault::Delay { target, .. }
            | Fault::Reset { target }
            | Fault::WalCut { target, .. }
            | Fault::Clock { target, .. }
            | Fault::SlowCommit { target, .. }
            | Fault::CrashAfter { target, .. }
            | Fault::Loss { target, .. } => Some(*target),
            Fault::Split { .. } => None,
        }
    }
}

/// A fault at its planned time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Planned {
    /// Milliseconds from the start of the fault phase.
    pub at_ms: u64,
    /// The fault.
    pub fault: Fault,
}

impl Planned {
    /// Its `schedule.jsonl` line: time, kind, target (by name), params.
    pub fn to_line(&self, names: &[String]) -> String {
        let name = |i: usize| names.get(i).cloned().unwrap_or_else(|| format!("node-{i}"));
        let mut params = serde_json::to_value(&self.fault).unwrap_or(serde_json::Value::Null);
        if let Some(map) = params.as_object_mut() {
            map.remove("kind");
            map.remove("target");
        }
        let target = match &self.fault {
            Fault::Split { side_a, side_b, .. } => {
                let names = |s: &[usize]| s.iter().map(|i| name(*i)).collect::<Vec<_>>().join("+");
                format!("{} | {}", names(side_a), names(side_b))
            }
            f => f.target().map(name).unwrap_or_default(),
        };
        serde_json::json!({
            "at_ms": self.at_ms,
            "kind": self.fault.kind().name(),
            "target": target,
            "params": params,
        })
        .to_string()
    }
}

/// One thing the controller does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `kill -9`.
    Kill(usize),
    /// Start the node.
    Start(usize),
    /// SIGTERM, wait for the exit (SIGKILL after 10 s).
    Term(usize),
    /// SIGSTOP.
    Stop(usize),
    /// SIGCONT.
    Cont(usize),
    /// Block the flows `(from, to)` and reset the connections carrying them.
    Cut(Vec<(usize, usize)>),
    /// Unblock the flows; the node that was cut off, if one, is then judged on how fast
    /// it catches up.
    Mend(Vec<(usize, usize)>, Option<usize>),
    /// Delay the flows by this many ms (0: no delay).
    Delay(Vec<(usize, usize)>, u64),
    /// Reset the connections carrying the flows.
    Reset(Vec<(usize, usize)>),
    /// Cut this many bytes from the end of the node's consensus write-ahead log (it is
    /// down).
    CutWal(usize, u64),
    /// Start the node with these variables added to its environment (a clock offset or
    /// slow commits); judged on catching up like any start.
    StartWith(usize, Vec<(String, String)>),
    /// Start the node armed to crash (these variables): its exit is expected, so it is
    /// neither judged on catching up nor reported as dying on its own.
    StartArmed(usize, Vec<(String, String)>),
    /// Set the clock offset of the node, running or not, to this many ms (`None`: back to
    /// the one it was started with), through `vouchd-faults`' clock file.
    JumpClock(usize, Option<i64>),
    /// Drop this share (%) of the node's p2p packets from now on (0: none).
    Loss(usize, u32),
}

/// An action at its planned time, with the index of the fault it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Planned time, ms from the start of the fault phase.
    pub at_ms: u64,
    /// Index in the schedule.
    pub fault: usize,
    /// What to do.
    pub action: Action,
}

fn flows_of(n: usize, node: usize) -> Vec<(usize, usize)> {
    (0..n).filter(|k| *k != node).flat_map(|k| [(node, k), (k, node)]).collect()
}

/// Draw the faults of a campaign of `length_ms` over `nodes` nodes, of which the first
/// `validators` vote, with `gap_ms` (lowest, highest) between the starts of two faults.
pub fn draw(seed: u64, length_ms: u64, nodes: usize, validators: usize, gap_ms: (u64, u64)) -> Vec<Planned> {
    draw_from(&WEIGHTS, seed, length_ms, nodes, validators, gap_ms)
}

/// [`draw`] from other kinds and weights (with `--packet-loss`: [`WEIGHTS`] and
/// [`PACKET_LOSS_WEIGHT`]).
pub fn draw_from(
    weights: &[(Kind, u32)],
    seed: u64,
    length_ms: u64,
    nodes: usize,
    validators: usize,
    gap_ms: (u64, u64),
) -> Vec<Planned> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let Ok(pick) = WeightedIndex::new(weights.iter().map(|(_, w)| *w)) else { return Vec::new() };
    let mut out = Vec::new();
    let mut t = 0u64;
    let mut quiet_from = 0u64;
    let mut degrade_free_from = 0u64;
    while t < length_ms && nodes > 1 {
        let kind = weights.get(pick.sample(&mut rng)).map(|(k, _)| *k).unwrap_or(Kind::Kill);
        let target = rng.gen_range(0..nodes);
        let fault = match kind {
            Kind::Kill => Fault::Kill { target, down_ms: rng.gen_range(0..=5_000) },
            Kind::DoubleKill => Fault::DoubleKill {
                target,
                down_ms: rng.gen_range(0..=3_000),
                again_ms: rng.gen_range(0..=2_000),
                down2_ms: rng.gen_range(0..=3_000),
            },
            Kind::Pause => Fault::Pause { target, pause_ms: rng.gen_range(5_000..=10_000) },
            Kind::Restart => Fault::Restart { target, down_ms: rng.gen_range(0..=3_000) },
            Kind::Isolate => Fault::Isolate { target, ms: rng.gen_range(8_000..=16_000) },
            Kind::IsolateOneWay => {
                Fault::IsolateOneWay { target, ms: rng.gen_range(8_000..=15_000), mute: rng.gen_bool(0.5) }
            }
            Kind::Split => {
                let mut v: Vec<usize> = (0..validators.min(nodes)).collect();
                v.shuffle(&mut rng);
                let half = v.len() / 2;
                let mut side_a: Vec<usize> = v.get(..half).unwrap_or_default().to_vec();
                let mut side_b: Vec<usize> = v.get(half..).unwrap_or_default().to_vec();
                side_a.extend(validators..nodes);
                side_a.sort_unstable();
                side_b.sort_unstable();
                Fault::Split { side_a, side_b, ms: rng.gen_range(8_000..=15_000) }
            }
            Kind::Delay => {
                Fault::Delay { target, delay_ms: rng.gen_range(50..=300), ms: rng.gen_range(10_000..=20_000) }
            }
            Kind::Reset => Fault::Reset { target },
            // 1 B to 1 MiB, log-uniform: torn last records as often as whole lost tails.
            Kind::WalCut => Fault::WalCut {
                target,
                cut_bytes: 1u64 << rng.gen_range(0..=20),
                down_ms: rng.gen_range(0..=3_000),
            },
            // Up to 5 minutes either way: well past the 2 s a block time may lead the
            // clock of the node checking it.
            Kind::Clock => Fault::Clock {
                target,
                offset_ms: rng.gen_range(1_000..=300_000) * if rng.gen_bool(0.5) { 1 } else { -1 },
                ms: rng.gen_range(10_000..=20_000),
            },
            Kind::SlowCommit => Fault::SlowCommit {
                target,
                delay_ms: rng.gen_range(200..=1_000),
                ms: rng.gen_range(10_000..=20_000),
            },
            Kind::CrashAfter => Fault::CrashAfter {
                target: rng.gen_range(0..validators.clamp(1, nodes)),
                point: if rng.gen_bool(0.5) { "propose" } else { "precommit" },
            },
            Kind::Loss => {
                Fault::Loss { target, percent: rng.gen_range(2..=20), ms: rng.gen_range(10_000..=20_000) }
            }
        };
        let gap = rng.gen_range(gap_ms.0..=gap_ms.1.max(gap_ms.0));
        let at = if kind.disruptive() { t.max(quiet_from) } else { t.max(degrade_free_from) };
        if at >= length_ms {
            break;
        }
        if kind.disruptive() {
            quiet_from = at + fault.length_ms() + SETTLE_MS;
        } else {
            degrade_free_from = at + fault.length_ms();
        }
        out.push(Planned { at_ms: at, fault });
        t = at + gap;
    }
    out
}

/// The steps of a schedule for `nodes` nodes, in planned order.
pub fn steps(schedule: &[Planned], nodes: usize) -> Vec<Step> {
    let mut out = Vec::new();
    for (k, p) in schedule.iter().enumerate() {
        let at = p.at_ms;
        let mut push = |offset: u64, action: Action| out.push(Step { at_ms: at + offset, fault: k, action });
        match &p.fault {
            Fault::Kill { target, down_ms } => {
                push(0, Action::Kill(*target));
                push(*down_ms, Action::Start(*target));
            }
            Fault::DoubleKill { target, down_ms, again_ms, down2_ms } => {
                push(0, Action::Kill(*target));
                push(*down_ms, Action::Start(*target));
                push(down_ms + again_ms, Action::Kill(*target));
                push(down_ms + again_ms + down2_ms, Action::Start(*target));
            }
            Fault::Pause { target, pause_ms } => {
                push(0, Action::Stop(*target));
                push(*pause_ms, Action::Cont(*target));
            }
            Fault::Restart { target, down_ms } => {
                push(0, Action::Term(*target));
                push(*down_ms, Action::Start(*target));
            }
            Fault::Isolate { target, ms } => {
                let flows = flows_of(nodes, *target);
                push(0, Action::Cut(flows.clone()));
                push(*ms, Action::Mend(flows, Some(*target)));
            }
            Fault::IsolateOneWay { target, ms, mute } => {
                let flows: Vec<(usize, usize)> = flows_of(nodes, *target)
                    .into_iter()
                    .filter(|(from, _)| (*from == *target) == *mute)
                    .collect();
                push(0, Action::Cut(flows.clone()));
                push(*ms, Action::Mend(flows, Some(*target)));
            }
            Fault::Split { side_a, side_b, ms } => {
                let flows: Vec<(usize, usize)> = side_a
                    .iter()
                    .flat_map(|a| side_b.iter().flat_map(move |b| [(*a, *b), (*b, *a)]))
                    .collect();
                push(0, Action::Cut(flows.clone()));
                push(*ms, Action::Mend(flows, None));
            }
            Fault::Delay { target, delay_ms, ms } => {
                let flows = flows_of(nodes, *target);
                push(0, Action::Delay(flows.clone(), *delay_ms));
                push(*ms, Action::Delay(flows, 0));
            }
            Fault::Reset { target } => push(0, Action::Reset(flows_of(nodes, *target))),
            Fault::Loss { target, percent, ms } => {
                push(0, Action::Loss(*target, *percent));
                push(*ms, Action::Loss(*target, 0));
            }
            Fault::WalCut { target, cut_bytes, down_ms } => {
                push(0, Action::Kill(*target));
                push(0, Action::CutWal(*target, *cut_bytes));
                push(*down_ms, Action::Start(*target));
            }
            Fault::Clock { target, offset_ms, ms } => {
                push(0, Action::Kill(*target));
                push(0, Action::StartWith(*target, vec![(CLOCK_OFFSET_VAR.into(), offset_ms.to_string())]));
                push(ms / 2, Action::JumpClock(*target, Some(-offset_ms)));
                push(*ms, Action::Kill(*target));
                push(*ms, Action::JumpClock(*target, None));
                push(*ms, Action::Start(*target));
            }
            Fault::SlowCommit { target, delay_ms, ms } => {
                push(0, Action::Kill(*target));
                push(0, Action::StartWith(*target, vec![(COMMIT_DELAY_VAR.into(), delay_ms.to_string())]));
                push(*ms, Action::Kill(*target));
                push(*ms, Action::Start(*target));
            }
            Fault::CrashAfter { target, point } => {
                push(0, Action::Kill(*target));
                push(0, Action::StartArmed(*target, vec![(CRASH_AFTER_VAR.into(), (*point).into())]));
                push(CRASH_WAIT_MS, Action::Kill(*target));
                push(CRASH_WAIT_MS, Action::Start(*target));
            }
        }
    }
    // Stable: steps at the same time keep the schedule's order.
    out.sort_by_key(|s| s.at_ms);
    out
}

/// Faults per kind, for the report.
pub fn counts(schedule: &[Planned]) -> std::collections::BTreeMap<&'static str, usize> {
    let mut m = std::collections::BTreeMap::new();
    for p in schedule {
        *m.entry(p.fault.kind().name()).or_insert(0) += 1;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_schedule_other_seed_other_schedule() {
        let a = draw(7, 360_000, 5, 4, GAP_MS);
        let b = draw(7, 360_000, 5, 4, GAP_MS);
        let c = draw(8, 360_000, 5, 4, GAP_MS);
        assert_eq!(a, b);
        assert_ne!(a, c);
        let names: Vec<String> = ["a", "b", "c", "d", "e"].iter().map(|s| s.to_string()).collect();
        let lines: Vec<String> = a.iter().map(|p| p.to_line(&names)).collect();
        let again: Vec<String> = b.iter().map(|p| p.to_line(&names)).collect();
        assert_eq!(lines, again);
    }

    #[test]
    fn at_most_one_disruptive_fault_at_a_time_with_quiet_between() {
        for seed in 0..50 {
            let s = draw(seed, 360_000, 5, 4, GAP_MS);
            // Issue 7's CI campaign wants at least 40 fault events in 6 minutes: the mean
            // is checked below; a seed of long faults may fall a little short.
            assert!(s.len() >= 35, "seed {seed}: only {} faults in 6 minutes", s.len());
            let disruptive: Vec<&Planned> = s.iter().filter(|p| p.fault.kind().disruptive()).collect();
            for w in disruptive.windows(2) {
                let [x, y] = w else { continue };
                assert!(
                    y.at_ms >= x.at_ms + x.fault.length_ms() + SETTLE_MS,
                    "seed {seed}: {x:?} overlaps {y:?}"
                );
            }
            let degrading: Vec<&Planned> = s.iter().filter(|p| !p.fault.kind().disruptive()).collect();
            for w in degrading.windows(2) {
                let [x, y] = w else { continue };
                assert!(y.at_ms >= x.at_ms + x.fault.length_ms(), "seed {seed}: {x:?} overlaps {y:?}");
            }
            assert!(s.iter().all(|p| p.at_ms < 360_000));
        }
        let total: usize = (0..200).map(|seed| draw(seed, 360_000, 5, 4, GAP_MS).len()).sum();
        assert!(total >= 200 * 42, "mean {} faults in 6 minutes, fewer than 42", total as f64 / 200.0);
    }

    #[test]
    fn the_ci_seed_draws_at_least_40_faults_in_6_minutes() {
        // tests/tests/e2e/chaos.rs runs this seed in `.ci/run`; issue 7 asks for 40 events.
        let s = draw(424_242, 360_000, 5, 4, GAP_MS);
        assert!(s.len() >= 40, "{} faults: {:?}", s.len(), counts(&s));
    }

    #[test]
    fn a_soak_draws_one_fault_every_15_to_30_seconds() {
        let s = draw(11, 2 * 3_600_000, 5, 4, SOAK_GAP_MS);
        // Quiet after a long disruptive fault can push a start past the gap, never before it.
        for w in s.windows(2) {
            let [x, y] = w else { continue };
            assert!(y.at_ms >= x.at_ms + SOAK_GAP_MS.0, "{x:?} then {y:?}");
        }
        let per_hour = s.len() as f64 / 2.0;
        assert!((120.0..=240.0).contains(&per_hour), "{per_hour} faults an hour");
    }

    #[test]
    fn every_kind_is_drawn_and_splits_are_two_and_two() {
        let s = draw(1, 3_600_000, 5, 4, GAP_MS);
        let c = counts(&s);
        for (k, _) in WEIGHTS {
            assert!(c.get(k.name()).copied().unwrap_or(0) > 0, "{} never drawn", k.name());
        }
        for p in &s {
            if let Fault::Split { side_a, side_b, .. } = &p.fault {
                assert_eq!(side_b.len(), 2);
                assert_eq!(side_a.len(), 3, "two validators and the observer");
                assert!(side_a.contains(&4));
                assert!(side_a.iter().all(|a| !side_b.contains(a)));
            }
            if let Fault::DoubleKill { again_ms, .. } = &p.fault {
                assert!(*again_ms <= 2_000);
            }
        }
    }

    #[test]
    fn packet_loss_is_drawn_only_when_asked_for() {
        assert!(draw(3, 3_600_000, 5, 4, GAP_MS).iter().all(|p| p.fault.kind() != Kind::Loss));
        assert_eq!(
            draw(3, 600_000, 5, 4, GAP_MS),
            draw_from(&WEIGHTS, 3, 600_000, 5, 4, GAP_MS),
            "CI seeds replay"
        );
    }

    #[test]
    fn steps_undo_what_they_do() {
        let weights = [WEIGHTS.as_slice(), &[PACKET_LOSS_WEIGHT]].concat();
        let s = draw_from(&weights, 3, 600_000, 5, 4, GAP_MS);
        let steps = steps(&s, 5);
        let mut lossy = [0u32; 5];
        assert!(steps.windows(2).all(|w| w[0].at_ms <= w[1].at_ms));
        let mut down = [0i32; 5];
        let mut cut = std::collections::BTreeMap::<(usize, usize), i32>::new();
        let mut jumped = [false; 5];
        for st in &steps {
            match &st.action {
                Action::Kill(i) | Action::Term(i) | Action::Stop(i) => down[*i] += 1,
                Action::CutWal(i, _) => assert_eq!(down[*i], 1, "the log is cut while the node is down"),
                Action::Start(i) | Action::Cont(i) | Action::StartWith(i, _) | Action::StartArmed(i, _) => {
                    down[*i] -= 1
                }
                Action::Cut(f) => f.iter().for_each(|x| *cut.entry(*x).or_default() += 1),
                Action::Mend(f, _) => f.iter().for_each(|x| *cut.entry(*x).or_default() -= 1),
                Action::Delay(..) | Action::Reset(..) => {}
                Action::Loss(i, 0) => lossy[*i] = 0,
                Action::Loss(i, percent) => {
                    assert!((2..=20).contains(percent), "{st:?}");
                    assert_eq!(lossy[*i], 0, "two losses overlap on one node");
                    lossy[*i] = *percent;
                }
                Action::JumpClock(i, Some(_)) => {
                    assert_eq!(down[*i], 0, "the clock jumps on a running node");
                    jumped[*i] = true;
                }
                Action::JumpClock(i, None) => {
                    assert_eq!(down[*i], 1, "the jump is undone while the node is down");
                    jumped[*i] = false;
                }
            }
            assert!(down.iter().all(|d| (0..=1).contains(d)), "{st:?}");
            assert!(down.iter().filter(|d| **d == 1).count() <= 1, "two nodes down at once at {st:?}");
        }
        assert!(down.iter().all(|d| *d == 0));
        assert!(cut.values().all(|c| *c == 0));
        assert!(jumped.iter().all(|j| !j), "a clock jump left in place");
        assert!(lossy.iter().all(|l| *l == 0), "packet loss left in place");
        assert!(steps.iter().any(|st| matches!(st.action, Action::Loss(_, 1..))), "no loss in 10 minutes");
        assert!(
            steps.iter().any(|st| matches!(st.action, Action::JumpClock(_, Some(_)))),
            "no clock jump in 10 minutes of faults"
        );
    }

    #[test]
    fn one_way_isolation_blocks_one_direction() {
        let p = [Planned { at_ms: 0, fault: Fault::IsolateOneWay { target: 1, ms: 10, mute: true } }];
        let s = steps(&p, 3);
        assert_eq!(s.first().map(|s| &s.action), Some(&Action::Cut(vec![(1, 0), (1, 2)])));
        let p = [Planned { at_ms: 0, fault: Fault::IsolateOneWay { target: 1, ms: 10, mute: false } }];
        let s = steps(&p, 3);
        assert_eq!(s.first().map(|s| &s.action), Some(&Action::Cut(vec![(0, 1), (2, 1)])));
    }
}
