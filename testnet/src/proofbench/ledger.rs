//! Write a large, valid one-validator ledger straight into a `vouchd` store, and time
//! proof computation over it.
//!
//! Every block goes the way a decided block goes in `vouch_node::app`: the validator
//! builds the header with `ChainVerifier::propose`, signs its precommit (the commit
//! certificate), the verifier checks and applies it (`push_envelopes_consuming`), and the
//! store commits it with `Store::commit_parts` (which checks the tree size and root
//! against the header); then the validator's `Cosigner` cosigns the new checkpoint and it
//! is stored. So the file is one `vouchd` accepts at start, where it replays every block.
//!
//! The documents are enrollments by the bank's admin key, each of a new person with its
//! own key: the cheapest document the state machine accepts a million of (one signature,
//! no sealing, nothing that must exist first), and as large on the wire (~450 bytes) as a
//! small request. Requests would need sealed contents, letter numbers unique per firm and
//! enrolled auditors; the proof endpoints do not care what a leaf holds.

use crate::layout::write_private;
use std::ops::Range;
use std::path::Path;
use std::time::{Duration, Instant};
use vouch_core::block::{Certificate, CommitSignature, sign_precommit};
use vouch_core::documents::{Document, Enroll};
use vouch_core::encoding::Hash;
use vouch_core::envelope::{Draft, Envelope, Signer};
use vouch_core::genesis::Role;
use vouch_core::ids::{OrgId, PersonId};
use vouch_core::keys::SigningKey;
use vouch_core::merkle::{self, MerkleError, NodeReader};
use vouch_core::testkit::{DemoNetwork, MemberSpec, derive};
use vouch_core::verify::ChainVerifier;
use vouch_node::cosign::Cosigner;
use vouch_node::store::{IndexEntry, Store};

/// The members of a proof-bench network: a bank running the only validator, and the
/// regulator genesis requires (its node is never started).
pub const MEMBERS: [MemberSpec<'static>; 2] = [
    MemberSpec { id: "bank-a", name: "Bench Bank A (压测银行甲)", role: Role::Bank, validator: true },
    MemberSpec {
        id: "regulator",
        name: "Bench Regulator (压测监管机构)",
        role: Role::Regulator,
        validator: false,
    },
];

/// Network id of a proof-bench ledger.
pub const NETWORK: &str = "vouch.example/proofbench";

/// Why the ledger could not be written or measured.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The store refused or failed.
    #[error("store: {0}")]
    Store(#[from] vouch_node::store::StoreError),
    /// The cosigner refused or failed.
    #[error("{0}")]
    Cosign(#[from] vouch_node::cosign::CosignError),
    /// A document or block was refused: a bug in this generator.
    #[error("generated ledger refused at height {height}: {reason}")]
    Refused {
        /// Height being built.
        height: u64,
        /// What was refused.
        reason: String,
    },
    /// A proof read back does not verify against the stored root.
    #[error("the inclusion proof of leaf {leaf_index} in tree {tree_size} does not verify: {reason}")]
    BadProof {
        /// Leaf.
        leaf_index: u64,
        /// Tree size.
        tree_size: u64,
        /// Why.
        reason: String,
    },
    /// The demo network or an id could not be built (a bug).
    #[error("{0}")]
    Setup(String),
}

/// How to write the ledger.
#[derive(Debug, Clone)]
pub struct LedgerSpec {
    /// Seed of every key.
    pub seed: u64,
    /// Genesis time, Unix milliseconds (in the past: block times follow it by 1 ms).
    pub genesis_ms: u64,
    /// Documents to commit.
    pub entries: u64,
    /// Documents per block (at most `BLOCK_DOCUMENTS_MAX`).
    pub block_documents: u64,
    /// Threads that sign documents.
    pub threads: usize,
}

/// What was written.
#[derive(Debug, Clone)]
pub struct Written {
    /// Blocks.
    pub height: u64,
    /// Leaves.
    pub tree_size: u64,
    /// Time taken.
    pub elapsed: Duration,
}

/// The demo network of a spec.
pub fn network(seed: u64, genesis_ms: u64) -> Result<DemoNetwork, LedgerError> {
    DemoNetwork::with_members(seed, NETWORK, genesis_ms, &MEMBERS)
        .map_err(|e| LedgerError::Setup(e.to_string()))
}

/// Commit `spec.entries` enrollments in blocks to `store` (which must be empty), cosigning
/// a checkpoint after each block with the validator's cosigner record at `cosigned`.
pub fn write(
    store: &Store,
    net: &DemoNetwork,
    spec: &LedgerSpec,
    cosigned: &Path,
    progress: &mut dyn std::io::Write,
) -> Result<Written, LedgerError> {
    let started = Instant::now();
    let genesis = &net.genesis;
    let org = member()?;
    let secrets = net.orgs.get(&org).ok_or_else(|| LedgerError::Setup(format!("no member {org}")))?;
    let validator =
        secrets.validator.clone().ok_or_else(|| LedgerError::Setup(format!("{org} runs no validator")))?;
    let cosigner = Cosigner::open(
        validator.clone(),
        genesis.cosigner_name(&org),
        genesis.network.to_string(),
        cosigned,
    )?;
    let author = Signer { org: org.clone(), key: secrets.admin.public() };
    let mut chain = ChainVerifier::new(genesis);
    let mut next = 0u64;
    let mut last_report = Instant::now();
    while next < spec.entries {
        let end = next.saturating_add(spec.block_documents.max(1)).min(spec.entries);
        let height = chain.height() + 1;
        let time_ms = chain.next_min_time_ms();
        let envelopes = sign_range(net, &author, &secrets.admin, spec, next..end, time_ms)?;
        let refused = |reason: String| LedgerError::Refused { height, reason };
        let header = chain
            .propose(&envelopes, time_ms, validator.public())
            .map_err(|(i, r)| refused(format!("document {i}: {r}")))?;
        let signature = sign_precommit(&validator, &header.network, header.height, 0, &header.hash());
        let certificate = Certificate {
            round: 0,
            signatures: vec![CommitSignature { validator: validator.public(), sig: signature }],
        };
        let leaves: Vec<Vec<u8>> = envelopes.iter().map(|e| e.bytes.clone()).collect();
        let first = chain.tree().size();
        let (after, summary) = chain
            .push_envelopes_consuming(&header, &certificate, envelopes)
            .map_err(|e| refused(e.to_string()))?;
        chain = after;
        // The same index entries a node writes for a decided block.
        let index: Vec<IndexEntry> = summary
            .applied
            .iter()
            .enumerate()
            .map(|(i, a)| IndexEntry {
                leaf_index: first + i as u64,
                document: a.id,
                request: a.request,
                parties: vec![org.to_string()],
                status: a.status.map(|s| format!("{s:?}")),
            })
            .collect();
        store.commit_parts(&header, &certificate, &leaves, &index)?;
        let note = cosigner.cosign(store, header.tree_size, header.root, time_ms / 1000)?;
        store.put_checkpoint(header.tree_size, &note)?;
        next = end;
        if last_report.elapsed() >= Duration::from_secs(10) {
            last_report = Instant::now();
            let rate = next as f64 / started.elapsed().as_secs_f64().max(1e-9);
            let _ = writeln!(progress, "  {next} of {} entries ({rate:.0}/s)", spec.entries);
        }
    }
    Ok(Written { height: chain.height(), tree_size: chain.tree().size(), elapsed: started.elapsed() })
}

/// Enrollments `range` (person `p<i>`, key derived from the seed), signed by the admin on
/// `threads` threads, in order.
fn sign_range(
    net: &DemoNetwork,
    author: &Signer,
    admin: &SigningKey,
    spec: &LedgerSpec,
    range: Range<u64>,
    created_ms: u64,
) -> Result<Vec<Envelope>, LedgerError> {
    let sign = |i: u64| -> Result<Envelope, LedgerError> {
        let person = PersonId::new(&format!("p{i}")).map_err(|e| LedgerError::Setup(e.to_string()))?;
        let key = SigningKey::from_seed(&derive(net.seed, &format!("proofbench/person/{i}")));
        let draft = Draft {
            network: net.genesis.network.clone(),
            created_ms,
            author: author.clone(),
            checker: None,
            document: Document::Enroll(Enroll {
                person,
                name: "压测人员".into(),
                title: "Proof bench".into(),
                key: key.public(),
            }),
        };
        draft.sign(admin, None).map_err(|e| LedgerError::Setup(e.to_string()))
    };
    let threads = spec.threads.max(1) as u64;
    let len = range.end - range.start;
    let chunk = len.div_ceil(threads).max(1);
    let parts: Vec<Result<Vec<Envelope>, LedgerError>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let from = range.start + (t * chunk).min(len);
                let to = range.start + ((t + 1) * chunk).min(len);
                let sign = &sign;
                s.spawn(move || (from..to).map(sign).collect::<Result<Vec<_>, _>>())
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err(LedgerError::Setup("a signing thread panicked".into()))))
            .collect()
    });
    let mut out = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    for part in parts {
        out.extend(part?);
    }
    Ok(out)
}

/// Timings of proof computation straight on the store, for one tree size.
#[derive(Debug, Clone)]
pub struct ProofTiming {
    /// What was proved: `inclusion` or `consistency`.
    pub kind: &'static str,
    /// The tree size.
    pub tree_size: u64,
    /// Proofs computed.
    pub samples: usize,
    /// Median time of `Store::inclusion_proof` / `consistency_proof` (one read snapshot).
    pub p50: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// Mean hashes per proof.
    pub hashes_mean: f64,
    /// Most hashes in one proof.
    pub hashes_max: usize,
    /// Mean stored nodes read per proof.
    pub reads_mean: f64,
    /// Most stored nodes read for one proof.
    pub reads_max: u64,
}

/// A `NodeReader` over the store that counts the nodes it reads (one read transaction
/// each: for counting only, never timed).
struct Counting<'a> {
    store: &'a Store,
    reads: std::cell::Cell<u64>,
}

impl NodeReader for Counting<'_> {
    fn node(&self, level: u8, index: u64) -> Result<Hash, MerkleError> {
        self.reads.set(self.reads.get() + 1);
        match self.store.merkle_node(level, index) {
            Ok(Some(hash)) => Ok(hash),
            _ => Err(MerkleError::MissingNode { level, index }),
        }
    }
}

/// Compute `samples` inclusion proofs of random leaves and as many consistency proofs
/// from random smaller sizes, in the tree of `tree_size` leaves; time each through the
/// store's API and count the nodes each reads. Every inclusion proof is verified against
/// the stored root.
pub fn time_proofs(
    store: &Store,
    tree_size: u64,
    samples: usize,
    rng: &mut impl rand::Rng,
) -> Result<[ProofTiming; 2], LedgerError> {
    let root = store.root(tree_size)?;
    let counting = Counting { store, reads: std::cell::Cell::new(0) };
    let mut inclusion = Stats::default();
    let mut consistency = Stats::default();
    for _ in 0..samples {
        let leaf_index = rng.gen_range(0..tree_size);
        let started = Instant::now();
        let proof = store.inclusion_proof(leaf_index, tree_size)?;
        inclusion.times.push(started.elapsed());
        let bad = |reason: String| LedgerError::BadProof { leaf_index, tree_size, reason };
        let leaf = store.merkle_node(0, leaf_index)?.ok_or_else(|| bad("the leaf is not stored".into()))?;
        merkle::verify_inclusion(&leaf, leaf_index, tree_size, &proof, &root)
            .map_err(|e| bad(e.to_string()))?;
        counting.reads.set(0);
        let counted =
            merkle::inclusion_proof(&counting, leaf_index, tree_size).map_err(|e| bad(e.to_string()))?;
        if counted != proof {
            return Err(bad("the counted proof differs from the store's".into()));
        }
        inclusion.add(proof.len(), counting.reads.get());

        let from = rng.gen_range(1..=tree_size);
        let started = Instant::now();
        let proof = store.consistency_proof(from, tree_size)?;
        consistency.times.push(started.elapsed());
        counting.reads.set(0);
        let _ = merkle::consistency_proof(&counting, from, tree_size);
        consistency.add(proof.len(), counting.reads.get());
    }
    Ok([inclusion.finish("inclusion", tree_size), consistency.finish("consistency", tree_size)])
}

#[derive(Default)]
struct Stats {
    times: Vec<Duration>,
    hashes: Vec<usize>,
    reads: Vec<u64>,
}

impl Stats {
    fn add(&mut self, hashes: usize, reads: u64) {
        self.hashes.push(hashes);
        self.reads.push(reads);
    }

    fn finish(mut self, kind: &'static str, tree_size: u64) -> ProofTiming {
        self.times.sort();
        let n = self.times.len().max(1) as f64;
        ProofTiming {
            kind,
            tree_size,
            samples: self.times.len(),
            p50: crate::wave::percentile(&self.times, 50.0),
            p99: crate::wave::percentile(&self.times, 99.0),
            hashes_mean: self.hashes.iter().sum::<usize>() as f64 / n,
            hashes_max: self.hashes.iter().copied().max().unwrap_or(0),
            reads_mean: self.reads.iter().sum::<u64>() as f64 / n,
            reads_max: self.reads.iter().copied().max().unwrap_or(0),
        }
    }
}

/// Write `count` leaf hashes of leaves spread at random over the whole log, one hex hash a
/// line, for the load generator's inclusion queries.
pub fn write_leaf_sample(
    store: &Store,
    tree_size: u64,
    count: usize,
    path: &Path,
    rng: &mut impl rand::Rng,
) -> Result<usize, LedgerError> {
    let mut text = String::with_capacity(count * 65);
    let mut written = 0;
    for _ in 0..count {
        let index = rng.gen_range(0..tree_size.max(1));
        if let Some(hash) = store.merkle_node(0, index)? {
            text.push_str(&hash.to_hex());
            text.push('\n');
            written += 1;
        }
    }
    write_private(path, text.as_bytes()).map_err(|e| LedgerError::Setup(e.to_string()))?;
    Ok(written)
}

/// The tree sizes a checkpoint is stored for: the tree size after every block.
pub fn checkpoint_sizes(store: &Store) -> Result<Vec<u64>, LedgerError> {
    let tip = store.tip()?;
    let mut sizes = Vec::new();
    for h in 1..=tip {
        if let Some(header) = store.header(h)?
            && store.checkpoint(header.tree_size)?.is_some()
        {
            sizes.push(header.tree_size);
        }
    }
    sizes.dedup();
    Ok(sizes)
}

/// The org id of the member that runs the validator and writes every document.
pub fn member() -> Result<OrgId, LedgerError> {
    OrgId::new("bank-a").map_err(|e| LedgerError::Setup(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng as _;
    use vouch_core::block::Block;
    use vouch_core::checkpoint::Checkpoint;

    #[test]
    fn the_written_ledger_verifies_from_genesis_and_its_proofs_verify() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let net = network(3, vouch_core::testkit::DEMO_GENESIS_MS).expect("network");
        let path = tmp.path().join("ledger.redb");
        let store = Store::open(&path, &net.genesis.hash()).expect("store");
        let spec = LedgerSpec {
            seed: 3,
            genesis_ms: net.genesis.genesis_ms,
            entries: 100,
            block_documents: 32,
            threads: 2,
        };
        let written = write(&store, &net, &spec, &tmp.path().join("key.cosigned"), &mut std::io::sink())
            .expect("write");
        assert_eq!((written.height, written.tree_size), (4, 100), "blocks of 32, 32, 32 and 4");
        drop(store);

        // Reopened (invariants checked), every block verifies from genesis as a node replays it.
        let store = Store::open(&path, &net.genesis.hash()).expect("reopen");
        let blocks: Vec<Block> = (1..=store.tip().expect("tip"))
            .map(|h| Block::from_json(&store.block_json(h).expect("read").expect("stored")).expect("block"))
            .collect();
        let summary = vouch_core::verify::verify_chain(&net.genesis, &blocks).expect("chain verifies");
        assert_eq!(summary.tree_size, 100);
        assert_eq!(checkpoint_sizes(&store).expect("sizes"), vec![32, 64, 96, 100]);
        let (size, note) = store.latest_checkpoint().expect("read").expect("a checkpoint");
        let opened = vouch_core::note::open_note(note.as_bytes()).expect("note");
        let body = Checkpoint::parse_body(&opened.text).expect("body");
        assert_eq!((size, body.root), (100, store.root(100).expect("root")));

        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let [inclusion, consistency] = time_proofs(&store, 100, 50, &mut rng).expect("proofs verify");
        assert_eq!(inclusion.samples, 50);
        assert!(inclusion.hashes_max <= 7 && inclusion.reads_max >= inclusion.hashes_max as u64);
        assert!(consistency.hashes_max <= 8);
        let sample = tmp.path().join("leaves.txt");
        assert_eq!(write_leaf_sample(&store, 100, 10, &sample, &mut rng).expect("sample"), 10);
        let text = std::fs::read_to_string(&sample).expect("read");
        for line in text.lines() {
            let hash = Hash::from_hex(line).expect("hex");
            assert!(store.leaf_by_hash(&hash).expect("read").is_some(), "{line} is a leaf of the log");
        }
    }
}
