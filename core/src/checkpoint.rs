//! Build, cosign and verify C2SP tlog-checkpoints (<https://c2sp.org/tlog-checkpoint>)
//! signed by a quorum of validators with tlog-cosignature/v1 Ed25519 cosignatures
//! (<https://c2sp.org/tlog-cosignature>).
//!
//! `docs/PROTOCOL.md` §13 states rules R-CKPT-1 to R-CKPT-9, which the errors
//! below cite; the note layer underneath is [`crate::note`].
//!
//! # Terminology
//!
//! - *Checkpoint*: a log's Merkle tree head: origin, tree size, root hash.
//! - *Body*: the checkpoint as note text, exactly three lines:
//!   `<origin>\n<size>\n<base64 root>\n`. Vouch emits and accepts no extension lines.
//! - *Origin*: the network id; names the log.
//! - *Cosigner*: a validator, signing under the key name `<origin>/<validator name>`
//!   (see [`cosigner_name`]) with key id type byte `0x04`.
//! - *Cosignature*: a note signature line whose payload is
//!   `key id (4) || timestamp (8, big-endian) || Ed25519 signature (64)`, the signature
//!   being over `cosignature/v1\ntime <timestamp>\n` followed by the body.
//! - *Power*: a validator's voting weight. A *quorum* is more than two thirds of the total.
//!
//! Vouch has no log operator: the ledger is the log and the validators run it together. A
//! checkpoint therefore carries only validator cosignatures and no separate "log
//! signature". A proposer's signature would add one more key to manage while proving
//! nothing a quorum does not, and tlog-checkpoint allows a log to sign with cosignatures.
//! Generic C2SP clients verify our checkpoints when configured with the validators'
//! cosigner keys as their trusted keys.
//!
//! ```text
//! vouch.example/net-1                            ┐
//! 1                                              │ body (note text)
//! iipcm3aIJ95alVLDigRMZpWcaPbS8htSYK9U0vh9uCc=   ┘
//!                                                  blank line
//! — vouch.example/net-1/val-a <base64, 76 bytes>   one line per cosigning validator
//! — vouch.example/net-1/val-b <base64, 76 bytes>
//! ```

use crate::encoding::Hash;
use crate::keys::{PublicKey, Signature, SigningKey};
use crate::limits::{ID_BYTES_MAX, NETWORK_ID_BYTES_MAX, VALIDATORS_MAX};
use crate::note::{
    NoteError, NoteSignature, ParsedNote, SIG_TYPE_COSIGNATURE_V1, check_key_name, clip, key_id, open_note,
};
use std::collections::{BTreeMap, BTreeSet};

/// The header line of the tlog-cosignature/v1 signed message, with its newline.
pub const COSIGNATURE_V1_HEADER: &str = "cosignature/v1\n";

/// Largest cosignature timestamp tlog-cosignature allows: 2^63 - 1.
pub const COSIGNATURE_TIMESTAMP_MAX: u64 = i64::MAX as u64;

/// Bytes of a cosignature payload after the key id: timestamp and Ed25519 signature.
const COSIGNATURE_PAYLOAD_BYTES: usize = 8 + 64;

/// Why a checkpoint, a cosignature or a quorum was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// The note around the checkpoint is malformed.
    #[error(transparent)]
    Note(#[from] NoteError),
    /// The body is not three newline-terminated lines.
    #[error(
        "R-CKPT-1: checkpoint body has {got} lines, expected exactly 3 (origin, size, root) ending in a newline"
    )]
    BodyLines {
        /// Lines seen (a missing final newline counts as a missing line).
        got: usize,
    },
    /// The body has extension lines, which Vouch neither emits nor accepts.
    #[error("R-CKPT-1: checkpoint body has {got} extension lines, expected none")]
    ExtensionLines {
        /// Lines after the third.
        got: usize,
    },
    /// The origin breaks the origin rule.
    #[error("R-CKPT-2: checkpoint origin {origin:?} is invalid: {reason}")]
    Origin {
        /// The origin (clipped).
        origin: String,
        /// Which part of the rule it breaks.
        reason: String,
    },
    /// The size line is not a canonical decimal `u64`.
    #[error("R-CKPT-3: checkpoint size {got:?} is not a decimal number without leading zeros below 2^64")]
    Size {
        /// The line (clipped).
        got: String,
    },
    /// The root line is not canonical base64 of 32 bytes.
    #[error("R-CKPT-4: checkpoint root {got:?} is not base64 of 32 bytes: {detail}")]
    Root {
        /// The line (clipped).
        got: String,
        /// What the decoder said.
        detail: String,
    },
    /// A cosignature timestamp is above 2^63 - 1.
    #[error("R-CKPT-5: cosignature by {name} has timestamp {got}, at most {max}")]
    TimestampRange {
        /// Cosigner name.
        name: String,
        /// Timestamp seen.
        got: u64,
        /// The limit.
        max: u64,
    },
    /// A cosigner name breaks the naming rule.
    #[error("R-CKPT-7: cosigner name {name:?} is invalid: {reason}")]
    CosignerName {
        /// The name (clipped).
        name: String,
        /// Which part of the rule it breaks.
        reason: String,
    },
    /// A cosigned checkpoint with no signature line: not a valid note.
    #[error("R-CKPT-7: cosigned checkpoint has no cosignature; a note needs at least one signature")]
    NoCosignatures,
    /// The validator set is larger than the protocol allows.
    #[error("R-CKPT-8: validator set has {got} members, at most {max}")]
    TooManyValidators {
        /// Members given.
        got: usize,
        /// The limit.
        max: usize,
    },
    /// Two validators share a cosigner name.
    #[error("R-CKPT-8: validator set names {name:?} twice")]
    DuplicateValidator {
        /// The name.
        name: String,
    },
    /// Two validators share a public key. A cosignature/v1 does not commit to the
    /// cosigner's name, so one signature would count for both.
    #[error("R-CKPT-8: validators {first:?} and {second:?} share a public key")]
    SharedValidatorKey {
        /// First name.
        first: String,
        /// Second name.
        second: String,
    },
    /// A known validator's cosignature does not verify. The checkpoint is refused.
    #[error(
        "R-CKPT-8: signature line {line} by validator {name}+{key_id:08x} does not verify as a cosignature/v1"
    )]
    BadCosignature {
        /// 1-based index among the note's signature lines.
        line: usize,
        /// Cosigner name.
        name: String,
        /// Key id.
        key_id: u32,
    },
    /// The verified cosignatures hold too little power.
    #[error(
        "R-CKPT-8: cosigned power {signed} of {total} is not more than two thirds (need 3 × signed > 2 × total)"
    )]
    NoQuorum {
        /// Power of distinct validators whose cosignature verified.
        signed: u128,
        /// Power of the whole validator set.
        total: u128,
    },
    /// A successor checkpoint names another log.
    #[error("R-CKPT-9: checkpoint origin {next:?} differs from previous origin {prev:?}")]
    OriginMismatch {
        /// Previous origin.
        prev: String,
        /// Next origin.
        next: String,
    },
    /// A successor checkpoint is smaller.
    #[error("R-CKPT-9: checkpoint size {next} is smaller than previous {prev}")]
    SizeDecreased {
        /// Previous size.
        prev: u64,
        /// Next size.
        next: u64,
    },
    /// Two checkpoints of one size have different roots: the log forked.
    #[error("R-CKPT-9: checkpoints of size {size} have different roots {prev} and {next}")]
    RootMismatch {
        /// The size.
        size: u64,
        /// Previous root (hex).
        prev: Hash,
        /// Next root (hex).
        next: Hash,
    },
}

fn name_rule(name: &str) -> Result<(), String> {
    check_key_name(name).map_err(|e| match e {
        NoteError::InvalidKeyName { reason, .. } => reason.to_string(),
        other => other.to_string(),
    })
}

/// Check an origin (R-CKPT-2): 1 to [`NETWORK_ID_BYTES_MAX`] bytes, and a valid key name
/// (no white space, `+` or control character). tlog-checkpoint only RECOMMENDS the key
/// name rule; we require it because cosigner names begin with the origin.
pub fn check_origin(origin: &str) -> Result<(), CheckpointError> {
    let invalid = |reason: String| CheckpointError::Origin { origin: clip(origin), reason };
    if origin.len() > NETWORK_ID_BYTES_MAX {
        return Err(invalid(format!("{} bytes, at most {NETWORK_ID_BYTES_MAX}", origin.len())));
    }
    name_rule(origin).map_err(invalid)
}

/// The cosigner name of validator `validator` on the network `origin` (R-CKPT-7):
/// `<origin>/<validator>`. The validator name is 1 to [`ID_BYTES_MAX`] bytes and a valid
/// key name.
pub fn cosigner_name(origin: &str, validator: &str) -> Result<String, CheckpointError> {
    check_origin(origin)?;
    let invalid = |reason: String| CheckpointError::CosignerName { name: clip(validator), reason };
    if validator.len() > ID_BYTES_MAX {
        return Err(invalid(format!("validator name is {} bytes, at most {ID_BYTES_MAX}", validator.len())));
    }
    name_rule(validator).map_err(invalid)?;
    Ok(format!("{origin}/{validator}"))
}

/// A log's tree head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The network id.
    pub origin: String,
    /// Number of leaves in the log.
    pub size: u64,
    /// RFC 9162 root hash of the log at `size`.
    pub root: Hash,
}

impl Checkpoint {
    /// A checkpoint, checking the origin (R-CKPT-2).
    pub fn new(origin: &str, size: u64, root: Hash) -> Result<Checkpoint, CheckpointError> {
        check_origin(origin)?;
        Ok(Checkpoint { origin: origin.to_string(), size, root })
    }

    /// The note text: `<origin>\n<size>\n<base64 root>\n` (R-CKPT-1).
    pub fn to_body(&self) -> String {
        format!("{}\n{}\n{}\n", self.origin, self.size, self.root.to_b64())
    }

    /// Parse a body, refusing every spelling but the one [`Checkpoint::to_body`] writes
    /// (R-CKPT-1 to R-CKPT-4).
    pub fn parse_body(text: &str) -> Result<Checkpoint, CheckpointError> {
        let lines: Vec<&str> = text.split('\n').collect();
        // A terminated body splits into its lines plus one empty string after the last newline.
        let (last, lines) = lines.split_last().ok_or(CheckpointError::BodyLines { got: 0 })?;
        if !last.is_empty() {
            return Err(CheckpointError::BodyLines { got: lines.len() });
        }
        let [origin, size, root] = lines else {
            return Err(match lines.len().checked_sub(3) {
                Some(got) if got > 0 => CheckpointError::ExtensionLines { got },
                _ => CheckpointError::BodyLines { got: lines.len() },
            });
        };
        check_origin(origin)?;
        let size = parse_size(size)?;
        let root = Hash::from_b64(root)
            .map_err(|e| CheckpointError::Root { got: clip(root), detail: e.to_string() })?;
        Ok(Checkpoint { origin: origin.to_string(), size, root })
    }

    /// The bytes a cosigner signs at `timestamp` (R-CKPT-6):
    /// `cosignature/v1\ntime <timestamp>\n` followed by the body.
    pub fn cosigned_message(&self, timestamp: u64) -> Vec<u8> {
        format!("{COSIGNATURE_V1_HEADER}time {timestamp}\n{}", self.to_body()).into_bytes()
    }
}

fn parse_size(line: &str) -> Result<u64, CheckpointError> {
    let bad = || CheckpointError::Size { got: clip(line) };
    // `str::parse` accepts a leading '+'; only bare digits are allowed.
    if line.is_empty()
        || !line.bytes().all(|b| b.is_ascii_digit())
        || (line.len() > 1 && line.starts_with('0'))
    {
        return Err(bad());
    }
    line.parse::<u64>().map_err(|_| bad())
}

/// One validator's cosignature on a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cosignature {
    /// Cosigner name (`<origin>/<validator name>`).
    pub name: String,
    /// Key id: `SHA-256(name || 0x0A || 0x04 || public key)[:4]`.
    pub key_id: u32,
    /// When the cosigner signed, in POSIX seconds; verifiers may compare it with block time.
    pub timestamp: u64,
    /// Ed25519 signature over [`Checkpoint::cosigned_message`].
    pub signature: Signature,
}

impl Cosignature {
    /// As a note signature: payload `timestamp (8, big-endian) || signature (64)`.
    pub fn to_note_signature(&self) -> NoteSignature {
        let mut bytes = Vec::with_capacity(COSIGNATURE_PAYLOAD_BYTES);
        bytes.extend_from_slice(&self.timestamp.to_be_bytes());
        bytes.extend_from_slice(&self.signature.0);
        NoteSignature { name: self.name.clone(), key_id: self.key_id, bytes }
    }

    /// The signature line, `— <name> <base64(key id || timestamp || signature)>\n`.
    pub fn to_line(&self) -> String {
        self.to_note_signature().to_line()
    }

    /// Read a note signature as a cosignature, if its payload has a cosignature's length.
    fn from_note_signature(sig: &NoteSignature) -> Option<Cosignature> {
        let (timestamp, signature) = sig.bytes.split_first_chunk::<8>()?;
        let signature = <[u8; 64]>::try_from(signature).ok()?;
        Some(Cosignature {
            name: sig.name.clone(),
            key_id: sig.key_id,
            timestamp: u64::from_be_bytes(*timestamp),
            signature: Signature(signature),
        })
    }
}

/// Cosign `checkpoint` as `name` with `key` at `timestamp` POSIX seconds (R-CKPT-5 to
/// R-CKPT-7). `name` is normally [`cosigner_name`]`(origin, validator)`.
pub fn cosign_checkpoint(
    checkpoint: &Checkpoint,
    name: &str,
    key: &SigningKey,
    timestamp: u64,
) -> Result<Cosignature, CheckpointError> {
    check_origin(&checkpoint.origin)?;
    name_rule(name).map_err(|reason| CheckpointError::CosignerName { name: clip(name), reason })?;
    if timestamp > COSIGNATURE_TIMESTAMP_MAX {
        return Err(CheckpointError::TimestampRange {
            name: name.to_string(),
            got: timestamp,
            max: COSIGNATURE_TIMESTAMP_MAX,
        });
    }
    Ok(Cosignature {
        name: name.to_string(),
        key_id: key_id(name, SIG_TYPE_COSIGNATURE_V1, &key.public()),
        timestamp,
        signature: key.sign_raw(&checkpoint.cosigned_message(timestamp)),
    })
}

/// A checkpoint with its signature lines, parsed but not verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CosignedCheckpoint {
    /// The checkpoint.
    pub checkpoint: Checkpoint,
    /// Lines shaped like cosignatures (72-byte payload after the key id), in order.
    pub cosignatures: Vec<Cosignature>,
    /// Other signature lines (say, a third party's Ed25519 note signature), kept so the
    /// note round-trips; ignored unless they claim a validator's name and key id.
    pub other_signatures: Vec<NoteSignature>,
}

impl CosignedCheckpoint {
    /// The signed note: body, blank line, cosignatures, then other signatures. Refuses to
    /// produce a note that [`CosignedCheckpoint::parse_note`] would refuse.
    pub fn to_note(&self) -> Result<String, CheckpointError> {
        if self.cosignatures.is_empty() && self.other_signatures.is_empty() {
            return Err(CheckpointError::NoCosignatures);
        }
        let signatures = self
            .cosignatures
            .iter()
            .map(Cosignature::to_note_signature)
            .chain(self.other_signatures.iter().cloned())
            .collect();
        let note = ParsedNote { text: self.checkpoint.to_body(), signatures }.to_note();
        CosignedCheckpoint::parse_note(note.as_bytes())?;
        Ok(note)
    }

    /// Parse a checkpoint note (R-NOTE-1 to R-NOTE-7, R-CKPT-1 to R-CKPT-4). Signatures
    /// are not verified: use [`verify_quorum`].
    pub fn parse_note(bytes: &[u8]) -> Result<CosignedCheckpoint, CheckpointError> {
        let note = open_note(bytes)?;
        let checkpoint = Checkpoint::parse_body(&note.text)?;
        let mut cosignatures = Vec::new();
        let mut other_signatures = Vec::new();
        for sig in note.signatures {
            match Cosignature::from_note_signature(&sig) {
                Some(cosignature) => cosignatures.push(cosignature),
                None => other_signatures.push(sig),
            }
        }
        Ok(CosignedCheckpoint { checkpoint, cosignatures, other_signatures })
    }
}

/// A validator whose cosignature counted towards a quorum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuorumSigner {
    /// Cosigner name.
    pub name: String,
    /// Timestamp of its first verified cosignature, POSIX seconds.
    pub timestamp: u64,
}

/// What [`verify_quorum`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuorumReport {
    /// Power of the distinct validators whose cosignature verified.
    pub signed_power: u128,
    /// Power of the whole validator set.
    pub total_power: u128,
    /// Those validators, in order of first cosignature.
    pub signers: Vec<QuorumSigner>,
}

/// Check that validators holding more than two thirds of the power cosigned `cosigned`
/// (R-CKPT-8).
///
/// `validators` lists `(cosigner name, public key, power)`; names and keys must be
/// distinct. Each validator counts once however many lines it has. Lines by unknown
/// (name, key id) pairs are ignored. A line by a known validator that does not verify,
/// or whose timestamp is above 2^63 - 1, refuses the checkpoint.
pub fn verify_quorum<N: AsRef<str>>(
    cosigned: &CosignedCheckpoint,
    validators: &[(N, PublicKey, u64)],
) -> Result<QuorumReport, CheckpointError> {
    if validators.len() > VALIDATORS_MAX {
        return Err(CheckpointError::TooManyValidators { got: validators.len(), max: VALIDATORS_MAX });
    }
    let mut known: BTreeMap<(String, u32), (PublicKey, u64)> = BTreeMap::new();
    let mut names = BTreeSet::new();
    let mut keys: BTreeMap<PublicKey, &str> = BTreeMap::new();
    let mut total_power: u128 = 0;
    for (name, public, power) in validators {
        let name = name.as_ref();
        name_rule(name).map_err(|reason| CheckpointError::CosignerName { name: clip(name), reason })?;
        if !names.insert(name) {
            return Err(CheckpointError::DuplicateValidator { name: name.to_string() });
        }
        if let Some(first) = keys.insert(*public, name) {
            return Err(CheckpointError::SharedValidatorKey {
                first: first.to_string(),
                second: name.to_string(),
            });
        }
        total_power = total_power.saturating_add(u128::from(*power));
        known.insert((name.to_string(), key_id(name, SIG_TYPE_COSIGNATURE_V1, public)), (*public, *power));
    }

    let mut signed_power: u128 = 0;
    let mut signers: Vec<QuorumSigner> = Vec::new();
    for (i, cos) in cosigned.cosignatures.iter().enumerate() {
        let Some((public, power)) = known.get(&(cos.name.clone(), cos.key_id)) else { continue };
        if cos.timestamp > COSIGNATURE_TIMESTAMP_MAX {
            return Err(CheckpointError::TimestampRange {
                name: cos.name.clone(),
                got: cos.timestamp,
                max: COSIGNATURE_TIMESTAMP_MAX,
            });
        }
        let message = cosigned.checkpoint.cosigned_message(cos.timestamp);
        public.verify_raw(&message, &cos.signature).map_err(|_| CheckpointError::BadCosignature {
            line: i.saturating_add(1),
            name: cos.name.clone(),
            key_id: cos.key_id,
        })?;
        if !signers.iter().any(|s| s.name == cos.name) {
            signed_power = signed_power.saturating_add(u128::from(*power));
            signers.push(QuorumSigner { name: cos.name.clone(), timestamp: cos.timestamp });
        }
    }
    // A line claiming a validator's (name, key id) but not shaped like a cosignature is a
    // known key's bad signature, not an unknown one.
    for (i, other) in cosigned.other_signatures.iter().enumerate() {
        if known.contains_key(&(other.name.clone(), other.key_id)) {
            return Err(CheckpointError::BadCosignature {
                line: cosigned.cosignatures.len().saturating_add(i).saturating_add(1),
                name: other.name.clone(),
                key_id: other.key_id,
            });
        }
    }

    // Powers are u64 and at most VALIDATORS_MAX of them, so these products fit in u128.
    if signed_power.saturating_mul(3) <= total_power.saturating_mul(2) {
        return Err(CheckpointError::NoQuorum { signed: signed_power, total: total_power });
    }
    Ok(QuorumReport { signed_power, total_power, signers })
}

/// Check that `next` may follow `prev` (R-CKPT-9): same origin, size not smaller, and the
/// same root when the size is the same. A consistency proof between different sizes is
/// checked separately, against the Merkle log.
pub fn check_successor(prev: &Checkpoint, next: &Checkpoint) -> Result<(), CheckpointError> {
    if prev.origin != next.origin {
        return Err(CheckpointError::OriginMismatch { prev: clip(&prev.origin), next: clip(&next.origin) });
    }
    if next.size < prev.size {
        return Err(CheckpointError::SizeDecreased { prev: prev.size, next: next.size });
    }
    if next.size == prev.size && next.root != prev.root {
        return Err(CheckpointError::RootMismatch { size: next.size, prev: prev.root, next: next.root });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::NOTE_BYTES_MAX;
    use proptest::prelude::*;

    const ORIGIN: &str = "vouch.example/net-1";

    fn checkpoint(size: u64) -> Checkpoint {
        Checkpoint::new(ORIGIN, size, Hash::sha256(&size.to_be_bytes())).unwrap()
    }

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_seed(&[seed; 32])
    }

    fn name(i: u8) -> String {
        cosigner_name(ORIGIN, &format!("val-{i}")).unwrap()
    }

    /// Validators 1..=n with the given powers, and a note cosigned by those in `signing`.
    fn setup(powers: &[u64], signing: &[u8]) -> (CosignedCheckpoint, Vec<(String, PublicKey, u64)>) {
        let cp = checkpoint(7);
        let validators =
            powers.iter().zip(1u8..).map(|(&p, i)| (name(i), key(i).public(), p)).collect::<Vec<_>>();
        let cosignatures = signing
            .iter()
            .map(|&i| cosign_checkpoint(&cp, &name(i), &key(i), 1_700_000_000 + u64::from(i)).unwrap())
            .collect();
        (CosignedCheckpoint { checkpoint: cp, cosignatures, other_signatures: vec![] }, validators)
    }

    #[test]
    fn body_roundtrip() {
        let cp = checkpoint(20852163);
        let body = cp.to_body();
        assert_eq!(body.lines().count(), 3);
        assert_eq!(Checkpoint::parse_body(&body).unwrap(), cp);
        let empty = Checkpoint::new(ORIGIN, 0, Hash::ZERO).unwrap();
        assert_eq!(Checkpoint::parse_body(&empty.to_body()).unwrap(), empty);
        let max = Checkpoint::new(ORIGIN, u64::MAX, Hash::ZERO).unwrap();
        assert_eq!(Checkpoint::parse_body(&max.to_body()).unwrap(), max);
    }

    #[test]
    fn refuses_bad_sizes() {
        let root = Hash::ZERO.to_b64();
        for size in ["007", "00", "01", "+7", "-1", "", " 7", "7 ", "1e3", "18446744073709551616", "٣"] {
            let body = format!("{ORIGIN}\n{size}\n{root}\n");
            assert!(matches!(Checkpoint::parse_body(&body), Err(CheckpointError::Size { .. })), "{size:?}");
        }
    }

    #[test]
    fn refuses_bad_roots() {
        for root in [
            crate::encoding::b64_encode(&[0u8; 31]),
            crate::encoding::b64_encode(&[0u8; 33]),
            Hash::ZERO.to_b64().trim_end_matches('=').to_string(),
            Hash::ZERO.to_hex(),
            String::new(),
        ] {
            let body = format!("{ORIGIN}\n5\n{root}\n");
            assert!(matches!(Checkpoint::parse_body(&body), Err(CheckpointError::Root { .. })), "{root:?}");
        }
    }

    #[test]
    fn refuses_bad_line_structure() {
        let body = checkpoint(5).to_body();
        assert_eq!(Checkpoint::parse_body(body.trim_end()), Err(CheckpointError::BodyLines { got: 2 }));
        assert_eq!(
            Checkpoint::parse_body(&format!("{body}ext\n")),
            Err(CheckpointError::ExtensionLines { got: 1 })
        );
        assert_eq!(
            Checkpoint::parse_body(&format!("{body}\n")),
            Err(CheckpointError::ExtensionLines { got: 1 })
        );
        assert_eq!(Checkpoint::parse_body("a\n5\n"), Err(CheckpointError::BodyLines { got: 2 }));
        assert_eq!(Checkpoint::parse_body(""), Err(CheckpointError::BodyLines { got: 0 }));
    }

    #[test]
    fn refuses_bad_origins() {
        let too_long = "o".repeat(NETWORK_ID_BYTES_MAX + 1);
        assert!(Checkpoint::new(&"o".repeat(NETWORK_ID_BYTES_MAX), 1, Hash::ZERO).is_ok());
        for origin in [too_long.as_str(), "", "a b", "a+b", "a\u{2003}b"] {
            assert!(
                matches!(Checkpoint::new(origin, 1, Hash::ZERO), Err(CheckpointError::Origin { .. })),
                "{origin:?}"
            );
            let body = format!("{origin}\n1\n{}\n", Hash::ZERO.to_b64());
            assert!(
                matches!(Checkpoint::parse_body(&body), Err(CheckpointError::Origin { .. })),
                "{origin:?}"
            );
        }
    }

    #[test]
    fn cosigner_names() {
        assert_eq!(cosigner_name(ORIGIN, "val-1").unwrap(), "vouch.example/net-1/val-1");
        assert!(matches!(cosigner_name(ORIGIN, "a b"), Err(CheckpointError::CosignerName { .. })));
        assert!(matches!(cosigner_name(ORIGIN, ""), Err(CheckpointError::CosignerName { .. })));
        let long = "v".repeat(ID_BYTES_MAX + 1);
        assert!(matches!(cosigner_name(ORIGIN, &long), Err(CheckpointError::CosignerName { .. })));
        assert!(matches!(cosigner_name("a+b", "v"), Err(CheckpointError::Origin { .. })));
    }

    #[test]
    fn cosigned_message_bytes() {
        let cp = Checkpoint::new("example.com/behind-the-sofa", 20852163, Hash::ZERO).unwrap();
        let msg = cp.cosigned_message(1679315147);
        let want = format!(
            "cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\n{}\n",
            Hash::ZERO.to_b64()
        );
        assert_eq!(String::from_utf8(msg).unwrap(), want);
        assert!(String::from_utf8(cp.cosigned_message(0)).unwrap().starts_with("cosignature/v1\ntime 0\n"));
    }

    #[test]
    fn cosignature_line_layout() {
        let cp = checkpoint(3);
        let cos = cosign_checkpoint(&cp, &name(1), &key(1), 0x0102030405060708).unwrap();
        assert_eq!(cos.key_id, key_id(&name(1), 0x04, &key(1).public()));
        assert_ne!(cos.key_id, key_id(&name(1), 0x01, &key(1).public()));
        let sig = cos.to_note_signature();
        assert_eq!(sig.bytes.len(), 72);
        assert_eq!(sig.bytes[..8], [1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(sig.bytes[8..], cos.signature.0);
        let line = cos.to_line();
        let payload = crate::encoding::b64_decode(line.trim_end().rsplit_once(' ').unwrap().1, 76).unwrap();
        assert_eq!(payload.len(), 76);
        assert_eq!(payload[..4], cos.key_id.to_be_bytes());
    }

    #[test]
    fn refuses_timestamp_above_i64_max() {
        let cp = checkpoint(3);
        assert!(cosign_checkpoint(&cp, &name(1), &key(1), COSIGNATURE_TIMESTAMP_MAX).is_ok());
        assert!(matches!(
            cosign_checkpoint(&cp, &name(1), &key(1), COSIGNATURE_TIMESTAMP_MAX + 1),
            Err(CheckpointError::TimestampRange { .. })
        ));
        let (mut cosigned, validators) = setup(&[1], &[1]);
        cosigned.cosignatures[0].timestamp = COSIGNATURE_TIMESTAMP_MAX + 1;
        assert!(matches!(verify_quorum(&cosigned, &validators), Err(CheckpointError::TimestampRange { .. })));
    }

    #[test]
    fn note_roundtrip_and_quorum() {
        let (cosigned, validators) = setup(&[1, 1, 1, 1], &[1, 2, 3]);
        let note = cosigned.to_note().unwrap();
        let parsed = CosignedCheckpoint::parse_note(note.as_bytes()).unwrap();
        assert_eq!(parsed, cosigned);
        let report = verify_quorum(&parsed, &validators).unwrap();
        assert_eq!((report.signed_power, report.total_power), (3, 4));
        assert_eq!(
            report.signers,
            (1..=3)
                .map(|i| QuorumSigner { name: name(i), timestamp: 1_700_000_000 + u64::from(i) })
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn quorum_boundary_is_strictly_more_than_two_thirds() {
        // 3 × 2 == 2 × 3: exactly two thirds fails.
        let (cosigned, validators) = setup(&[1, 1, 1], &[1, 2]);
        assert_eq!(
            verify_quorum(&cosigned, &validators),
            Err(CheckpointError::NoQuorum { signed: 2, total: 3 })
        );
        // One more unit of power passes: 3 × 5 > 2 × 7.
        let (cosigned, validators) = setup(&[2, 3, 2], &[1, 2]);
        assert_eq!(verify_quorum(&cosigned, &validators).unwrap().signed_power, 5);
        let (cosigned, validators) = setup(&[2, 2, 2], &[1, 2]);
        assert_eq!(
            verify_quorum(&cosigned, &validators),
            Err(CheckpointError::NoQuorum { signed: 4, total: 6 })
        );
        // Large powers: no overflow, the rule holds at the u64 edge.
        let (cosigned, validators) = setup(&[u64::MAX, u64::MAX, u64::MAX], &[1, 2]);
        assert!(matches!(verify_quorum(&cosigned, &validators), Err(CheckpointError::NoQuorum { .. })));
        let (cosigned, validators) = setup(&[u64::MAX, u64::MAX, u64::MAX - 1], &[1, 2]);
        assert!(verify_quorum(&cosigned, &validators).is_ok());
        // No validators, or no power: never a quorum.
        let (cosigned, _) = setup(&[1], &[1]);
        assert!(matches!(verify_quorum::<&str>(&cosigned, &[]), Err(CheckpointError::NoQuorum { .. })));
        let (cosigned, validators) = setup(&[0], &[1]);
        assert!(matches!(verify_quorum(&cosigned, &validators), Err(CheckpointError::NoQuorum { .. })));
    }

    #[test]
    fn duplicate_cosignature_counts_once() {
        let (mut cosigned, validators) = setup(&[1, 1, 1], &[1, 2]);
        let again = cosign_checkpoint(&cosigned.checkpoint, &name(1), &key(1), 42).unwrap();
        cosigned.cosignatures.push(cosigned.cosignatures[0].clone());
        cosigned.cosignatures.push(again);
        let reparsed = CosignedCheckpoint::parse_note(cosigned.to_note().unwrap().as_bytes()).unwrap();
        assert_eq!(
            verify_quorum(&reparsed, &validators),
            Err(CheckpointError::NoQuorum { signed: 2, total: 3 })
        );
    }

    #[test]
    fn unknown_cosigners_are_ignored() {
        let (mut cosigned, validators) = setup(&[1, 1, 1], &[1, 2, 3]);
        // Same key under an unknown name; a known name with another key; a note signature.
        let cp = cosigned.checkpoint.clone();
        cosigned.cosignatures.push(cosign_checkpoint(&cp, "stranger", &key(1), 1).unwrap());
        cosigned.cosignatures.push(cosign_checkpoint(&cp, &name(1), &key(9), 1).unwrap());
        let body = cp.to_body();
        cosigned.other_signatures.push(crate::note::note_signature(&body, "log", &key(5)).unwrap());
        let reparsed = CosignedCheckpoint::parse_note(cosigned.to_note().unwrap().as_bytes()).unwrap();
        assert_eq!(reparsed.other_signatures.len(), 1);
        assert_eq!(verify_quorum(&reparsed, &validators).unwrap().signed_power, 3);
    }

    #[test]
    fn known_validator_bad_signature_is_refused() {
        let (mut cosigned, validators) = setup(&[1, 1, 1, 1], &[1, 2, 3, 4]);
        cosigned.cosignatures[2].signature.0[5] ^= 1;
        assert!(matches!(
            verify_quorum(&cosigned, &validators),
            Err(CheckpointError::BadCosignature { line: 3, .. })
        ));
        // A cosignature over another checkpoint (here: signed at another time).
        let (mut cosigned, validators) = setup(&[1, 1, 1, 1], &[1, 2, 3, 4]);
        cosigned.cosignatures[0].timestamp += 1;
        assert!(matches!(
            verify_quorum(&cosigned, &validators),
            Err(CheckpointError::BadCosignature { line: 1, .. })
        ));
        // A known (name, key id) on a line not shaped like a cosignature.
        let (mut cosigned, validators) = setup(&[1, 1, 1, 1], &[1, 2, 3]);
        let id = key_id(&name(4), SIG_TYPE_COSIGNATURE_V1, &key(4).public());
        cosigned.other_signatures.push(NoteSignature { name: name(4), key_id: id, bytes: vec![0; 64] });
        assert!(matches!(
            verify_quorum(&cosigned, &validators),
            Err(CheckpointError::BadCosignature { line: 4, .. })
        ));
    }

    #[test]
    fn validator_set_rules() {
        let (cosigned, mut validators) = setup(&[1, 1], &[1, 2]);
        validators.push(validators[0].clone());
        assert!(matches!(
            verify_quorum(&cosigned, &validators),
            Err(CheckpointError::DuplicateValidator { .. })
        ));
        let (cosigned, mut validators) = setup(&[1, 1], &[1, 2]);
        validators.push(("other".to_string(), key(1).public(), 1));
        assert!(matches!(
            verify_quorum(&cosigned, &validators),
            Err(CheckpointError::SharedValidatorKey { .. })
        ));
        let many: Vec<(String, PublicKey, u64)> =
            (0..=VALIDATORS_MAX).map(|i| (format!("v{i}"), key(1).public(), 1)).collect();
        assert!(matches!(verify_quorum(&cosigned, &many), Err(CheckpointError::TooManyValidators { .. })));
    }

    #[test]
    fn to_note_refuses_what_parse_refuses() {
        let (mut cosigned, _) = setup(&[1], &[]);
        assert_eq!(cosigned.to_note(), Err(CheckpointError::NoCosignatures));
        let (ok, _) = setup(&[1], &[1]);
        cosigned.cosignatures = ok.cosignatures;
        cosigned.checkpoint.origin = "bad origin".into();
        assert!(matches!(cosigned.to_note(), Err(CheckpointError::Origin { .. })));
    }

    #[test]
    fn full_validator_set_fits_in_a_note() {
        // VALIDATORS_MAX cosignatures with a maximal origin and validator names of 16 bytes.
        let origin = "o".repeat(NETWORK_ID_BYTES_MAX);
        let cp = Checkpoint::new(&origin, 1, Hash::ZERO).unwrap();
        let k = key(1);
        let cos = cosign_checkpoint(&cp, &cosigner_name(&origin, &"v".repeat(16)).unwrap(), &k, 1).unwrap();
        let cosigned = CosignedCheckpoint {
            checkpoint: cp,
            cosignatures: vec![cos; VALIDATORS_MAX],
            other_signatures: vec![],
        };
        let note = cosigned.to_note().unwrap();
        assert!(note.len() <= NOTE_BYTES_MAX, "{}", note.len());
    }

    #[test]
    fn successor_rules() {
        let a = checkpoint(5);
        assert_eq!(check_successor(&a, &a), Ok(()));
        assert_eq!(check_successor(&a, &checkpoint(6)), Ok(()));
        assert_eq!(
            check_successor(&checkpoint(6), &a),
            Err(CheckpointError::SizeDecreased { prev: 6, next: 5 })
        );
        let forked = Checkpoint { root: Hash::ZERO, ..a.clone() };
        assert!(matches!(check_successor(&a, &forked), Err(CheckpointError::RootMismatch { size: 5, .. })));
        let other = Checkpoint { origin: "other".into(), ..a.clone() };
        assert!(matches!(check_successor(&a, &other), Err(CheckpointError::OriginMismatch { .. })));
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// Round-trip, then flip any one byte: parsing or the quorum check must fail.
        /// With 2k+1 equal signers among 3k+1 validators, every signature is needed.
        #[test]
        fn roundtrip_and_any_flipped_byte_fails(
            origin in "[a-z0-9./_-]{1,40}",
            size in any::<u64>(),
            root in any::<[u8; 32]>(),
            k in 0u8..=2,
            timestamp in 0u64..=COSIGNATURE_TIMESTAMP_MAX,
            flip_at in any::<prop::sample::Index>(),
            flip_mask in 1u8..=255,
        ) {
            let cp = Checkpoint::new(&origin, size, Hash(root)).unwrap();
            let signers = 2 * k + 1;
            let validators: Vec<(String, PublicKey, u64)> = (1..=3 * k + 1)
                .map(|i| (cosigner_name(&origin, &format!("v{i}")).unwrap(), key(i).public(), 1))
                .collect();
            let cosignatures = (1..=signers)
                .map(|i| cosign_checkpoint(&cp, &validators[usize::from(i) - 1].0, &key(i), timestamp).unwrap())
                .collect();
            let cosigned = CosignedCheckpoint { checkpoint: cp, cosignatures, other_signatures: vec![] };
            let note = cosigned.to_note().unwrap();
            let parsed = CosignedCheckpoint::parse_note(note.as_bytes()).unwrap();
            prop_assert_eq!(&parsed, &cosigned);
            prop_assert_eq!(verify_quorum(&parsed, &validators).unwrap().signed_power, u128::from(signers));

            let mut bytes = note.into_bytes();
            let at = flip_at.index(bytes.len());
            bytes[at] ^= flip_mask;
            let outcome = CosignedCheckpoint::parse_note(&bytes).and_then(|c| verify_quorum(&c, &validators));
            prop_assert!(outcome.is_err(), "flipping byte {} with {:#04x} still verified", at, flip_mask);
        }
    }
}
