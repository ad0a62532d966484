//! `vouch monitor --once` against an in-test node: a growing log advances the state; a
//! rewritten history, a rollback, or two roots for one size is reported as a split view
//! with evidence; a checkpoint without quorum is refused; a dead node is a network error.

use crate::support::{Dir, FakeNode, checkpoint, dead_url, demo, other_history, vouch};
use serde_json::Value;
use vouch_core::testkit::{DemoNetwork, Ledger};

struct Setup {
    dir: Dir,
    genesis: String,
    state: String,
    node: FakeNode,
}

impl Setup {
    fn new() -> Setup {
        let dir = Dir::new();
        let genesis = dir.genesis();
        let state = dir.path("monitor.json").to_str().unwrap().to_string();
        Setup { dir, genesis, state, node: FakeNode::start() }
    }

    fn once(&self) -> crate::support::Run {
        vouch(&[
            "monitor",
            "--from",
            &self.node.url(),
            "--genesis",
            &self.genesis,
            "--state",
            &self.state,
            "--once",
            "--json",
        ])
    }

    fn state(&self) -> Value {
        serde_json::from_slice(&std::fs::read(&self.state).unwrap()).unwrap()
    }

    fn evidence_files(&self) -> Vec<std::path::PathBuf> {
        std::fs::read_dir(self.dir.0.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().contains(".split-view-"))
            .collect()
    }

    /// Serve the demo ledger at `size`, with the proof from `from`.
    fn serve_demo(&self, size: u64, from: Option<u64>) {
        let l = &demo().0;
        self.node.serve_checkpoint(&checkpoint(l, size));
        if let Some(from) = from {
            self.node.serve_proof(l, from, size);
        }
    }

    /// Assert a split view: exit 1, evidence holding both notes, state unchanged.
    fn expect_split_view(&self, stored_size: u64, served: &str, with_proof: bool) -> Value {
        let before = std::fs::read(&self.state).unwrap();
        let run = self.once().expect(1);
        assert!(run.stderr.contains("SPLIT VIEW"), "{}", run.stderr);
        let json = run.json();
        assert_eq!(json["details"]["split_view"], true);
        let evidence_path = json["details"]["evidence"].as_str().expect("evidence written").to_string();
        assert!(run.stderr.contains(&evidence_path), "the message names the evidence file: {}", run.stderr);
        let evidence: Value = serde_json::from_slice(&std::fs::read(&evidence_path).unwrap()).unwrap();
        assert_eq!(evidence["kind"], "vouch-split-view");
        assert_eq!(evidence["stored_checkpoint"], self.state()["checkpoint"]);
        assert_eq!(evidence["served_checkpoint"], served);
        assert_eq!(evidence["consistency_proof"].is_object(), with_proof, "{evidence}");
        assert_eq!(std::fs::read(&self.state).unwrap(), before, "the state keeps the verified checkpoint");
        assert_eq!(self.state()["size"], stored_size);
        json
    }
}

#[test]
fn a_growing_log_advances_the_state() {
    let s = Setup::new();
    let total = demo().0.committed.len() as u64;
    // No checkpoint yet.
    let json = s.once().expect(0).json();
    assert_eq!(json["outcome"], "no-checkpoint");
    assert!(!std::path::Path::new(&s.state).exists());
    // First: verified and stored.
    s.serve_demo(3, None);
    let json = s.once().expect(0).json();
    assert_eq!(json["outcome"], "first");
    assert_eq!(s.state()["size"], 3);
    // Grows: proven consistent and stored.
    s.serve_demo(9, Some(3));
    let json = s.once().expect(0).json();
    assert_eq!(json["outcome"], "advanced");
    assert_eq!(json["previous_size"], 3);
    assert_eq!(s.state()["size"], 9);
    s.serve_demo(total, Some(9));
    s.once().expect(0);
    assert_eq!(s.state()["size"], total);
    // Unchanged.
    let run =
        vouch(&["monitor", "--from", &s.node.url(), "--genesis", &s.genesis, "--state", &s.state, "--once"])
            .expect(0);
    assert!(run.stdout.starts_with("unchanged"), "{}", run.stdout);
    assert!(s.evidence_files().is_empty());
    // The state file is pretty JSON holding the note.
    let state = s.state();
    assert_eq!(state["checkpoint"], checkpoint(&demo().0, total));
    assert_eq!(state["genesis_hash"], demo().0.net.genesis.hash().to_hex());
}

#[test]
fn an_empty_first_checkpoint_is_extended_without_a_proof() {
    let s = Setup::new();
    s.serve_demo(0, None);
    assert_eq!(s.once().expect(0).json()["outcome"], "first");
    assert_eq!(s.state()["size"], 0);
    s.serve_demo(5, None);
    let json = s.once().expect(0).json();
    assert_eq!(json["outcome"], "advanced");
    assert_eq!(s.state()["size"], 5);
    assert!(!s.node.hits().iter().any(|h| h.contains("/v1/proofs/")), "{:?}", s.node.hits());
}

#[test]
fn a_rewritten_history_is_a_split_view() {
    let s = Setup::new();
    s.serve_demo(6, None);
    s.once().expect(0);
    // Another history of the same network, larger, with its own (valid for it) proof.
    let other = other_history();
    let served = checkpoint(other, 30);
    s.node.serve_checkpoint(&served);
    s.node.serve_proof(other, 6, 30);
    let json = s.expect_split_view(6, &served, true);
    assert!(json["error"].as_str().unwrap().contains("consistency proof from size 6 to 30 fails"), "{json}");
    assert_eq!(json["details"]["split_kind"], "proof-fails");
    assert_eq!(s.evidence_files().len(), 1);
    // Still a split view the next time; a second evidence file, the first kept.
    s.expect_split_view(6, &served, true);
    assert_eq!(s.evidence_files().len(), 2);
}

#[test]
fn a_rollback_or_a_second_root_is_a_split_view() {
    let s = Setup::new();
    s.serve_demo(9, None);
    s.once().expect(0);
    // Smaller than what was verified before.
    let smaller = checkpoint(&demo().0, 5);
    s.node.serve_checkpoint(&smaller);
    let json = s.expect_split_view(9, &smaller, false);
    assert!(json["error"].as_str().unwrap().contains("rollback"), "{json}");
    assert_eq!(json["details"]["split_kind"], "rollback");
    // Same size, another root.
    let fork = checkpoint(other_history(), 9);
    s.node.serve_checkpoint(&fork);
    let json = s.expect_split_view(9, &fork, false);
    assert!(json["error"].as_str().unwrap().contains("different roots"), "{json}");
    assert_eq!(json["details"]["split_kind"], "two-roots");
}

#[test]
fn a_checkpoint_without_quorum_is_refused_and_not_stored() {
    let s = Setup::new();
    let mut impostor = Ledger::new(DemoNetwork::new(99).unwrap());
    impostor.enroll("bank-a", "x", "X", "Y").unwrap();
    impostor.commit().unwrap();
    s.node.serve_checkpoint(&checkpoint(&impostor, 1));
    let run = s.once().expect(1);
    assert!(run.stderr.contains("R-CKPT-8"), "{}", run.stderr);
    assert!(!std::path::Path::new(&s.state).exists(), "nothing stored");
    assert!(s.evidence_files().is_empty(), "not a split view");
}

#[test]
fn network_and_state_problems() {
    let s = Setup::new();
    // Nobody listening: a network error, nothing stored.
    let run =
        vouch(&["monitor", "--from", &dead_url(), "--genesis", &s.genesis, "--state", &s.state, "--once"])
            .expect(3);
    assert!(run.stderr.contains("/v1/checkpoint failed"), "{}", run.stderr);
    // A growth whose proof the node does not serve: a network error, the state kept.
    s.serve_demo(4, None);
    s.once().expect(0);
    s.serve_demo(8, None);
    let run = s.once().expect(3);
    assert!(run.stderr.contains("HTTP 404"), "{}", run.stderr);
    assert_eq!(s.state()["size"], 4);
    // A state file that is not one.
    std::fs::write(&s.state, "{\"hello\": 1}").unwrap();
    let run = s.once().expect(2);
    assert!(run.stderr.contains("not a vouch monitor state file"), "{}", run.stderr);
    // A state file whose note was edited.
    s.serve_demo(4, None);
    std::fs::remove_file(&s.state).unwrap();
    s.once().expect(0);
    let mut state = s.state();
    let note = state["checkpoint"].as_str().unwrap().replace("\n4\n", "\n5\n");
    state["checkpoint"] = note.into();
    std::fs::write(&s.state, serde_json::to_vec(&state).unwrap()).unwrap();
    let run = s.once().expect(2);
    assert!(run.stderr.contains("does not verify against the pinned genesis"), "{}", run.stderr);
}
