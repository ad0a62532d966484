//! An in-memory `Ledger` built from `vouch_core::testkit`: the demo ledger (one whole
//! confirmation at bank-a and one of each other ending), plus a request to bank-b, with
//! cosigned checkpoints, and a token for each kind of caller.

use axum::body::Bytes;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use vouch_api::auth::{Secret, TokenList, TokenRecord};
use vouch_api::service::{AuditReport, Ledger, LedgerError, SubmitError, SubmitOptions, Submitted};
use vouch_api::view::View;
use vouch_core::block::Header;
use vouch_core::checkpoint::{Checkpoint, CosignedCheckpoint, cosign_checkpoint};
use vouch_core::date::Date;
use vouch_core::documents::{Form, Scope};
use vouch_core::encoding::Hash;
use vouch_core::envelope::Envelope;
use vouch_core::genesis::Genesis;
use vouch_core::ids::{ClientRef, OrgId};
use vouch_core::merkle::{self, MerkleError, NodeReader};
use vouch_core::testkit::{self, DemoConfirmation};

/// Days after the last block that the fake's clock reads: every confirmation still
/// awaiting authorization is then overdue.
pub const CLOCK_DAYS_AFTER: u64 = 60;

/// The fake node.
pub struct Fake {
    pub demo: testkit::Ledger,
    pub view: Arc<View>,
    pub checkpoints: BTreeMap<u64, String>,
    pub now_ms: u64,
    pub submitted: Mutex<Vec<Hash>>,
    pub fault: Option<String>,
    /// Added to `now_ms`: lets a test move the clock of a fake already served.
    pub skew_ms: std::sync::atomic::AtomicU64,
    /// Misbehavior evidence the fake reports.
    pub alerts: Vec<vouch_api::Alert>,
    /// When set, a pooled submission answers as one this node dropped after passing it on.
    pub drop_reason: Mutex<Option<String>>,
}

/// What the tests need to know about the fake's contents.
pub struct Facts {
    /// bank-a's whole confirmation (request → accepted).
    pub confirmation: DemoConfirmation,
    /// The request addressed to bank-b (awaiting authorization).
    pub bank_b_request: Envelope,
    /// Sizes of the stored checkpoints, ascending.
    pub checkpoint_sizes: Vec<u64>,
}

/// The bank-b side of the fake, for tests that add to it.
pub struct BankB {
    /// bank-b's officer (maker).
    pub officer: testkit::Person,
    /// audit-x's second auditor.
    pub auditor: testkit::Person,
    /// bank-b's client `b-000001`.
    pub client: testkit::Client,
    /// The request awaiting authorization.
    pub bank_b_request: Envelope,
}

/// Every kind of caller's token.
pub struct Tokens {
    pub bank_a: String,
    pub bank_b: String,
    pub auditor: String,
    pub regulator: String,
    pub client: String,
    pub other_client: String,
    /// bank-b's client `b-000001`.
    pub client_b: String,
    pub operator: String,
    pub revoked: String,
    pub list: TokenList,
}

fn org(id: &str) -> OrgId {
    OrgId::new(id).expect("org id")
}

/// A note for the tree of `size` leaves, cosigned by every demo validator.
pub fn cosigned_note(demo: &testkit::Ledger, size: u64) -> String {
    let genesis = &demo.net.genesis;
    let root = merkle::root(demo.verifier.tree(), size).expect("root");
    let checkpoint = Checkpoint::new(genesis.network.as_str(), size, root).expect("checkpoint");
    let cosignatures = demo
        .net
        .orgs
        .iter()
        .filter_map(|(id, s)| s.validator.as_ref().map(|k| (id, k)))
        .map(|(id, key)| {
            cosign_checkpoint(&checkpoint, &genesis.cosigner_name(id), key, demo.now_ms / 1000)
                .expect("cosign")
        })
        .collect();
    CosignedCheckpoint { checkpoint, cosignatures, other_signatures: Vec::new() }.to_note().expect("note")
}

impl Fake {
    /// The demo ledger plus a bank-b request, with checkpoints at `checkpoint_sizes`
    /// (`None`: one at an early size and one at the full size).
    pub fn build(checkpoint_sizes: Option<Vec<u64>>) -> (Fake, Facts) {
        Fake::build_extended(checkpoint_sizes, |_, _| {})
    }

    /// As [`Fake::build`], then `extend` adds blocks (given the bank-b parties) before the
    /// view and checkpoints are made.
    pub fn build_extended(
        checkpoint_sizes: Option<Vec<u64>>,
        extend: impl FnOnce(&mut testkit::Ledger, &BankB),
    ) -> (Fake, Facts) {
        let (mut demo, confirmation) = testkit::demo_ledger(7).expect("demo ledger");
        let officer = demo.enroll("bank-b", "chen-guiyuan", "陈柜员", "函证经办").expect("enroll");
        let auditor = demo.enroll("audit-x", "zhao-shenji", "赵审计", "Senior").expect("enroll");
        demo.commit().expect("commit");
        let identity = vouch_core::items::ClientIdentity {
            name: "乙示例有限公司".into(),
            credit_code: "9144030071526726XG".into(),
        };
        let client = demo.enroll_client(&officer, "b-000001", &identity).expect("client");
        demo.commit().expect("commit");
        let contents = testkit::demo_request_contents().expect("contents");
        let as_of = Date::parse("2026-06-30").expect("date");
        let bank_b_request = demo
            .request(&auditor, &client, "AX-2026-0100", Form::Form1, Scope::WholeBank, as_of, &contents)
            .expect("request");
        demo.commit().expect("commit");
        let parties = BankB { officer, auditor, client, bank_b_request: bank_b_request.clone() };
        extend(&mut demo, &parties);

        let size = demo.verifier.tree().size();
        let sizes = checkpoint_sizes.unwrap_or_else(|| vec![3, size]);
        let checkpoints = sizes.iter().map(|s| (*s, cosigned_note(&demo, *s))).collect();
        let mut view = View::new(&demo.net.genesis);
        let mut first = 0usize;
        for block in &demo.blocks {
            let count = usize::try_from(block.header.documents).expect("count");
            let envelopes = demo.committed.get(first..first + count).expect("envelopes");
            view.apply_block(&block.header, envelopes).expect("view applies the demo");
            first += count;
        }
        let now_ms = demo.now_ms + CLOCK_DAYS_AFTER * 86_400_000;
        let fake = Fake {
            demo,
            view: Arc::new(view),
            checkpoints,
            now_ms,
            submitted: Mutex::new(Vec::new()),
            fault: None,
            skew_ms: std::sync::atomic::AtomicU64::new(0),
            alerts: Vec::new(),
            drop_reason: Mutex::new(None),
        };
        (fake, Facts { confirmation, bank_b_request, checkpoint_sizes: sizes })
    }

    pub fn genesis_hash(&self) -> Hash {
        self.demo.net.genesis.hash()
    }
}

impl Tokens {
    pub fn issue() -> Tokens {
        let mut rng = rand_core::OsRng;
        let mut list = Vec::new();
        let mut issue = |o: &str, name: &str, client: Option<&str>, operator: bool, revoked: bool| {
            let secret = Secret::generate(&mut rng);
            let mut record = TokenRecord::new(
                &secret,
                org(o),
                name.to_string(),
                client.map(|c| ClientRef::new(c).expect("client ref")),
                operator,
                1,
            );
            if revoked {
                record.revoked_ms = Some(2);
            }
            list.push(record);
            secret.token()
        };
        let bank_a = issue("bank-a", "li", None, false, false);
        let bank_b = issue("bank-b", "chen", None, false, false);
        let auditor = issue("audit-x", "wang", None, false, false);
        let regulator = issue("regulator", "examiner", None, false, false);
        let client = issue("bank-a", "portal", Some("c-000123"), false, false);
        let other_client = issue("bank-a", "portal", Some("c-000999"), false, false);
        let client_b = issue("bank-b", "portal", Some("b-000001"), false, false);
        let operator = issue("bank-b", "ops", None, true, false);
        let revoked = issue("bank-a", "former", None, false, true);
        Tokens {
            bank_a,
            bank_b,
            auditor,
            regulator,
            client,
            other_client,
            client_b,
            operator,
            revoked,
            list: TokenList(list),
        }
    }
}

#[async_trait::async_trait]
impl Ledger for Fake {
    fn genesis(&self) -> &Genesis {
        &self.demo.net.genesis
    }

    fn now_ms(&self) -> u64 {
        self.now_ms + self.skew_ms.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn tip(&self) -> Result<u64, LedgerError> {
        Ok(self.demo.verifier.height())
    }

    fn tree_size(&self) -> Result<u64, LedgerError> {
        Ok(self.demo.verifier.tree().size())
    }

    fn header(&self, height: u64) -> Result<Option<Header>, LedgerError> {
        Ok(self.block(height).map(|b| b.header.clone()))
    }

    fn block_json(&self, height: u64) -> Result<Option<Vec<u8>>, LedgerError> {
        Ok(self.block(height).map(|b| serde_json::to_vec(b).expect("block json")))
    }

    fn leaf(&self, leaf_index: u64) -> Result<Option<Vec<u8>>, LedgerError> {
        let i = usize::try_from(leaf_index).ok();
        Ok(i.and_then(|i| self.demo.committed.get(i)).map(|e| e.bytes.clone()))
    }

    fn leaf_by_hash(&self, leaf_hash: &Hash) -> Result<Option<(u64, u64)>, LedgerError> {
        let Some(index) = self.demo.committed.iter().position(|e| merkle::leaf_hash(&e.bytes) == *leaf_hash)
        else {
            return Ok(None);
        };
        let index = index as u64;
        let height = self.demo.blocks.iter().find(|b| b.header.tree_size > index).map(|b| b.header.height);
        Ok(height.map(|h| (index, h)))
    }

    fn merkle_node(&self, level: u8, index: u64) -> Result<Option<Hash>, LedgerError> {
        match self.demo.verifier.tree().node(level, index) {
            Ok(hash) => Ok(Some(hash)),
            Err(MerkleError::MissingNode { .. }) => Ok(None),
            Err(e) => Err(LedgerError::Store(e.to_string())),
        }
    }

    fn checkpoint(&self, tree_size: u64) -> Result<Option<String>, LedgerError> {
        Ok(self.checkpoints.get(&tree_size).cloned())
    }

    fn latest_checkpoint(&self) -> Result<Option<(u64, String)>, LedgerError> {
        Ok(self.checkpoints.last_key_value().map(|(s, n)| (*s, n.clone())))
    }

    fn view(&self) -> Result<Arc<View>, LedgerError> {
        Ok(self.view.clone())
    }

    fn evidence(&self) -> Result<Vec<vouch_api::Alert>, LedgerError> {
        Ok(self.alerts.clone())
    }

    fn self_audit(&self) -> Result<AuditReport, LedgerError> {
        Ok(AuditReport {
            height: self.demo.verifier.height(),
            tree_size: self.demo.verifier.tree().size(),
            root: self.demo.verifier.tree().root().ok(),
            checks: vec!["fake".into()],
            fault: self.fault.clone(),
        })
    }

    async fn submit(&self, envelope: Bytes, _options: SubmitOptions) -> Result<Submitted, SubmitError> {
        let env = Envelope::decode(&envelope, &self.demo.net.genesis.network).map_err(|e| {
            let detail = e.to_string();
            SubmitError::Invalid { rule: vouch_api::problem::rule_of(&detail), detail }
        })?;
        let leaf_hash = merkle::leaf_hash(&env.bytes);
        if let Some((leaf_index, height)) =
            self.leaf_by_hash(&leaf_hash).map_err(|e| SubmitError::Store(e.to_string()))?
        {
            return Ok(Submitted::Committed { leaf_index, height, leaf_hash });
        }
        let mut state = self.view.state().clone();
        state.apply(&env, self.now_ms).map_err(|e| {
            let detail = e.to_string();
            SubmitError::Refused { rule: vouch_api::problem::rule_of(&detail), detail }
        })?;
        self.submitted.lock().expect("lock").push(env.id);
        Ok(Submitted::Pending { leaf_hash, dropped: self.drop_reason.lock().expect("lock").clone() })
    }
}

impl Fake {
    fn block(&self, height: u64) -> Option<&vouch_core::block::Block> {
        let i = usize::try_from(height.checked_sub(1)?).ok()?;
        self.demo.blocks.get(i)
    }
}
