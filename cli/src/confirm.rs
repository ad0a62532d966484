//! Build each ledger document from flags and files: enrollments, the request (from a TOML
//! or JSON letter file), the client's decision, and the bank's and auditor's answers.
//!
//! # Terminology
//!
//! - *Request file*: the letter's public fields (`bank`, `client`, `as_of`, `letter_no`,
//!   `response_days`, `branch`) and its sealed `[contents]` (`items::RequestContents`:
//!   `schema`, `form`, `[contents.letter]`, and one table per requested item). See
//!   `docs/examples/request.toml`.
//! - *Response file*: `items::ResponseContents` (`conclusion`, item-by-item answers:
//!   `agreed`, `exception` with the bank's figures and an explanation, `no_record`).
//!
//! Every file is parsed and validated by `vouch-core` before anything is signed; signing,
//! sealing and submitting are [`crate::submit`]'s.

use crate::outcome::Report;
use crate::submit::{Destination, SubmitError, input, parse_id, read_envelope, signer};
use rand_core::OsRng;
use serde::Deserialize;
use std::path::Path;
use vouch_core::date::Date;
use vouch_core::documents::{
    Accept, ClientEnroll, Correction, Decline, Document, Enroll, Response, Return, ReturnReason, Revoke,
    Withdraw,
};
use vouch_core::encoding::Hash;
use vouch_core::envelope::Envelope;
use vouch_core::genesis::{Genesis, Role};
use vouch_core::ids::{ClientRef, OrgId, PersonId};
use vouch_core::items::{ClientIdentity, RequestContents, ResponseContents};
use vouch_core::limits::RESPONSE_DAYS_MAX;

/// A request file: the letter's public fields and its sealed contents.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestFile {
    /// The addressed bank's org id.
    pub bank: String,
    /// The client, as the bank enrolled it.
    pub client: String,
    /// The as-of date (函证基准日), `YYYY-MM-DD`.
    pub as_of: Date,
    /// The firm's letter number (编号).
    pub letter_no: String,
    /// Working days the bank has to answer; the genesis default if absent.
    #[serde(default)]
    pub response_days: Option<u32>,
    /// One branch (支行) instead of the whole bank.
    #[serde(default)]
    pub branch: Option<String>,
    /// The sealed part (`items::RequestContents`).
    pub contents: RequestContents,
}

/// The request body (contents not sealed yet) and the validated contents.
pub fn request_from_file(
    file: RequestFile,
    genesis: &Genesis,
) -> Result<(OrgId, ClientRef, RequestFile), String> {
    let bank = OrgId::new(&file.bank).map_err(|e| format!("bank: {e}"))?;
    match genesis.org(&bank) {
        None => return Err(format!("bank: {bank} is not a member of network {}", genesis.network)),
        Some(o) if o.role != Role::Bank => return Err(format!("bank: {bank} is not a bank")),
        Some(_) => {}
    }
    let client = ClientRef::new(&file.client).map_err(|e| format!("client: {e}"))?;
    if let Some(days) = file.response_days
        && !(1..=RESPONSE_DAYS_MAX).contains(&days)
    {
        return Err(format!("response_days: {days} is not between 1 and {RESPONSE_DAYS_MAX}"));
    }
    file.contents.validate().map_err(|e| format!("contents: {e}"))?;
    Ok((bank, client, file))
}

/// Parse and validate a request file's text.
pub fn parse_request(
    text: &str,
    json: bool,
    genesis: &Genesis,
) -> Result<(OrgId, ClientRef, RequestFile), String> {
    let file: RequestFile = crate::submit::parse_toml_or_json(text, json)?;
    request_from_file(file, genesis)
}

/// Parse and validate a response file's text.
pub fn parse_response(text: &str, json: bool) -> Result<ResponseContents, String> {
    let contents: ResponseContents = crate::submit::parse_toml_or_json(text, json)?;
    contents.validate().map_err(|e| e.to_string())?;
    Ok(contents)
}

/// `vouch request create`.
pub fn request_create(
    path: &Path,
    client_encryption_key: Option<&Path>,
    org: &str,
    key: &Path,
    dest: &Destination,
) -> Result<Report, SubmitError> {
    let (author, signing) = signer(org, key)?;
    let text = crate::files::read_text(path, "request file", vouch_core::limits::ENVELOPE_BYTES_MAX)?;
    let json = path.extension().is_some_and(|e| e == "json");
    let (bank, client, file) = parse_request(&text, json, &dest.genesis)
        .map_err(|e| input(format!("request file {}", path.display()), e))?;
    let client_key = match client_encryption_key {
        Some(path) => crate::keys::load_encryption(path)?,
        None => enrolled_client_key(&bank, &client, dest)?,
    };
    // The recipients, the sealing and the body are `vouch_core::compose`'s: the node's
    // custodial signing builds the same letter the same way.
    let letter = vouch_core::compose::RequestLetter {
        bank,
        client,
        as_of: file.as_of,
        letter_no: file.letter_no,
        response_days: file.response_days,
        branch: file.branch,
        contents: file.contents,
    };
    let document = vouch_core::compose::request(&dest.genesis, &author.org, &letter, client_key, &mut OsRng)
        .map_err(|e| compose_error(format!("request file {}", path.display()), e))?;
    dest.sign_and_send((&author, &signing), None, document)
}

/// The client's encryption key as enrolled, read from the node's chain after verifying it
/// from genesis (nothing the node says is trusted unverified).
fn enrolled_client_key(
    bank: &OrgId,
    client: &ClientRef,
    dest: &Destination,
) -> Result<vouch_core::keys::EncryptionKey, SubmitError> {
    let node = dest.node().ok_or_else(|| {
        input("--client-encryption-key", "without --node, pass the client's X25519 public key file")
    })?;
    let verifier = crate::chain::verified_ledger(node, &dest.genesis)?;
    match verifier.state().clients.get(&(bank.clone(), client.clone())) {
        Some(record) if record.revoked_ms.is_none() => Ok(record.encryption_key),
        Some(_) => Err(input("client", format!("{client} was revoked at {bank}"))),
        None => Err(input(
            "client",
            format!("{client} is not enrolled at {bank} on the ledger of {}", node.base()),
        )),
    }
}

/// `vouch authorize` (and `--refuse`).
#[allow(clippy::too_many_arguments)]
pub fn authorize(
    request_id: &str,
    request_file: Option<&Path>,
    token: Option<&str>,
    decryption_key: Option<&Path>,
    valid_until: Option<&str>,
    refuse: bool,
    reason: Option<&str>,
    org: &str,
    key: &Path,
    dest: &Destination,
) -> Result<Report, SubmitError> {
    let id = parse_id("REQUEST_ID", request_id)?;
    let (author, signing) = signer(org, key)?;
    let document = if refuse {
        let reason = reason.ok_or_else(|| input("--reason", "a refusal needs a reason"))?;
        vouch_core::compose::refuse(id, reason).map_err(|e| compose_error("--reason", e))?
    } else {
        let request = match request_file {
            Some(path) => {
                let request = read_envelope(path, &dest.genesis)?;
                if request.id != id {
                    return Err(input(
                        "--request",
                        format!("the file holds document {}, not {id}", request.id),
                    ));
                }
                request
            }
            None => fetched_request(&id, token, dest)?,
        };
        let decryption = crate::keys::load_decryption(
            decryption_key
                .ok_or_else(|| input("--decryption-key", "authorizing needs the client's X25519 key"))?,
        )?;
        let valid_until =
            valid_until.ok_or_else(|| input("--valid-until", "authorizing needs a last day"))?;
        let valid_until = Date::parse(valid_until).map_err(|e| input("--valid-until", e))?;
        vouch_core::compose::authorize(&dest.genesis, &request, &decryption, valid_until, &mut OsRng)
            .map_err(|e| compose_error("--request", e))?
            .0
    };
    dest.sign_and_send((&author, &signing), None, document)
}

/// A composition failure: sealing faults as such, anything else as an input error of `what`.
fn compose_error(what: impl Into<String>, error: vouch_core::compose::ComposeError) -> SubmitError {
    match error {
        vouch_core::compose::ComposeError::Seal(e) => SubmitError::Seal(e),
        vouch_core::compose::ComposeError::Input { what: field, detail } => {
            input(what, format!("{field}: {detail}"))
        }
    }
}

/// The request `id`, read from `--node` and verified (see [`crate::fetch`]).
fn fetched_request(id: &Hash, token: Option<&str>, dest: &Destination) -> Result<Envelope, SubmitError> {
    let node =
        dest.node().ok_or_else(|| input("--request", "without --node, pass the request envelope file"))?;
    let token = crate::fetch::need_token(token, "--request FILE")?;
    crate::fetch::documents(node, token, &dest.genesis, id)?.into_iter().find(|e| e.id == *id).ok_or_else(
        || input("REQUEST_ID", format!("the node's documents of {id} do not include the request")),
    )
}

/// What the bank answers: a response, or a correction of `supersedes`.
pub struct Answer<'a> {
    /// The request id.
    pub request_id: &'a str,
    /// The response file.
    pub file: &'a Path,
    /// The auditor's org (a recipient).
    pub auditor: &'a str,
    /// The checker's org and key.
    pub checker: (&'a str, &'a Path),
    /// For a correction: the superseded answer and why.
    pub supersedes: Option<(&'a str, &'a str)>,
    /// To check the answer against the letter.
    pub check_against: Option<Letter<'a>>,
}

/// Where the letter to check an answer against comes from.
pub struct Letter<'a> {
    /// The request and authorization envelope files; without them both are read from the
    /// node with `token`.
    pub envelopes: Option<(&'a Path, &'a Path)>,
    /// The API token, to read them from the node.
    pub token: Option<&'a str>,
    /// The bank's X25519 private key.
    pub key: &'a Path,
}

/// Open the letter with the key the client's authorization passed to the bank.
fn open_letter(id: &Hash, letter: &Letter<'_>, dest: &Destination) -> Result<RequestContents, SubmitError> {
    let (request, auth) = match letter.envelopes {
        Some((request, authorization)) => {
            (read_envelope(request, &dest.genesis)?, read_envelope(authorization, &dest.genesis)?)
        }
        None => {
            let node = dest.node().ok_or_else(|| {
                input("--request", "without --node, pass the request and authorization envelope files")
            })?;
            let token = crate::fetch::need_token(letter.token, "--request FILE --authorization FILE")?;
            let docs = crate::fetch::documents(node, token, &dest.genesis, id)?;
            let request = docs.iter().find(|e| e.id == *id).cloned();
            // The latest authorization is the one in force.
            let auth = docs.iter().rev().find(|e| matches!(e.document, Document::Authorization(_))).cloned();
            match (request, auth) {
                (Some(r), Some(a)) => (r, a),
                (None, _) => {
                    return Err(input(
                        "REQUEST_ID",
                        format!("the node's documents of {id} do not include the request"),
                    ));
                }
                (Some(_), None) => {
                    return Err(input(
                        "REQUEST_ID",
                        format!("request {id} has no authorization yet: there is nothing to answer"),
                    ));
                }
            }
        }
    };
    if request.id != *id {
        return Err(input("--request", format!("the file holds document {}, not {id}", request.id)));
    }
    let decryption = crate::keys::load_decryption(letter.key)?;
    vouch_core::compose::open_as_bank(&request, &auth, &decryption)
        .map_err(|e| compose_error("the letter", e))
}

/// `vouch respond` and `vouch correct`.
pub fn answer(a: &Answer<'_>, org: &str, key: &Path, dest: &Destination) -> Result<Report, SubmitError> {
    let id = parse_id("REQUEST_ID", a.request_id)?;
    let (maker, maker_key) = signer(org, key)?;
    let (checker, checker_key) = signer(a.checker.0, a.checker.1)?;
    let text = crate::files::read_text(a.file, "response file", vouch_core::limits::ENVELOPE_BYTES_MAX)?;
    let json = a.file.extension().is_some_and(|e| e == "json");
    let contents =
        parse_response(&text, json).map_err(|e| input(format!("response file {}", a.file.display()), e))?;
    if let Some(letter) = &a.check_against {
        let letter = open_letter(&id, letter, dest)?;
        vouch_core::items::check_answer(&letter, &contents).map_err(|e| {
            input(format!("response file {}", a.file.display()), format!("does not answer the letter: {e}"))
        })?;
    }
    let auditor = OrgId::new(a.auditor).map_err(|e| input("--auditor", e))?;
    let mut recipients = dest.regulator_recipients();
    recipients.push(dest.org_recipient(&auditor)?);
    recipients.push(dest.org_recipient(&maker.org)?);
    let sealed = dest.seal(&contents, &recipients)?;
    let document = match a.supersedes {
        None => {
            Document::Response(Response { request: id, conclusion: contents.conclusion, contents: sealed })
        }
        Some((previous, reason)) => Document::Correction(Correction {
            request: id,
            supersedes: parse_id("--supersedes", previous)?,
            reason: reason.to_string(),
            conclusion: contents.conclusion,
            contents: sealed,
        }),
    };
    dest.sign_and_send((&maker, &maker_key), Some((&checker, &checker_key)), document)
}

/// The simple documents about a request: return, decline, withdraw, accept.
pub enum Simple<'a> {
    /// The bank returns it.
    Return {
        /// Coded reason.
        reason: ReturnReason,
        /// Detail.
        note: Option<&'a str>,
    },
    /// The bank declines it.
    Decline {
        /// Why.
        reason: &'a str,
    },
    /// The auditor withdraws it.
    Withdraw {
        /// Why.
        reason: &'a str,
    },
    /// The auditor accepts an answer.
    Accept {
        /// The answer accepted.
        response: &'a str,
        /// A note.
        note: Option<&'a str>,
    },
}

/// `vouch return`, `vouch decline`, `vouch withdraw`, `vouch accept`.
pub fn simple(
    request_id: &str,
    what: Simple<'_>,
    org: &str,
    key: &Path,
    dest: &Destination,
) -> Result<Report, SubmitError> {
    let request = parse_id("REQUEST_ID", request_id)?;
    let (author, signing) = signer(org, key)?;
    let document = match what {
        Simple::Return { reason, note } => {
            Document::Return(Return { request, reason, note: note.map(str::to_string) })
        }
        Simple::Decline { reason } => Document::Decline(Decline { request, reason: reason.to_string() }),
        Simple::Withdraw { reason } => Document::Withdraw(Withdraw { request, reason: reason.to_string() }),
        Simple::Accept { response, note } => Document::Accept(Accept {
            request,
            response: parse_id("--response", response)?,
            note: note.map(str::to_string),
        }),
    };
    dest.sign_and_send((&author, &signing), None, document)
}

/// Parse a return reason (`fee_not_paid`, ...).
pub fn parse_return_reason(text: &str) -> Result<ReturnReason, String> {
    serde_json::from_value(serde_json::Value::String(text.to_string())).map_err(|_| {
        "expected one of format_noncompliant, scope_or_date_mismatch, not_a_customer, authorizer_mismatch, \
         fee_not_paid, cannot_open, missing_information, other"
            .to_string()
    })
}

/// `vouch enroll`: an org admin binds a person's key.
pub fn enroll(
    person: &str,
    name: &str,
    title: &str,
    person_key: &Path,
    org: &str,
    key: &Path,
    dest: &Destination,
) -> Result<Report, SubmitError> {
    let (admin, admin_key) = signer(org, key)?;
    let document = Document::Enroll(Enroll {
        person: PersonId::new(person).map_err(|e| input("--person", e))?,
        name: name.to_string(),
        title: title.to_string(),
        key: crate::keys::load_public(person_key)?,
    });
    dest.sign_and_send((&admin, &admin_key), None, document)
}

/// `vouch revoke`: an org admin unbinds a person's key.
pub fn revoke(
    person_key: &Path,
    reason: &str,
    org: &str,
    key: &Path,
    dest: &Destination,
) -> Result<Report, SubmitError> {
    let (admin, admin_key) = signer(org, key)?;
    let document =
        Document::Revoke(Revoke { key: crate::keys::load_public(person_key)?, reason: reason.to_string() });
    dest.sign_and_send((&admin, &admin_key), None, document)
}

/// What `vouch enroll-client` needs besides the bank officer.
pub struct ClientEnrollment<'a> {
    /// The bank's reference.
    pub client: &'a str,
    /// The client's private signing key (it co-signs its enrollment).
    pub client_key: &'a Path,
    /// The client's X25519 key (public or private file).
    pub encryption_key: &'a Path,
    /// Legal name.
    pub name: &'a str,
    /// Unified social credit code.
    pub credit_code: &'a str,
}

/// `vouch enroll-client`: a bank's person enrolls a client, co-signed by the client.
pub fn enroll_client(
    c: &ClientEnrollment<'_>,
    org: &str,
    key: &Path,
    dest: &Destination,
) -> Result<Report, SubmitError> {
    let (officer, officer_key) = signer(org, key)?;
    let client = ClientRef::new(c.client).map_err(|e| input("--client", e))?;
    let client_signing = crate::keys::load_signing(c.client_key)?;
    let encryption_key = crate::keys::load_encryption(c.encryption_key)?;
    let identity = ClientIdentity { name: c.name.to_string(), credit_code: c.credit_code.to_string() };
    identity.validate().map_err(|e| input("--name / --credit-code", e))?;
    let mut recipients = dest.regulator_recipients();
    recipients.push(dest.org_recipient(&officer.org)?);
    let sealed = dest.seal(&identity, &recipients)?;
    let client_signer =
        vouch_core::envelope::Signer { org: officer.org.clone(), key: client_signing.public() };
    let document = Document::ClientEnroll(ClientEnroll {
        client,
        key: client_signing.public(),
        encryption_key,
        identity: sealed,
    });
    dest.sign_and_send((&officer, &officer_key), Some((&client_signer, &client_signing)), document)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = include_str!("../../docs/examples/request.toml");

    fn genesis() -> Genesis {
        vouch_core::testkit::DemoNetwork::new(7).unwrap().genesis
    }

    #[test]
    fn the_sample_request_maps_to_the_demo_contents() {
        let (bank, client, file) = parse_request(SAMPLE, false, &genesis()).unwrap();
        assert_eq!(bank.as_str(), "bank-a");
        assert_eq!(client.as_str(), "c-000123");
        assert_eq!(file.contents, vouch_core::testkit::demo_request_contents().unwrap());
        assert_eq!(file.as_of, Date::parse("2025-12-31").unwrap());
    }

    #[test]
    fn json_request_files_are_read_too() {
        let file: RequestFile = toml::from_str(SAMPLE).unwrap();
        let json = serde_json::json!({
            "bank": file.bank, "client": file.client, "as_of": "2025-12-31",
            "letter_no": file.letter_no, "contents": file.contents,
        });
        parse_request(&json.to_string(), true, &genesis()).unwrap();
    }

    #[test]
    fn a_bad_amount_is_refused_naming_the_field() {
        let text = SAMPLE.replacen("balance = \"1234567.89\"", "balance = \"12,34\"", 1);
        assert_ne!(text, SAMPLE);
        let e = parse_request(&text, false, &genesis()).unwrap_err();
        assert!(e.contains("balance"), "{e}");
    }

    #[test]
    fn an_unknown_category_is_refused_naming_it() {
        let text = SAMPLE.replacen("[contents.items.loans]", "[contents.items.mortgages]", 1);
        let e = parse_request(&text, false, &genesis()).unwrap_err();
        assert!(e.contains("mortgages"), "{e}");
    }

    #[test]
    fn a_missing_column_is_refused_naming_it() {
        let text = SAMPLE.replacen("currency = \"CNY\"\n", "", 1);
        let e = parse_request(&text, false, &genesis()).unwrap_err();
        assert!(e.contains("currency"), "{e}");
    }

    #[test]
    fn the_public_fields_are_checked() {
        let e =
            parse_request(&SAMPLE.replacen("bank = \"bank-a\"", "bank = \"audit-x\"", 1), false, &genesis())
                .unwrap_err();
        assert!(e.contains("not a bank"), "{e}");
        let e =
            parse_request(&SAMPLE.replacen("bank = \"bank-a\"", "bank = \"bank-z\"", 1), false, &genesis())
                .unwrap_err();
        assert!(e.contains("not a member"), "{e}");
        let text = SAMPLE.replacen("response_days = 10", "response_days = 0", 1);
        assert!(parse_request(&text, false, &genesis()).unwrap_err().contains("response_days"));
        let text = SAMPLE.replacen("as_of = \"2025-12-31\"", "as_of = \"2025-13-31\"", 1);
        assert!(parse_request(&text, false, &genesis()).unwrap_err().contains("as_of"));
    }

    #[test]
    fn the_sample_response_maps_to_the_demo_answer() {
        let text = include_str!("../../docs/examples/response.toml");
        assert_eq!(
            parse_response(text, false).unwrap(),
            vouch_core::testkit::demo_response_contents().unwrap()
        );
    }

    #[test]
    fn return_reasons_parse() {
        assert_eq!(parse_return_reason("fee_not_paid"), Ok(ReturnReason::FeeNotPaid));
        assert!(parse_return_reason("tired").is_err());
    }
}
