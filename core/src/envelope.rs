//! Sign, encode and verify document envelopes.
//!
//! An envelope is one JSON object, exchanged and committed only in RFC 8785 canonical form:
//!
//! ```json
//! {"author":{"key":"<b64>","org":"bank-a"},"body":{…},"checker":{…},"checker_sig":"<b64>",
//!  "created_ms":1795400000000,"network":"vouch.example/demo","sig":"<b64>","type":"response","v":1}
//! ```
//!
//! # Terminology
//!
//! - *Signing bytes*: `"vouch-v1/envelope-signature\n" || JCS(envelope without "sig" and
//!   "checker_sig")`. The author and, for responses and corrections, the checker (复核人)
//!   each sign these same bytes.
//! - *Document id*: SHA-256 of the envelope's canonical bytes (all fields, signatures
//!   included): `sha256sum` of the file. Requests are referred to by their document id.
//! - *Leaf*: the canonical bytes, as appended to the Merkle log.
//!
//! Decoding checks, in order: size (R-ENV-1), canonical form and shape (R-ENV-2), version
//! (R-ENV-3), network (R-ENV-4), body fields (R-ENV-5), checker presence (R-ENV-6) and the
//! signatures (R-ENV-7). Whether a key was enrolled at the time is the state machine's job.

use crate::canonical::{self, CanonicalError};
use crate::documents::{DocType, Document, FieldError};
use crate::domain::ENVELOPE_SIGNATURE;
use crate::encoding::Hash;
use crate::genesis::PROTOCOL_VERSION;
use crate::ids::{NetworkId, OrgId};
use crate::keys::{KeyError, PublicKey, Signature, SigningKey};
use crate::limits::{ENVELOPE_BYTES_MAX, JSON_INTEGER_MAX};
use serde::{Deserialize, Serialize};

/// Why an envelope was refused before it reached the state machine.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// Over the size limit, not canonical, or not of the envelope's shape.
    #[error("R-ENV-1/2: {0}")]
    Decode(#[from] CanonicalError),
    /// A protocol version this software does not implement.
    #[error(
        "R-ENV-3: envelope version {got} is not supported (this software implements {expected}); upgrade to read it"
    )]
    Version {
        /// Version found.
        got: u32,
        /// Version implemented.
        expected: u32,
    },
    /// For another network (a replay across networks).
    #[error("R-ENV-4: envelope is for network {got}, this is {expected}")]
    Network {
        /// Network named.
        got: NetworkId,
        /// This network.
        expected: NetworkId,
    },
    /// The body is not a valid body of its type.
    #[error("R-ENV-5: {doc_type} body is invalid: {detail}")]
    Body {
        /// The type.
        doc_type: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// A body field is out of bounds.
    #[error("R-ENV-5: {0}")]
    Field(#[from] FieldError),
    /// A checker is missing where required or present where not allowed.
    #[error("R-ENV-6: {doc_type} {detail}")]
    Checker {
        /// The type.
        doc_type: &'static str,
        /// What is wrong.
        detail: &'static str,
    },
    /// A signature does not verify.
    #[error("R-ENV-7: {who} signature does not verify under key {key}")]
    Signature {
        /// `author` or `checker`.
        who: &'static str,
        /// The key (base64).
        key: String,
    },
    /// The creation time is not a valid JSON integer.
    #[error("R-ENV-5: created_ms {0} exceeds 2^53")]
    Time(u64),
}

/// Who signed: an organization and one of its keys (admin, person or, for clients, the
/// enrolling bank's id with the client's key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signer {
    /// The organization (for a client: the bank that enrolled it).
    pub org: OrgId,
    /// The signing key.
    pub key: PublicKey,
}

/// The wire form of an envelope: the body kept as JSON until its type is known.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    v: u32,
    #[serde(rename = "type")]
    doc_type: DocType,
    network: NetworkId,
    created_ms: u64,
    author: Signer,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    checker: Option<Signer>,
    body: serde_json::Value,
    sig: Signature,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    checker_sig: Option<Signature>,
}

/// A decoded envelope whose signatures verified.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    /// Network id.
    pub network: NetworkId,
    /// Creation time claimed by the author, Unix milliseconds.
    pub created_ms: u64,
    /// The author (for responses: the maker, 经办人).
    pub author: Signer,
    /// The checker (复核人), for responses and corrections.
    pub checker: Option<Signer>,
    /// The typed body.
    pub document: Document,
    /// Author's signature.
    pub sig: Signature,
    /// Checker's signature.
    pub checker_sig: Option<Signature>,
    /// Document id: SHA-256 of `bytes`.
    pub id: Hash,
    /// The canonical bytes (the Merkle leaf).
    pub bytes: Vec<u8>,
}

/// An envelope before signing.
#[derive(Debug, Clone)]
pub struct Draft {
    /// Network id.
    pub network: NetworkId,
    /// Creation time, Unix milliseconds.
    pub created_ms: u64,
    /// The author.
    pub author: Signer,
    /// The checker, for responses and corrections.
    pub checker: Option<Signer>,
    /// The body.
    pub document: Document,
}

/// `ENVELOPE_SIGNATURE || JCS(envelope without "sig" and "checker_sig")`, built in one
/// buffer from the envelope's fields and its body as JSON.
fn signing_bytes(
    network: &NetworkId,
    created_ms: u64,
    author: &Signer,
    checker: &Option<Signer>,
    doc_type: DocType,
    body: &serde_json::Value,
) -> Vec<u8> {
    #[derive(Serialize)]
    struct Unsigned<'a> {
        v: u32,
        #[serde(rename = "type")]
        doc_type: DocType,
        network: &'a NetworkId,
        created_ms: u64,
        author: &'a Signer,
        #[serde(skip_serializing_if = "Option::is_none")]
        checker: &'a Option<Signer>,
        body: &'a serde_json::Value,
    }
    let unsigned = Unsigned { v: PROTOCOL_VERSION, doc_type, network, created_ms, author, checker, body };
    let mut out = ENVELOPE_SIGNATURE.bytes().to_vec();
    canonical::append_canonical(&mut out, &unsigned);
    out
}

impl Draft {
    /// The exact bytes each signer signs (domain prefix included).
    pub fn signing_bytes(&self) -> Vec<u8> {
        signing_bytes(
            &self.network,
            self.created_ms,
            &self.author,
            &self.checker,
            self.document.doc_type(),
            &self.document.to_value(),
        )
    }

    /// Sign as the author (and the checker, if given) and produce the canonical envelope.
    /// The keys must match `author.key` and `checker.key`; a mismatch is refused.
    pub fn sign(self, author: &SigningKey, checker: Option<&SigningKey>) -> Result<Envelope, EnvelopeError> {
        let message = self.signing_bytes();
        let sig = sign_envelope(author, &message);
        let checker_sig = checker.map(|k| sign_envelope(k, &message));
        self.assemble(sig, checker_sig)
    }

    /// The signature `key` makes over [`Draft::signing_bytes`]: for signers who sign at
    /// different times (a maker now, the checker later), each keeping only a signature.
    pub fn signature(&self, key: &SigningKey) -> Signature {
        sign_envelope(key, &self.signing_bytes())
    }

    /// The canonical envelope from signatures made with [`Draft::signature`]; every
    /// signature is verified as by [`Envelope::decode`].
    pub fn assemble(self, sig: Signature, checker_sig: Option<Signature>) -> Result<Envelope, EnvelopeError> {
        let wire = Wire {
            v: PROTOCOL_VERSION,
            doc_type: self.document.doc_type(),
            network: self.network.clone(),
            created_ms: self.created_ms,
            author: self.author,
            checker: self.checker,
            body: self.document.to_value(),
            sig,
            checker_sig,
        };
        let bytes = canonical::to_canonical(&wire);
        Envelope::decode(&bytes, &self.network)
    }
}

/// The signing bytes of a canonical envelope, cut from its bytes instead of re-encoded.
///
/// JCS sorts members, so an envelope's top-level members come in the order `author`,
/// `body`, `checker`, `checker_sig`, `created_ms`, `network`, `sig`, `type`, `v`. Neither
/// `sig` nor `checker_sig` is ever first, so each appears as the exact text
/// `,"sig":"<base64>"` (resp. `,"checker_sig":…`), and removing that text leaves exactly
/// `JCS(envelope without them)`. Only the top-level members can follow the body, and none
/// of them contains a quote, so the last occurrence is the top-level one. Returns `None`
/// (the caller then re-encodes) if the text is not found, which canonical input rules out.
/// Debug builds check the result against the definition on every decode.
fn signing_bytes_of_canonical(
    bytes: &[u8],
    sig: &Signature,
    checker_sig: Option<&Signature>,
) -> Option<Vec<u8>> {
    fn member(name: &str, sig: &Signature) -> Vec<u8> {
        format!(",\"{name}\":\"{}\"", crate::encoding::b64_encode(&sig.0)).into_bytes()
    }
    fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
        haystack.windows(needle.len()).rposition(|w| w == needle)
    }
    let sig_member = member("sig", sig);
    let sig_at = rfind(bytes, &sig_member)?;
    let mut cuts = vec![(sig_at, sig_member.len())];
    if let Some(checker_sig) = checker_sig {
        let checker_member = member("checker_sig", checker_sig);
        let at = rfind(bytes.get(..sig_at)?, &checker_member)?;
        cuts.insert(0, (at, checker_member.len()));
    }
    let mut out = Vec::with_capacity(ENVELOPE_SIGNATURE.bytes().len() + bytes.len());
    out.extend_from_slice(ENVELOPE_SIGNATURE.bytes());
    let mut from = 0;
    for (at, len) in cuts {
        out.extend_from_slice(bytes.get(from..at)?);
        from = at + len;
    }
    out.extend_from_slice(bytes.get(from..)?);
    Some(out)
}

/// The `v` field of a JSON object, if it has one that fits a `u32` (only called on bytes
/// already known to be within the size limit).
fn peek_version(bytes: &[u8]) -> Option<u32> {
    #[derive(Deserialize)]
    struct Peek {
        v: u32,
    }
    if bytes.len() > ENVELOPE_BYTES_MAX {
        return None;
    }
    serde_json::from_slice::<Peek>(bytes).ok().map(|p| p.v)
}

/// Sign an envelope's signing bytes, which already carry the `ENVELOPE_SIGNATURE` prefix.
fn sign_envelope(key: &SigningKey, signing_bytes: &[u8]) -> Signature {
    key.sign_raw(signing_bytes)
}

impl Envelope {
    /// Decode canonical bytes for `network`, checking rules R-ENV-1 to R-ENV-7.
    pub fn decode(bytes: &[u8], network: &NetworkId) -> Result<Envelope, EnvelopeError> {
        let wire: Wire = match canonical::from_canonical("envelope", bytes, ENVELOPE_BYTES_MAX) {
            Ok(wire) => wire,
            // A later version may add fields or types this one refuses as unknown; say
            // "upgrade" rather than "invalid" when the version is what differs.
            Err(error) => {
                return Err(match peek_version(bytes) {
                    Some(v) if v != PROTOCOL_VERSION => {
                        EnvelopeError::Version { got: v, expected: PROTOCOL_VERSION }
                    }
                    _ => error.into(),
                });
            }
        };
        Envelope::from_wire(wire, bytes.to_vec(), network)
    }

    /// Decode an envelope carried as a JSON object inside a larger file (a block, a
    /// bundle). Its leaf is the RFC 8785 encoding of the object, so the container's own
    /// spelling does not matter; everything else is checked as by [`Envelope::decode`].
    pub fn decode_value(value: &serde_json::Value, network: &NetworkId) -> Result<Envelope, EnvelopeError> {
        let bytes = canonical::to_canonical(value);
        if bytes.len() > ENVELOPE_BYTES_MAX {
            return Err(CanonicalError::TooLarge {
                what: "envelope",
                got: bytes.len(),
                max: ENVELOPE_BYTES_MAX,
            }
            .into());
        }
        // The typed parse below reads an explicit `null` as an absent optional field, while
        // the leaf would keep it: refuse it, as `decode` does, so one document has one leaf.
        if value.as_object().is_some_and(|members| members.values().any(serde_json::Value::is_null)) {
            return Err(CanonicalError::Invalid {
                what: "envelope",
                detail: "explicit null for an absent field".into(),
            }
            .into());
        }
        let wire = match Wire::deserialize(value) {
            Ok(wire) => wire,
            Err(e) => {
                let version = value.get("v").and_then(serde_json::Value::as_u64);
                return Err(match version.and_then(|v| u32::try_from(v).ok()) {
                    Some(v) if v != PROTOCOL_VERSION => {
                        EnvelopeError::Version { got: v, expected: PROTOCOL_VERSION }
                    }
                    _ => CanonicalError::Invalid { what: "envelope", detail: e.to_string() }.into(),
                });
            }
        };
        Envelope::from_wire(wire, bytes, network)
    }

    /// Rules R-ENV-3 to R-ENV-7 on a parsed envelope whose canonical bytes are `bytes`.
    fn from_wire(wire: Wire, bytes: Vec<u8>, network: &NetworkId) -> Result<Envelope, EnvelopeError> {
        if wire.v != PROTOCOL_VERSION {
            return Err(EnvelopeError::Version { got: wire.v, expected: PROTOCOL_VERSION });
        }
        if &wire.network != network {
            return Err(EnvelopeError::Network { got: wire.network, expected: network.clone() });
        }
        if wire.created_ms > JSON_INTEGER_MAX {
            return Err(EnvelopeError::Time(wire.created_ms));
        }
        let name = wire.doc_type.as_str();
        let document = Document::from_value(wire.doc_type, &wire.body)
            .map_err(|e| EnvelopeError::Body { doc_type: name, detail: e.to_string() })?;
        // The typed body must re-encode to exactly the JSON received (no `null` standing in
        // for an absent optional field), so that one document has one encoding.
        if document.to_value() != wire.body {
            return Err(EnvelopeError::Body {
                doc_type: name,
                detail: "body is not in its one canonical shape (explicit null for an absent field?)".into(),
            });
        }
        document.check_fields()?;
        match (wire.doc_type.needs_checker(), &wire.checker, &wire.checker_sig) {
            (true, Some(_), Some(_)) | (false, None, None) => {}
            (true, _, _) => {
                return Err(EnvelopeError::Checker {
                    doc_type: name,
                    detail: "needs a second signer and its signature (the checker 复核人; for client_enroll, the client)",
                });
            }
            (false, _, _) => {
                return Err(EnvelopeError::Checker { doc_type: name, detail: "must not carry a checker" });
            }
        }
        let defined = || {
            signing_bytes(
                &wire.network,
                wire.created_ms,
                &wire.author,
                &wire.checker,
                wire.doc_type,
                &wire.body,
            )
        };
        let message =
            signing_bytes_of_canonical(&bytes, &wire.sig, wire.checker_sig.as_ref()).unwrap_or_else(defined);
        debug_assert_eq!(
            message,
            defined(),
            "signing bytes cut from the canonical envelope differ from their definition"
        );
        // `message` already starts with the ENVELOPE_SIGNATURE prefix.
        wire.author.key.verify_raw(&message, &wire.sig).map_err(|_: KeyError| EnvelopeError::Signature {
            who: "author",
            key: wire.author.key.to_b64(),
        })?;
        if let (Some(checker), Some(sig)) = (&wire.checker, &wire.checker_sig) {
            checker
                .key
                .verify_raw(&message, sig)
                .map_err(|_| EnvelopeError::Signature { who: "checker", key: checker.key.to_b64() })?;
        }
        Ok(Envelope {
            network: wire.network,
            created_ms: wire.created_ms,
            author: wire.author,
            checker: wire.checker,
            document,
            sig: wire.sig,
            checker_sig: wire.checker_sig,
            id: Hash::sha256(&bytes),
            bytes,
        })
    }

    /// The type.
    pub fn doc_type(&self) -> DocType {
        self.document.doc_type()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::demo_ledger;

    #[test]
    fn signing_bytes_cut_from_canonical_bytes_equal_their_definition() {
        let (ledger, _) = demo_ledger(3).unwrap();
        for env in &ledger.committed {
            let wire: Wire = canonical::from_canonical("envelope", &env.bytes, ENVELOPE_BYTES_MAX).unwrap();
            let defined = signing_bytes(
                &wire.network,
                wire.created_ms,
                &wire.author,
                &wire.checker,
                wire.doc_type,
                &wire.body,
            );
            let cut = signing_bytes_of_canonical(&env.bytes, &wire.sig, wire.checker_sig.as_ref()).unwrap();
            assert_eq!(cut, defined, "{}", env.doc_type().as_str());
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 200, failure_persistence: None, ..Default::default() })]
        /// Text that imitates the `sig` member (quotes, backslashes, `,"sig":"…"`) inside a
        /// body cannot confuse the cut: decode succeeds and, in this debug build, checks the
        /// cut against the definition.
        #[test]
        fn signing_bytes_cut_survives_lookalike_text(
            junk in "[a-zA-Z0-9+/=\\\",:{}]{0,60}",
            sig_like in proptest::collection::vec(proptest::prelude::any::<u8>(), 64),
        ) {
            let key = SigningKey::from_seed(&[4u8; 32]);
            let reason = format!("{junk},\"sig\":\"{}\"{junk}", crate::encoding::b64_encode(&sig_like));
            let draft = Draft {
                network: NetworkId::new("net").unwrap(),
                created_ms: 1,
                author: Signer { org: OrgId::new("org").unwrap(), key: key.public() },
                checker: None,
                document: Document::Withdraw(crate::documents::Withdraw { request: Hash::ZERO, reason }),
            };
            let env = draft.sign(&key, None).unwrap();
            let wire: Wire = canonical::from_canonical("envelope", &env.bytes, ENVELOPE_BYTES_MAX).unwrap();
            let defined =
                signing_bytes(&wire.network, wire.created_ms, &wire.author, &wire.checker, wire.doc_type, &wire.body);
            proptest::prop_assert_eq!(signing_bytes_of_canonical(&env.bytes, &wire.sig, None), Some(defined));
        }
    }

    #[test]
    fn decode_value_matches_decode_and_refuses_nulls() {
        let (ledger, _) = demo_ledger(3).unwrap();
        let network = &ledger.net.genesis.network;
        for env in &ledger.committed {
            let value: serde_json::Value = serde_json::from_slice(&env.bytes).unwrap();
            assert_eq!(Envelope::decode_value(&value, network).unwrap(), *env);
            let mut with_null = value.clone();
            with_null["checker_sig"] = serde_json::Value::Null;
            if env.checker.is_none() {
                let e = Envelope::decode_value(&with_null, network).unwrap_err().to_string();
                assert!(e.contains("explicit null"), "{e}");
                // The strict byte decoder refuses the same envelope.
                assert!(Envelope::decode(&canonical::to_canonical(&with_null), network).is_err());
            }
            let mut future = value.clone();
            future["v"] = 2.into();
            future["expires_ms"] = 1.into();
            assert!(matches!(
                Envelope::decode_value(&future, network),
                Err(EnvelopeError::Version { got: 2, .. })
            ));
        }
    }
}
