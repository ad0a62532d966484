//! Custodial signing in two steps, so a person signs exactly what they were shown:
//! `POST /v1/drafts` composes and checks a document and shows it (readable, with the
//! SHA-256 of the bytes to be signed); `POST /v1/drafts/{id}/sign` with that hash signs it
//! with the token's bound key and submits it. Bank answers need a second person: the
//! maker's `sign` leaves the draft `awaiting_checker`, and the checker's `sign` (same
//! hash, a token bound to the checker) completes and submits it. `POST /v1/drafts/batch`
//! prepares many requests at once, all rows checked before any is prepared.
//!
//! Drafts live in memory only, a bounded number, each for [`DRAFT_TTL_MS`]; a restart
//! forgets them (nothing was signed). Decision record 0013 says why.

use crate::Ctx;
use crate::custody::{Holder, Keystore, holder_of};
use crate::entries::{SubmitQuery, submission};
use crate::extract::{Caller, JsonBytes, PathParam, Query};
use crate::prepare::{self, Action, Inputs, Prepared};
use crate::problem::{FieldProblem, Kind, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use utoipa::ToSchema;
use vouch_core::encoding::Hash;
use vouch_core::envelope::Draft;
use vouch_core::ids::OrgId;
use vouch_core::keys::Signature;

/// How long a draft waits for its signatures, in milliseconds (15 minutes): long enough to
/// read it and fetch a checker, short enough that a forgotten draft does not linger.
pub const DRAFT_TTL_MS: u64 = 15 * 60 * 1000;

/// Most drafts a node keeps waiting at once.
pub const DRAFTS_MAX: usize = 10_000;

/// Most rows in one batch.
pub const BATCH_ROWS_MAX: usize = 500;

/// Largest draft body.
pub const DRAFT_BODY_BYTES_MAX: usize = 1024 * 1024;

/// Largest batch body.
pub const BATCH_BODY_BYTES_MAX: usize = 16 * 1024 * 1024;

/// One waiting draft.
#[derive(Clone)]
struct Waiting {
    org: OrgId,
    action: &'static str,
    prepared: Arc<Prepared>,
    sha256: Hash,
    expires_ms: u64,
    author_sig: Option<Signature>,
    batch: Option<String>,
}

/// The drafts waiting on this node.
#[derive(Default)]
pub struct Drafts {
    waiting: Mutex<BTreeMap<String, Waiting>>,
    batches: Mutex<BTreeMap<String, (OrgId, Vec<String>)>>,
}

impl Drafts {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Waiting>> {
        self.waiting.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn insert(&self, now_ms: u64, drafts: Vec<(String, Waiting)>) -> Result<(), Problem> {
        let mut waiting = self.lock();
        waiting.retain(|_, w| w.expires_ms > now_ms);
        if waiting.len().saturating_add(drafts.len()) > DRAFTS_MAX {
            return Err(Problem::new(
                Kind::Busy,
                format!(
                    "{} drafts are waiting, at most {DRAFTS_MAX}; sign them or let them expire",
                    waiting.len()
                ),
            ));
        }
        waiting.extend(drafts);
        Ok(())
    }
}

/// A fresh unguessable id.
fn new_id(prefix: &str) -> String {
    let mut bytes = [0u8; 16];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}

/// A draft as shown to its signers.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DraftView {
    /// The draft's id (`drf_…`).
    pub draft_id: String,
    /// The action asked for.
    pub action: String,
    /// `awaiting_signature` (the author's), `awaiting_checker`, or after the last
    /// signature `signed`.
    pub status: String,
    /// The document in readable form: the envelope's fields (`type`, `network`,
    /// `created_ms`, `author`, `checker`, `body`) as they will be signed, and the plaintext
    /// of what is sealed in it (`contents`) and, for an authorization or an answer, of the
    /// letter it concerns (`letter`).
    #[schema(value_type = Object)]
    pub document: serde_json::Value,
    /// SHA-256 (hex) of the exact bytes to be signed (domain prefix and RFC 8785 envelope
    /// without signatures); `sign` must send it back.
    pub signing_bytes_sha256: String,
    /// The author and, for answers, the checker, as `person <id>` or `client <ref>`.
    pub signers: Vec<String>,
    /// When the draft expires, Unix milliseconds.
    pub expires_ms: u64,
    /// The batch it belongs to, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_id: Option<String>,
}

fn view_of(id: &str, w: &Waiting) -> DraftView {
    let p = &w.prepared;
    let mut document = serde_json::Map::new();
    document.insert("type".into(), p.draft.document.doc_type().as_str().into());
    document.insert("network".into(), serde_json::json!(p.draft.network));
    document.insert("created_ms".into(), p.draft.created_ms.into());
    document.insert("author".into(), serde_json::json!(p.draft.author));
    if let Some(checker) = &p.draft.checker {
        document.insert("checker".into(), serde_json::json!(checker));
    }
    document.insert("body".into(), p.draft.document.to_value());
    if let Some(contents) = &p.contents {
        document.insert("contents".into(), contents.clone());
    }
    if let Some(letter) = &p.letter {
        document.insert("letter".into(), letter.clone());
    }
    let mut signers = vec![p.author.to_string()];
    signers.extend(p.checker.as_ref().map(Holder::to_string));
    DraftView {
        draft_id: id.to_string(),
        action: w.action.to_string(),
        status: if w.author_sig.is_some() { "awaiting_checker" } else { "awaiting_signature" }.into(),
        document: serde_json::Value::Object(document),
        signing_bytes_sha256: w.sha256.to_hex(),
        signers,
        expires_ms: w.expires_ms,
        batch_id: w.batch.clone(),
    }
}

fn signing_hash(draft: &Draft) -> Hash {
    Hash::sha256(&draft.signing_bytes())
}

/// The keystore, or 403 `keystore-off`: this node signs for no one (a setting, not an outage).
pub(crate) fn keystore(ctx: &Ctx) -> Result<Arc<dyn Keystore>, Problem> {
    ctx.custody.clone().ok_or_else(|| {
        Problem::new(
            Kind::KeystoreOff,
            "this node holds no keystore: custodial signing is off; sign locally with the CLI and POST /v1/entries, \
             or ask the operator to set VOUCH_KEYSTORE_PASSPHRASE or keystore_passphrase_file",
        )
    })
}

/// The caller's bound holder and its keys.
fn signer_keys(
    keystore: &dyn Keystore,
    principal: &crate::Principal,
) -> Result<(Holder, crate::custody::HeldKeys), Problem> {
    let holder = holder_of(principal)?;
    let keys = keystore
        .keys(&principal.org, &holder)
        .map_err(|e| Problem::new(Kind::Store, e.to_string()))?
        .ok_or_else(|| {
            Problem::new(
                Kind::NoSigner,
                format!(
                    "token {} is bound to {holder} of {}, whose keys this node does not hold; the operator adds them with `vouchd keystore add`",
                    principal.token, principal.org
                ),
            )
        })?;
    Ok((holder, keys))
}

fn parse_action(bytes: &[u8]) -> Result<Action, Problem> {
    serde_json::from_slice::<Action>(bytes).map_err(|e| {
        Problem::new(Kind::InvalidDraft, format!("the body is not a draft action: {e}")).with_errors(vec![
            FieldProblem { row: None, field: field_of(&e.to_string()), detail: e.to_string() },
        ])
    })
}

/// The field a serde message names (`unknown field `x``, `missing field `y``), or `body`.
fn field_of(message: &str) -> String {
    message
        .split('`')
        .nth(1)
        .filter(|f| !f.is_empty() && !f.contains(' '))
        .map_or_else(|| "body".to_string(), str::to_string)
}

/// Prepare one document.
#[utoipa::path(
    post, path = "/v1/drafts", operation_id = "createDraft", tag = "drafts",
    security(("bearer" = [])),
    request_body(content = Object, content_type = "application/json",
        description = "`{\"action\": \"request\"|\"authorize\"|\"refuse\"|\"return\"|\"respond\"|\"correct\"|\"decline\"|\"withdraw\"|\"accept\", …fields}`; see `docs/API.md` §Drafts."),
    description = "Compose the document the action asks for, as the token's bound signer, exactly as the CLI would \
        (sealing for the right recipients, opening what must be read), and check it against the committed state. \
        Nothing is signed: the answer shows the document and the hash `sign` needs.",
    responses(
        (status = 201, description = "Prepared", body = DraftView),
        (status = 400, description = "`invalid-draft` (every field problem in `errors`)", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 401, description = "`unauthorized`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 403, description = "`keystore-off` (this node signs for no one) or `no-signer`: the token is not bound to a signer whose keys the node holds", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 413, description = "`body-too-large`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 415, description = "`unsupported-media-type`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 422, description = "`refused`: the ledger would refuse it; `rule` names the rule", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 503, description = "`busy` (too many drafts waiting) or `store`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
    )
)]
pub async fn create(
    State(ctx): State<Ctx>,
    Caller(principal): Caller,
    JsonBytes(body): JsonBytes<DRAFT_BODY_BYTES_MAX>,
) -> Result<Response, Problem> {
    let keystore = keystore(&ctx)?;
    let c = ctx.clone();
    let view = crate::blocking(move || {
        let action = parse_action(&body)?;
        prepare_waiting(&c, keystore.as_ref(), &principal, action)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// Prepare `action` as `principal`'s bound signer with `keystore`'s keys and keep the
/// draft waiting for its signatures: what `POST /v1/drafts` does, and the console's
/// forms. Blocks (keystore, ledger): call it off the async threads.
pub(crate) fn prepare_waiting(
    ctx: &Ctx,
    keystore: &dyn Keystore,
    principal: &crate::Principal,
    action: Action,
) -> Result<DraftView, Problem> {
    let (holder, keys) = signer_keys(keystore, principal)?;
    let view = ctx.ledger.view().map_err(crate::store)?;
    let now_ms = ctx.ledger.now_ms();
    let inputs = Inputs {
        ledger: ctx.ledger.as_ref(),
        view: &view,
        principal,
        holder: &holder,
        keys: &keys,
        keystore,
        now_ms,
    };
    let name = action.name();
    let prepared = prepare::prepare(&inputs, action, &mut rand_core::OsRng)?;
    let waiting = Waiting {
        org: principal.org.clone(),
        action: name,
        sha256: signing_hash(&prepared.draft),
        prepared: Arc::new(prepared),
        expires_ms: now_ms.saturating_add(DRAFT_TTL_MS),
        author_sig: None,
        batch: None,
    };
    let id = new_id("drf_");
    ctx.drafts.insert(now_ms, vec![(id.clone(), waiting.clone())])?;
    Ok(view_of(&id, &waiting))
}

/// The letter of request `request` opened with `principal`'s bound keys (a bank person's
/// org key), as the answer will be checked against it; `None` when the authorization gave
/// the bank no letter. Blocks: call it off the async threads.
pub(crate) fn open_letter_as(
    ctx: &Ctx,
    keystore: &dyn Keystore,
    principal: &crate::Principal,
    request: &Hash,
) -> Result<Option<vouch_core::items::RequestContents>, Problem> {
    let (holder, keys) = signer_keys(keystore, principal)?;
    let view = ctx.ledger.view().map_err(crate::store)?;
    let inputs = Inputs {
        ledger: ctx.ledger.as_ref(),
        view: &view,
        principal,
        holder: &holder,
        keys: &keys,
        keystore,
        now_ms: ctx.ledger.now_ms(),
    };
    prepare::open_request_letter(&inputs, request)
}

/// The draft `id` if the caller is one of its signers; otherwise, or once expired, 404
/// `no-draft` (a draft of someone else answers as one that does not exist).
fn find(ctx: &Ctx, id: &str, holder: &Holder, org: &OrgId) -> Result<Waiting, Problem> {
    let now_ms = ctx.ledger.now_ms();
    let waiting = ctx.drafts.lock();
    let none = || {
        Problem::new(
            Kind::NoDraft,
            format!(
                "no draft {id} for this token: it was never made, was signed already, or expired ({} minutes after it was made)",
                DRAFT_TTL_MS / 60_000
            ),
        )
    };
    let w = waiting.get(id).ok_or_else(none)?;
    let is_signer = &w.prepared.author == holder || w.prepared.checker.as_ref() == Some(holder);
    if &w.org != org || !is_signer || w.expires_ms <= now_ms {
        return Err(none());
    }
    Ok(w.clone())
}

/// Show a waiting draft to one of its signers.
#[utoipa::path(
    get, path = "/v1/drafts/{id}", operation_id = "getDraft", tag = "drafts",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The draft id (`drf_…`).")),
    description = "Show a waiting draft to its author or its checker (the checker reads what it co-signs here).",
    responses(
        (status = 200, description = "The draft", body = DraftView),
        (status = 401, description = "`unauthorized`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 403, description = "`keystore-off` (this node signs for no one) or `no-signer`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 404, description = "`no-draft`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
    )
)]
pub async fn show(
    State(ctx): State<Ctx>,
    Caller(principal): Caller,
    PathParam(id): PathParam<String>,
) -> Result<Json<DraftView>, Problem> {
    draft_view(&ctx, &principal, &id).map(Json)
}

/// Draft `id` as shown to `principal`, one of its signers (else `no-draft`).
pub(crate) fn draft_view(ctx: &Ctx, principal: &crate::Principal, id: &str) -> Result<DraftView, Problem> {
    keystore(ctx)?;
    let holder = holder_of(principal)?;
    let w = find(ctx, id, &holder, &principal.org)?;
    Ok(view_of(id, &w))
}

/// What a signer sends: the hash they were shown.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignBody {
    /// `signing_bytes_sha256` as the draft showed it.
    pub sha256: String,
}

fn check_hash(shown: &Hash, sent: &str, what: &str) -> Result<(), Problem> {
    if Hash::from_hex(sent).ok().as_ref() != Some(shown) {
        return Err(Problem::new(
            Kind::DraftMismatch,
            format!(
                "sha256 {sent:?} is not the hash of {what} ({shown}); fetch it again and check what you sign"
            ),
        ));
    }
    Ok(())
}

/// Sign a draft as the token's bound signer.
#[utoipa::path(
    post, path = "/v1/drafts/{id}/sign", operation_id = "signDraft", tag = "drafts",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The draft id (`drf_…`)."), SubmitQuery),
    request_body(content = SignBody, content_type = "application/json"),
    description = "Sign the draft with the key the node holds for the token's bound signer, after checking that \
        `sha256` is the hash it showed. The author signs first; a response or correction then waits for its checker \
        (202 `awaiting_checker`), whose `sign` completes it. The last signature submits the document as \
        `POST /v1/entries` does (`wait` likewise).",
    responses(
        (status = 200, description = "Signed and committed", body = crate::entries::Committed),
        (status = 202, description = "Signed by the maker and waiting for the checker (`DraftView`), or submitted and pooled (`Pending`)", body = DraftView),
        (status = 400, description = "`invalid-parameter` or `invalid-envelope`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 401, description = "`unauthorized`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 403, description = "`keystore-off` (this node signs for no one) or `no-signer`: unbound, or not the signer the draft waits for", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 404, description = "`no-draft`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 409, description = "`draft-mismatch`: the hash is not the draft's", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 415, description = "`unsupported-media-type`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 422, description = "`refused`: the state changed since the draft and the ledger refuses it", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 503, description = "`mempool-full` or `store`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
    )
)]
pub async fn sign(
    State(ctx): State<Ctx>,
    Caller(principal): Caller,
    PathParam(id): PathParam<String>,
    Query(q): Query<SubmitQuery>,
    JsonBytes(body): JsonBytes<4096>,
) -> Result<Response, Problem> {
    let keystore = keystore(&ctx)?;
    let body: SignBody = serde_json::from_slice(&body).map_err(|e| {
        Problem::new(Kind::InvalidParameter, format!("the body is not {{\"sha256\": \"<hex>\"}}: {e}"))
    })?;
    match sign_as(&ctx, keystore, &principal, &id, &body.sha256, q.options()).await? {
        SignOutcome::AwaitingChecker(view) => Ok((StatusCode::ACCEPTED, Json(view)).into_response()),
        SignOutcome::Submitted(id, result) => submission(id, result),
    }
}

/// What one signature did.
pub(crate) enum SignOutcome {
    /// The maker signed; the draft waits for its checker.
    AwaitingChecker(DraftView),
    /// The last signature: the document (its id) was submitted, with this result.
    Submitted(Hash, Result<crate::Submitted, crate::SubmitError>),
}

/// Sign draft `id` as `principal`'s bound signer, after checking that `sha256` is the
/// hash the draft showed; the last signature submits it with `options`. What
/// `POST /v1/drafts/{id}/sign` does, and the console's "Sign" button.
pub(crate) async fn sign_as(
    ctx: &Ctx,
    keystore: Arc<dyn Keystore>,
    principal: &crate::Principal,
    id: &str,
    sha256: &str,
    options: crate::SubmitOptions,
) -> Result<SignOutcome, Problem> {
    // The node's keystore reads a file and decrypts: off the async threads.
    let caller = principal.clone();
    let (holder, keys) = crate::blocking(move || signer_keys(keystore.as_ref(), &caller)).await?;
    let w = find(ctx, id, &holder, &principal.org)?;
    check_hash(&w.sha256, sha256, &format!("draft {id}"))?;
    match signature_step(ctx, id, &w, &holder, &keys)? {
        Step::AwaitingChecker(w) => Ok(SignOutcome::AwaitingChecker(view_of(id, &w))),
        Step::Complete(bytes) => {
            let doc = Hash::sha256(&bytes);
            Ok(SignOutcome::Submitted(doc, ctx.ledger.submit(bytes.into(), options).await))
        }
    }
}

enum Step {
    AwaitingChecker(Waiting),
    Complete(Vec<u8>),
}

/// Add `holder`'s signature to draft `id`: the author's first, then the checker's. A
/// complete envelope leaves the store.
fn signature_step(
    ctx: &Ctx,
    id: &str,
    w: &Waiting,
    holder: &Holder,
    keys: &crate::custody::HeldKeys,
) -> Result<Step, Problem> {
    let p = &w.prepared;
    let wrong = |expected: &Holder| {
        Problem::new(
            Kind::NoSigner,
            format!("draft {id} waits for the signature of {expected}, not of {holder}"),
        )
    };
    let (author_sig, checker_sig) = match (&w.author_sig, &p.checker) {
        (None, _) if holder != &p.author => return Err(wrong(&p.author)),
        (None, _) if keys.signing.public() != p.draft.author.key => return Err(key_changed(holder)),
        (None, None) => (p.draft.signature(&keys.signing), None),
        (None, Some(_)) => {
            let sig = p.draft.signature(&keys.signing);
            let mut waiting = ctx.drafts.lock();
            let Some(entry) = waiting.get_mut(id) else {
                return Err(Problem::new(Kind::NoDraft, format!("draft {id} expired")));
            };
            entry.author_sig = Some(sig);
            return Ok(Step::AwaitingChecker(entry.clone()));
        }
        (Some(_), None) => {
            return Err(Problem::new(Kind::Internal, format!("draft {id} was signed but not submitted")));
        }
        (Some(sig), Some(checker)) => {
            if holder != checker {
                return Err(wrong(checker));
            }
            if p.draft.checker.as_ref().map(|c| c.key) != Some(keys.signing.public()) {
                return Err(key_changed(holder));
            }
            (*sig, Some(p.draft.signature(&keys.signing)))
        }
    };
    let envelope = p
        .draft
        .clone()
        .assemble(author_sig, checker_sig)
        .map_err(|e| Problem::new(Kind::Internal, format!("the signed draft does not verify: {e}")))?;
    ctx.drafts.lock().remove(id);
    Ok(Step::Complete(envelope.bytes))
}

fn key_changed(holder: &Holder) -> Problem {
    Problem::new(
        Kind::NoSigner,
        format!("the key the node holds for {holder} changed since the draft was made; make the draft again"),
    )
}

/// A batch of requests: one row per letter, each as `POST /v1/drafts` takes a request
/// without its `action`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchBody {
    /// The rows: `{bank, client, as_of, letter_no, response_days?, branch?, contents}`.
    #[schema(value_type = Vec<Object>)]
    pub rows: Vec<serde_json::Value>,
}

/// A prepared batch.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BatchView {
    /// The batch's id (`bat_…`).
    pub batch_id: String,
    /// SHA-256 (hex) over the drafts' `signing_bytes_sha256` (32 bytes each, in row
    /// order): what `POST /v1/drafts/batch/{id}/sign` takes to sign every row at once.
    pub batch_sha256: String,
    /// One draft per row, in row order (each may also be signed alone).
    pub drafts: Vec<DraftView>,
}

/// Prepare one request per row.
#[utoipa::path(
    post, path = "/v1/drafts/batch", operation_id = "createBatch", tag = "drafts",
    security(("bearer" = [])),
    request_body(content = BatchBody, content_type = "application/json"),
    description = "Prepare one request draft per row (an engagement's account list). Every row is checked first — \
        fields, enrolment, and the state machine on all rows in order — and every problem is returned together \
        (`errors`: row, field, detail); only when none has a problem are the drafts prepared.",
    responses(
        (status = 201, description = "Prepared", body = BatchView),
        (status = 400, description = "`invalid-draft`: every row's problems in `errors`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 401, description = "`unauthorized`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 403, description = "`keystore-off` (this node signs for no one) or `no-signer`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 413, description = "`body-too-large`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 415, description = "`unsupported-media-type`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 503, description = "`busy` or `store`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
    )
)]
pub async fn create_batch(
    State(ctx): State<Ctx>,
    Caller(principal): Caller,
    JsonBytes(body): JsonBytes<BATCH_BODY_BYTES_MAX>,
) -> Result<Response, Problem> {
    let keystore = keystore(&ctx)?;
    let c = ctx.clone();
    let view = crate::blocking(move || {
        let body: BatchBody = serde_json::from_slice(&body).map_err(|e| {
            Problem::new(Kind::InvalidDraft, format!("the body is not {{\"rows\": [...]}}: {e}"))
        })?;
        prepare_batch(&c, keystore.as_ref(), &principal, &body.rows)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// Check every row of a batch of requests and prepare a draft for each, or report every
/// row's problems (nothing kept): what `POST /v1/drafts/batch` does, and the console's
/// CSV preview. Blocks: call it off the async threads.
pub(crate) fn prepare_batch(
    ctx: &Ctx,
    keystore: &dyn Keystore,
    principal: &crate::Principal,
    rows: &[serde_json::Value],
) -> Result<BatchView, Problem> {
    if rows.is_empty() || rows.len() > BATCH_ROWS_MAX {
        return Err(Problem::new(
            Kind::InvalidDraft,
            format!("{} rows; a batch holds 1 to {BATCH_ROWS_MAX}", rows.len()),
        ));
    }
    let (holder, keys) = signer_keys(keystore, principal)?;
    let view = ctx.ledger.view().map_err(crate::store)?;
    let now_ms = ctx.ledger.now_ms();
    crate::batch::prepare_rows(ctx, rows, &view, principal, &holder, &keys, keystore, now_ms)
}

/// Keep a prepared batch's drafts; returns what the caller is shown.
pub(crate) fn keep_batch(
    ctx: &Ctx,
    org: &OrgId,
    prepared: Vec<Prepared>,
    now_ms: u64,
) -> Result<BatchView, Problem> {
    let batch_id = new_id("bat_");
    let mut drafts = Vec::with_capacity(prepared.len());
    let mut digest = Vec::with_capacity(prepared.len().saturating_mul(32));
    for p in prepared {
        let sha256 = signing_hash(&p.draft);
        digest.extend_from_slice(sha256.as_bytes());
        let w = Waiting {
            org: org.clone(),
            action: "request",
            prepared: Arc::new(p),
            sha256,
            expires_ms: now_ms.saturating_add(DRAFT_TTL_MS),
            author_sig: None,
            batch: Some(batch_id.clone()),
        };
        drafts.push((new_id("drf_"), w));
    }
    let views = drafts.iter().map(|(id, w)| view_of(id, w)).collect();
    let ids = drafts.iter().map(|(id, _)| id.clone()).collect();
    ctx.drafts.insert(now_ms, drafts)?;
    ctx.drafts.batches.lock().unwrap_or_else(|p| p.into_inner()).insert(batch_id.clone(), (org.clone(), ids));
    Ok(BatchView { batch_id, batch_sha256: Hash::sha256(&digest).to_hex(), drafts: views })
}

/// What signing a batch did, row by row.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BatchSigned {
    /// One entry per row still waiting when signed, in row order.
    pub rows: Vec<BatchRowResult>,
}

/// One row's fate.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BatchRowResult {
    /// The draft.
    pub draft_id: String,
    /// `pending` (pooled), `committed`, or `refused`.
    pub status: String,
    /// The document id (hex).
    pub id: String,
    /// The document's RFC 9162 leaf hash (hex), once submitted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leaf_hash: Option<String>,
    /// Why it was refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// Sign every waiting draft of a batch.
#[utoipa::path(
    post, path = "/v1/drafts/batch/{id}/sign", operation_id = "signBatch", tag = "drafts",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The batch id (`bat_…`).")),
    request_body(content = SignBody, content_type = "application/json",
        description = "`sha256`: the batch's `batch_sha256`."),
    description = "Sign and submit every draft of the batch that is still waiting (none was signed alone), as the \
        token's bound signer (the batch's author), after checking `sha256` against `batch_sha256`. Documents are \
        pooled without waiting for their commit; each row's fate is listed.",
    responses(
        (status = 200, description = "Signed and submitted, row by row", body = BatchSigned),
        (status = 400, description = "`invalid-parameter`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 401, description = "`unauthorized`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 403, description = "`keystore-off` (this node signs for no one) or `no-signer`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 404, description = "`no-draft`: no such batch for this token, or expired", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 409, description = "`draft-mismatch`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 415, description = "`unsupported-media-type`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
        (status = 503, description = "`store`", content_type = "application/problem+json", body = crate::problem::ProblemBody),
    )
)]
pub async fn sign_batch(
    State(ctx): State<Ctx>,
    Caller(principal): Caller,
    PathParam(id): PathParam<String>,
    JsonBytes(body): JsonBytes<4096>,
) -> Result<Json<BatchSigned>, Problem> {
    let keystore = keystore(&ctx)?;
    let body: SignBody = serde_json::from_slice(&body).map_err(|e| {
        Problem::new(Kind::InvalidParameter, format!("the body is not {{\"sha256\": \"<hex>\"}}: {e}"))
    })?;
    sign_batch_as(&ctx, keystore, &principal, &id, &body.sha256).await.map(Json)
}

/// Sign every draft of batch `id` as `principal`'s bound signer, after checking `sha256`
/// is the batch's hash, and submit each: what `POST /v1/drafts/batch/{id}/sign` does, and
/// the console's "Sign all".
pub(crate) async fn sign_batch_as(
    ctx: &Ctx,
    keystore: Arc<dyn Keystore>,
    principal: &crate::Principal,
    id: &str,
    sha256: &str,
) -> Result<BatchSigned, Problem> {
    // The node's keystore reads a file and decrypts: off the async threads.
    let caller = principal.clone();
    let (holder, keys) = crate::blocking(move || signer_keys(keystore.as_ref(), &caller)).await?;
    let none =
        || Problem::new(Kind::NoDraft, format!("no batch {id} for this token, or all its drafts expired"));
    let ids = match ctx.drafts.batches.lock().unwrap_or_else(|p| p.into_inner()).get(id) {
        Some((org, ids)) if org == &principal.org => ids.clone(),
        _ => return Err(none()),
    };
    let mut rows = Vec::new();
    let mut digest = Vec::new();
    for draft_id in &ids {
        let w = find(ctx, draft_id, &holder, &principal.org).map_err(|_| none())?;
        digest.extend_from_slice(w.sha256.as_bytes());
        rows.push((draft_id.clone(), w));
    }
    check_hash(&Hash::sha256(&digest), sha256, &format!("batch {id}"))?;
    let mut results = Vec::with_capacity(rows.len());
    for (draft_id, w) in rows {
        let result = match signature_step(ctx, &draft_id, &w, &holder, &keys)? {
            Step::AwaitingChecker(_) => {
                return Err(Problem::new(Kind::Internal, "a request never needs a checker"));
            }
            Step::Complete(bytes) => {
                let doc_id = Hash::sha256(&bytes);
                let options = crate::service::SubmitOptions { wait: false, forwarded: false };
                match ctx.ledger.submit(bytes.into(), options).await {
                    Ok(crate::service::Submitted::Committed { leaf_hash, .. }) => {
                        ("committed", doc_id, Some(leaf_hash), None)
                    }
                    Ok(crate::service::Submitted::Pending { leaf_hash, .. }) => {
                        ("pending", doc_id, Some(leaf_hash), None)
                    }
                    Err(e) => ("refused", doc_id, None, Some(e.to_string())),
                }
            }
        };
        results.push(BatchRowResult {
            draft_id,
            status: result.0.into(),
            id: result.1.to_hex(),
            leaf_hash: result.2.map(|h| h.to_hex()),
            detail: result.3,
        });
    }
    ctx.drafts.batches.lock().unwrap_or_else(|p| p.into_inner()).remove(id);
    Ok(BatchSigned { rows: results })
}
