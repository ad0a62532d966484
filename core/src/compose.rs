//! Compose the documents people sign about a confirmation, exactly as the rules expect
//! them: who each sealed payload is sealed for, opening what a signer must read first, and
//! wrapping the request's content key for the bank on authorization.
//!
//! Pure: keys and the random generator come in, nothing is read or written. The node's
//! custodial signing (`vouch-api`'s drafts) and the `vouch` CLI (requests, authorizations,
//! refusals, opening a letter as the bank, every recipient list) both compose with it, so
//! a document signed in a browser and one signed at a terminal are built alike. The CLI
//! still seals answers itself, because it takes the auditor from `--auditor` rather than
//! from the request envelope [`answer`] needs.
//!
//! # Terminology
//!
//! - *Letter*: a request's public fields and its confidential contents
//!   ([`RequestLetter`], the shape of the CLI's request file with typed ids).
//! - *Recipients*: `(label, X25519 key)` pairs, labels `org/<id>` and
//!   `client/<bank>/<client>`, as rules R-REQ-7 and R-RESP-5 require.

use crate::date::Date;
use crate::documents::{Authorization, Correction, Decision, Document, Request, Response, Scope};
use crate::encoding::Hash;
use crate::envelope::Envelope;
use crate::genesis::{Genesis, Role};
use crate::ids::{ClientRef, OrgId};
use crate::items::{RequestContents, ResponseContents};
use crate::keys::{DecryptionKey, EncryptionKey};
use crate::limits::RESPONSE_DAYS_MAX;
use crate::seal::{self, SealError};
use rand_core::CryptoRngCore;
use serde::{Deserialize, Serialize};

/// Why a document could not be composed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ComposeError {
    /// An input is not what the document needs; `what` names it.
    #[error("{what}: {detail}")]
    Input {
        /// The input (a field name).
        what: String,
        /// What is wrong with it.
        detail: String,
    },
    /// Sealing, wrapping or opening failed.
    #[error("{0}")]
    Seal(#[from] SealError),
}

fn input(what: &str, detail: impl std::fmt::Display) -> ComposeError {
    ComposeError::Input { what: what.to_string(), detail: detail.to_string() }
}

/// A request's public fields and its contents, before sealing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestLetter {
    /// The addressed bank.
    pub bank: OrgId,
    /// The client, as the bank enrolled it.
    pub client: ClientRef,
    /// The as-of date (函证基准日).
    pub as_of: Date,
    /// The firm's letter number (编号).
    pub letter_no: String,
    /// Working days the bank has to answer; the genesis default if absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_days: Option<u32>,
    /// One branch (支行) instead of the whole bank.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// The sealed part.
    pub contents: RequestContents,
}

impl RequestLetter {
    /// Every problem with the letter that can be seen without the ledger, each as
    /// `(field, what is wrong)`; empty when it is fine.
    pub fn problems(&self, genesis: &Genesis) -> Vec<(String, String)> {
        let mut out = Vec::new();
        match genesis.org(&self.bank) {
            None => out.push((
                "bank".into(),
                format!("{} is not a member of network {}", self.bank, genesis.network),
            )),
            Some(o) if o.role != Role::Bank => {
                out.push(("bank".into(), format!("{} is not a bank", self.bank)))
            }
            Some(_) => {}
        }
        if let Some(days) = self.response_days
            && !(1..=RESPONSE_DAYS_MAX).contains(&days)
        {
            out.push(("response_days".into(), format!("{days} is not between 1 and {RESPONSE_DAYS_MAX}")));
        }
        if self.letter_no.trim().is_empty() {
            out.push(("letter_no".into(), "is empty".into()));
        }
        if let Err(e) = self.contents.validate() {
            out.push(("contents".into(), e.to_string()));
        }
        out
    }
}

/// The recipient `org/<org>` with its key from genesis.
pub fn org_recipient(genesis: &Genesis, org: &OrgId) -> Result<(String, EncryptionKey), ComposeError> {
    let o = genesis.org(org).ok_or_else(|| input("org", format!("{org} is not a member in genesis")))?;
    Ok((format!("org/{org}"), o.encryption_key))
}

/// The regulators, when the policy lets them read contents.
pub fn regulator_recipients(genesis: &Genesis) -> Vec<(String, EncryptionKey)> {
    if !genesis.policy.regulator_reads_contents {
        return Vec::new();
    }
    genesis
        .orgs
        .iter()
        .filter(|o| o.role == Role::Regulator)
        .map(|o| (format!("org/{}", o.id), o.encryption_key))
        .collect()
}

/// The label a client's content key is wrapped under.
pub fn client_label(bank: &OrgId, client: &ClientRef) -> String {
    format!("client/{bank}/{client}")
}

/// A request from `auditor` for `letter`, its contents sealed for the auditor, the client
/// (whose enrolled X25519 key is `client_key`), the regulators by policy, and the bank only
/// when the policy needs no client authorization (R-REQ-7).
pub fn request(
    genesis: &Genesis,
    auditor: &OrgId,
    letter: &RequestLetter,
    client_key: EncryptionKey,
    rng: &mut impl CryptoRngCore,
) -> Result<Document, ComposeError> {
    if let Some((field, detail)) = letter.problems(genesis).into_iter().next() {
        return Err(ComposeError::Input { what: field, detail });
    }
    let mut recipients = regulator_recipients(genesis);
    recipients.push(org_recipient(genesis, auditor)?);
    recipients.push((client_label(&letter.bank, &letter.client), client_key));
    if !genesis.policy.client_authorization_required {
        recipients.push(org_recipient(genesis, &letter.bank)?);
    }
    let (sealed, _key) = seal::seal(&letter.contents, &recipients, rng)?;
    Ok(Document::Request(Request {
        letter_no: letter.letter_no.clone(),
        form: letter.contents.form,
        bank: letter.bank.clone(),
        scope: match &letter.branch {
            Some(branch) => Scope::Branch { branch: branch.clone() },
            None => Scope::WholeBank,
        },
        client: letter.client.clone(),
        as_of: letter.as_of,
        response_days: letter.response_days.unwrap_or(genesis.policy.response_days_default),
        contents: sealed,
    }))
}

fn request_body(request: &Envelope) -> Result<&Request, ComposeError> {
    match &request.document {
        Document::Request(body) => Ok(body),
        other => Err(input(
            "request",
            format!("document {} is a {}, not a request", request.id, other.doc_type().as_str()),
        )),
    }
}

/// Open a request's contents as its client (whose X25519 key is `client_key`).
pub fn open_as_client(
    request: &Envelope,
    client_key: &DecryptionKey,
) -> Result<RequestContents, ComposeError> {
    let body = request_body(request)?;
    let key = body.contents.open_as(&client_label(&body.bank, &body.client), client_key)?;
    Ok(seal::open::<RequestContents>(&body.contents, &key)?.contents)
}

/// The client's authorization of `request`: its content key, opened with the client's
/// X25519 key, wrapped for the bank. Also returns the contents the client authorizes the
/// bank to disclose against.
pub fn authorize(
    genesis: &Genesis,
    request: &Envelope,
    client_key: &DecryptionKey,
    valid_until: Date,
    rng: &mut impl CryptoRngCore,
) -> Result<(Document, RequestContents), ComposeError> {
    let body = request_body(request)?;
    let key = body.contents.open_as(&client_label(&body.bank, &body.client), client_key)?;
    let contents = seal::open::<RequestContents>(&body.contents, &key)?.contents;
    let bank = org_recipient(genesis, &body.bank)?;
    let bank_key = seal::wrap_key(&key, &body.contents.commitment, &bank.1, rng)?;
    let document = Document::Authorization(Authorization {
        request: request.id,
        decision: Decision::Authorize,
        valid_until: Some(valid_until),
        bank_key: Some(bank_key),
        reason: None,
    });
    Ok((document, contents))
}

/// The client's refusal of `request`, with its reason.
pub fn refuse(request: Hash, reason: &str) -> Result<Document, ComposeError> {
    if reason.trim().is_empty() {
        return Err(input("reason", "a refusal needs a reason"));
    }
    Ok(Document::Authorization(Authorization {
        request,
        decision: Decision::Refuse,
        valid_until: None,
        bank_key: None,
        reason: Some(reason.to_string()),
    }))
}

/// Open the letter as the bank, with the content key the client's `authorization` wrapped
/// for it, which `bank_key` (the bank's X25519 key) unwraps.
pub fn open_as_bank(
    request: &Envelope,
    authorization: &Envelope,
    bank_key: &DecryptionKey,
) -> Result<RequestContents, ComposeError> {
    let body = request_body(request)?;
    let wrapped = match &authorization.document {
        Document::Authorization(a) if a.request == request.id => a.bank_key.as_ref(),
        Document::Authorization(_) => return Err(input("authorization", "it authorizes another request")),
        _ => return Err(input("authorization", "the document is not an authorization")),
    }
    .ok_or_else(|| input("authorization", "it is a refusal: there is nothing to answer"))?;
    let key = seal::unwrap_key(wrapped, &body.contents.commitment, bank_key)?;
    Ok(seal::open::<RequestContents>(&body.contents, &key)?.contents)
}

/// The bank's answer to `request` (a response, or with `supersedes` a correction), its
/// contents checked against the opened `letter` when given and sealed for the auditor, the
/// bank and the regulators by policy (R-RESP-5).
pub fn answer(
    genesis: &Genesis,
    request: &Envelope,
    contents: &ResponseContents,
    letter: Option<&RequestContents>,
    supersedes: Option<(Hash, String)>,
    rng: &mut impl CryptoRngCore,
) -> Result<Document, ComposeError> {
    let body = request_body(request)?;
    contents.validate().map_err(|e| input("contents", e))?;
    if let Some(letter) = letter {
        crate::items::check_answer(letter, contents)
            .map_err(|e| input("contents", format!("does not answer the letter: {e}")))?;
    }
    let mut recipients = regulator_recipients(genesis);
    recipients.push(org_recipient(genesis, &request.author.org)?);
    recipients.push(org_recipient(genesis, &body.bank)?);
    let (sealed, _key) = seal::seal(contents, &recipients, rng)?;
    Ok(match supersedes {
        None => Document::Response(Response {
            request: request.id,
            conclusion: contents.conclusion,
            contents: sealed,
        }),
        Some((previous, reason)) => {
            if reason.trim().is_empty() {
                return Err(input("reason", "a correction needs a reason"));
            }
            Document::Correction(Correction {
                request: request.id,
                supersedes: previous,
                reason,
                conclusion: contents.conclusion,
                contents: sealed,
            })
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::Form;
    use crate::testkit::{self, demo_request_contents, demo_response_contents};

    #[test]
    fn composed_documents_pass_the_state_machine() {
        let (mut ledger, _) = testkit::demo_ledger(11).unwrap();
        let genesis = ledger.net.genesis.clone();
        let bank = OrgId::new("bank-a").unwrap();
        let auditor_org = OrgId::new("audit-x").unwrap();
        let auditor = ledger.enroll("audit-x", "compose-a", "A", "Senior").unwrap();
        let maker = ledger.enroll("bank-a", "compose-m", "M", "经办").unwrap();
        let checker = ledger.enroll("bank-a", "compose-c", "C", "复核").unwrap();
        ledger.commit().unwrap();
        let identity = crate::items::ClientIdentity {
            name: "丙公司".into(),
            credit_code: "9144030071526726XG".into(),
        };
        let client = ledger.enroll_client(&maker, "c-compose", &identity).unwrap();
        ledger.commit().unwrap();
        let mut rng = rand::rngs::OsRng;
        let letter = RequestLetter {
            bank: bank.clone(),
            client: client.client.clone(),
            as_of: Date::parse("2026-06-30").unwrap(),
            letter_no: "COMPOSE-1".into(),
            response_days: None,
            branch: None,
            contents: demo_request_contents().unwrap(),
        };
        assert_eq!(letter.contents.form, Form::Form1);
        let doc = request(&genesis, &auditor_org, &letter, client.decryption.public(), &mut rng).unwrap();
        let req = ledger.submit((&auditor.signer(), &auditor.key), None, doc).unwrap();
        ledger.commit().unwrap();
        assert_eq!(open_as_client(&req, &client.decryption).unwrap(), letter.contents);
        let until = Date::parse("2026-12-31").unwrap();
        let (doc, opened) = authorize(&genesis, &req, &client.decryption, until, &mut rng).unwrap();
        assert_eq!(opened, letter.contents);
        let signer = crate::envelope::Signer { org: bank.clone(), key: client.key.public() };
        let auth = ledger.submit((&signer, &client.key), None, doc).unwrap();
        ledger.commit().unwrap();
        let bank_key = &ledger.org("bank-a").unwrap().decryption.clone();
        let letter_opened = open_as_bank(&req, &auth, bank_key).unwrap();
        let response = demo_response_contents().unwrap();
        let doc = answer(&genesis, &req, &response, Some(&letter_opened), None, &mut rng).unwrap();
        ledger.submit((&maker.signer(), &maker.key), Some((&checker.signer(), &checker.key)), doc).unwrap();
        ledger.commit().unwrap();
        // Opening with the wrong key fails, naming nothing secret.
        assert!(open_as_bank(&req, &auth, &client.decryption).is_err());
        assert!(refuse(req.id, " ").is_err());
    }

    #[test]
    fn letter_problems_are_all_reported() {
        let genesis = testkit::DemoNetwork::new(3).unwrap().genesis;
        let letter = RequestLetter {
            bank: OrgId::new("audit-x").unwrap(),
            client: ClientRef::new("c-1").unwrap(),
            as_of: Date::parse("2026-06-30").unwrap(),
            letter_no: " ".into(),
            response_days: Some(0),
            branch: None,
            contents: demo_request_contents().unwrap(),
        };
        let fields: Vec<String> = letter.problems(&genesis).into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["bank", "response_days", "letter_no"]);
    }
}
