//! Prepare a custodial draft: compose the document an action asks for, exactly as the
//! CLI would (`vouch_core::compose`), with the keys the node holds for the signer, then
//! try it against the committed state with the state machine validators run, so that a
//! refusal comes before anyone is asked to sign.
//!
//! The trial signs in memory with the held keys and drops the result: the state machine
//! only takes signed envelopes. Nothing signed leaves this module.

use crate::auth::Principal;
use crate::custody::{HeldKeys, Holder, Keystore};
use crate::problem::{FieldProblem, Kind, Problem};
use crate::service::Ledger;
use crate::view::View;
use serde::Deserialize;
use vouch_core::compose::{self, ComposeError, RequestLetter};
use vouch_core::date::Date;
use vouch_core::documents::{Accept, Decline, Document, Return, ReturnReason, Withdraw};
use vouch_core::encoding::Hash;
use vouch_core::envelope::{Draft, Envelope, Signer};
use vouch_core::ids::PersonId;
use vouch_core::items::ResponseContents;
use vouch_core::state::{RequestRecord, State};

/// What the signer asks the node to prepare: `{"action": …, …fields}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// An auditor's request: the letter's fields and contents (as the CLI's request file).
    Request(RequestLetter),
    /// The client authorizes the bank to answer, until `valid_until`.
    Authorize {
        /// The request.
        request: Hash,
        /// Last day the bank may answer.
        valid_until: Date,
    },
    /// The client refuses.
    Refuse {
        /// The request.
        request: Hash,
        /// Why.
        reason: String,
    },
    /// The bank returns the request (pre-checks failed).
    Return {
        /// The request.
        request: Hash,
        /// Coded reason.
        reason: ReturnReason,
        /// Detail.
        #[serde(default)]
        note: Option<String>,
    },
    /// The bank's maker answers; `checker` (another person of the bank) co-signs.
    Respond {
        /// The request.
        request: Hash,
        /// The checker's person id.
        checker: PersonId,
        /// The item-by-item answer.
        contents: ResponseContents,
    },
    /// The bank corrects its latest answer (or `supersedes`, which must be the latest).
    Correct {
        /// The request.
        request: Hash,
        /// The checker's person id.
        checker: PersonId,
        /// The answer superseded; the latest by default.
        #[serde(default)]
        supersedes: Option<Hash>,
        /// Why the answer changed.
        reason: String,
        /// The new answer.
        contents: ResponseContents,
    },
    /// The bank declines to answer.
    Decline {
        /// The request.
        request: Hash,
        /// Why.
        reason: String,
    },
    /// The auditor withdraws the request.
    Withdraw {
        /// The request.
        request: Hash,
        /// Why.
        reason: String,
    },
    /// The auditor accepts the latest answer (or `response`, which must be the latest).
    Accept {
        /// The request.
        request: Hash,
        /// The answer accepted; the latest by default.
        #[serde(default)]
        response: Option<Hash>,
        /// A note for the working papers.
        #[serde(default)]
        note: Option<String>,
    },
}

impl Action {
    /// The action's name, as in the body.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Request(_) => "request",
            Action::Authorize { .. } => "authorize",
            Action::Refuse { .. } => "refuse",
            Action::Return { .. } => "return",
            Action::Respond { .. } => "respond",
            Action::Correct { .. } => "correct",
            Action::Decline { .. } => "decline",
            Action::Withdraw { .. } => "withdraw",
            Action::Accept { .. } => "accept",
        }
    }
}

/// A composed, validated, unsigned document.
pub struct Prepared {
    /// The envelope to sign.
    pub draft: Draft,
    /// Who signs it first (the author).
    pub author: Holder,
    /// Who co-signs it (the checker), for answers.
    pub checker: Option<Holder>,
    /// The plaintext the signers vouch for (sealed in the document), if any.
    pub contents: Option<serde_json::Value>,
    /// For an authorization: the letter the client authorizes the bank to answer.
    pub letter: Option<serde_json::Value>,
}

/// Everything preparing reads.
pub struct Inputs<'a> {
    /// The ledger (for envelopes by leaf).
    pub ledger: &'a dyn Ledger,
    /// The committed view.
    pub view: &'a View,
    /// The signer's token.
    pub principal: &'a Principal,
    /// Whose keys the token signs with.
    pub holder: &'a Holder,
    /// Those keys.
    pub keys: &'a HeldKeys,
    /// The keystore (for a checker's key).
    pub keystore: &'a dyn Keystore,
    /// The draft's creation time (the node's clock).
    pub now_ms: u64,
}

fn invalid(field: &str, detail: impl std::fmt::Display) -> Problem {
    let detail = detail.to_string();
    Problem::new(Kind::InvalidDraft, format!("{field}: {detail}")).with_errors(vec![FieldProblem {
        row: None,
        field: field.to_string(),
        detail,
    }])
}

fn composed(e: ComposeError) -> Problem {
    match e {
        ComposeError::Input { what, detail } => invalid(&what, detail),
        ComposeError::Seal(e) => invalid("contents", format!("cannot seal or open the contents: {e}")),
    }
}

/// The committed request `id` as this caller may see it (its record and envelope), or
/// `invalid-draft` naming `request`: an unseen request answers as an unknown one.
fn request_of<'v>(inputs: &Inputs<'v>, id: &Hash) -> Result<(&'v RequestRecord, Envelope), Problem> {
    let unknown = || invalid("request", format!("no request {id} on the ledger that this token may see"));
    let record = inputs.view.request(id).ok_or_else(unknown)?;
    if !inputs.principal.sees(record) {
        return Err(unknown());
    }
    Ok((record, envelope_at(inputs, id)?))
}

/// The committed envelope with id `id`.
fn envelope_at(inputs: &Inputs<'_>, id: &Hash) -> Result<Envelope, Problem> {
    let missing =
        || Problem::new(Kind::Store, format!("document {id} is indexed but its leaf cannot be read"));
    let leaf = inputs.view.leaf_of(id).ok_or_else(missing)?;
    let bytes = inputs.ledger.leaf(leaf).map_err(crate::store)?.ok_or_else(missing)?;
    Envelope::decode(&bytes, &inputs.ledger.genesis().network)
        .map_err(|e| Problem::new(Kind::Store, format!("stored document {id} does not decode: {e}")))
}

fn decryption<'k>(inputs: &Inputs<'k>, why: &str) -> Result<&'k vouch_core::keys::DecryptionKey, Problem> {
    inputs.keys.decryption.as_ref().ok_or_else(|| {
        Problem::new(
            Kind::NoSigner,
            format!(
                "the node holds no X25519 key for {} of {}, needed {why}; add it with `vouchd keystore add --decryption-key`",
                inputs.holder, inputs.principal.org
            ),
        )
    })
}

fn latest_answer(record: &RequestRecord, request: &Hash) -> Result<Hash, Problem> {
    record
        .answers
        .last()
        .map(|a| a.id)
        .ok_or_else(|| invalid("request", format!("request {request} has no answer yet")))
}

fn to_json<T: serde::Serialize>(value: &T) -> Option<serde_json::Value> {
    serde_json::to_value(value).ok()
}

/// Compose the document `action` asks for, as the token's signer.
pub fn prepare(
    inputs: &Inputs<'_>,
    action: Action,
    rng: &mut impl rand_core::CryptoRngCore,
) -> Result<Prepared, Problem> {
    let genesis = inputs.ledger.genesis();
    let org = &inputs.principal.org;
    let mut checker = None;
    let mut contents = None;
    let mut letter = None;
    let document = match action {
        Action::Request(l) => {
            let client_key = match inputs.view.state().clients.get(&(l.bank.clone(), l.client.clone())) {
                Some(c) if c.revoked_ms.is_none() => c.encryption_key,
                Some(_) => return Err(invalid("client", format!("{} was revoked at {}", l.client, l.bank))),
                None => return Err(invalid("client", format!("{} is not enrolled at {}", l.client, l.bank))),
            };
            contents = to_json(&l.contents);
            compose::request(genesis, org, &l, client_key, rng).map_err(composed)?
        }
        Action::Authorize { request, valid_until } => {
            let (_, env) = request_of(inputs, &request)?;
            let key = decryption(inputs, "to open the request and pass its key to the bank")?;
            let (doc, opened) = compose::authorize(genesis, &env, key, valid_until, rng).map_err(composed)?;
            letter = to_json(&opened);
            doc
        }
        Action::Refuse { request, reason } => {
            let (_, env) = request_of(inputs, &request)?;
            if let Some(key) = inputs.keys.decryption.as_ref() {
                letter = compose::open_as_client(&env, key).ok().and_then(|c| to_json(&c));
            }
            compose::refuse(request, &reason).map_err(composed)?
        }
        Action::Return { request, reason, note } => {
            request_of(inputs, &request)?;
            Document::Return(Return { request, reason, note })
        }
        Action::Respond { request, checker: by, contents: answer } => {
            let (record, env) = request_of(inputs, &request)?;
            checker = Some(checker_of(inputs, by)?);
            let opened = open_letter(inputs, record, &env)?;
            contents = to_json(&answer);
            letter = opened.as_ref().and_then(to_json);
            compose::answer(genesis, &env, &answer, opened.as_ref(), None, rng).map_err(composed)?
        }
        Action::Correct { request, checker: by, supersedes, reason, contents: answer } => {
            let (record, env) = request_of(inputs, &request)?;
            checker = Some(checker_of(inputs, by)?);
            let supersedes = match supersedes {
                Some(h) => h,
                None => latest_answer(record, &request)?,
            };
            let opened = open_letter(inputs, record, &env)?;
            contents = to_json(&answer);
            letter = opened.as_ref().and_then(to_json);
            compose::answer(genesis, &env, &answer, opened.as_ref(), Some((supersedes, reason)), rng)
                .map_err(composed)?
        }
        Action::Decline { request, reason } => {
            request_of(inputs, &request)?;
            Document::Decline(Decline { request, reason })
        }
        Action::Withdraw { request, reason } => {
            request_of(inputs, &request)?;
            Document::Withdraw(Withdraw { request, reason })
        }
        Action::Accept { request, response, note } => {
            let (record, _) = request_of(inputs, &request)?;
            let response = match response {
                Some(h) => h,
                None => latest_answer(record, &request)?,
            };
            Document::Accept(Accept { request, response, note })
        }
    };
    let (checker_holder, checker_keys) = match checker {
        Some((h, k)) => (Some(h), Some(k)),
        None => (None, None),
    };
    let draft = Draft {
        network: genesis.network.clone(),
        created_ms: inputs.now_ms,
        author: Signer { org: org.clone(), key: inputs.keys.signing.public() },
        checker: checker_keys
            .as_ref()
            .map(|k: &HeldKeys| Signer { org: org.clone(), key: k.signing.public() }),
        document,
    };
    let mut state = inputs.view.state().clone();
    trial(&mut state, &draft, inputs.keys, checker_keys.as_ref(), inputs.now_ms)?;
    Ok(Prepared { draft, author: inputs.holder.clone(), checker: checker_holder, contents, letter })
}

/// Sign `draft` in memory and apply it to `state` with block time `now_ms`: `refused`
/// naming the rule, or `invalid-draft` for a document that does not even decode. On
/// success `state` holds the document (a batch tries its rows one after another).
pub fn trial(
    state: &mut State,
    draft: &Draft,
    author: &HeldKeys,
    checker: Option<&HeldKeys>,
    now_ms: u64,
) -> Result<(), Problem> {
    let env = draft
        .clone()
        .sign(&author.signing, checker.map(|k| &k.signing))
        .map_err(|e| Problem::new(Kind::InvalidDraft, format!("the composed document is not valid: {e}")))?;
    state.apply(&env, now_ms).map_err(|e| {
        let detail = e.to_string();
        Problem::new(Kind::Refused, format!("the ledger would refuse this document: {detail}"))
            .with_rule(crate::problem::rule_of(&detail))
    })?;
    Ok(())
}

/// The checker: another person of the maker's org whose keys the node holds.
fn checker_of(inputs: &Inputs<'_>, person: PersonId) -> Result<(Holder, HeldKeys), Problem> {
    let holder = Holder::Person(person);
    if &holder == inputs.holder {
        return Err(invalid("checker", "the checker must be another person than the maker (R-RESP-2)"));
    }
    let keys = inputs
        .keystore
        .keys(&inputs.principal.org, &holder)
        .map_err(|e| Problem::new(Kind::Store, e.to_string()))?
        .ok_or_else(|| {
            invalid(
                "checker",
                format!(
                    "the node holds no keys for {holder} of {}: the checker co-signs through the node, so add theirs with `vouchd keystore add`",
                    inputs.principal.org
                ),
            )
        })?;
    Ok((holder, keys))
}

/// The letter of request `id` as the bank opens it (to answer it item by item), if the
/// client's authorization passed it one.
pub(crate) fn open_request_letter(
    inputs: &Inputs<'_>,
    id: &Hash,
) -> Result<Option<vouch_core::items::RequestContents>, Problem> {
    let (record, env) = request_of(inputs, id)?;
    open_letter(inputs, record, &env)
}

/// The letter, opened with the bank's key, when the client's authorization passed it one
/// (to check the answer item by item); none when the policy lets a bank answer unauthorized.
fn open_letter(
    inputs: &Inputs<'_>,
    record: &RequestRecord,
    request: &Envelope,
) -> Result<Option<vouch_core::items::RequestContents>, Problem> {
    let Some((auth_id, _)) = record.authorization else {
        return Ok(None);
    };
    let authorization = envelope_at(inputs, &auth_id)?;
    if matches!(&authorization.document, Document::Authorization(a) if a.bank_key.is_none()) {
        return Ok(None);
    }
    let key = decryption(inputs, "to open the letter and check the answer against it")?;
    compose::open_as_bank(request, &authorization, key).map(Some).map_err(composed)
}
