//! Define the clear-text body of every document type on the ledger.
//!
//! A body holds what validators need to enforce the rules and regulators need for
//! oversight; everything confidential (account numbers, amounts, the client's identity,
//! item rows) is inside a [`Sealed`] payload whose plaintext types live in `items`.
//! `docs/PROTOCOL.md` §Documents lists each field and §Confidentiality what leaks.
//!
//! | type | signed by | purpose |
//! |---|---|---|
//! | `enroll` / `revoke` | an org's admin key | bind / unbind a person's signing key |
//! | `client_enroll` / `client_revoke` | a bank's person | bind a client's keys after the bank's KYC |
//! | `calendar` | a regulator | publish a year's holidays and adjusted working days |
//! | `request` | an auditor's person | ask a bank to confirm a client's position as of a date |
//! | `authorization` | the client | authorize (or refuse) the bank's disclosure |
//! | `return` | the bank's person | send back a request that fails pre-checks |
//! | `response` / `correction` | the bank's maker and checker | answer / supersede an answer |
//! | `decline` | the bank's person | refuse to answer, with a reason |
//! | `withdraw` / `accept` | the auditor's person | withdraw a request / accept an answer (验收) |
//! | `bank_rules` | a bank's person | publish the bank's rules: forms, scope, deadline, fee, contact |

use crate::calendar::CalendarYear;
use crate::date::Date;
use crate::encoding::Hash;
use crate::ids::{ClientRef, OrgId, PersonId};
use crate::keys::{EncryptionKey, PublicKey};
use crate::seal::{Sealed, WrappedKey};

/// The bank's conclusion (结论); in clear on answers for oversight statistics, and inside the sealed contents.
pub use crate::items::Conclusion;
/// The form of the letter; in clear on the request for oversight, and inside the sealed contents.
pub use crate::items::Form;
use serde::{Deserialize, Serialize};

/// The `type` of a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocType {
    /// [`Enroll`].
    Enroll,
    /// [`Revoke`].
    Revoke,
    /// [`ClientEnroll`].
    ClientEnroll,
    /// [`ClientRevoke`].
    ClientRevoke,
    /// [`CalendarYear`].
    Calendar,
    /// [`Request`].
    Request,
    /// [`Authorization`].
    Authorization,
    /// [`Return`].
    Return,
    /// [`Response`].
    Response,
    /// [`Correction`].
    Correction,
    /// [`Decline`].
    Decline,
    /// [`Withdraw`].
    Withdraw,
    /// [`Accept`].
    Accept,
    /// [`BankRules`].
    BankRules,
}

impl DocType {
    /// Every type, in spec order.
    pub const ALL: [DocType; 14] = [
        DocType::Enroll,
        DocType::Revoke,
        DocType::ClientEnroll,
        DocType::ClientRevoke,
        DocType::Calendar,
        DocType::Request,
        DocType::Authorization,
        DocType::Return,
        DocType::Response,
        DocType::Correction,
        DocType::Decline,
        DocType::Withdraw,
        DocType::Accept,
        DocType::BankRules,
    ];

    /// The JSON name.
    pub fn as_str(&self) -> &'static str {
        match self {
            DocType::Enroll => "enroll",
            DocType::Revoke => "revoke",
            DocType::ClientEnroll => "client_enroll",
            DocType::ClientRevoke => "client_revoke",
            DocType::Calendar => "calendar",
            DocType::Request => "request",
            DocType::Authorization => "authorization",
            DocType::Return => "return",
            DocType::Response => "response",
            DocType::Correction => "correction",
            DocType::Decline => "decline",
            DocType::Withdraw => "withdraw",
            DocType::Accept => "accept",
            DocType::BankRules => "bank_rules",
        }
    }

    /// Whether a second signer is required: the checker (复核人) of responses and
    /// corrections, and the client itself on its enrollment (proof that it holds the key).
    pub fn needs_checker(&self) -> bool {
        matches!(self, DocType::Response | DocType::Correction | DocType::ClientEnroll)
    }
}

/// Bind a person's signing key to the signing org (signed by the org's admin key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Enroll {
    /// The person's id within the org.
    pub person: PersonId,
    /// Full name, as printed on confirmations (e.g. `张三`).
    pub name: String,
    /// Position (e.g. `函证中心经办` or `Audit Manager`).
    pub title: String,
    /// The person's Ed25519 signing key.
    pub key: PublicKey,
}

/// Revoke a person's key from the block's time on (signed by the org's admin key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Revoke {
    /// The key to revoke.
    pub key: PublicKey,
    /// Why (left the bank, key compromised, ...).
    pub reason: String,
}

/// Bind a client's keys after the bank's own KYC: signed by a person of the bank (author)
/// and by the client with the key being enrolled (second signer), so that a bank cannot
/// enroll keys it holds under a client's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientEnroll {
    /// The bank's pseudonymous reference for the client; unique within the bank.
    pub client: ClientRef,
    /// The client's Ed25519 key (signs authorizations).
    pub key: PublicKey,
    /// The client's X25519 key (receives requests' content keys).
    pub encryption_key: EncryptionKey,
    /// The client's identity (`items::ClientIdentity`: name and unified social credit
    /// code), sealed for the bank and, by policy, the regulators.
    pub identity: Sealed,
}

/// Revoke a client's enrollment (signed by a person of the enrolling bank).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientRevoke {
    /// The client reference.
    pub client: ClientRef,
    /// Why.
    pub reason: String,
}

/// The confirming party's scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", deny_unknown_fields)]
pub enum Scope {
    /// The whole bank (letter addressed to head office; 格式二 answered bank-wide).
    WholeBank,
    /// One branch (支行) of the bank.
    Branch {
        /// The branch's name or code as the bank publishes it.
        branch: String,
    },
}

/// A confirmation request (银行询证函), signed by a person of the audit firm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    /// The firm's letter number (编号); unique within the firm.
    pub letter_no: String,
    /// The form.
    pub form: Form,
    /// The addressed bank (函证收件人).
    pub bank: OrgId,
    /// One branch or the whole bank.
    pub scope: Scope,
    /// The audited client, as the bank enrolled it.
    pub client: ClientRef,
    /// The one as-of date (函证基准日).
    pub as_of: Date,
    /// Working days the bank has to answer after authorization.
    pub response_days: u32,
    /// `items::RequestContents`, sealed for the auditor, the client and (by policy) the
    /// regulators — not the bank: it receives the content key with the authorization.
    pub contents: Sealed,
}

/// The client's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Authorize the bank to disclose to the auditor.
    Authorize,
    /// Refuse (ISA 505 ¶8: management's refusal, with reasons).
    Refuse,
}

/// The client's authorization or refusal, signed with the client's enrolled key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Authorization {
    /// The request's document id.
    pub request: Hash,
    /// Authorize or refuse.
    pub decision: Decision,
    /// Last day the bank may answer under this authorization (authorize only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<Date>,
    /// The request's content key wrapped for the bank (authorize only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_key: Option<WrappedKey>,
    /// Why (refuse only; required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Coded reasons a bank returns a request before answering (pre-check failures).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnReason {
    /// The letter does not follow the standard format.
    FormatNoncompliant,
    /// More than one as-of date, or several branches merged in one letter.
    ScopeOrDateMismatch,
    /// The client is not a customer of this bank or branch.
    NotACustomer,
    /// The authorization signer does not match the bank's mandate.
    AuthorizerMismatch,
    /// The fee could not be debited.
    FeeNotPaid,
    /// The sealed contents could not be opened or do not match their commitment.
    CannotOpen,
    /// Information is missing; see the note.
    MissingInformation,
    /// Another reason; see the note.
    Other,
}

/// The bank returns a request that fails its pre-checks (signed by a person of the bank).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Return {
    /// The request.
    pub request: Hash,
    /// Coded reason.
    pub reason: ReturnReason,
    /// Free-text detail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The bank's answer, signed by the maker (author) and the checker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Response {
    /// The request answered.
    pub request: Hash,
    /// The conclusion (must agree with the sealed item answers).
    pub conclusion: Conclusion,
    /// `items::ResponseContents`, sealed for the auditor, the bank and (by policy) the regulators.
    pub contents: Sealed,
}

/// A new answer that supersedes the previous one; both stay on the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Correction {
    /// The request answered.
    pub request: Hash,
    /// The answer (response or correction) superseded: must be the latest one.
    pub supersedes: Hash,
    /// Why the answer changed.
    pub reason: String,
    /// The new conclusion.
    pub conclusion: Conclusion,
    /// The new sealed answer.
    pub contents: Sealed,
}

/// The bank declines to answer (signed by a person of the bank).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decline {
    /// The request.
    pub request: Hash,
    /// Why.
    pub reason: String,
}

/// The auditor withdraws a request before it is answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Withdraw {
    /// The request.
    pub request: Hash,
    /// Why.
    pub reason: String,
}

/// The auditor accepts (验收) the latest answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Accept {
    /// The request.
    pub request: Hash,
    /// The answer accepted: must be the latest response or correction.
    pub response: Hash,
    /// Optional note for the working papers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A fee a bank charges per letter (回函服务费), debited from the account the letter names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fee {
    /// The amount per letter (not negative).
    pub amount: crate::money::Amount,
    /// Its currency.
    pub currency: crate::money::Currency,
    /// When it applies, waivers, how it is debited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Whom auditors contact at the bank about confirmations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// A desk or a person (e.g. `函证中心`).
    pub name: String,
    /// A telephone number, as the bank writes it.
    pub phone: String,
    /// An e-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// A postal address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

/// A bank's published rules for confirmations (银行业务规则), which every bank must make
/// public and auditors read before they send: the forms it answers, the scopes it accepts,
/// the working days it takes, its fee and whom to contact (signed by a person of the bank).
/// A later `bank_rules` of the same bank replaces it from the block's time on; the ledger
/// keeps every version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BankRules {
    /// The forms the bank answers, in `Form` order, each once.
    pub forms: Vec<Form>,
    /// Whether letters addressed to the whole bank (head office, bank-wide) are answered.
    pub whole_bank: bool,
    /// The branches (支行) that answer letters addressed to them, each once, in byte order.
    pub branches: Vec<String>,
    /// The working days the bank takes to answer an authorized letter.
    pub response_days: u32,
    /// The fee per letter; absent when the bank charges none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee: Option<Fee>,
    /// Whom to contact.
    pub contact: Contact,
    /// Anything else auditors must know (e.g. whether item 14 is answered centrally).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

/// A document body of any type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Document {
    /// See [`Enroll`].
    Enroll(Enroll),
    /// See [`Revoke`].
    Revoke(Revoke),
    /// See [`ClientEnroll`].
    ClientEnroll(ClientEnroll),
    /// See [`ClientRevoke`].
    ClientRevoke(ClientRevoke),
    /// See [`CalendarYear`].
    Calendar(CalendarYear),
    /// See [`Request`].
    Request(Request),
    /// See [`Authorization`].
    Authorization(Authorization),
    /// See [`Return`].
    Return(Return),
    /// See [`Response`].
    Response(Response),
    /// See [`Correction`].
    Correction(Correction),
    /// See [`Decline`].
    Decline(Decline),
    /// See [`Withdraw`].
    Withdraw(Withdraw),
    /// See [`Accept`].
    Accept(Accept),
    /// See [`BankRules`].
    BankRules(BankRules),
}

impl Document {
    /// The type.
    pub fn doc_type(&self) -> DocType {
        match self {
            Document::Enroll(_) => DocType::Enroll,
            Document::Revoke(_) => DocType::Revoke,
            Document::ClientEnroll(_) => DocType::ClientEnroll,
            Document::ClientRevoke(_) => DocType::ClientRevoke,
            Document::Calendar(_) => DocType::Calendar,
            Document::Request(_) => DocType::Request,
            Document::Authorization(_) => DocType::Authorization,
            Document::Return(_) => DocType::Return,
            Document::Response(_) => DocType::Response,
            Document::Correction(_) => DocType::Correction,
            Document::Decline(_) => DocType::Decline,
            Document::Withdraw(_) => DocType::Withdraw,
            Document::Accept(_) => DocType::Accept,
            Document::BankRules(_) => DocType::BankRules,
        }
    }

    /// The request this document is about, if any (the request's own id is not known
    /// here: it is the envelope's id).
    pub fn request_ref(&self) -> Option<Hash> {
        match self {
            Document::Authorization(b) => Some(b.request),
            Document::Return(b) => Some(b.request),
            Document::Response(b) => Some(b.request),
            Document::Correction(b) => Some(b.request),
            Document::Decline(b) => Some(b.request),
            Document::Withdraw(b) => Some(b.request),
            Document::Accept(b) => Some(b.request),
            _ => None,
        }
    }

    /// The body as a JSON value.
    pub fn to_value(&self) -> serde_json::Value {
        let v = match self {
            Document::Enroll(b) => serde_json::to_value(b),
            Document::Revoke(b) => serde_json::to_value(b),
            Document::ClientEnroll(b) => serde_json::to_value(b),
            Document::ClientRevoke(b) => serde_json::to_value(b),
            Document::Calendar(b) => serde_json::to_value(b),
            Document::Request(b) => serde_json::to_value(b),
            Document::Authorization(b) => serde_json::to_value(b),
            Document::Return(b) => serde_json::to_value(b),
            Document::Response(b) => serde_json::to_value(b),
            Document::Correction(b) => serde_json::to_value(b),
            Document::Decline(b) => serde_json::to_value(b),
            Document::Withdraw(b) => serde_json::to_value(b),
            Document::Accept(b) => serde_json::to_value(b),
            Document::BankRules(b) => serde_json::to_value(b),
        };
        // Our bodies are plain structs of strings and small integers: always serializable.
        v.unwrap_or(serde_json::Value::Null)
    }

    /// Parse a body of type `t` from a JSON value, refusing unknown fields.
    pub fn from_value(t: DocType, v: &serde_json::Value) -> Result<Document, serde_json::Error> {
        Ok(match t {
            DocType::Enroll => Document::Enroll(Enroll::deserialize(v)?),
            DocType::Revoke => Document::Revoke(Revoke::deserialize(v)?),
            DocType::ClientEnroll => Document::ClientEnroll(ClientEnroll::deserialize(v)?),
            DocType::ClientRevoke => Document::ClientRevoke(ClientRevoke::deserialize(v)?),
            DocType::Calendar => Document::Calendar(CalendarYear::deserialize(v)?),
            DocType::Request => Document::Request(Request::deserialize(v)?),
            DocType::Authorization => Document::Authorization(Authorization::deserialize(v)?),
            DocType::Return => Document::Return(Return::deserialize(v)?),
            DocType::Response => Document::Response(Response::deserialize(v)?),
            DocType::Correction => Document::Correction(Correction::deserialize(v)?),
            DocType::Decline => Document::Decline(Decline::deserialize(v)?),
            DocType::Withdraw => Document::Withdraw(Withdraw::deserialize(v)?),
            DocType::Accept => Document::Accept(Accept::deserialize(v)?),
            DocType::BankRules => Document::BankRules(BankRules::deserialize(v)?),
        })
    }
}

/// Why a body's fields are out of bounds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    /// A text field is empty where required, or longer than its limit.
    #[error("R-DOC-1: field {field} is {got} bytes, expected {min} to {max}")]
    Text {
        /// Field name.
        field: &'static str,
        /// Length seen.
        got: usize,
        /// Minimum.
        min: usize,
        /// Maximum.
        max: usize,
    },
}

fn text(field: &'static str, value: &str, min: usize, max: usize) -> Result<(), FieldError> {
    if value.len() < min || value.len() > max {
        return Err(FieldError::Text { field, got: value.len(), min, max });
    }
    Ok(())
}

fn opt_text(field: &'static str, value: &Option<String>, max: usize) -> Result<(), FieldError> {
    value.as_deref().map_or(Ok(()), |v| text(field, v, 1, max))
}

impl Document {
    /// Check every text field's length and every list's bound (R-DOC-*).
    pub fn check_fields(&self) -> Result<(), FieldError> {
        use crate::limits::{TEXT_LONG_BYTES_MAX as LONG, TEXT_SHORT_BYTES_MAX as SHORT};
        match self {
            Document::Enroll(b) => {
                text("name", &b.name, 1, SHORT)?;
                text("title", &b.title, 1, SHORT)
            }
            Document::Revoke(b) => text("reason", &b.reason, 1, LONG),
            // Sealed payloads bound their recipients when parsed (R-SEAL-9).
            Document::ClientEnroll(_) => Ok(()),
            Document::ClientRevoke(b) => text("reason", &b.reason, 1, LONG),
            Document::Calendar(_) => Ok(()),
            Document::Request(b) => {
                text("letter_no", &b.letter_no, 1, SHORT)?;
                if let Scope::Branch { branch } = &b.scope {
                    text("scope.branch", branch, 1, SHORT)?;
                }
                Ok(())
            }
            Document::Authorization(b) => opt_text("reason", &b.reason, LONG),
            Document::Return(b) => opt_text("note", &b.note, LONG),
            Document::Response(_) => Ok(()),
            Document::Correction(b) => text("reason", &b.reason, 1, LONG),
            Document::Decline(b) => text("reason", &b.reason, 1, LONG),
            Document::Withdraw(b) => text("reason", &b.reason, 1, LONG),
            Document::Accept(b) => opt_text("note", &b.note, LONG),
            Document::BankRules(b) => {
                for branch in &b.branches {
                    text("branches[]", branch, 1, SHORT)?;
                }
                if let Some(fee) = &b.fee {
                    opt_text("fee.note", &fee.note, LONG)?;
                }
                text("contact.name", &b.contact.name, 1, SHORT)?;
                text("contact.phone", &b.contact.phone, 1, SHORT)?;
                opt_text("contact.email", &b.contact.email, SHORT)?;
                opt_text("contact.address", &b.contact.address, LONG)?;
                opt_text("notes", &b.notes, LONG)
            }
        }
    }
}
