//! Apply documents to the ledger state: the confirmation state machine.
//!
//! [`State::apply`] is the one function every validator runs on every envelope, in block
//! order, with the block's time. It is deterministic (no clock, no randomness, ordered
//! maps only) and all-or-nothing: it checks every rule first and changes the state only
//! when all pass. Each refusal is a [`Rejection`] naming the rule of `docs/PROTOCOL.md`
//! §State machine that was broken.
//!
//! # Terminology
//!
//! - *Block time*: the `time_ms` of the block carrying the envelope; "today" is its civil
//!   date in the network's time zone. Enrollment, revocation, deadlines and lateness are
//!   all judged against block time, never the author's `created_ms`.
//! - *Request status*: see [`Status`]. Terminal statuses accept no further documents
//!   except corrections and acceptance where stated.
//!
//! ```text
//! request ─► awaiting_authorization ─authorize─► authorized ─response─► answered ─accept─► accepted
//!                 │        │                        │  │  │               ▲   │correction     │correction
//!                 │        └─refuse─► refused       │  │  └─return─► returned  └───────────────┘
//!                 └─withdraw/decline─► withdrawn/declined ◄─┘
//! ```

use crate::calendar::Calendar;
use crate::date::Date;
use crate::documents::{
    Accept, Authorization, BankRules, ClientEnroll, ClientRevoke, Correction, Decision, DocType, Document,
    Enroll, Request, Response, Revoke,
};
use crate::encoding::Hash;
use crate::envelope::Envelope;
use crate::genesis::{Genesis, Org, Policy, Role};
use crate::ids::{ClientRef, NetworkId, OrgId, PersonId};
use crate::keys::{EncryptionKey, PublicKey};
use crate::limits::{ENVELOPE_AGE_MS_MAX, ENVELOPE_FUTURE_MS_MAX, RESPONSE_DAYS_MAX, RULES_BRANCHES_MAX};
use crate::seal::Sealed;
use serde::{Deserialize, Serialize};
// Persistent maps: a copy of the state (a proposer's trial, the mempool's pending view)
// shares its nodes with the original instead of copying every record (decision 0010).
// Requests, the largest records, sit behind `Arc` so that copying a shared node on write
// copies pointers, not records.
use imbl::{OrdMap, OrdSet};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// A refusal by the state machine. Each names the rule broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// The same envelope was already committed (a duplicate or a replay).
    #[error("R-ST-1: document {0} is already on the ledger (duplicate or replay)")]
    Duplicate(Hash),
    /// `created_ms` too far from block time.
    #[error(
        "R-ST-2: created_ms {created_ms} is outside the window [{earliest}, {latest}] around block time {block_ms}"
    )]
    Stale {
        /// Claimed creation time.
        created_ms: u64,
        /// Block time.
        block_ms: u64,
        /// Earliest accepted.
        earliest: u64,
        /// Latest accepted.
        latest: u64,
    },
    /// The signing key is not enrolled for the org, or was revoked, at block time.
    #[error("R-ST-3: key {key} is not an active key of {org} at block time ({detail})")]
    NotEnrolled {
        /// The org claimed.
        org: OrgId,
        /// The key (base64).
        key: String,
        /// What is wrong.
        detail: &'static str,
    },
    /// The signer's kind (admin, person, client) or org's role may not sign this type.
    #[error("{rule}: {doc_type} must be signed by {expected}; got {got}")]
    WrongSigner {
        /// Rule id.
        rule: &'static str,
        /// Document type.
        doc_type: &'static str,
        /// Who may sign.
        expected: String,
        /// Who signed.
        got: String,
    },
    /// The document refers to an org, client, key or request that does not exist.
    #[error("{rule}: {what} {id} is unknown")]
    Unknown {
        /// Rule id.
        rule: &'static str,
        /// What kind of thing.
        what: &'static str,
        /// Its id.
        id: String,
    },
    /// The request is not in a status that allows this document.
    #[error("{rule}: request {request} is {status}; {doc_type} needs it to be {expected}")]
    WrongStatus {
        /// Rule id.
        rule: &'static str,
        /// The request.
        request: Hash,
        /// Current status.
        status: Status,
        /// Document type.
        doc_type: &'static str,
        /// Allowed statuses.
        expected: &'static str,
    },
    /// Something already registered is registered again.
    #[error("{rule}: {what} {id} is already registered")]
    AlreadyRegistered {
        /// Rule id.
        rule: &'static str,
        /// What kind of thing.
        what: &'static str,
        /// Its id.
        id: String,
    },
    /// A sealed payload's recipient list is not exactly the one the rules require.
    #[error("{rule}: sealed recipients are {got:?}, expected exactly {expected:?}")]
    Recipients {
        /// Rule id.
        rule: &'static str,
        /// Labels found.
        got: Vec<String>,
        /// Labels required.
        expected: Vec<String>,
    },
    /// A field's value breaks a rule (named in the message).
    #[error("{rule}: {detail}")]
    Invalid {
        /// Rule id.
        rule: &'static str,
        /// What is wrong, with got/expected.
        detail: String,
    },
}

/// A request's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Sent; waiting for the client's authorization.
    AwaitingAuthorization,
    /// The client refused.
    AuthorizationRefused,
    /// The client authorized; the bank may read and answer.
    Authorized,
    /// The bank returned it (pre-check failed).
    Returned,
    /// The bank answered (possibly corrected since).
    Answered,
    /// The bank declined to answer.
    Declined,
    /// The auditor withdrew it.
    Withdrawn,
    /// The auditor accepted the latest answer (验收).
    Accepted,
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = match self {
            Status::AwaitingAuthorization => "awaiting_authorization",
            Status::AuthorizationRefused => "authorization_refused",
            Status::Authorized => "authorized",
            Status::Returned => "returned",
            Status::Answered => "answered",
            Status::Declined => "declined",
            Status::Withdrawn => "withdrawn",
            Status::Accepted => "accepted",
        };
        f.write_str(s)
    }
}

/// What kind of key signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum KeyKind {
    /// The org's admin key from genesis.
    Admin,
    /// An enrolled person.
    Person {
        /// The person's id.
        person: PersonId,
        /// Name.
        name: String,
        /// Position.
        title: String,
    },
    /// A client enrolled by a bank (the key's org is that bank).
    Client {
        /// The bank's reference.
        client: ClientRef,
    },
}

/// A key's registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRecord {
    /// The org (for clients, the enrolling bank).
    pub org: OrgId,
    /// Admin, person or client.
    pub kind: KeyKind,
    /// Block time it took effect (0 for genesis keys).
    pub enrolled_ms: u64,
    /// Block time it was revoked, if it was.
    pub revoked_ms: Option<u64>,
    /// The enrolling document (none for genesis keys).
    pub enrolled_by: Option<Hash>,
}

/// A client enrolled by a bank.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientRecord {
    /// Signing key.
    pub key: PublicKey,
    /// Encryption key.
    pub encryption_key: EncryptionKey,
    /// Revoked at block time, if it was.
    pub revoked_ms: Option<u64>,
}

/// One answer (response or correction) to a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerRecord {
    /// The answer's document id.
    pub id: Hash,
    /// Block time.
    pub at_ms: u64,
    /// Answered after the deadline.
    pub late: bool,
    /// Matches or differences.
    pub conclusion: crate::documents::Conclusion,
}

/// Everything the ledger knows about one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestRecord {
    /// Auditor org.
    pub auditor: OrgId,
    /// Addressed bank.
    pub bank: OrgId,
    /// Client reference at that bank.
    pub client: ClientRef,
    /// Form.
    pub form: crate::documents::Form,
    /// As-of date.
    pub as_of: Date,
    /// Letter number.
    pub letter_no: String,
    /// Working days to answer after authorization.
    pub response_days: u32,
    /// Commitment to the sealed contents.
    pub commitment: Hash,
    /// Block time of the request.
    pub requested_ms: u64,
    /// Last day the client may authorize.
    pub authorize_by: Date,
    /// Status.
    pub status: Status,
    /// The authorization or refusal document, with its block time.
    pub authorization: Option<(Hash, u64)>,
    /// Answer due date (set on authorization).
    pub due: Option<Date>,
    /// Last day the authorization lets the bank answer.
    pub valid_until: Option<Date>,
    /// Every answer in order; the last is current.
    pub answers: Vec<AnswerRecord>,
    /// The closing document (return, decline, withdraw), if any.
    pub closed_by: Option<Hash>,
    /// The acceptance, if any (cleared by a later correction).
    pub accepted: Option<Hash>,
}

/// A bank's rules in force: the latest `bank_rules` it published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RulesRecord {
    /// The `bank_rules` document.
    pub id: Hash,
    /// Block time it took effect.
    pub published_ms: u64,
    /// The person who signed it.
    pub author: PublicKey,
    /// The rules.
    pub rules: BankRules,
}

/// What applying a document did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The document id.
    pub id: Hash,
    /// The request it concerns (its own id for a request).
    pub request: Option<Hash>,
    /// The request's status afterwards.
    pub status: Option<Status>,
    /// For answers: whether it was late.
    pub late: bool,
}

/// The ledger state every validator keeps. Serializable only so that a node can keep it
/// as a resume point ([`crate::verify::Resumable`]); it is never hashed or signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    network: NetworkId,
    utc_offset_minutes: i16,
    policy: Policy,
    orgs: BTreeMap<OrgId, Org>,
    /// Every registered signing key.
    pub keys: OrdMap<PublicKey, KeyRecord>,
    /// Clients by (bank, reference).
    pub clients: OrdMap<(OrgId, ClientRef), ClientRecord>,
    /// Persons by (org, id), to keep person ids unique.
    persons: OrdSet<(OrgId, PersonId)>,
    /// The working-day calendar.
    pub calendar: Calendar,
    /// Requests by document id.
    pub requests: OrdMap<Hash, Arc<RequestRecord>>,
    letter_numbers: OrdMap<(OrgId, String), Hash>,
    /// Answer id → request id.
    pub answers: OrdMap<Hash, Hash>,
    /// Every committed document id.
    pub documents: OrdSet<Hash>,
    /// Each bank's rules in force.
    pub bank_rules: OrdMap<OrgId, Arc<RulesRecord>>,
}

fn org_label(org: &OrgId) -> String {
    format!("org/{org}")
}

fn client_label(bank: &OrgId, client: &ClientRef) -> String {
    format!("client/{bank}/{client}")
}

fn signer_desc(record: Option<&KeyRecord>) -> String {
    match record {
        None => "an unregistered key".into(),
        Some(r) => match &r.kind {
            KeyKind::Admin => format!("the admin key of {}", r.org),
            KeyKind::Person { person, .. } => format!("person {person} of {}", r.org),
            KeyKind::Client { client } => format!("client {client} of {}", r.org),
        },
    }
}

/// R-RULES-2: forms and branches listed once each, in order; at least one scope; a
/// deadline within `RESPONSE_DAYS_MAX`; a fee that is not negative.
pub fn check_rules(rules: &BankRules) -> Result<(), Rejection> {
    let invalid = |detail: String| Rejection::Invalid { rule: "R-RULES-2", detail };
    if rules.forms.is_empty() {
        return Err(invalid("forms is empty: list at least one form the bank answers".into()));
    }
    if !rules.forms.windows(2).all(|w| matches!(w, [a, b] if a < b)) {
        return Err(invalid(
            "forms must list each form once, in the order form1, form2, capital_verification".into(),
        ));
    }
    if rules.branches.len() > RULES_BRANCHES_MAX {
        return Err(invalid(format!(
            "{} branches listed; at most {RULES_BRANCHES_MAX}",
            rules.branches.len()
        )));
    }
    if !rules.branches.windows(2).all(|w| matches!(w, [a, b] if a.as_bytes() < b.as_bytes())) {
        return Err(invalid("branches must list each branch once, in byte order".into()));
    }
    if !rules.whole_bank && rules.branches.is_empty() {
        return Err(invalid("no scope accepted: set whole_bank or list branches".into()));
    }
    if rules.response_days == 0 || rules.response_days > RESPONSE_DAYS_MAX {
        return Err(invalid(format!(
            "response_days is {}; expected 1 to {RESPONSE_DAYS_MAX}",
            rules.response_days
        )));
    }
    if let Some(fee) = &rules.fee
        && fee.amount.is_negative()
    {
        return Err(invalid(format!("fee.amount {} is negative", fee.amount.as_str())));
    }
    Ok(())
}

impl State {
    /// The state at genesis: members' admin keys registered, calendar loaded.
    pub fn new(genesis: &Genesis) -> State {
        let mut keys = OrdMap::new();
        for org in &genesis.orgs {
            keys.insert(
                org.admin_key,
                KeyRecord {
                    org: org.id.clone(),
                    kind: KeyKind::Admin,
                    enrolled_ms: 0,
                    revoked_ms: None,
                    enrolled_by: None,
                },
            );
        }
        State {
            network: genesis.network.clone(),
            utc_offset_minutes: genesis.utc_offset_minutes,
            policy: genesis.policy.clone(),
            orgs: genesis.orgs.iter().map(|o| (o.id.clone(), o.clone())).collect(),
            keys,
            clients: OrdMap::new(),
            persons: OrdSet::new(),
            calendar: genesis.initial_calendar(),
            requests: OrdMap::new(),
            letter_numbers: OrdMap::new(),
            answers: OrdMap::new(),
            documents: OrdSet::new(),
            bank_rules: OrdMap::new(),
        }
    }

    /// The network id.
    pub fn network(&self) -> &NetworkId {
        &self.network
    }

    /// The civil date of a block time.
    pub fn date_of(&self, ms: u64) -> Date {
        Date::from_unix_ms(ms, self.utc_offset_minutes)
    }

    /// A request's record.
    pub fn request(&self, id: &Hash) -> Option<&RequestRecord> {
        self.requests.get(id).map(|r| &**r)
    }

    /// The key's registration if it is active for `org` at `at_ms`.
    fn active_key(&self, org: &OrgId, key: &PublicKey, at_ms: u64) -> Result<&KeyRecord, Rejection> {
        let not = |detail| Rejection::NotEnrolled { org: org.clone(), key: key.to_b64(), detail };
        let record = self.keys.get(key).ok_or_else(|| not("never enrolled"))?;
        if &record.org != org {
            return Err(not("enrolled for another organization"));
        }
        if record.enrolled_ms > at_ms {
            return Err(not("enrolled after this block"));
        }
        if record.revoked_ms.is_some_and(|r| r <= at_ms) {
            return Err(not("revoked"));
        }
        if let KeyKind::Client { client } = &record.kind
            && self.clients.get(&(org.clone(), client.clone())).is_some_and(|c| c.revoked_ms.is_some())
        {
            return Err(not("client enrollment revoked"));
        }
        Ok(record)
    }

    fn role(&self, org: &OrgId) -> Option<Role> {
        self.orgs.get(org).map(|o| o.role)
    }

    fn regulator_labels(&self) -> BTreeSet<String> {
        if !self.policy.regulator_reads_contents {
            return BTreeSet::new();
        }
        self.orgs.values().filter(|o| o.role == Role::Regulator).map(|o| org_label(&o.id)).collect()
    }

    fn check_recipients(
        rule: &'static str,
        sealed: &Sealed,
        expected: BTreeSet<String>,
    ) -> Result<(), Rejection> {
        let got: Vec<String> = sealed.recipients.iter().map(|r| r.to.clone()).collect();
        let got_set: BTreeSet<String> = got.iter().cloned().collect();
        if got_set != expected || got_set.len() != got.len() {
            return Err(Rejection::Recipients { rule, got, expected: expected.into_iter().collect() });
        }
        Ok(())
    }

    fn record_mut(&mut self, id: &Hash, rule: &'static str) -> Result<&mut RequestRecord, Rejection> {
        self.requests.get_mut(id).map(Arc::make_mut).ok_or_else(|| Rejection::Unknown {
            rule,
            what: "request",
            id: id.to_hex(),
        })
    }

    /// Apply one verified envelope at `block_ms`. On error the state is unchanged.
    pub fn apply(&mut self, env: &Envelope, block_ms: u64) -> Result<Applied, Rejection> {
        // R-ST-1: a document is committed at most once.
        if self.documents.contains(&env.id) {
            return Err(Rejection::Duplicate(env.id));
        }
        // R-ST-2: the author's clock may be off, but not by much.
        let earliest = block_ms.saturating_sub(ENVELOPE_AGE_MS_MAX);
        let latest = block_ms.saturating_add(ENVELOPE_FUTURE_MS_MAX);
        if env.created_ms < earliest || env.created_ms > latest {
            return Err(Rejection::Stale { created_ms: env.created_ms, block_ms, earliest, latest });
        }
        // R-ST-3: every signer's key is active for its org at block time.
        let author = self.active_key(&env.author.org, &env.author.key, block_ms)?.clone();
        // A client's enrollment is countersigned with the key it enrolls, which is not yet
        // registered: R-CLI-5 checks that signer instead.
        let checker = match &env.checker {
            Some(c) if env.doc_type() != DocType::ClientEnroll => {
                Some(self.active_key(&c.org, &c.key, block_ms)?.clone())
            }
            _ => None,
        };
        let today = self.date_of(block_ms);
        let doc_type = env.doc_type();
        let name = doc_type.as_str();
        let is_person = matches!(author.kind, KeyKind::Person { .. });
        let wrong = |rule: &'static str, expected: &str| Rejection::WrongSigner {
            rule,
            doc_type: name,
            expected: expected.to_string(),
            got: signer_desc(Some(&author)),
        };
        let mut applied = Applied { id: env.id, request: None, status: None, late: false };

        match &env.document {
            // R-ENR-1: only an org's admin key enrolls its people; R-ENR-2: a key is registered once.
            Document::Enroll(Enroll { person, name: person_name, title, key }) => {
                if author.kind != KeyKind::Admin {
                    return Err(wrong("R-ENR-1", "the organization's admin key"));
                }
                if self.keys.contains_key(key) {
                    return Err(Rejection::AlreadyRegistered {
                        rule: "R-ENR-2",
                        what: "key",
                        id: key.to_b64(),
                    });
                }
                let person_key = (author.org.clone(), person.clone());
                if self.persons.contains(&person_key) {
                    return Err(Rejection::AlreadyRegistered {
                        rule: "R-ENR-2",
                        what: "person",
                        id: format!("{}/{}", author.org, person),
                    });
                }
                self.persons.insert(person_key);
                self.keys.insert(
                    *key,
                    KeyRecord {
                        org: author.org.clone(),
                        kind: KeyKind::Person {
                            person: person.clone(),
                            name: person_name.clone(),
                            title: title.clone(),
                        },
                        enrolled_ms: block_ms,
                        revoked_ms: None,
                        enrolled_by: Some(env.id),
                    },
                );
            }
            // R-ENR-3: the admin key revokes a person key of its own org, once.
            Document::Revoke(Revoke { key, .. }) => {
                if author.kind != KeyKind::Admin {
                    return Err(wrong("R-ENR-3", "the organization's admin key"));
                }
                let record = self.keys.get(key).ok_or_else(|| Rejection::Unknown {
                    rule: "R-ENR-3",
                    what: "key",
                    id: key.to_b64(),
                })?;
                if record.org != author.org || !matches!(record.kind, KeyKind::Person { .. }) {
                    return Err(Rejection::Invalid {
                        rule: "R-ENR-3",
                        detail: format!("key {} is not a person key of {}", key, author.org),
                    });
                }
                if record.revoked_ms.is_some() {
                    return Err(Rejection::Invalid {
                        rule: "R-ENR-3",
                        detail: format!("key {key} is already revoked"),
                    });
                }
                if let Some(r) = self.keys.get_mut(key) {
                    r.revoked_ms = Some(block_ms);
                }
            }
            // R-CLI-1: a person of a bank enrolls its client; R-CLI-2: reference and key unused;
            // R-CLI-3: the identity is sealed for the bank and, by policy, the regulators.
            // R-CLI-5: the client countersigns its enrollment with the key enrolled, for the
            // enrolling bank, proving it holds that key and accepts the encryption key.
            Document::ClientEnroll(ClientEnroll { client, key, encryption_key, identity }) => {
                if !is_person || self.role(&author.org) != Some(Role::Bank) {
                    return Err(wrong("R-CLI-1", "a person of a bank"));
                }
                let countersigned =
                    env.checker.as_ref().is_some_and(|c| &c.key == key && c.org == author.org);
                if !countersigned {
                    return Err(Rejection::WrongSigner {
                        rule: "R-CLI-5",
                        doc_type: name,
                        expected: format!(
                            "the client's own key {} as second signer, for {}",
                            key, author.org
                        ),
                        got: env
                            .checker
                            .as_ref()
                            .map_or("no second signer".into(), |c| format!("key {} for {}", c.key, c.org)),
                    });
                }
                let id = (author.org.clone(), client.clone());
                if self.clients.contains_key(&id) {
                    return Err(Rejection::AlreadyRegistered {
                        rule: "R-CLI-2",
                        what: "client",
                        id: client_label(&author.org, client),
                    });
                }
                if self.keys.contains_key(key) {
                    return Err(Rejection::AlreadyRegistered {
                        rule: "R-CLI-2",
                        what: "key",
                        id: key.to_b64(),
                    });
                }
                let mut expected = self.regulator_labels();
                expected.insert(org_label(&author.org));
                Self::check_recipients("R-CLI-3", identity, expected)?;
                self.clients.insert(
                    id,
                    ClientRecord { key: *key, encryption_key: *encryption_key, revoked_ms: None },
                );
                self.keys.insert(
                    *key,
                    KeyRecord {
                        org: author.org.clone(),
                        kind: KeyKind::Client { client: client.clone() },
                        enrolled_ms: block_ms,
                        revoked_ms: None,
                        enrolled_by: Some(env.id),
                    },
                );
            }
            // R-CLI-4: a person of the enrolling bank revokes the client, once.
            Document::ClientRevoke(ClientRevoke { client, .. }) => {
                if !is_person || self.role(&author.org) != Some(Role::Bank) {
                    return Err(wrong("R-CLI-4", "a person of the enrolling bank"));
                }
                let id = (author.org.clone(), client.clone());
                let record = self.clients.get_mut(&id).ok_or_else(|| Rejection::Unknown {
                    rule: "R-CLI-4",
                    what: "client",
                    id: client_label(&author.org, client),
                })?;
                if record.revoked_ms.is_some() {
                    return Err(Rejection::Invalid {
                        rule: "R-CLI-4",
                        detail: format!("client {client} is already revoked"),
                    });
                }
                record.revoked_ms = Some(block_ms);
                let key = record.key;
                if let Some(k) = self.keys.get_mut(&key) {
                    k.revoked_ms = Some(block_ms);
                }
            }
            // R-CAL-P: a regulator (admin or person) publishes a year's calendar.
            Document::Calendar(year) => {
                if self.role(&author.org) != Some(Role::Regulator)
                    || matches!(author.kind, KeyKind::Client { .. })
                {
                    return Err(wrong("R-CAL-P", "a regulator"));
                }
                let mut calendar = self.calendar.clone();
                calendar
                    .publish(year)
                    .map_err(|e| Rejection::Invalid { rule: "R-CAL-P", detail: e.to_string() })?;
                self.calendar = calendar;
            }
            Document::Request(request) => {
                self.check_request(&author, request, today)?;
                let authorize_by = self.working_days_after(today, self.policy.authorization_window_days)?;
                let status = if self.policy.client_authorization_required {
                    Status::AwaitingAuthorization
                } else {
                    Status::Authorized
                };
                let due = if self.policy.client_authorization_required {
                    None
                } else {
                    Some(self.working_days_after(today, request.response_days)?)
                };
                self.letter_numbers.insert((author.org.clone(), request.letter_no.clone()), env.id);
                self.requests.insert(
                    env.id,
                    Arc::new(RequestRecord {
                        auditor: author.org.clone(),
                        bank: request.bank.clone(),
                        client: request.client.clone(),
                        form: request.form,
                        as_of: request.as_of,
                        letter_no: request.letter_no.clone(),
                        response_days: request.response_days,
                        commitment: request.contents.commitment,
                        requested_ms: block_ms,
                        authorize_by,
                        status,
                        authorization: None,
                        due,
                        valid_until: None,
                        answers: Vec::new(),
                        closed_by: None,
                        accepted: None,
                    }),
                );
                applied.request = Some(env.id);
                applied.status = Some(status);
            }
            Document::Authorization(auth) => {
                let (due, valid_until, status) = self.check_authorization(&author, auth, today)?;
                let record = self.record_mut(&auth.request, "R-AUTH-1")?;
                record.status = status;
                record.authorization = Some((env.id, block_ms));
                record.due = due;
                record.valid_until = valid_until;
                applied.request = Some(auth.request);
                applied.status = Some(status);
            }
            // R-RET-1: a person of the addressed bank; R-RET-2: before any answer, after
            // the authorization (the bank could not read it before).
            Document::Return(ret) => {
                let record = self.bank_may_act(&ret.request, &author, "R-RET-1", name)?;
                Self::status_in(record, &ret.request, "R-RET-2", name, &[Status::Authorized], "authorized")?;
                self.close(&ret.request, Status::Returned, env.id, "R-RET-1")?;
                applied.request = Some(ret.request);
                applied.status = Some(Status::Returned);
            }
            Document::Response(Response { request, conclusion, contents }) => {
                let late = self.check_answer(env, &author, checker.as_ref(), request, contents, today)?;
                let record = self.requests.get(request).ok_or_else(|| Rejection::Unknown {
                    rule: "R-RESP-1",
                    what: "request",
                    id: request.to_hex(),
                })?;
                // R-RESP-4: one answer per request; later changes are corrections.
                Self::status_in(record, request, "R-RESP-4", name, &[Status::Authorized], "authorized")?;
                self.record_answer(env.id, *request, block_ms, late, *conclusion)?;
                applied.request = Some(*request);
                applied.status = Some(Status::Answered);
                applied.late = late;
            }
            Document::Correction(Correction { request, supersedes, conclusion, contents, .. }) => {
                let late = self.check_answer(env, &author, checker.as_ref(), request, contents, today)?;
                let record = self.requests.get(request).ok_or_else(|| Rejection::Unknown {
                    rule: "R-COR-1",
                    what: "request",
                    id: request.to_hex(),
                })?;
                // R-COR-1: only an answered (or accepted) request is corrected, and only its
                // latest answer is superseded.
                Self::status_in(
                    record,
                    request,
                    "R-COR-1",
                    name,
                    &[Status::Answered, Status::Accepted],
                    "answered or accepted",
                )?;
                let latest = record.answers.last().map(|a| a.id);
                if latest != Some(*supersedes) {
                    return Err(Rejection::Invalid {
                        rule: "R-COR-2",
                        detail: format!(
                            "supersedes {} but the latest answer is {}",
                            supersedes,
                            latest.map(|h| h.to_hex()).unwrap_or_default()
                        ),
                    });
                }
                self.record_answer(env.id, *request, block_ms, late, *conclusion)?;
                applied.request = Some(*request);
                applied.status = Some(Status::Answered);
                applied.late = late;
            }
            // R-DEC-1: a person of the addressed bank declines, before answering.
            Document::Decline(dec) => {
                let record = self.bank_may_act(&dec.request, &author, "R-DEC-1", name)?;
                Self::status_in(
                    record,
                    &dec.request,
                    "R-DEC-2",
                    name,
                    &[Status::AwaitingAuthorization, Status::Authorized],
                    "awaiting_authorization or authorized",
                )?;
                self.close(&dec.request, Status::Declined, env.id, "R-DEC-1")?;
                applied.request = Some(dec.request);
                applied.status = Some(Status::Declined);
            }
            // R-WDR-1: a person of the requesting firm withdraws, before an answer.
            Document::Withdraw(w) => {
                let record = self.auditor_may_act(&w.request, &author, "R-WDR-1", name)?;
                Self::status_in(
                    record,
                    &w.request,
                    "R-WDR-2",
                    name,
                    &[Status::AwaitingAuthorization, Status::Authorized],
                    "awaiting_authorization or authorized",
                )?;
                self.close(&w.request, Status::Withdrawn, env.id, "R-WDR-1")?;
                applied.request = Some(w.request);
                applied.status = Some(Status::Withdrawn);
            }
            // R-ACC-1: a person of the requesting firm accepts the latest answer.
            Document::Accept(Accept { request, response, .. }) => {
                let record = self.auditor_may_act(request, &author, "R-ACC-1", name)?;
                Self::status_in(record, request, "R-ACC-2", name, &[Status::Answered], "answered")?;
                let latest = record.answers.last().map(|a| a.id);
                if latest != Some(*response) {
                    return Err(Rejection::Invalid {
                        rule: "R-ACC-2",
                        detail: format!(
                            "accepts {} but the latest answer is {}",
                            response,
                            latest.map(|h| h.to_hex()).unwrap_or_default()
                        ),
                    });
                }
                let record = self.record_mut(request, "R-ACC-1")?;
                record.status = Status::Accepted;
                record.accepted = Some(env.id);
                applied.request = Some(*request);
                applied.status = Some(Status::Accepted);
            }
            // R-RULES-1: a person of a bank publishes its rules; R-RULES-2: they are well formed.
            Document::BankRules(rules) => {
                if self.role(&author.org) != Some(Role::Bank) || !is_person {
                    return Err(wrong("R-RULES-1", "a person of a bank"));
                }
                check_rules(rules)?;
                let record = RulesRecord {
                    id: env.id,
                    published_ms: block_ms,
                    author: env.author.key,
                    rules: rules.clone(),
                };
                self.bank_rules.insert(author.org.clone(), Arc::new(record));
            }
        }
        self.documents.insert(env.id);
        Ok(applied)
    }

    fn working_days_after(&self, start: Date, days: u32) -> Result<Date, Rejection> {
        self.calendar
            .add_working_days(start, days)
            .map_err(|e| Rejection::Invalid { rule: "R-CAL-8", detail: e.to_string() })
    }

    fn status_in(
        record: &RequestRecord,
        request: &Hash,
        rule: &'static str,
        doc_type: &'static str,
        allowed: &[Status],
        expected: &'static str,
    ) -> Result<(), Rejection> {
        if allowed.contains(&record.status) {
            return Ok(());
        }
        Err(Rejection::WrongStatus { rule, request: *request, status: record.status, doc_type, expected })
    }

    /// The request, if `author` is a person of the addressed bank.
    fn bank_may_act(
        &self,
        request: &Hash,
        author: &KeyRecord,
        rule: &'static str,
        doc_type: &'static str,
    ) -> Result<&RequestRecord, Rejection> {
        self.party_may_act(request, author, rule, doc_type, |r| (&r.bank, "the addressed bank"))
    }

    /// The request, if `author` is a person of the requesting firm.
    fn auditor_may_act(
        &self,
        request: &Hash,
        author: &KeyRecord,
        rule: &'static str,
        doc_type: &'static str,
    ) -> Result<&RequestRecord, Rejection> {
        self.party_may_act(request, author, rule, doc_type, |r| (&r.auditor, "the requesting firm"))
    }

    fn party_may_act(
        &self,
        request: &Hash,
        author: &KeyRecord,
        rule: &'static str,
        doc_type: &'static str,
        party: impl Fn(&RequestRecord) -> (&OrgId, &'static str),
    ) -> Result<&RequestRecord, Rejection> {
        let record = self.requests.get(request).ok_or_else(|| Rejection::Unknown {
            rule,
            what: "request",
            id: request.to_hex(),
        })?;
        let (org, role) = party(record);
        if !matches!(author.kind, KeyKind::Person { .. }) || &author.org != org {
            return Err(Rejection::WrongSigner {
                rule,
                doc_type,
                expected: format!("a person of {role} {org}"),
                got: signer_desc(Some(author)),
            });
        }
        Ok(record)
    }

    fn check_request(&self, author: &KeyRecord, request: &Request, today: Date) -> Result<(), Rejection> {
        // R-REQ-1: a person of an audit firm sends requests.
        if !matches!(author.kind, KeyKind::Person { .. }) || self.role(&author.org) != Some(Role::AuditFirm) {
            return Err(Rejection::WrongSigner {
                rule: "R-REQ-1",
                doc_type: "request",
                expected: "a person of an audit firm".into(),
                got: signer_desc(Some(author)),
            });
        }
        // R-REQ-2: the addressed org is a bank.
        match self.role(&request.bank) {
            Some(Role::Bank) => {}
            Some(other) => {
                return Err(Rejection::Invalid {
                    rule: "R-REQ-2",
                    detail: format!("addressee {} has role {:?}, expected bank", request.bank, other),
                });
            }
            None => {
                return Err(Rejection::Unknown {
                    rule: "R-REQ-2",
                    what: "bank",
                    id: request.bank.to_string(),
                });
            }
        }
        // R-REQ-3: the client is enrolled at that bank and not revoked.
        let client = self.clients.get(&(request.bank.clone(), request.client.clone()));
        if client.is_none_or(|c| c.revoked_ms.is_some()) {
            return Err(Rejection::Unknown {
                rule: "R-REQ-3",
                what: "active client",
                id: client_label(&request.bank, &request.client),
            });
        }
        // R-REQ-4: letter numbers are unique within a firm.
        if let Some(previous) = self.letter_numbers.get(&(author.org.clone(), request.letter_no.clone())) {
            return Err(Rejection::AlreadyRegistered {
                rule: "R-REQ-4",
                what: "letter number",
                id: format!("{} (request {})", request.letter_no, previous),
            });
        }
        // R-REQ-5: the deadline is between 1 and RESPONSE_DAYS_MAX working days.
        if request.response_days == 0 || request.response_days > RESPONSE_DAYS_MAX {
            return Err(Rejection::Invalid {
                rule: "R-REQ-5",
                detail: format!("response_days {} is outside 1..={RESPONSE_DAYS_MAX}", request.response_days),
            });
        }
        // R-REQ-6: the as-of date is not in the future.
        if request.as_of > today {
            return Err(Rejection::Invalid {
                rule: "R-REQ-6",
                detail: format!("as_of {} is after the block date {}", request.as_of, today),
            });
        }
        // R-REQ-7: contents are sealed for the auditor, the client and, by policy, the
        // regulators; the bank only when no authorization is required.
        let mut expected = self.regulator_labels();
        expected.insert(org_label(&author.org));
        expected.insert(client_label(&request.bank, &request.client));
        if !self.policy.client_authorization_required {
            expected.insert(org_label(&request.bank));
        }
        Self::check_recipients("R-REQ-7", &request.contents, expected)?;
        Ok(())
    }

    fn check_authorization(
        &self,
        author: &KeyRecord,
        auth: &Authorization,
        today: Date,
    ) -> Result<(Option<Date>, Option<Date>, Status), Rejection> {
        let record = self.requests.get(&auth.request).ok_or_else(|| Rejection::Unknown {
            rule: "R-AUTH-1",
            what: "request",
            id: auth.request.to_hex(),
        })?;
        // R-AUTH-1: only the request's client, with the key its bank enrolled, decides.
        let is_client = matches!(&author.kind, KeyKind::Client { client } if *client == record.client)
            && author.org == record.bank;
        if !is_client {
            return Err(Rejection::WrongSigner {
                rule: "R-AUTH-1",
                doc_type: "authorization",
                expected: format!("client {} of {}", record.client, record.bank),
                got: signer_desc(Some(author)),
            });
        }
        // R-AUTH-2: decided once, while awaiting authorization.
        Self::status_in(
            record,
            &auth.request,
            "R-AUTH-2",
            "authorization",
            &[Status::AwaitingAuthorization],
            "awaiting_authorization",
        )?;
        // R-AUTH-3: within the authorization window.
        if today > record.authorize_by {
            return Err(Rejection::Invalid {
                rule: "R-AUTH-3",
                detail: format!(
                    "authorization window closed on {} (today is {}); the auditor must send a new request",
                    record.authorize_by, today
                ),
            });
        }
        match auth.decision {
            // R-AUTH-4: an authorization carries the content key for the bank and a validity
            // date not before the answer's due date, and no reason.
            Decision::Authorize => {
                let due = self.working_days_after(today, record.response_days)?;
                let (Some(valid_until), Some(_), None) = (auth.valid_until, &auth.bank_key, &auth.reason)
                else {
                    return Err(Rejection::Invalid {
                        rule: "R-AUTH-4",
                        detail: "an authorization needs valid_until and bank_key, and no reason".into(),
                    });
                };
                if valid_until < due {
                    return Err(Rejection::Invalid {
                        rule: "R-AUTH-4",
                        detail: format!("valid_until {valid_until} is before the answer's due date {due}"),
                    });
                }
                Ok((Some(due), Some(valid_until), Status::Authorized))
            }
            // R-AUTH-5: a refusal carries a reason and nothing else.
            Decision::Refuse => {
                if auth.reason.is_none() || auth.valid_until.is_some() || auth.bank_key.is_some() {
                    return Err(Rejection::Invalid {
                        rule: "R-AUTH-5",
                        detail: "a refusal needs a reason, and no valid_until or bank_key".into(),
                    });
                }
                Ok((None, None, Status::AuthorizationRefused))
            }
        }
    }

    /// Rules shared by responses and corrections. Returns whether the answer is late.
    fn check_answer(
        &self,
        env: &Envelope,
        author: &KeyRecord,
        checker: Option<&KeyRecord>,
        request: &Hash,
        contents: &Sealed,
        today: Date,
    ) -> Result<bool, Rejection> {
        let name = env.doc_type().as_str();
        // R-RESP-1: the maker is a person of the addressed bank.
        let record = self.bank_may_act(request, author, "R-RESP-1", name)?;
        // R-RESP-2: the checker is another person of the same bank.
        let checker_ok = match checker {
            Some(c) => {
                matches!(c.kind, KeyKind::Person { .. }) && c.org == record.bank && c.kind != author.kind
            }
            None => false,
        };
        if !checker_ok {
            return Err(Rejection::WrongSigner {
                rule: "R-RESP-2",
                doc_type: name,
                expected: format!("a second person of {} as checker (复核人)", record.bank),
                got: signer_desc(checker),
            });
        }
        // R-RESP-3: answered under a valid authorization (when the policy requires one).
        if self.policy.client_authorization_required
            && let Some(valid_until) = record.valid_until
            && today > valid_until
        {
            return Err(Rejection::Invalid {
                rule: "R-RESP-3",
                detail: format!("the client's authorization expired on {valid_until} (today is {today})"),
            });
        }
        // R-RESP-5: sealed for the auditor, the bank and, by policy, the regulators.
        let mut expected = self.regulator_labels();
        expected.insert(org_label(&record.auditor));
        expected.insert(org_label(&record.bank));
        Self::check_recipients("R-RESP-5", contents, expected)?;
        // R-RESP-6: late answers are accepted, and marked late.
        Ok(record.due.is_some_and(|due| today > due))
    }

    /// End a request with a closing document (return, decline, withdrawal).
    fn close(
        &mut self,
        request: &Hash,
        status: Status,
        by: Hash,
        rule: &'static str,
    ) -> Result<(), Rejection> {
        let record = self.record_mut(request, rule)?;
        record.status = status;
        record.closed_by = Some(by);
        Ok(())
    }

    fn record_answer(
        &mut self,
        id: Hash,
        request: Hash,
        at_ms: u64,
        late: bool,
        conclusion: crate::documents::Conclusion,
    ) -> Result<(), Rejection> {
        let record = self.record_mut(&request, "R-RESP-1")?;
        record.answers.push(AnswerRecord { id, at_ms, late, conclusion });
        record.status = Status::Answered;
        record.accepted = None;
        self.answers.insert(id, request);
        Ok(())
    }
}
