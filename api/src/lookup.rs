//! Tell whether a document is what it claims to be: `POST /v1/lookup`, given a whole
//! envelope, a document id or a leaf hash, says who signed it, whether that key was
//! enrolled for that org at the document's time, which request it concerns, whether its
//! exact bytes are on the ledger, and a plain verdict. The check a regulator (or an
//! auditor handed a "bank reply") runs against forged confirmations.
//!
//! # Terminology
//!
//! - *Verdict*, first that applies: `on-ledger` (these exact bytes are a committed leaf);
//!   `signature-invalid` (an envelope whose signatures do not verify: altered or forged
//!   bytes); `signer-not-enrolled` (the signatures verify, but a signing key was not
//!   enrolled for the org it claims at the document's creation time); `not-on-ledger`
//!   (well signed by enrolled keys, yet never committed; or a hash the ledger does not hold).
//! - *Restricted answer*: for a document about a confirmation the caller may not see (or
//!   about no confirmation the ledger knows), a caller other than a regulator learns only
//!   the verdict, whether it is on the ledger, and the signer's org: never the signer's
//!   key or person, the request, or where the document sits.
//!
//! Signatures are checked on the bytes given, by `vouch_core::envelope::Envelope` (R-ENV-7).
//! Changing one byte of a committed envelope changes its leaf hash, so it is never
//! `on-ledger`; its signature then fails (`signature-invalid`) unless the byte was one the
//! canonical form does not keep.

use crate::auth::{Principal, Role};
use crate::confirmations::{SignerInfo, signer_info};
use crate::extract::{Caller, JsonBytes, NoQuery, Query};
use crate::limits::LOOKUP_BODY_BYTES_MAX;
use crate::problem::{Kind, Problem, rule_of};
use crate::service::Ledger;
use crate::view::View;
use crate::{Ctx, blocking, store};
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use vouch_core::documents::DocType;
use vouch_core::encoding::Hash;
use vouch_core::envelope::{Envelope, EnvelopeError, Signer};

/// What a lookup found.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct LookupResult {
    /// `on-ledger`, `not-on-ledger`, `signature-invalid` or `signer-not-enrolled`.
    pub verdict: String,
    /// These exact bytes (or this hash) are a committed leaf.
    pub on_ledger: bool,
    /// The caller may not see the confirmation this document concerns: only `verdict`,
    /// `on_ledger` and `signer_org` are given.
    pub restricted: bool,
    /// The org the author signs for (claimed, for a document that is not on the ledger).
    pub signer_org: Option<String>,
    /// The author: key, and the person or client it is enrolled as.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signer: Option<SignerInfo>,
    /// The checker (复核人), for answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checker: Option<SignerInfo>,
    /// Every signing key was enrolled for the org it claims at the document's time (block
    /// time on the ledger, else the claimed creation time), and not revoked by then.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signers_enrolled: Option<bool>,
    /// The document type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The document id (hex).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document_id: Option<String>,
    /// The RFC 9162 leaf hash (hex).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leaf_hash: Option<String>,
    /// The confirmation (request id) it concerns; a request's own id for a request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
    /// That request is on the ledger.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_on_ledger: Option<bool>,
    /// The creation time its author claims, Unix milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_ms: Option<u64>,
    /// Leaf index, when on the ledger.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leaf_index: Option<u64>,
    /// Height of the block that committed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<u64>,
    /// That block's time, Unix milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block_time_ms: Option<u64>,
    /// The verdict in words.
    pub detail: String,
}

/// The verdicts.
const ON_LEDGER: &str = "on-ledger";
const NOT_ON_LEDGER: &str = "not-on-ledger";
const SIGNATURE_INVALID: &str = "signature-invalid";
const SIGNER_NOT_ENROLLED: &str = "signer-not-enrolled";

/// Look a document up.
#[utoipa::path(
    post, path = "/v1/lookup", operation_id = "lookupDocument", tag = "lookup",
    request_body(content = Object, content_type = "application/json",
        description = "A whole envelope (JSON, any spelling: it is canonicalized), or \
            `{\"document_hash\": \"<hex>\"}` (a document id), or `{\"leaf_hash\": \"<hex>\"}`."),
    security(("bearer" = [])),
    description = "Who signed the document (key, org, person), whether each key was enrolled for \
        that org at the document's time, which request it concerns, whether its exact bytes are on \
        the ledger (leaf index, block), and a verdict: `on-ledger`, `not-on-ledger`, \
        `signature-invalid` or `signer-not-enrolled`. For a document about a confirmation the \
        token may not see, a non-regulator gets only the verdict, `on_ledger` and the signer's org.",
    responses(
        (status = 200, description = "What was found", body = LookupResult),
        (status = 400, description = "`invalid-parameter` (a malformed hash or body) or `invalid-envelope` (an envelope that is not one of this network, for a reason other than its signatures)", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 401, description = "`unauthorized`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 413, description = "`body-too-large`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 415, description = "`unsupported-media-type`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 503, description = "`store`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
    )
)]
pub async fn lookup(
    State(ctx): State<Ctx>,
    Caller(caller): Caller,
    Query(_): Query<NoQuery>,
    JsonBytes(body): JsonBytes<LOOKUP_BODY_BYTES_MAX>,
) -> Result<Json<LookupResult>, Problem> {
    let query = parse_body(&body)?;
    let ledger = ctx.ledger.clone();
    blocking(move || {
        let view = ledger.view().map_err(store)?;
        let found = match query {
            Lookup::Id(id) => by_leaf(&*ledger, view.leaf_of(&id))?,
            Lookup::Leaf(hash) => {
                let leaf = ledger.leaf_by_hash(&hash).map_err(store)?.map(|(l, _)| l);
                // The view may trail the store by a block; what it does not hold yet is
                // not answered as committed.
                by_leaf(&*ledger, leaf.filter(|l| *l < view.tree_size()))?
            }
            Lookup::Envelope(value) => by_envelope(&*ledger, &view, &value)?,
        };
        Ok(Json(present(&view, &caller, found)))
    })
    .await
}

/// What the body asks.
enum Lookup {
    Id(Hash),
    Leaf(Hash),
    Envelope(serde_json::Value),
}

fn parse_body(body: &[u8]) -> Result<Lookup, Problem> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| Problem::new(Kind::InvalidParameter, format!("the body is not JSON: {e}")))?;
    let Some(members) = value.as_object() else {
        return Err(Problem::new(
            Kind::InvalidParameter,
            "the body must be a JSON object: an envelope, {\"document_hash\": …} or {\"leaf_hash\": …}",
        ));
    };
    let hash = |name: &str| -> Result<Hash, Problem> {
        let text = members.get(name).and_then(serde_json::Value::as_str).unwrap_or("");
        Hash::from_hex(text).map_err(|e| Problem::new(Kind::InvalidParameter, format!("{name}: {e}")))
    };
    if members.len() == 1 && members.contains_key("document_hash") {
        return Ok(Lookup::Id(hash("document_hash")?));
    }
    if members.len() == 1 && members.contains_key("leaf_hash") {
        return Ok(Lookup::Leaf(hash("leaf_hash")?));
    }
    if members.contains_key("document_hash") || members.contains_key("leaf_hash") {
        return Err(Problem::new(
            Kind::InvalidParameter,
            "give either document_hash or leaf_hash alone, or a whole envelope",
        ));
    }
    Ok(Lookup::Envelope(value))
}

/// What was found, before visibility is applied.
struct Found {
    verdict: &'static str,
    /// The decoded envelope, when the signatures verified.
    envelope: Option<Envelope>,
    /// Where it sits, when committed.
    leaf_index: Option<u64>,
    /// The claimed author's org, when nothing decoded.
    claimed_org: Option<String>,
    /// Hashes of the bytes given (or found).
    id: Option<Hash>,
    leaf_hash: Option<Hash>,
    detail: String,
}

/// The committed document at `leaf`, if any.
fn by_leaf(ledger: &dyn Ledger, leaf: Option<u64>) -> Result<Found, Problem> {
    let Some(leaf) = leaf else {
        return Ok(Found {
            verdict: NOT_ON_LEDGER,
            envelope: None,
            leaf_index: None,
            claimed_org: None,
            id: None,
            leaf_hash: None,
            detail: "no committed document has this hash".into(),
        });
    };
    let bytes = ledger
        .leaf(leaf)
        .map_err(store)?
        .ok_or_else(|| Problem::new(Kind::Store, format!("leaf {leaf} is missing from the store")))?;
    let env = Envelope::decode(&bytes, &ledger.genesis().network)
        .map_err(|e| Problem::new(Kind::Store, format!("stored leaf {leaf} does not decode: {e}")))?;
    Ok(Found {
        verdict: ON_LEDGER,
        id: Some(env.id),
        leaf_hash: Some(vouch_core::merkle::leaf_hash(&env.bytes)),
        envelope: Some(env),
        leaf_index: Some(leaf),
        claimed_org: None,
        detail: format!("committed as leaf {leaf}"),
    })
}

/// An envelope given whole.
fn by_envelope(ledger: &dyn Ledger, view: &View, value: &serde_json::Value) -> Result<Found, Problem> {
    let bytes = vouch_core::canonical::to_canonical(value);
    let leaf_hash = vouch_core::merkle::leaf_hash(&bytes);
    let id = Hash::sha256(&bytes);
    if let Some(leaf) = view.leaf_of(&id) {
        return by_leaf(ledger, Some(leaf));
    }
    let claimed_org = value.pointer("/author/org").and_then(serde_json::Value::as_str).map(str::to_string);
    let env = match Envelope::decode_value(value, &ledger.genesis().network) {
        Ok(env) => env,
        Err(EnvelopeError::Signature { who, key }) => {
            return Ok(Found {
                verdict: SIGNATURE_INVALID,
                envelope: None,
                leaf_index: None,
                claimed_org,
                id: Some(id),
                leaf_hash: Some(leaf_hash),
                detail: format!(
                    "these bytes are not on the ledger and the {who} signature does not verify under key {key}: \
                     the document was altered or forged"
                ),
            });
        }
        Err(e) => {
            let detail = e.to_string();
            return Err(Problem::new(Kind::InvalidEnvelope, detail.clone()).with_rule(rule_of(&detail)));
        }
    };
    let at = env.created_ms;
    let enrolled = signers(&env).all(|s| enrolled_at(view, s, at));
    let (verdict, detail) = if enrolled {
        (NOT_ON_LEDGER, "well signed by enrolled keys, but these bytes were never committed".to_string())
    } else {
        (
            SIGNER_NOT_ENROLLED,
            format!(
                "these bytes are not on the ledger, and a signing key was not enrolled for {} at the claimed time",
                env.author.org
            ),
        )
    };
    Ok(Found {
        verdict,
        envelope: Some(env),
        leaf_index: None,
        claimed_org,
        id: Some(id),
        leaf_hash: Some(leaf_hash),
        detail,
    })
}

fn signers(env: &Envelope) -> impl Iterator<Item = &Signer> {
    std::iter::once(&env.author).chain(env.checker.as_ref())
}

/// `signer`'s key was registered to its org by `at_ms` and not revoked by then.
fn enrolled_at(view: &View, signer: &Signer, at_ms: u64) -> bool {
    view.signer(&signer.key).is_some_and(|record| {
        record.org == signer.org
            && record.enrolled_ms <= at_ms
            && record.revoked_ms.is_none_or(|revoked| at_ms < revoked)
    })
}

/// The request `env` concerns: its own id for a request.
fn request_of(env: &Envelope) -> Option<Hash> {
    if env.document.doc_type() == DocType::Request {
        return Some(env.id);
    }
    env.document.request_ref()
}

/// The answer `caller` may have.
fn present(view: &View, caller: &Principal, found: Found) -> LookupResult {
    let on_ledger = found.verdict == ON_LEDGER;
    let request = found.envelope.as_ref().and_then(request_of);
    let record = request.as_ref().and_then(|r| view.request(r));
    // A document about no confirmation (an enrollment, a calendar) is about the network;
    // one about a confirmation is the parties' business.
    let visible = caller.role == Role::Regulator
        || match (request, record) {
            (None, _) => true,
            (Some(_), Some(record)) => caller.sees(record),
            (Some(_), None) => false,
        };
    let signer_org = found.envelope.as_ref().map(|e| e.author.org.to_string()).or(found.claimed_org);
    if !visible {
        return LookupResult {
            verdict: found.verdict.to_string(),
            on_ledger,
            restricted: true,
            signer_org,
            detail: format!("{}; the confirmation it concerns is not visible to this token", found.verdict),
            ..LookupResult::default()
        };
    }
    let mut result = LookupResult {
        verdict: found.verdict.to_string(),
        on_ledger,
        restricted: false,
        signer_org,
        document_id: found.id.map(|h| h.to_hex()),
        leaf_hash: found.leaf_hash.map(|h| h.to_hex()),
        leaf_index: found.leaf_index,
        detail: found.detail,
        ..LookupResult::default()
    };
    if let Some(env) = &found.envelope {
        let placed = found.leaf_index.and_then(|l| view.document(l));
        let at = placed.map_or(env.created_ms, |d| d.block_ms);
        result.signer = Some(signer_info(view, &env.author));
        result.checker = env.checker.as_ref().map(|c| signer_info(view, c));
        result.signers_enrolled = Some(signers(env).all(|s| enrolled_at(view, s, at)));
        result.kind = Some(match serde_json::to_value(env.document.doc_type()) {
            Ok(serde_json::Value::String(s)) => s,
            _ => format!("{:?}", env.document.doc_type()),
        });
        result.request = request.map(|r| r.to_hex());
        result.request_on_ledger = request.map(|_| record.is_some());
        result.created_ms = Some(env.created_ms);
        result.height = placed.map(|d| d.height);
        result.block_time_ms = placed.map(|d| d.block_ms);
    }
    result
}
