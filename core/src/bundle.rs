//! Build and verify evidence bundles: one confirmation's documents, proven against a
//! cosigned checkpoint, checkable offline with nothing but the network's public keys.
//!
//! # Terminology
//!
//! - *Bundle*: one JSON file holding the genesis document (the pinned public keys), a
//!   C2SP cosigned checkpoint, and *entries*: each an envelope with its leaf index and
//!   inclusion proof. Entries are the confirmation's documents (request, authorization,
//!   answers, acceptance, …) and the enrollments that bind each signer's key to a person
//!   or client and an organization.
//! - *Opening*: optionally, the plaintext of a sealed payload with its salt, so a reader
//!   without keys (a reviewer of the working papers) can check it against the commitment.
//! - *Pinned genesis hash*: what the verifier trusts, obtained out of band (the regulator
//!   publishes it). Everything else in the bundle is checked against it.
//!
//! [`verify_bundle`] applies rules R-BUN-1 to R-BUN-9 of `docs/PROTOCOL.md` §Evidence
//! bundles in order and reports the first failure.

use crate::canonical::{self, CanonicalError};
use crate::checkpoint::{CheckpointError, CosignedCheckpoint, check_successor, verify_quorum};
use crate::documents::{DocType, Document};
use crate::encoding::Hash;
use crate::envelope::{Envelope, EnvelopeError};
use crate::genesis::{Genesis, GenesisError};
use crate::ids::OrgId;
use crate::keys::PublicKey;
use crate::limits::{BUNDLE_BYTES_MAX, BUNDLE_ENTRIES_MAX};
use crate::merkle::{self, MerkleError, NodeReader};
use crate::seal::{self, Opening};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The bundle format version.
pub const BUNDLE_VERSION: u32 = 1;

/// Why a bundle failed verification.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    /// Not a bundle: too large, not JSON, wrong shape, or an unknown version.
    #[error("R-BUN-1: {0}")]
    Format(String),
    /// The genesis in the bundle is invalid or is not the pinned one.
    #[error("R-BUN-2: {0}")]
    Genesis(String),
    /// The checkpoint does not parse, names another network, or lacks a quorum.
    #[error("R-BUN-3: checkpoint: {0}")]
    Checkpoint(#[from] CheckpointError),
    /// The checkpoint is for another network.
    #[error("R-BUN-3: checkpoint origin is {got:?}, expected the network id {expected:?}")]
    Origin {
        /// Origin found.
        got: String,
        /// This network.
        expected: String,
    },
    /// An entry's envelope is invalid.
    #[error("R-BUN-4: entry {index}: {error}")]
    Envelope {
        /// Entry position.
        index: usize,
        /// What failed.
        error: EnvelopeError,
    },
    /// An entry's inclusion proof fails.
    #[error("R-BUN-5: entry {index} (leaf {leaf_index}): {error}")]
    Inclusion {
        /// Entry position.
        index: usize,
        /// Its claimed leaf index.
        leaf_index: u64,
        /// What failed.
        error: MerkleError,
    },
    /// Two entries claim the same leaf index, or entries are not in ledger order.
    #[error("R-BUN-6: entry {index}: leaf index {leaf_index} is not greater than the previous entry's")]
    Order {
        /// Entry position.
        index: usize,
        /// Its leaf index.
        leaf_index: u64,
    },
    /// A signer's key is not proven to belong to the org it signed for.
    #[error(
        "R-BUN-7: entry {index}: {who} key {key} of {org} is neither a genesis admin key nor enrolled by an earlier entry"
    )]
    Signer {
        /// Entry position.
        index: usize,
        /// `author` or `checker`.
        who: &'static str,
        /// The key (base64).
        key: String,
        /// The org claimed.
        org: OrgId,
    },
    /// The entries do not form one confirmation.
    #[error("R-BUN-8: {0}")]
    Confirmation(String),
    /// An opening does not match its document's commitment.
    #[error("R-BUN-9: opening for document {document}: {detail}")]
    Opening {
        /// The document.
        document: Hash,
        /// What failed.
        detail: String,
    },
    /// Two checkpoints are not consistent.
    #[error("R-CONS-1: {0}")]
    Consistency(String),
}

/// One proven document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Its position in the ledger.
    pub leaf_index: u64,
    /// The envelope object (its canonical bytes are the leaf).
    pub envelope: serde_json::Value,
    /// Inclusion proof against the bundle's checkpoint.
    pub proof: Vec<Hash>,
}

/// The plaintext of one sealed payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleOpening {
    /// The document whose `contents` this opens.
    pub document: Hash,
    /// `{"contents": …, "salt": …}`.
    pub opening: Opening<serde_json::Value>,
}

/// An evidence bundle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bundle {
    /// Format version (1).
    pub bundle: u32,
    /// The network's genesis: the pinned public keys.
    pub genesis: Genesis,
    /// A C2SP signed note: the checkpoint with validators' cosignatures.
    pub checkpoint: String,
    /// The confirmation: the request's document id.
    pub request: Hash,
    /// Proven documents, in ledger order.
    pub entries: Vec<Entry>,
    /// Optional plaintext openings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub openings: Vec<BundleOpening>,
}

/// One line of a confirmation's timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineEntry {
    /// Leaf index.
    pub leaf_index: u64,
    /// Document id.
    pub id: Hash,
    /// Type.
    pub doc_type: DocType,
    /// Signing org.
    pub org: OrgId,
    /// Who signed, as enrolled (`name, title` or `client <ref>` or `admin`).
    pub signer: String,
    /// Checker, for answers.
    pub checker: Option<String>,
    /// Creation time claimed by the signer.
    pub created_ms: u64,
}

/// What a verified bundle shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleReport {
    /// Network.
    pub network: String,
    /// Genesis hash.
    pub genesis: Hash,
    /// Checkpoint size.
    pub tree_size: u64,
    /// Checkpoint root.
    pub root: Hash,
    /// Power that cosigned, and the total.
    pub cosigned_power: (u128, u128),
    /// Cosigner names.
    pub cosigners: Vec<String>,
    /// The request.
    pub request: Hash,
    /// Its letter number.
    pub letter_no: String,
    /// Auditor and bank.
    pub parties: (OrgId, OrgId),
    /// The confirmation's documents, in ledger order (enrollments excluded).
    pub timeline: Vec<TimelineEntry>,
    /// Openings checked.
    pub openings_checked: usize,
}

/// What kind of key signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SignerKind {
    Admin,
    Person,
    Client,
}

/// Who a key is, as proven by the bundle (entries are in ledger order, so an identity is
/// known only to the entries after the one that enrolled it).
#[derive(Debug, Clone)]
struct Identity {
    org: OrgId,
    kind: SignerKind,
    desc: String,
}

/// The kinds of key that may author each document type (as the state machine requires).
fn expected_author(doc_type: DocType) -> &'static [SignerKind] {
    match doc_type {
        DocType::Enroll | DocType::Revoke => &[SignerKind::Admin],
        DocType::Calendar => &[SignerKind::Admin, SignerKind::Person],
        DocType::Authorization => &[SignerKind::Client],
        DocType::ClientEnroll
        | DocType::ClientRevoke
        | DocType::Request
        | DocType::Return
        | DocType::Response
        | DocType::Correction
        | DocType::Decline
        | DocType::Withdraw
        | DocType::Accept
        | DocType::BankRules => &[SignerKind::Person],
    }
}

/// Verify a bundle against the pinned genesis hash.
pub fn verify_bundle(bytes: &[u8], pinned_genesis: &Hash) -> Result<BundleReport, BundleError> {
    // R-BUN-1: bounded, well-formed, a known version.
    let bundle: Bundle = canonical::from_json("bundle", bytes, BUNDLE_BYTES_MAX)
        .map_err(|e: CanonicalError| BundleError::Format(e.to_string()))?;
    if bundle.bundle != BUNDLE_VERSION {
        return Err(BundleError::Format(format!(
            "bundle version {} is not supported (expected {BUNDLE_VERSION})",
            bundle.bundle
        )));
    }
    if bundle.entries.len() > BUNDLE_ENTRIES_MAX {
        return Err(BundleError::Format(format!(
            "{} entries, at most {BUNDLE_ENTRIES_MAX}",
            bundle.entries.len()
        )));
    }
    // R-BUN-2: the genesis is valid and is the one the verifier pinned.
    let genesis = &bundle.genesis;
    genesis.validate().map_err(|e: GenesisError| BundleError::Genesis(e.to_string()))?;
    let genesis_hash = genesis.hash();
    if &genesis_hash != pinned_genesis {
        return Err(BundleError::Genesis(format!(
            "bundle's genesis hash is {genesis_hash}, the pinned one is {pinned_genesis}"
        )));
    }
    // R-BUN-3: the checkpoint is for this network and cosigned by a quorum.
    let (checkpoint, quorum) = verify_checkpoint_note(bundle.checkpoint.as_bytes(), genesis)?;

    // R-BUN-4..6: each entry verifies, is included, and entries are in ledger order.
    let mut envelopes = Vec::with_capacity(bundle.entries.len());
    let mut previous: Option<u64> = None;
    for (index, entry) in bundle.entries.iter().enumerate() {
        // Embedded envelopes are decoded exactly as in blocks (R-BLK-9): the leaf is the JCS
        // encoding of the object.
        let envelope = Envelope::decode_value(&entry.envelope, &genesis.network)
            .map_err(|error| BundleError::Envelope { index, error })?;
        let leaf = &envelope.bytes;
        if previous.is_some_and(|p| entry.leaf_index <= p) {
            return Err(BundleError::Order { index, leaf_index: entry.leaf_index });
        }
        previous = Some(entry.leaf_index);
        merkle::verify_inclusion(
            &merkle::leaf_hash(leaf),
            entry.leaf_index,
            checkpoint.checkpoint.size,
            &entry.proof,
            &checkpoint.checkpoint.root,
        )
        .map_err(|error| BundleError::Inclusion { index, leaf_index: entry.leaf_index, error })?;
        envelopes.push((entry.leaf_index, envelope));
    }

    // R-BUN-7: every signer is a genesis admin key, or a person or client enrolled by an
    // earlier entry, of the kind its document type requires.
    let mut identities: BTreeMap<PublicKey, Identity> = genesis
        .orgs
        .iter()
        .map(|o| {
            (o.admin_key, Identity { org: o.id.clone(), kind: SignerKind::Admin, desc: "admin key".into() })
        })
        .collect();
    for (index, (_, env)) in envelopes.iter().enumerate() {
        let refuse = |who, signer: &crate::envelope::Signer| BundleError::Signer {
            index,
            who,
            key: signer.key.to_b64(),
            org: signer.org.clone(),
        };
        let proven = |signer: &crate::envelope::Signer, allowed: &[SignerKind]| {
            identities.get(&signer.key).is_some_and(|id| id.org == signer.org && allowed.contains(&id.kind))
        };
        if !proven(&env.author, expected_author(env.doc_type())) {
            return Err(refuse("author", &env.author));
        }
        if let Some(checker) = &env.checker {
            let ok = match &env.document {
                // The client countersigns its own enrollment with the key being enrolled.
                Document::ClientEnroll(c) => checker.key == c.key && checker.org == env.author.org,
                _ => proven(checker, &[SignerKind::Person]) && checker.org == env.author.org,
            };
            if !ok {
                return Err(refuse("checker", checker));
            }
        }
        match &env.document {
            Document::Enroll(e) => {
                identities.insert(
                    e.key,
                    Identity {
                        org: env.author.org.clone(),
                        kind: SignerKind::Person,
                        desc: format!("{}, {}", e.name, e.title),
                    },
                );
            }
            Document::ClientEnroll(c) => {
                identities.insert(
                    c.key,
                    Identity {
                        org: env.author.org.clone(),
                        kind: SignerKind::Client,
                        desc: format!("client {}", c.client),
                    },
                );
            }
            _ => {}
        }
    }

    // R-BUN-8: exactly one request, the named one, and every other confirmation document
    // refers to it.
    let requests: Vec<&Envelope> =
        envelopes.iter().map(|(_, e)| e).filter(|e| e.doc_type() == DocType::Request).collect();
    let [request] = requests.as_slice() else {
        return Err(BundleError::Confirmation(format!(
            "{} request entries, expected exactly 1",
            requests.len()
        )));
    };
    if request.id != bundle.request {
        return Err(BundleError::Confirmation(format!(
            "the request entry is {}, the bundle names {}",
            request.id, bundle.request
        )));
    }
    let Document::Request(request_body) = &request.document else {
        return Err(BundleError::Confirmation("the request entry is not a request".into()));
    };
    let mut timeline = Vec::new();
    for (leaf_index, env) in &envelopes {
        let is_enrollment = matches!(env.doc_type(), DocType::Enroll | DocType::ClientEnroll);
        if is_enrollment {
            continue;
        }
        if env.doc_type() != DocType::Request && env.document.request_ref() != Some(bundle.request) {
            return Err(BundleError::Confirmation(format!(
                "document {} ({}) is about request {}, not {}",
                env.id,
                env.doc_type().as_str(),
                env.document.request_ref().map(|h| h.to_hex()).unwrap_or_else(|| "none".into()),
                bundle.request
            )));
        }
        let describe = |key: &PublicKey| identities.get(key).map(|i| i.desc.clone()).unwrap_or_default();
        timeline.push(TimelineEntry {
            leaf_index: *leaf_index,
            id: env.id,
            doc_type: env.doc_type(),
            org: env.author.org.clone(),
            signer: describe(&env.author.key),
            checker: env.checker.as_ref().map(|c| describe(&c.key)),
            created_ms: env.created_ms,
        });
    }

    // R-BUN-9: every opening matches the commitment of a document in the bundle.
    for opening in &bundle.openings {
        let Some((_, env)) = envelopes.iter().find(|(_, e)| e.id == opening.document) else {
            return Err(BundleError::Opening {
                document: opening.document,
                detail: "no such document in the bundle".into(),
            });
        };
        let commitment = sealed_commitment(&env.document).ok_or_else(|| BundleError::Opening {
            document: opening.document,
            detail: "that document has no sealed contents".into(),
        })?;
        check_typed_opening(&env.document, &commitment, &opening.opening)
            .map_err(|detail| BundleError::Opening { document: opening.document, detail })?;
    }

    Ok(BundleReport {
        network: genesis.network.to_string(),
        genesis: genesis_hash,
        tree_size: checkpoint.checkpoint.size,
        root: checkpoint.checkpoint.root,
        cosigned_power: (quorum.signed_power, quorum.total_power),
        cosigners: quorum.signers.iter().map(|s| s.name.clone()).collect(),
        request: bundle.request,
        letter_no: request_body.letter_no.clone(),
        parties: (request.author.org.clone(), request_body.bank.clone()),
        timeline,
        openings_checked: bundle.openings.len(),
    })
}

/// Check an opening as the typed contents of its document (request contents, answer
/// contents, client identity): the JSON must be exactly the typed value's encoding (so no
/// float or over-long integer can stand for a committed one), and its commitment must match.
fn check_typed_opening(
    document: &Document,
    commitment: &Hash,
    opening: &Opening<serde_json::Value>,
) -> Result<(), String> {
    fn typed<T: Serialize + serde::de::DeserializeOwned>(
        commitment: &Hash,
        opening: &Opening<serde_json::Value>,
    ) -> Result<(), String> {
        let contents =
            T::deserialize(&opening.contents).map_err(|e| format!("contents are not valid: {e}"))?;
        if serde_json::to_value(&contents).ok().as_ref() != Some(&opening.contents) {
            return Err(
                "contents are not in their one typed encoding (a float, a null, or a big integer?)".into()
            );
        }
        seal::check_opening(commitment, &Opening { contents, salt: opening.salt }).map_err(|e| e.to_string())
    }
    match document {
        Document::Request(_) => typed::<crate::items::RequestContents>(commitment, opening),
        Document::Response(_) | Document::Correction(_) => {
            typed::<crate::items::ResponseContents>(commitment, opening)
        }
        Document::ClientEnroll(_) => typed::<crate::items::ClientIdentity>(commitment, opening),
        _ => Err("that document has no sealed contents".into()),
    }
}

/// The commitment of a document's sealed payload, if it has one.
pub fn sealed_commitment(document: &Document) -> Option<Hash> {
    match document {
        Document::Request(b) => Some(b.contents.commitment),
        Document::Response(b) => Some(b.contents.commitment),
        Document::Correction(b) => Some(b.contents.commitment),
        Document::ClientEnroll(b) => Some(b.identity.commitment),
        _ => None,
    }
}

/// Parse a cosigned checkpoint note and check it is for `genesis`'s network and cosigned
/// by more than 2/3 of its validators' power (R-BUN-3).
pub fn verify_checkpoint_note(
    note: &[u8],
    genesis: &Genesis,
) -> Result<(CosignedCheckpoint, crate::checkpoint::QuorumReport), BundleError> {
    let checkpoint = CosignedCheckpoint::parse_note(note)?;
    if checkpoint.checkpoint.origin != genesis.network.as_str() {
        return Err(BundleError::Origin {
            got: checkpoint.checkpoint.origin.clone(),
            expected: genesis.network.to_string(),
        });
    }
    let validators: Vec<(String, PublicKey, u64)> =
        genesis.validators().into_iter().map(|v| (v.name, v.key, v.power)).collect();
    let quorum = verify_quorum(&checkpoint, &validators)?;
    Ok((checkpoint, quorum))
}

/// Check that the checkpoint `newer` extends `older` (both cosigned by a quorum of
/// `genesis`'s validators), given a consistency proof between their sizes.
pub fn verify_consistency(
    older: &[u8],
    newer: &[u8],
    proof: &[Hash],
    genesis: &Genesis,
) -> Result<(u64, u64), BundleError> {
    let (old, _) = verify_checkpoint_note(older, genesis)?;
    let (new, _) = verify_checkpoint_note(newer, genesis)?;
    check_successor(&old.checkpoint, &new.checkpoint)?;
    let (size1, size2) = (old.checkpoint.size, new.checkpoint.size);
    if size1 == 0 {
        // Every tree extends the empty one: such a "proof" says nothing (R-MRK-7).
        return Err(BundleError::Consistency(
            "the older checkpoint is empty; every log extends it, so there is nothing to prove".into(),
        ));
    }
    if size1 == size2 {
        // Equal sizes need equal roots (check_successor) and an empty proof.
        if !proof.is_empty() {
            return Err(BundleError::Consistency(format!(
                "sizes {size1} and {size2} need an empty proof, got {} hashes",
                proof.len()
            )));
        }
        return Ok((size1, size2));
    }
    merkle::verify_consistency(size1, size2, proof, &old.checkpoint.root, &new.checkpoint.root)
        .map_err(|e| BundleError::Consistency(e.to_string()))?;
    Ok((size1, size2))
}

/// Assemble a bundle from a ledger's log: `entries` are (leaf index, envelope) pairs in
/// ledger order, proven against the tree of `checkpoint`'s size read through `tree`.
pub fn build_bundle(
    genesis: &Genesis,
    checkpoint_note: &str,
    tree: &impl NodeReader,
    request: Hash,
    entries: &[(u64, &Envelope)],
    openings: Vec<BundleOpening>,
) -> Result<Bundle, BundleError> {
    let (checkpoint, _) = verify_checkpoint_note(checkpoint_note.as_bytes(), genesis)?;
    let size = checkpoint.checkpoint.size;
    let mut out = Vec::with_capacity(entries.len());
    let mut seen = BTreeSet::new();
    for (index, (leaf_index, env)) in entries.iter().enumerate() {
        if !seen.insert(*leaf_index) {
            return Err(BundleError::Order { index, leaf_index: *leaf_index });
        }
        let proof = merkle::inclusion_proof(tree, *leaf_index, size)
            .map_err(|error| BundleError::Inclusion { index, leaf_index: *leaf_index, error })?;
        let envelope = serde_json::from_slice(&env.bytes).map_err(|e| BundleError::Format(e.to_string()))?;
        out.push(Entry { leaf_index: *leaf_index, envelope, proof });
    }
    out.sort_by_key(|e| e.leaf_index);
    Ok(Bundle {
        bundle: BUNDLE_VERSION,
        genesis: genesis.clone(),
        checkpoint: checkpoint_note.to_string(),
        request,
        entries: out,
        openings,
    })
}
