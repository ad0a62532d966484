//! Answer the API crate's [`Ledger`] trait from this node: reads from the store, the
//! API's [`View`] kept up to date from the store, submission through the mempool (with
//! forwarding to peers and the wait for the commit), and the self-audit.
//!
//! The view is the API's own index of the committed ledger. It is rebuilt from the store
//! (not shared with the consensus task, which keeps its own state), so the node's
//! throughput path is untouched: the view is brought up to the store's tip when an API
//! request needs it, and once in the background at start.

use axum::body::Bytes;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use vouch_api::service::{AuditReport, Ledger, LedgerError, SubmitError, SubmitOptions, Submitted};
use vouch_api::view::View;
use vouch_core::block::Header;
use vouch_core::checkpoint::Checkpoint;
use vouch_core::encoding::Hash;
use vouch_core::envelope::Envelope;
use vouch_core::genesis::Genesis;
use vouch_core::merkle::leaf_hash;

use crate::mempool::{MempoolError, Offer};
use crate::shared::{Outcome, Shared, now_ms, rule_of};
use crate::store::StoreError;

/// This node, as the API sees it.
pub struct NodeLedger {
    shared: Arc<Shared>,
    commit_wait: Duration,
    view: Mutex<Arc<View>>,
}

impl NodeLedger {
    /// The node's ledger; `commit_wait` bounds how long a submission waits for its commit.
    pub fn new(shared: Arc<Shared>, commit_wait: Duration) -> NodeLedger {
        let view = Mutex::new(Arc::new(View::new(&shared.genesis)));
        NodeLedger { shared, commit_wait, view }
    }

    /// Apply to `view` every block the store holds above it.
    fn catch_up(&self, view: &mut View, tip: u64) -> Result<(), LedgerError> {
        let store = &self.shared.store;
        let network = &self.shared.genesis.network;
        while view.height() < tip {
            let height = view.height() + 1;
            let header = store
                .header(height)
                .map_err(stored)?
                .ok_or_else(|| LedgerError::Store(format!("header {height} is missing below tip {tip}")))?;
            let first = header.tree_size.checked_sub(header.documents).filter(|f| *f == view.tree_size());
            let Some(first) = first else {
                return Err(LedgerError::Store(format!(
                    "header {height} ends at tree size {} after {} documents, the view holds {} leaves",
                    header.tree_size,
                    header.documents,
                    view.tree_size()
                )));
            };
            let mut envelopes = Vec::new();
            for leaf_index in first..header.tree_size {
                let leaf = store
                    .leaf(leaf_index)
                    .map_err(stored)?
                    .ok_or_else(|| LedgerError::Store(format!("leaf {leaf_index} is missing")))?;
                let env = Envelope::decode(&leaf, network).map_err(|e| {
                    LedgerError::Store(format!("stored leaf {leaf_index} does not decode: {e}"))
                })?;
                envelopes.push(env);
            }
            view.apply_block(&header, &envelopes).map_err(|e| LedgerError::Store(e.to_string()))?;
        }
        Ok(())
    }
}

fn stored(e: StoreError) -> LedgerError {
    LedgerError::Store(e.to_string())
}

#[async_trait::async_trait]
impl Ledger for NodeLedger {
    fn genesis(&self) -> &Genesis {
        &self.shared.genesis
    }

    fn now_ms(&self) -> u64 {
        now_ms()
    }

    fn tip(&self) -> Result<u64, LedgerError> {
        self.shared.store.tip().map_err(stored)
    }

    fn tree_size(&self) -> Result<u64, LedgerError> {
        self.shared.store.tree_size().map_err(stored)
    }

    fn header(&self, height: u64) -> Result<Option<Header>, LedgerError> {
        self.shared.store.header(height).map_err(stored)
    }

    fn block_json(&self, height: u64) -> Result<Option<Vec<u8>>, LedgerError> {
        self.shared.store.block_json(height).map_err(stored)
    }

    fn leaf(&self, leaf_index: u64) -> Result<Option<Vec<u8>>, LedgerError> {
        self.shared.store.leaf(leaf_index).map_err(stored)
    }

    fn leaf_by_hash(&self, leaf_hash: &Hash) -> Result<Option<(u64, u64)>, LedgerError> {
        self.shared.store.leaf_by_hash(leaf_hash).map_err(stored)
    }

    fn merkle_node(&self, level: u8, index: u64) -> Result<Option<Hash>, LedgerError> {
        self.shared.store.merkle_node(level, index).map_err(stored)
    }

    fn checkpoint(&self, tree_size: u64) -> Result<Option<String>, LedgerError> {
        self.shared.store.checkpoint(tree_size).map_err(stored)
    }

    fn latest_checkpoint(&self) -> Result<Option<(u64, String)>, LedgerError> {
        self.shared.store.latest_checkpoint().map_err(stored)
    }

    /// One read snapshot for the whole proof.
    fn inclusion_proof(&self, leaf_index: u64, tree_size: u64) -> Result<Vec<Hash>, LedgerError> {
        self.shared.store.inclusion_proof(leaf_index, tree_size).map_err(stored)
    }

    /// One read snapshot for the whole proof.
    fn consistency_proof(&self, from: u64, to: u64) -> Result<Vec<Hash>, LedgerError> {
        self.shared.store.consistency_proof(from, to).map_err(stored)
    }

    fn view(&self) -> Result<Arc<View>, LedgerError> {
        let tip = self.shared.store.tip().map_err(stored)?;
        // One updater at a time; readers of an older snapshot keep theirs (make_mut then
        // copies the view once).
        let mut guard = self.view.lock().unwrap_or_else(|p| p.into_inner());
        if guard.height() < tip {
            let result = self.catch_up(Arc::make_mut(&mut guard), tip);
            if let Err(e) = result {
                // A view that failed half-way is not kept: the next request starts over.
                *guard = Arc::new(View::new(&self.shared.genesis));
                return Err(e);
            }
        }
        Ok(guard.clone())
    }

    fn health(&self) -> Result<Option<vouch_api::Health>, LedgerError> {
        let s = self.shared.snapshot();
        let cosigned =
            self.shared.collector.latest().into_iter().map(|(n, (size, t))| (n, size, t)).collect();
        Ok(Some(vouch_api::Health {
            peers: u64::try_from(s.peers.len()).unwrap_or(u64::MAX),
            sync: s.sync.to_string(),
            network_height: s.network_height,
            cosigned,
        }))
    }

    fn evidence(&self) -> Result<Vec<vouch_api::Alert>, LedgerError> {
        let records = self.shared.store.evidence().map_err(|e| LedgerError::Store(e.to_string()))?;
        Ok(records
            .into_iter()
            .map(|e| {
                let body: serde_json::Value = serde_json::from_str(&e.json).unwrap_or_default();
                let culprit = ["validator", "cosigner"]
                    .iter()
                    .find_map(|k| body.get(*k).and_then(|v| v.as_str()).map(str::to_string));
                vouch_api::Alert { seq: e.seq, height: e.height, kind: e.kind, culprit, json: e.json }
            })
            .collect())
    }

    fn self_audit(&self) -> Result<AuditReport, LedgerError> {
        let store = &self.shared.store;
        let mut report = AuditReport { height: 0, tree_size: 0, root: None, checks: Vec::new(), fault: None };
        report.checks.push("store invariants: heights, links, tree sizes, leaf and node counts, root".into());
        if let Err(e) = store.check() {
            report.fault = Some(e.to_string());
            return Ok(report);
        }
        report.checks.push("every Merkle node rehashed from its leaf or children".into());
        if let Err(e) = store.verify_tree() {
            report.fault = Some(e.to_string());
            return Ok(report);
        }
        report.checks.push(
            "every block re-verified from genesis: links, certificates, signatures, state transitions, roots"
                .into(),
        );
        let chain = match crate::node::replay(&self.shared.genesis, store) {
            Ok(chain) => chain,
            Err(e) => {
                report.fault = Some(format!("{e:#}"));
                return Ok(report);
            }
        };
        let summary = chain.summary();
        report.height = summary.height;
        report.tree_size = summary.tree_size;
        report.root = Some(summary.root);
        report.checks.push("the latest stored checkpoint's root is the log's root at its size".into());
        if let Some((size, note)) = store.latest_checkpoint().map_err(stored)? {
            let fault = match vouch_core::note::open_note(note.as_bytes()) {
                Err(e) => Some(format!("the checkpoint stored at size {size} does not parse: {e}")),
                Ok(parsed) => match Checkpoint::parse_body(&parsed.text) {
                    Err(e) => Some(format!("the checkpoint stored at size {size} does not parse: {e}")),
                    Ok(body) => match store.root(size) {
                        Ok(root) if root == body.root && body.size == size => None,
                        Ok(root) => Some(format!(
                            "the checkpoint stored at size {size} says root {} (size {}), the log's root there is {root}",
                            body.root, body.size
                        )),
                        Err(e) => Some(e.to_string()),
                    },
                },
            };
            report.fault = fault;
        }
        Ok(report)
    }

    async fn submit(&self, body: Bytes, options: SubmitOptions) -> Result<Submitted, SubmitError> {
        let shared = &self.shared;
        let (leaf_hash, waiter) = match admit(shared, &body, options.wait)? {
            Admitted::Committed(done) => return Ok(done),
            Admitted::Pooled { added, leaf_hash, waiter } => {
                if added && !options.forwarded {
                    // Pass it to every other node, so it reaches whichever validator
                    // proposes next. Best effort: a node that misses it gets it in a block.
                    shared.forwarder.send(&body);
                }
                (leaf_hash, waiter)
            }
        };
        let Some(waiter) = waiter else {
            return Ok(Submitted::Pending { leaf_hash, dropped: None });
        };
        let outcome = tokio::time::timeout(self.commit_wait, waiter).await.ok().and_then(Result::ok);
        Ok(answer_after_pooling(outcome, leaf_hash))
    }
}

/// What [`admit`] did with a document.
pub enum Admitted {
    /// Already on the ledger: the same answer as the first time (replays add nothing).
    Committed(Submitted),
    /// In the mempool.
    Pooled {
        /// Whether it was new to the pool (not a duplicate).
        added: bool,
        /// Its leaf hash.
        leaf_hash: Hash,
        /// Its outcome, when asked to wait (registered before the offer, so a commit
        /// right after it is not missed).
        waiter: Option<tokio::sync::oneshot::Receiver<Outcome>>,
    },
}

/// Decode `body`, answer from the ledger if it is already there, else offer it to the
/// mempool. A refusal names the rule. Shared by submissions and forwarded batches.
pub fn admit(shared: &Shared, body: &[u8], wait: bool) -> Result<Admitted, SubmitError> {
    let env = Envelope::decode(body, &shared.genesis.network).map_err(|e| {
        let detail = e.to_string();
        SubmitError::Invalid { rule: rule_of(&detail), detail }
    })?;
    let lh = leaf_hash(&env.bytes);
    let committed = |(leaf_index, height)| {
        Admitted::Committed(Submitted::Committed { leaf_index, height, leaf_hash: lh })
    };
    match shared.store.leaf_by_hash(&lh) {
        Ok(Some(at)) => return Ok(committed(at)),
        Ok(None) => {}
        Err(e) => return Err(SubmitError::Store(e.to_string())),
    }
    let id = env.id;
    let waiter = wait.then(|| shared.wait_for(id));
    let added = match shared.mempool.offer(env, now_ms()) {
        Ok(Offer::Added) => {
            shared.arrived(id);
            shared.metrics.mempool.set(i64::try_from(shared.mempool.len()).unwrap_or(i64::MAX));
            true
        }
        Ok(Offer::Duplicate) => false,
        Err(e @ MempoolError::Full { .. }) => return Err(SubmitError::MempoolFull(e.to_string())),
        Err(MempoolError::Refused(r)) => {
            // Committed between the lookup above and the offer: answer as committed.
            if let Ok(Some(at)) = shared.store.leaf_by_hash(&lh) {
                return Ok(committed(at));
            }
            let detail = r.to_string();
            return Err(SubmitError::Refused { rule: rule_of(&detail), detail });
        }
    };
    Ok(Admitted::Pooled { added, leaf_hash: lh, waiter })
}

/// What became of a forwarded batch, counted (the sending node does not wait on it).
#[derive(Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct BatchTally {
    /// Newly pooled.
    pub pooled: u64,
    /// Already pooled or committed.
    pub known: u64,
    /// Refused (invalid, or no longer applying here).
    pub refused: u64,
    /// Not pooled for lack of room.
    pub full: u64,
}

/// Admit every document of a forwarded batch (one per line); never forwards them again.
pub fn admit_batch(shared: &Shared, body: &[u8]) -> BatchTally {
    let mut tally = BatchTally::default();
    for doc in crate::forward::split(body) {
        match admit(shared, doc, false) {
            Ok(Admitted::Pooled { added: true, .. }) => tally.pooled += 1,
            Ok(_) => tally.known += 1,
            Err(SubmitError::MempoolFull(_)) => tally.full += 1,
            Err(e) => {
                tracing::debug!(error = %e, "a forwarded document was refused");
                tally.refused += 1;
            }
        }
    }
    tally
}

/// The answer to a submission that was pooled, from what became of it (`None`: nothing
/// within the wait). Never a refusal: pooled documents are passed to every other node
/// (by this node, or by the one that passed it here), so this node's drop is not the
/// network's, and with another block time another validator may still commit it. Found
/// by the campaign's `clock` fault: a node whose clock jumped back dropped a pooled
/// document as "not an active key at block time" and answered 422, and the other nodes
/// committed it.
fn answer_after_pooling(outcome: Option<Outcome>, leaf_hash: Hash) -> Submitted {
    match outcome {
        Some(Outcome::Committed { leaf_index, height }) => {
            Submitted::Committed { leaf_index, height, leaf_hash }
        }
        Some(Outcome::Dropped { reason }) => Submitted::Pending { leaf_hash, dropped: Some(reason) },
        None => Submitted::Pending { leaf_hash, dropped: None },
    }
}

#[cfg(test)]
mod tests {
    //! The API over a real store holding the demo ledger: what the in-memory tests of
    //! `vouch-api` check, here through redb, the node's view and its self-audit.

    use super::*;
    use crate::mempool::Mempool;
    use crate::store::{IndexEntry, Store};
    use axum::body::Body;
    use http_body_util::BodyExt as _;
    use tower::ServiceExt as _;
    use vouch_api::auth::{Secret, TokenList, TokenRecord};
    use vouch_core::testkit;

    struct Node {
        _dir: tempfile::TempDir,
        ledger: Arc<NodeLedger>,
        demo: testkit::Ledger,
        request: Hash,
    }

    /// A node whose store holds the first `blocks` blocks of the demo ledger, and a
    /// checkpoint of them.
    fn node(blocks: usize) -> Node {
        let (demo, confirmation) = testkit::demo_ledger(5).expect("demo");
        let dir = tempfile::tempdir().expect("dir");
        let genesis = demo.net.genesis.clone();
        let store = Arc::new(Store::open(&dir.path().join("ledger.redb"), &genesis.hash()).expect("store"));
        let mut first = 0usize;
        let mut tree = vouch_core::merkle::MemoryTree::new();
        for block in demo.blocks.iter().take(blocks) {
            let count = usize::try_from(block.header.documents).expect("count");
            let envs = &demo.committed[first..first + count];
            let leaves: Vec<Vec<u8>> = envs.iter().map(|e| e.bytes.clone()).collect();
            let index: Vec<IndexEntry> = Vec::new();
            store.commit_block(block, &leaves, &index).expect("commit");
            for l in &leaves {
                tree.push(l).expect("push");
            }
            first += count;
        }
        if first > 0 {
            store.put_checkpoint(tree.size(), &note(&demo, &tree)).expect("checkpoint");
        }
        let shared = Arc::new(Shared {
            genesis_hash: genesis.hash(),
            genesis: genesis.clone(),
            moniker: "test".into(),
            node_key: String::new(),
            validator: false,
            store,
            mempool: Arc::new(Mempool::new(vouch_core::state::State::new(&genesis), 10, 1 << 20)),
            status: Default::default(),
            waiters: Default::default(),
            arrivals: Default::default(),
            metrics: crate::metrics::Metrics::register("test"),
            collector: crate::cosign::Collector::new(&genesis),
            cosigner: None,
            http_peers: Vec::new(),
            client: crate::http::PeerClient::new(),
            forwarder: Default::default(),
        });
        let ledger = Arc::new(NodeLedger::new(shared, Duration::from_millis(10)));
        Node { _dir: dir, ledger, demo, request: confirmation.request.id }
    }

    fn note(demo: &testkit::Ledger, tree: &vouch_core::merkle::MemoryTree) -> String {
        let genesis = &demo.net.genesis;
        let cp =
            Checkpoint::new(genesis.network.as_str(), tree.size(), tree.root().expect("root")).expect("cp");
        let cosignatures = demo
            .net
            .orgs
            .iter()
            .filter_map(|(id, s)| s.validator.as_ref().map(|k| (id, k)))
            .map(|(id, k)| {
                vouch_core::checkpoint::cosign_checkpoint(&cp, &genesis.cosigner_name(id), k, 1)
                    .expect("cosign")
            })
            .collect();
        vouch_core::checkpoint::CosignedCheckpoint {
            checkpoint: cp,
            cosignatures,
            other_signatures: Vec::new(),
        }
        .to_note()
        .expect("note")
    }

    async fn get(router: &axum::Router, uri: &str, token: Option<&str>) -> (u16, Vec<u8>) {
        let mut req = axum::http::Request::get(uri);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let resp = router.clone().oneshot(req.body(Body::empty()).expect("req")).await.expect("infallible");
        let status = resp.status().as_u16();
        (status, resp.into_body().collect().await.expect("body").to_bytes().to_vec())
    }

    #[test]
    fn the_view_follows_the_store_block_by_block() {
        let n = node(3);
        let view = n.ledger.view().expect("view");
        assert_eq!(view.height(), 3);
        let mut first = usize::try_from(view.tree_size()).expect("size");
        for block in n.demo.blocks.iter().skip(3) {
            let count = usize::try_from(block.header.documents).expect("count");
            let leaves: Vec<Vec<u8>> =
                n.demo.committed[first..first + count].iter().map(|e| e.bytes.clone()).collect();
            n.ledger.shared.store.commit_block(block, &leaves, &[]).expect("commit");
            first += count;
            let now = n.ledger.view().expect("view");
            assert_eq!(now.height(), block.header.height);
            assert_eq!(now.tree_size(), block.header.tree_size);
        }
        assert_eq!(view.height(), 3, "an older snapshot is not changed under its reader");
        let last = n.ledger.view().expect("view");
        assert_eq!(last.state(), n.demo.verifier.state(), "the same state as the chain verifier's");
        assert_eq!(last.documents_of(&n.request).len(), 5);
    }

    #[test]
    fn a_pooled_document_dropped_here_is_pending_with_the_reason_never_refused() {
        let lh = Hash([3; 32]);
        let reason = "R-ST-3: key … is not an active key of audit-y at block time".to_string();
        assert_eq!(
            answer_after_pooling(Some(Outcome::Dropped { reason: reason.clone() }), lh),
            Submitted::Pending { leaf_hash: lh, dropped: Some(reason) }
        );
        assert_eq!(answer_after_pooling(None, lh), Submitted::Pending { leaf_hash: lh, dropped: None });
        assert_eq!(
            answer_after_pooling(Some(Outcome::Committed { leaf_index: 4, height: 2 }), lh),
            Submitted::Committed { leaf_index: 4, height: 2, leaf_hash: lh }
        );
    }

    #[test]
    fn a_forwarded_batch_is_admitted_document_by_document() {
        let n = node(0);
        let shared = &n.ledger.shared;
        // Three enrollments signed now (the demo ledger's own documents are too old for
        // a mempool's time window, and one of them comes in as well).
        let mut fresh = testkit::Ledger::new(n.demo.net.clone());
        fresh.advance_ms(now_ms().saturating_sub(fresh.now_ms));
        for person in ["p-1", "p-2", "p-3"] {
            fresh.enroll("audit-x", person, person, "auditor").expect("enroll");
        }
        let docs: Vec<&[u8]> = fresh.pending.iter().map(|e| e.bytes.as_slice()).collect();
        let mut lines = docs.clone();
        lines.push(docs[0]);
        lines.push(br#"{"not":"an envelope"}"#);
        lines.push(n.demo.committed[0].bytes.as_slice());
        let body = lines.join(&b'\n');
        let tally = admit_batch(shared, &body);
        assert_eq!(tally, BatchTally { pooled: 3, known: 1, refused: 2, full: 0 });
        assert_eq!(shared.mempool.len(), 3);

        let n = node(1);
        let tally = admit_batch(&n.ledger.shared, n.demo.committed[0].bytes.as_slice());
        assert_eq!(tally, BatchTally { pooled: 0, known: 1, refused: 0, full: 0 }, "committed: known");
    }

    #[test]
    fn recorded_evidence_becomes_alerts_naming_the_culprit() {
        let n = node(2);
        assert_eq!(n.ledger.evidence().expect("alerts"), vec![]);
        let store = &n.ledger.shared.store;
        store.put_evidence(3, "double-vote", r#"{"validator":"AAAA","height":3}"#).expect("put");
        store
            .put_evidence(4, "conflicting-checkpoint", r#"{"cosigner":"net/bank-b","note":"x"}"#)
            .expect("put");
        store.put_evidence(5, "odd", "not json").expect("put");
        let alerts = n.ledger.evidence().expect("alerts");
        let culprits: Vec<Option<&str>> = alerts.iter().map(|a| a.culprit.as_deref()).collect();
        assert_eq!(culprits, vec![Some("AAAA"), Some("net/bank-b"), None]);
        assert_eq!(
            alerts.iter().map(|a| (a.seq, a.height)).collect::<Vec<_>>(),
            vec![(0, 3), (1, 4), (2, 5)]
        );
        assert_eq!(alerts[2].json, "not json", "kept as stored");
    }

    #[test]
    fn self_audit_passes_on_a_sound_store() {
        let n = node(usize::MAX);
        let report = n.ledger.self_audit().expect("audit");
        assert_eq!(report.fault, None, "{report:?}");
        assert_eq!(report.height, n.demo.verifier.height());
        assert_eq!(report.root, n.demo.verifier.tree().root().ok());
        assert_eq!(report.checks.len(), 4);
    }

    #[tokio::test]
    async fn proofs_bundles_and_export_from_the_store_verify() {
        let n = node(usize::MAX);
        let secret = Secret::generate(&mut rand::rngs::OsRng);
        let org = vouch_core::ids::OrgId::new("regulator").expect("org");
        let tokens = TokenList(vec![TokenRecord::new(&secret, org, "examiner".into(), None, false, 1)]);
        let router = vouch_api::router(n.ledger.clone(), Arc::new(tokens));
        let token = secret.token();
        let size = n.demo.verifier.tree().size();
        let root = n.demo.verifier.tree().root().expect("root");
        for (i, env) in n.demo.committed.iter().enumerate() {
            let lh = leaf_hash(&env.bytes);
            let (status, body) = get(&router, &format!("/v1/proofs/inclusion?leaf_hash={lh}"), None).await;
            assert_eq!(status, 200);
            let proof: vouch_api::integrity::InclusionProof = serde_json::from_slice(&body).expect("json");
            assert_eq!(proof.leaf_index, i as u64);
            let hashes: Vec<Hash> = proof.proof.iter().map(|h| Hash::from_hex(h).expect("hex")).collect();
            vouch_core::merkle::verify_inclusion(&lh, proof.leaf_index, size, &hashes, &root)
                .expect("verifies");
        }
        let (status, body) = get(&router, &format!("/v1/proofs/consistency?from=2&to={size}"), None).await;
        assert_eq!(status, 200);
        let proof: vouch_api::integrity::ConsistencyProof = serde_json::from_slice(&body).expect("json");
        let hashes: Vec<Hash> = proof.proof.iter().map(|h| Hash::from_hex(h).expect("hex")).collect();
        let old = vouch_core::merkle::root(n.demo.verifier.tree(), 2).expect("root");
        vouch_core::merkle::verify_consistency(2, size, &hashes, &old, &root).expect("consistent");

        let (status, body) =
            get(&router, &format!("/v1/confirmations/{}/bundle", n.request), Some(&token)).await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        vouch_core::bundle::verify_bundle(&body, &n.demo.net.genesis.hash()).expect("bundle verifies");

        let (status, _) = get(&router, "/v1/export", None).await;
        assert_eq!(status, 401, "whole blocks need a token");
        let (status, body) = get(&router, "/v1/export", Some(&token)).await;
        assert_eq!(status, 200);
        let blocks: Vec<vouch_core::block::Block> = String::from_utf8(body)
            .expect("utf8")
            .lines()
            .map(|l| vouch_core::block::Block::from_json(l.as_bytes()).expect("block"))
            .collect();
        vouch_core::verify::verify_chain(&n.demo.net.genesis, &blocks).expect("chain");

        let (status, body) = get(&router, "/v1/self-audit", Some(&token)).await;
        assert_eq!(status, 200);
        assert_eq!(serde_json::from_slice::<serde_json::Value>(&body).expect("json")["ok"], true);
    }
}
