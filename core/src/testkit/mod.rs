//! Build deterministic demo networks and ledgers from a seed: for tests, examples,
//! golden vectors, benchmarks and the local testnet.
//!
//! Nothing here is used to verify anything; it produces the inputs that verification is
//! tested on. Every key is derived from the seed and a label
//! (`SHA-256("vouch-testkit\n" || seed || label)`), so the same seed always yields the same
//! network, documents and blocks, byte for byte. These keys are public: never use them for
//! anything real.

pub mod golden;
pub mod mutate;

use crate::block::{Block, Certificate, CommitSignature, sign_precommit};
use crate::calendar::CalendarYear;
use crate::date::Date;
use crate::documents::{Document, Form, Scope};
use crate::encoding::Hash;
use crate::envelope::{Draft, Envelope, EnvelopeError, Signer};
use crate::genesis::{Genesis, Org, Policy, Role, ValidatorInfo};
use crate::ids::{ClientRef, NetworkId, OrgId, PersonId};
use crate::keys::{DecryptionKey, SigningKey};
use crate::seal::{self, ContentKey, Sealed, WrappedKey};
use crate::verify::{BlockSummary, ChainError, ChainVerifier};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use serde::Serialize;
use std::collections::BTreeMap;

/// Why the testkit could not do what was asked (a bug in the caller's scenario).
#[derive(Debug, thiserror::Error)]
pub enum TestkitError {
    /// An id in the scenario is malformed or unknown.
    #[error("testkit: {0}")]
    Scenario(String),
    /// Signing produced an envelope that does not decode.
    #[error("testkit: {0}")]
    Envelope(#[from] EnvelopeError),
    /// The state machine refused a document.
    #[error("testkit: document {index} of the block was refused: {rejection}")]
    Rejected {
        /// Index in the pending block.
        index: usize,
        /// Why.
        rejection: Box<crate::state::Rejection>,
    },
    /// The block failed verification (a bug).
    #[error("testkit: {0}")]
    Chain(Box<ChainError>),
    /// Sealing failed.
    #[error("testkit: {0}")]
    Seal(#[from] seal::SealError),
}

/// 2026-11-23T01:00:00Z: genesis time of demo networks.
pub const DEMO_GENESIS_MS: u64 = 1_795_395_600_000;

/// Derive a 32-byte secret from the seed and a label.
pub fn derive(seed: u64, label: &str) -> [u8; 32] {
    Hash::sha256_parts(&[b"vouch-testkit\n", &seed.to_be_bytes(), label.as_bytes()]).0
}

fn id<T>(text: &str, f: impl Fn(&str) -> Result<T, crate::ids::IdError>) -> Result<T, TestkitError> {
    f(text).map_err(|e| TestkitError::Scenario(e.to_string()))
}

/// A member organization's secrets.
#[derive(Debug, Clone)]
pub struct OrgSecrets {
    /// Admin signing key.
    pub admin: SigningKey,
    /// Decryption key (X25519).
    pub decryption: DecryptionKey,
    /// Validator consensus key, if it runs one.
    pub validator: Option<SigningKey>,
    /// Observer node key, if it runs a non-voting node.
    pub node: Option<SigningKey>,
}

/// A demo network: genesis plus every member's secrets.
#[derive(Debug, Clone)]
pub struct DemoNetwork {
    /// The seed everything derives from.
    pub seed: u64,
    /// The genesis document.
    pub genesis: Genesis,
    /// Secrets by org id.
    pub orgs: BTreeMap<OrgId, OrgSecrets>,
}

/// China's 2026 public holidays and adjusted working days, as used by demo networks.
/// Demo data: check against the State Council's notice before relying on it.
pub fn demo_calendar_2026() -> Vec<CalendarYear> {
    let d = |s: &str| Date::parse(s).ok();
    let mut holidays = Vec::new();
    for (from, to) in [
        ("2026-01-01", "2026-01-03"),
        ("2026-02-15", "2026-02-23"),
        ("2026-04-04", "2026-04-06"),
        ("2026-05-01", "2026-05-05"),
        ("2026-06-19", "2026-06-21"),
        ("2026-09-25", "2026-09-27"),
        ("2026-10-01", "2026-10-07"),
    ] {
        let (Some(mut day), Some(end)) = (d(from), d(to)) else { continue };
        while day <= end {
            holidays.push(day);
            day = day.next();
        }
    }
    let workdays = ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"]
        .iter()
        .filter_map(|s| d(s))
        .collect();
    vec![CalendarYear { year: 2026, holidays, workdays }]
}

/// One member of a demo network.
#[derive(Debug, Clone, Copy)]
pub struct MemberSpec<'a> {
    /// Org id.
    pub id: &'a str,
    /// Legal name.
    pub name: &'a str,
    /// Role.
    pub role: Role,
    /// Runs a validator of power 1; otherwise runs an observer node with its own node key.
    pub validator: bool,
}

impl DemoNetwork {
    /// Four members, each running a validator of power 1: two banks, an audit firm and a
    /// regulator. The regulator reads contents; banks need the client's authorization.
    pub fn new(seed: u64) -> Result<DemoNetwork, TestkitError> {
        let members = [
            ("bank-a", "Demo Bank A, Shanghai Branch (演示银行上海分行)", Role::Bank),
            ("bank-b", "Demo Bank B (演示银行乙)", Role::Bank),
            ("audit-x", "Demo CPA Firm X (演示会计师事务所)", Role::AuditFirm),
            ("regulator", "Demo Regulator (演示监管机构)", Role::Regulator),
        ]
        .map(|(id, name, role)| MemberSpec { id, name, role, validator: true });
        DemoNetwork::with_members(seed, "vouch.example/demo", DEMO_GENESIS_MS, &members)
    }

    /// A network of `members` under `network`, starting at `genesis_ms`, with the same
    /// policy and calendar as [`DemoNetwork::new`]. Every key derives from `seed`.
    pub fn with_members(
        seed: u64,
        network: &str,
        genesis_ms: u64,
        members: &[MemberSpec<'_>],
    ) -> Result<DemoNetwork, TestkitError> {
        let mut orgs = Vec::new();
        let mut secrets = BTreeMap::new();
        for m in members {
            let org = m.id;
            let admin = SigningKey::from_seed(&derive(seed, &format!("{org}/admin")));
            let decryption = DecryptionKey::from_bytes(derive(seed, &format!("{org}/encryption")));
            let node = SigningKey::from_seed(&derive(seed, &format!("{org}/validator")));
            let org_id = id(org, OrgId::new)?;
            orgs.push(Org {
                id: org_id.clone(),
                name: m.name.to_string(),
                role: m.role,
                admin_key: admin.public(),
                encryption_key: decryption.public(),
                validator: m.validator.then(|| ValidatorInfo { key: node.public(), power: 1 }),
                node_key: (!m.validator).then(|| node.public()),
            });
            let (validator, node) = if m.validator { (Some(node), None) } else { (None, Some(node)) };
            secrets.insert(org_id, OrgSecrets { admin, decryption, validator, node });
        }
        let genesis = Genesis {
            protocol: crate::genesis::PROTOCOL_VERSION,
            network: id(network, NetworkId::new)?,
            genesis_ms,
            utc_offset_minutes: 480,
            orgs,
            policy: Policy {
                regulator_reads_contents: true,
                client_authorization_required: true,
                authorization_window_days: 10,
                response_days_default: 10,
            },
            calendar: demo_calendar_2026(),
        };
        genesis.validate().map_err(|e| TestkitError::Scenario(e.to_string()))?;
        Ok(DemoNetwork { seed, genesis, orgs: secrets })
    }
}

/// A person enrolled at an org.
#[derive(Debug, Clone)]
pub struct Person {
    /// The org.
    pub org: OrgId,
    /// The person's id.
    pub id: PersonId,
    /// Signing key.
    pub key: SigningKey,
}

impl Person {
    /// As an envelope signer.
    pub fn signer(&self) -> Signer {
        Signer { org: self.org.clone(), key: self.key.public() }
    }
}

/// A client enrolled at a bank.
#[derive(Debug, Clone)]
pub struct Client {
    /// The enrolling bank.
    pub bank: OrgId,
    /// The bank's reference.
    pub client: ClientRef,
    /// Signing key.
    pub key: SigningKey,
    /// Decryption key.
    pub decryption: DecryptionKey,
}

/// A ledger under construction: documents are signed, queued, and committed in blocks
/// certified by every demo validator; each block is checked by a [`ChainVerifier`].
#[derive(Debug)]
pub struct Ledger {
    /// The network.
    pub net: DemoNetwork,
    /// The verifier holding state and log after the last block.
    pub verifier: ChainVerifier,
    /// Blocks so far.
    pub blocks: Vec<Block>,
    /// Current time, Unix milliseconds; the next block's time.
    pub now_ms: u64,
    /// Documents waiting for the next block.
    pub pending: Vec<Envelope>,
    /// Content keys of sealed documents, by commitment.
    pub content_keys: BTreeMap<Hash, ContentKey>,
    /// Every committed envelope, in ledger order (position = leaf index).
    pub committed: Vec<Envelope>,
    rng: ChaCha20Rng,
}

impl Ledger {
    /// A ledger at genesis.
    pub fn new(net: DemoNetwork) -> Ledger {
        let verifier = ChainVerifier::new(&net.genesis);
        let rng = ChaCha20Rng::from_seed(derive(net.seed, "rng"));
        Ledger {
            now_ms: net.genesis.genesis_ms,
            net,
            verifier,
            blocks: Vec::new(),
            pending: Vec::new(),
            content_keys: BTreeMap::new(),
            committed: Vec::new(),
            rng,
        }
    }

    /// Move the clock forward.
    pub fn advance_ms(&mut self, ms: u64) {
        self.now_ms = self.now_ms.saturating_add(ms);
    }

    /// The org's secrets.
    pub fn org(&self, org: &str) -> Result<&OrgSecrets, TestkitError> {
        let org_id = id(org, OrgId::new)?;
        self.net.orgs.get(&org_id).ok_or_else(|| TestkitError::Scenario(format!("no org {org}")))
    }

    /// Sign `document` now as `author` (and `checker`) and queue it.
    pub fn submit(
        &mut self,
        author: (&Signer, &SigningKey),
        checker: Option<(&Signer, &SigningKey)>,
        document: Document,
    ) -> Result<Envelope, TestkitError> {
        let draft = Draft {
            network: self.net.genesis.network.clone(),
            created_ms: self.now_ms,
            author: author.0.clone(),
            checker: checker.map(|c| c.0.clone()),
            document,
        };
        let envelope = draft.sign(author.1, checker.map(|c| c.1))?;
        self.pending.push(envelope.clone());
        Ok(envelope)
    }

    /// Commit the pending documents as the next block, one second after the previous.
    pub fn commit(&mut self) -> Result<BlockSummary, TestkitError> {
        let validators: Vec<SigningKey> =
            self.net.orgs.values().filter_map(|o| o.validator.clone()).collect();
        let height = self.verifier.height().saturating_add(1);
        let proposer_index = usize::try_from(height).unwrap_or(0) % validators.len().max(1);
        let proposer = validators
            .get(proposer_index)
            .ok_or_else(|| TestkitError::Scenario("no validators".into()))?
            .public();
        // A refused document is dropped with the rest of the pending block, so a test can
        // go on after checking the refusal.
        let header = match self.verifier.propose(&self.pending, self.now_ms, proposer) {
            Ok(header) => header,
            Err((index, rejection)) => {
                self.pending.clear();
                return Err(TestkitError::Rejected { index, rejection: Box::new(rejection) });
            }
        };
        let hash = header.hash();
        let round = 0;
        let signatures = validators
            .iter()
            .map(|k| CommitSignature {
                validator: k.public(),
                sig: sign_precommit(k, &header.network, header.height, round, &hash),
            })
            .collect();
        let documents = self
            .pending
            .iter()
            .map(|e| serde_json::from_slice(&e.bytes))
            .collect::<Result<Vec<serde_json::Value>, _>>()
            .map_err(|e| TestkitError::Scenario(e.to_string()))?;
        let block = Block { header, certificate: Certificate { round, signatures }, documents };
        let summary = self.verifier.push(&block).map_err(|e| TestkitError::Chain(Box::new(e)))?;
        self.blocks.push(block);
        self.committed.append(&mut self.pending);
        self.advance_ms(1_000);
        Ok(summary)
    }

    /// Enroll a person at `org` (signed by the org's admin key) and queue it.
    pub fn enroll(
        &mut self,
        org: &str,
        person: &str,
        name: &str,
        title: &str,
    ) -> Result<Person, TestkitError> {
        let secrets = self.org(org)?.clone();
        let org_id = id(org, OrgId::new)?;
        let person_id = id(person, PersonId::new)?;
        let key = SigningKey::from_seed(&derive(self.net.seed, &format!("{org}/person/{person}")));
        let admin = Signer { org: org_id.clone(), key: secrets.admin.public() };
        self.submit(
            (&admin, &secrets.admin),
            None,
            Document::Enroll(crate::documents::Enroll {
                person: person_id.clone(),
                name: name.to_string(),
                title: title.to_string(),
                key: key.public(),
            }),
        )?;
        Ok(Person { org: org_id, id: person_id, key })
    }

    /// Labels and keys of the regulators (when the policy lets them read contents).
    pub fn regulator_recipients(&self) -> Vec<(String, crate::keys::EncryptionKey)> {
        if !self.net.genesis.policy.regulator_reads_contents {
            return Vec::new();
        }
        self.net
            .genesis
            .orgs
            .iter()
            .filter(|o| o.role == Role::Regulator)
            .map(|o| (format!("org/{}", o.id), o.encryption_key))
            .collect()
    }

    fn org_recipient(&self, org: &OrgId) -> Result<(String, crate::keys::EncryptionKey), TestkitError> {
        let o = self.net.genesis.org(org).ok_or_else(|| TestkitError::Scenario(format!("no org {org}")))?;
        Ok((format!("org/{org}"), o.encryption_key))
    }

    /// Seal `contents` for `recipients`, remembering the content key.
    pub fn seal<T: Serialize>(
        &mut self,
        contents: &T,
        recipients: &[(String, crate::keys::EncryptionKey)],
    ) -> Result<Sealed, TestkitError> {
        let (sealed, key) = seal::seal(contents, recipients, &mut self.rng)?;
        self.content_keys.insert(sealed.commitment, key);
        Ok(sealed)
    }

    /// Enroll a client at a bank (signed by `officer`, a person of the bank), with its
    /// identity sealed for the bank and the regulators.
    pub fn enroll_client<T: Serialize>(
        &mut self,
        officer: &Person,
        client: &str,
        identity: &T,
    ) -> Result<Client, TestkitError> {
        let client_ref = id(client, ClientRef::new)?;
        let label = format!("{}/client/{client}", officer.org);
        let key = SigningKey::from_seed(&derive(self.net.seed, &label));
        let decryption = DecryptionKey::from_bytes(derive(self.net.seed, &format!("{label}/encryption")));
        let mut recipients = self.regulator_recipients();
        recipients.push(self.org_recipient(&officer.org)?);
        let sealed = self.seal(identity, &recipients)?;
        let client_signer = Signer { org: officer.org.clone(), key: key.public() };
        self.submit(
            (&officer.signer(), &officer.key),
            Some((&client_signer, &key)),
            Document::ClientEnroll(crate::documents::ClientEnroll {
                client: client_ref.clone(),
                key: key.public(),
                encryption_key: decryption.public(),
                identity: sealed,
            }),
        )?;
        Ok(Client { bank: officer.org.clone(), client: client_ref, key, decryption })
    }

    /// Send a request from `auditor` to `client`'s bank, contents sealed for the auditor,
    /// the client and the regulators.
    #[allow(clippy::too_many_arguments)]
    pub fn request<T: Serialize>(
        &mut self,
        auditor: &Person,
        client: &Client,
        letter_no: &str,
        form: Form,
        scope: Scope,
        as_of: Date,
        contents: &T,
    ) -> Result<Envelope, TestkitError> {
        let mut recipients = self.regulator_recipients();
        recipients.push(self.org_recipient(&auditor.org)?);
        recipients.push((format!("client/{}/{}", client.bank, client.client), client.decryption.public()));
        if !self.net.genesis.policy.client_authorization_required {
            recipients.push(self.org_recipient(&client.bank)?);
        }
        let sealed = self.seal(contents, &recipients)?;
        self.submit(
            (&auditor.signer(), &auditor.key),
            None,
            Document::Request(crate::documents::Request {
                letter_no: letter_no.to_string(),
                form,
                bank: client.bank.clone(),
                scope,
                client: client.client.clone(),
                as_of,
                response_days: self.net.genesis.policy.response_days_default,
                contents: sealed,
            }),
        )
    }

    /// The client authorizes `request`: it opens the content key sealed to it and wraps it
    /// for the bank.
    pub fn authorize(
        &mut self,
        client: &Client,
        request: &Envelope,
        valid_until: Date,
    ) -> Result<Envelope, TestkitError> {
        let Document::Request(body) = &request.document else {
            return Err(TestkitError::Scenario("not a request".into()));
        };
        let label = format!("client/{}/{}", client.bank, client.client);
        let key = body.contents.open_as(&label, &client.decryption)?;
        let bank = self.org_recipient(&client.bank)?;
        let bank_key: WrappedKey = seal::wrap_key(&key, &body.contents.commitment, &bank.1, &mut self.rng)?;
        let signer = Signer { org: client.bank.clone(), key: client.key.public() };
        self.submit(
            (&signer, &client.key),
            None,
            Document::Authorization(crate::documents::Authorization {
                request: request.id,
                decision: crate::documents::Decision::Authorize,
                valid_until: Some(valid_until),
                bank_key: Some(bank_key),
                reason: None,
            }),
        )
    }

    /// The bank answers `request` (maker and checker), contents sealed for the auditor,
    /// the bank and the regulators.
    pub fn respond<T: Serialize>(
        &mut self,
        maker: &Person,
        checker: &Person,
        request: &Envelope,
        conclusion: crate::documents::Conclusion,
        contents: &T,
        supersedes: Option<(Hash, &str)>,
    ) -> Result<Envelope, TestkitError> {
        let Document::Request(body) = &request.document else {
            return Err(TestkitError::Scenario("not a request".into()));
        };
        let mut recipients = self.regulator_recipients();
        recipients.push(self.org_recipient(&request.author.org)?);
        recipients.push(self.org_recipient(&body.bank)?);
        let sealed = self.seal(contents, &recipients)?;
        let document = match supersedes {
            None => Document::Response(crate::documents::Response {
                request: request.id,
                conclusion,
                contents: sealed,
            }),
            Some((previous, reason)) => Document::Correction(crate::documents::Correction {
                request: request.id,
                supersedes: previous,
                reason: reason.to_string(),
                conclusion,
                contents: sealed,
            }),
        };
        self.submit((&maker.signer(), &maker.key), Some((&checker.signer(), &checker.key)), document)
    }
}

impl Ledger {
    /// A checkpoint of the current log, cosigned by every validator at the current time.
    pub fn checkpoint(&self) -> Result<String, TestkitError> {
        let tree = self.verifier.tree();
        let root = tree.root().map_err(|e| TestkitError::Scenario(e.to_string()))?;
        let checkpoint =
            crate::checkpoint::Checkpoint::new(self.net.genesis.network.as_str(), tree.size(), root)
                .map_err(|e| TestkitError::Scenario(e.to_string()))?;
        let mut cosignatures = Vec::new();
        for (org, secrets) in &self.net.orgs {
            let Some(key) = &secrets.validator else { continue };
            let name = self.net.genesis.cosigner_name(org);
            cosignatures.push(
                crate::checkpoint::cosign_checkpoint(&checkpoint, &name, key, self.now_ms / 1000)
                    .map_err(|e| TestkitError::Scenario(e.to_string()))?,
            );
        }
        crate::checkpoint::CosignedCheckpoint { checkpoint, cosignatures, other_signatures: Vec::new() }
            .to_note()
            .map_err(|e| TestkitError::Scenario(e.to_string()))
    }

    /// The evidence bundle of `request` against a fresh checkpoint: the confirmation's
    /// documents and the enrollments of their signers (and of those enrollments' signers),
    /// with openings of every sealed payload if `with_openings`.
    pub fn bundle(&self, request: Hash, with_openings: bool) -> Result<crate::bundle::Bundle, TestkitError> {
        let about = |e: &Envelope| e.id == request || e.document.request_ref() == Some(request);
        let mut wanted: std::collections::BTreeSet<usize> =
            self.committed.iter().enumerate().filter(|(_, e)| about(e)).map(|(i, _)| i).collect();
        // Add enrollments of every signer until nothing new is needed.
        loop {
            let mut keys = std::collections::BTreeSet::new();
            for i in &wanted {
                if let Some(e) = self.committed.get(*i) {
                    keys.insert(e.author.key);
                    if let Some(c) = &e.checker {
                        keys.insert(c.key);
                    }
                }
            }
            let before = wanted.len();
            for (i, e) in self.committed.iter().enumerate() {
                let enrolls = match &e.document {
                    Document::Enroll(b) => keys.contains(&b.key),
                    Document::ClientEnroll(b) => keys.contains(&b.key),
                    _ => false,
                };
                if enrolls {
                    wanted.insert(i);
                }
            }
            if wanted.len() == before {
                break;
            }
        }
        let entries: Vec<(u64, &Envelope)> = wanted
            .iter()
            .filter_map(|i| self.committed.get(*i).map(|e| (u64::try_from(*i).unwrap_or(u64::MAX), e)))
            .collect();
        let mut openings = Vec::new();
        if with_openings {
            for (_, e) in &entries {
                let Some(commitment) = crate::bundle::sealed_commitment(&e.document) else { continue };
                let Some(key) = self.content_keys.get(&commitment) else { continue };
                let sealed = match &e.document {
                    Document::Request(b) => &b.contents,
                    Document::Response(b) => &b.contents,
                    Document::Correction(b) => &b.contents,
                    Document::ClientEnroll(b) => &b.identity,
                    _ => continue,
                };
                let opening = seal::open::<serde_json::Value>(sealed, key)?;
                openings.push(crate::bundle::BundleOpening { document: e.id, opening });
            }
        }
        crate::bundle::build_bundle(
            &self.net.genesis,
            &self.checkpoint()?,
            self.verifier.tree(),
            request,
            &entries,
            openings,
        )
        .map_err(|e| TestkitError::Scenario(e.to_string()))
    }
}

/// The example form-1 request of `docs/PROTOCOL.md` §9 (a deposits, loans and closed
/// accounts letter as of 2025-12-31).
pub fn demo_request_contents() -> Result<crate::items::RequestContents, TestkitError> {
    let contents: crate::items::RequestContents = serde_json::from_str(include_str!("request_form1.json"))
        .map_err(|e| TestkitError::Scenario(format!("demo request: {e}")))?;
    contents.validate().map_err(|e| TestkitError::Scenario(format!("demo request: {e}")))?;
    Ok(contents)
}

/// The example answer of `docs/PROTOCOL.md` §9 to [`demo_request_contents`]: one balance
/// exception and one account the client did not list.
pub fn demo_response_contents() -> Result<crate::items::ResponseContents, TestkitError> {
    let contents: crate::items::ResponseContents = serde_json::from_str(include_str!("response_form1.json"))
        .map_err(|e| TestkitError::Scenario(format!("demo response: {e}")))?;
    contents.validate().map_err(|e| TestkitError::Scenario(format!("demo response: {e}")))?;
    Ok(contents)
}

/// What [`demo_ledger`] built, for callers that go on from there.
#[derive(Debug)]
pub struct DemoConfirmation {
    /// The request.
    pub request: Envelope,
    /// The client's authorization.
    pub authorization: Envelope,
    /// The bank's first answer (agrees with everything).
    pub response: Envelope,
    /// The corrected answer (one exception, one unlisted account).
    pub correction: Envelope,
    /// The auditor's acceptance.
    pub acceptance: Envelope,
    /// The bank's maker (a person of `bank-a`), for documents made on top of the ledger.
    pub maker: Person,
}

/// Demo rules for `bank-a`: both standard forms and capital verification, head office and
/// two branches, ten working days, RMB 100 per letter.
pub fn demo_bank_rules() -> Result<crate::documents::BankRules, TestkitError> {
    use crate::documents::{BankRules, Contact, Fee};
    let amount = crate::money::Amount::parse("100.00").map_err(|e| TestkitError::Scenario(e.to_string()))?;
    Ok(BankRules {
        forms: vec![Form::Form1, Form::Form2, Form::CapitalVerification],
        whole_bank: true,
        branches: vec!["上海分行营业部".into(), "杭州西湖支行".into()],
        response_days: 10,
        fee: Some(Fee {
            amount,
            currency: crate::money::Currency::CNY,
            note: Some("授权时从询证函所列扣费账户扣收 / debited at authorization from the fee account on the letter".into()),
        }),
        contact: Contact {
            name: "函证中心 / Confirmation Centre".into(),
            phone: "+86 571 0000 0000".into(),
            email: Some("confirmations@bank-a.example".into()),
            address: None,
        },
        notes: Some("第14项由总行集中回复 / item 14 is answered by head office".into()),
    })
}

/// A demo ledger telling one confirmation's whole story, in blocks:
/// people enrolled at the audit firm and the bank; the client enrolled by the bank; a
/// form-1 request as of 2025-12-31; the client's authorization; the bank's answer; a
/// correction listing one balance exception and one unlisted account; the auditor's
/// acceptance; plus a second request the client refuses.
pub fn demo_ledger(seed: u64) -> Result<(Ledger, DemoConfirmation), TestkitError> {
    use crate::documents::{Accept, Authorization, Conclusion, Decision, Scope};
    let mut l = Ledger::new(DemoNetwork::new(seed)?);
    let auditor = l.enroll("audit-x", "wang-shenji", "王审计", "Audit Manager 审计经理")?;
    let maker = l.enroll("bank-a", "li-jingban", "李经办", "函证中心经办")?;
    let checker = l.enroll("bank-a", "zhang-fuhe", "张复核", "函证中心复核")?;
    l.commit()?;
    l.advance_ms(60_000);
    let identity = crate::items::ClientIdentity {
        name: "杭州示例科技有限公司".into(),
        credit_code: "9144030071526726XG".into(),
    };
    let client = l.enroll_client(&maker, "c-000123", &identity)?;
    l.commit()?;
    l.advance_ms(3_600_000);
    let as_of = Date::parse("2025-12-31").map_err(|e| TestkitError::Scenario(e.to_string()))?;
    let contents = demo_request_contents()?;
    let request =
        l.request(&auditor, &client, "AX-2026-0001", Form::Form1, Scope::WholeBank, as_of, &contents)?;
    let second =
        l.request(&auditor, &client, "AX-2026-0002", Form::Form2, Scope::WholeBank, as_of, &contents)?;
    l.commit()?;
    l.advance_ms(86_400_000);
    let valid_until = Date::parse("2027-03-31").map_err(|e| TestkitError::Scenario(e.to_string()))?;
    let authorization = l.authorize(&client, &request, valid_until)?;
    let client_signer = Signer { org: client.bank.clone(), key: client.key.public() };
    l.submit(
        (&client_signer, &client.key),
        None,
        Document::Authorization(Authorization {
            request: second.id,
            decision: Decision::Refuse,
            valid_until: None,
            bank_key: None,
            reason: Some("该账户已委托另一家事务所函证 / confirmed through another firm".into()),
        }),
    )?;
    l.commit()?;
    l.advance_ms(2 * 86_400_000);
    let mut agreed = demo_response_contents()?;
    agreed.conclusion = Conclusion::Matches;
    if let Some(items) = agreed.items.as_mut() {
        items.deposits = Some(crate::items::Answer::Checked {
            rows: vec![
                crate::items::RowAnswer::Agreed { row: 0 },
                crate::items::RowAnswer::Agreed { row: 1 },
            ],
            unlisted: Vec::new(),
        });
    }
    let request_contents = demo_request_contents()?;
    for answer in [&agreed, &demo_response_contents()?] {
        crate::items::check_answer(&request_contents, answer)
            .map_err(|e| TestkitError::Scenario(format!("demo answer: {e}")))?;
    }
    let response = l.respond(&maker, &checker, &request, Conclusion::Matches, &agreed, None)?;
    l.commit()?;
    l.advance_ms(86_400_000);
    let corrected = demo_response_contents()?;
    let correction = l.respond(
        &maker,
        &checker,
        &request,
        Conclusion::Differences,
        &corrected,
        Some((response.id, "复核发现余额及未列示账户 / balance and an unlisted account found on review")),
    )?;
    l.commit()?;
    l.advance_ms(86_400_000);
    let acceptance = l.submit(
        (&auditor.signer(), &auditor.key),
        None,
        Document::Accept(Accept {
            request: request.id,
            response: correction.id,
            note: Some("差异已记录于底稿 E1-3 / exceptions recorded in working paper E1-3".into()),
        }),
    )?;
    l.commit()?;
    // The rest of the document types, so that the ledger holds one of each: a published
    // calendar, a revoked person, a revoked client, and requests that are returned,
    // withdrawn and declined.
    l.advance_ms(86_400_000);
    let regulator = l.org("regulator")?.clone();
    let regulator_admin = Signer { org: id("regulator", OrgId::new)?, key: regulator.admin.public() };
    let d = |s: &str| Date::parse(s).map_err(|e| TestkitError::Scenario(e.to_string()));
    l.submit(
        (&regulator_admin, &regulator.admin),
        None,
        Document::Calendar(CalendarYear {
            year: 2027,
            holidays: vec![d("2027-01-01")?, d("2027-10-01")?],
            workdays: vec![d("2027-09-26")?],
        }),
    )?;
    let temp = l.enroll("audit-x", "temp-staff", "临时人员", "Intern 实习生")?;
    let stale = l.enroll_client(
        &maker,
        "c-000999",
        &crate::items::ClientIdentity {
            name: "已注销示例有限公司".into(),
            credit_code: "9144030071526726XG".into(),
        },
    )?;
    l.commit()?;
    l.advance_ms(60_000);
    let audit = l.org("audit-x")?.clone();
    let audit_admin = Signer { org: auditor.org.clone(), key: audit.admin.public() };
    l.submit(
        (&audit_admin, &audit.admin),
        None,
        Document::Revoke(crate::documents::Revoke {
            key: temp.key.public(),
            reason: "internship ended / 实习结束".into(),
        }),
    )?;
    l.submit(
        (&maker.signer(), &maker.key),
        None,
        Document::ClientRevoke(crate::documents::ClientRevoke {
            client: stale.client.clone(),
            reason: "account relationship closed / 已销户".into(),
        }),
    )?;
    let returned =
        l.request(&auditor, &client, "AX-2026-0003", Form::Form1, Scope::WholeBank, as_of, &contents)?;
    let withdrawn =
        l.request(&auditor, &client, "AX-2026-0004", Form::Form1, Scope::WholeBank, as_of, &contents)?;
    let branch = Scope::Branch { branch: "杭州西湖支行".into() };
    let declined = l.request(&auditor, &client, "AX-2026-0005", Form::Form1, branch, as_of, &contents)?;
    l.commit()?;
    l.advance_ms(60_000);
    l.authorize(&client, &returned, valid_until)?;
    l.authorize(&client, &declined, valid_until)?;
    l.submit(
        (&auditor.signer(), &auditor.key),
        None,
        Document::Withdraw(crate::documents::Withdraw {
            request: withdrawn.id,
            reason: "sent in error / 误发".into(),
        }),
    )?;
    l.commit()?;
    l.advance_ms(60_000);
    l.submit(
        (&maker.signer(), &maker.key),
        None,
        Document::Return(crate::documents::Return {
            request: returned.id,
            reason: crate::documents::ReturnReason::FeeNotPaid,
            note: Some("扣费账户余额不足 / fee account has insufficient funds".into()),
        }),
    )?;
    l.submit(
        (&maker.signer(), &maker.key),
        None,
        Document::Decline(crate::documents::Decline {
            request: declined.id,
            reason: "该支行不办理集中函证 / this branch does not answer confirmations".into(),
        }),
    )?;
    l.commit()?;
    Ok((l, DemoConfirmation { request, authorization, response, correction, acceptance, maker }))
}
