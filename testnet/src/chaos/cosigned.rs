//! Watch what each validator cosigned, from the checkpoints the nodes serve during a
//! campaign, and hold it to the cosigner's rules (C2SP tlog-witness; `docs/PROTOCOL.md`):
//!
//! - never two roots for one tree size;
//! - never a smaller tree after a larger one (by the cosignatures' own timestamps, except
//!   those a validator made while the campaign had set its clock off: a `clock` fault
//!   moves its timestamps, not its order);
//! - never a cosignature released before it was recorded: whenever a validator is killed,
//!   the record it keeps beside its key (`key.pem.cosigned`) must already cover the
//!   largest size anyone has seen it cosign.
//!
//! Only the cosignatures in served notes are seen (those of sizes that reached a quorum),
//! so this is a sample of what each validator released, never more than it released.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use vouch_core::checkpoint::CosignedCheckpoint;

use super::check::Verdict;

/// Per validator: tree size → (root hex, timestamp of the first cosignature seen for it).
type Seen = BTreeMap<String, BTreeMap<u64, (String, u64)>>;

/// What was seen, and what broke the rules.
#[derive(Debug, Default)]
pub struct Cosignings {
    seen: Mutex<Seen>,
    /// Per validator: timestamp ranges (seconds) its clock may have given while set off.
    skewed: Mutex<BTreeMap<String, Vec<(u64, u64)>>>,
    problems: Mutex<BTreeSet<String>>,
    notes: AtomicU64,
    records_checked: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The validator's node name: the last part of its cosigner name (`<origin>/<name>`).
fn short(name: &str) -> &str {
    name.rsplit('/').next().unwrap_or(name)
}

impl Cosignings {
    /// Take in one served checkpoint note; a note that does not parse is ignored (the node
    /// verified it before serving it, and the other checkers judge the node).
    pub fn observe(&self, note: &str) {
        let Ok(c) = CosignedCheckpoint::parse_note(note.as_bytes()) else { return };
        self.notes.fetch_add(1, Ordering::Relaxed);
        let root = c.checkpoint.root.to_hex();
        let size = c.checkpoint.size;
        let mut seen = lock(&self.seen);
        let mut problems = Vec::new();
        for cos in &c.cosignatures {
            let who = short(&cos.name).to_string();
            let mine = seen.entry(who.clone()).or_default();
            match mine.get(&size) {
                Some((r, _)) if *r == root => continue,
                Some((r, _)) => {
                    problems.push(format!("{who} cosigned two roots at size {size}: {r} and {root}"));
                    continue;
                }
                None => {}
            }
            mine.insert(size, (root.clone(), cos.timestamp));
        }
        drop(seen);
        lock(&self.problems).extend(problems);
    }

    /// `name`'s clock was set `offset_ms` off from `from_ms` to `to_ms` (Unix ms, true
    /// time): its cosignature timestamps in that span, moved by the offset, say nothing
    /// about order.
    pub fn clock_set_off(&self, name: &str, offset_ms: i64, from_ms: u64, to_ms: u64) {
        let shift = |t: u64| t.saturating_add_signed(offset_ms) / 1_000;
        // A second either side for rounding.
        let span = (shift(from_ms).saturating_sub(1), shift(to_ms).saturating_add(1));
        lock(&self.skewed).entry(name.to_string()).or_default().push(span);
    }

    /// Smaller trees cosigned after larger ones: walking each validator's sizes upwards,
    /// a size whose timestamp is earlier than that of a smaller size. Timestamps in a span
    /// where the validator's clock was set off are left out.
    fn order_problems(&self) -> Vec<String> {
        let seen = lock(&self.seen);
        let skewed = lock(&self.skewed);
        let mut problems = Vec::new();
        for (who, sizes) in seen.iter() {
            let spans = skewed.get(who).map(Vec::as_slice).unwrap_or_default();
            let true_clock = |t: u64| !spans.iter().any(|(a, b)| (*a..=*b).contains(&t));
            let mut latest: Option<(u64, u64)> = None;
            for (size, (_, t)) in sizes.iter().filter(|(_, (_, t))| true_clock(*t)) {
                match latest {
                    Some((smaller, t_smaller)) if *t < t_smaller => problems.push(format!(
                        "{who} cosigned size {smaller} at {t_smaller} s, after size {size} at {t} s: a smaller tree after a larger one"
                    )),
                    Some((_, t_smaller)) if t_smaller >= *t => {}
                    _ => latest = Some((*size, *t)),
                }
            }
        }
        problems
    }

    /// The largest size `name` has been seen to cosign.
    pub fn largest(&self, name: &str) -> Option<u64> {
        lock(&self.seen).get(name).and_then(|m| m.keys().next_back().copied())
    }

    /// After `name` was killed: its durable record at `path` must cover every cosignature
    /// it has been seen to release.
    pub fn check_record(&self, name: &str, path: &Path) {
        let Some(largest) = self.largest(name) else { return };
        self.records_checked.fetch_add(1, Ordering::Relaxed);
        let recorded = std::fs::read(path)
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .and_then(|v| v.get("size").and_then(serde_json::Value::as_u64));
        if recorded.is_none_or(|r| r < largest) {
            let had = recorded.map_or_else(|| "no record".to_string(), |r| format!("a record of size {r}"));
            lock(&self.problems).insert(format!(
                "{name} was seen cosigning size {largest}, but when it was killed {} held {had}: it released a cosignature before recording it",
                path.display()
            ));
        }
    }

    /// The verdict.
    pub fn verdict(&self) -> Verdict {
        let seen = lock(&self.seen);
        let sizes: usize = seen.values().map(BTreeMap::len).sum();
        drop(seen);
        let mut problems: Vec<String> = lock(&self.problems).iter().cloned().collect();
        problems.extend(self.order_problems());
        let seen = lock(&self.seen);
        Verdict::from_problems(
            "cosigning",
            format!(
                "{} served notes, {sizes} cosigned sizes of {} validators, {} records read after a kill",
                self.notes.load(Ordering::Relaxed),
                seen.len(),
                self.records_checked.load(Ordering::Relaxed)
            ),
            &problems,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vouch_core::checkpoint::{Checkpoint, cosign_checkpoint};
    use vouch_core::encoding::Hash;
    use vouch_core::keys::SigningKey;

    fn note(size: u64, root: u8, t: u64) -> String {
        let key = SigningKey::from_seed(&[7; 32]);
        let checkpoint = Checkpoint::new("vouch.example/t", size, Hash([root; 32])).expect("checkpoint");
        let cos = cosign_checkpoint(&checkpoint, "vouch.example/t/bank-a", &key, t).expect("cosign");
        CosignedCheckpoint { checkpoint, cosignatures: vec![cos], other_signatures: Vec::new() }
            .to_note()
            .expect("note")
    }

    #[test]
    fn growing_sizes_pass() {
        let c = Cosignings::default();
        for (size, t) in [(1, 10), (5, 11), (5, 11), (9, 12)] {
            c.observe(&note(size, size as u8, t));
        }
        assert!(c.verdict().passed, "{}", c.verdict().detail);
        assert_eq!(c.largest("bank-a"), Some(9));
    }

    #[test]
    fn two_roots_at_one_size_fail() {
        let c = Cosignings::default();
        c.observe(&note(5, 1, 10));
        c.observe(&note(5, 2, 11));
        assert!(!c.verdict().passed);
    }

    #[test]
    fn a_smaller_tree_later_fails_in_either_order_of_observation() {
        let c = Cosignings::default();
        c.observe(&note(9, 9, 10));
        c.observe(&note(5, 5, 11));
        assert!(!c.verdict().passed);
        let c = Cosignings::default();
        c.observe(&note(5, 5, 11));
        c.observe(&note(9, 9, 10));
        assert!(!c.verdict().passed);
    }

    #[test]
    fn a_clock_set_off_excuses_its_timestamps_only() {
        let c = Cosignings::default();
        c.observe(&note(5, 5, 1_000));
        // Cosigned with its clock 300 s ahead, between 1 010 s and 1 020 s true time.
        c.observe(&note(9, 9, 1_315));
        c.observe(&note(12, 12, 1_030));
        assert!(!c.verdict().passed, "before the campaign says so, it is a smaller tree later");
        c.clock_set_off("bank-a", 300_000, 1_010_000, 1_020_000);
        assert!(c.verdict().passed, "{}", c.verdict().detail);
        // A true-clock smaller tree after a larger one still fails.
        c.observe(&note(3, 3, 1_040));
        assert!(!c.verdict().passed);
    }

    #[test]
    fn a_record_behind_a_released_cosignature_fails() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("key.pem.cosigned");
        let c = Cosignings::default();
        c.observe(&note(9, 9, 10));
        std::fs::write(&path, br#"{"size":9,"root":"00"}"#).expect("write");
        c.check_record("bank-a", &path);
        assert!(c.verdict().passed, "{}", c.verdict().detail);
        std::fs::write(&path, br#"{"size":8,"root":"00"}"#).expect("write");
        c.check_record("bank-a", &path);
        assert!(!c.verdict().passed);
        let c = Cosignings::default();
        c.observe(&note(9, 9, 10));
        c.check_record("bank-a", &dir.path().join("missing"));
        assert!(!c.verdict().passed, "no record at all is behind");
        c.check_record("audit-x", &path);
    }
}
