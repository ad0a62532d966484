//! Seal confidential contents so only named recipients read them, behind a salted
//! commitment that anyone can later check an opening against.
//!
//! # Terminology
//!
//! - *Contents*: the confidential part of a document (account numbers, amounts, client
//!   identity), any `Serialize` type.
//! - *Salt*: 32 random bytes that make the commitment hiding: without them, a guessable
//!   balance could be confirmed by hashing candidates.
//! - *Opening*: contents and salt together, `{"contents":…,"salt":"<base64>"}`. Its RFC 8785
//!   canonical bytes `P` are the plaintext.
//! - *Commitment* `C`: `SHA-256(CONTENT_COMMITMENT || P)`, public, carried in the ledger.
//! - *Content key* `K`: 32 random bytes, fresh for each document, encrypting `P`.
//! - *Wrapped key*: `K` sealed to one recipient's X25519 key with HPKE (RFC 9180).
//! - *Recipient label*: an opaque name for a recipient (`org/bank-a`, `client/bank-a/c-001`),
//!   unique within one sealed payload.
//!
//! ```text
//!   P = canonical({"contents":…,"salt":…})
//!   C = SHA-256("vouch-v1/content-commitment\n" || P)
//!   ciphertext = ChaCha20-Poly1305(key K, nonce 0^12, aad C, P)
//!   for each recipient: (enc, ct) = HPKE-Base-Seal(pkR, info "vouch-v1/content-key-wrap\n",
//!                                                  aad C, K)
//! ```
//!
//! Both encryptions take `C` as associated data, so a ciphertext or a wrapped key cut from
//! one document and pasted under another's commitment does not open. The HPKE suite is
//! DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305 (ids 0x0020, 0x0001, 0x0003).
//! `docs/PROTOCOL.md` §8 states these rules as `R-SEAL-n`.

use crate::canonical::{CanonicalError, from_canonical, to_canonical};
use crate::domain::{CONTENT_COMMITMENT, CONTENT_KEY_WRAP};
use crate::encoding::{Bytes, Fixed, Hash};
use crate::keys::{DecryptionKey, EncryptionKey};
use crate::limits::{CIPHERTEXT_BYTES_MAX, RECIPIENT_LABEL_BYTES_MAX, RECIPIENTS_MAX};
use chacha20poly1305::aead::{Aead as _, KeyInit as _, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hpke::{Deserializable as _, OpModeR, OpModeS, Serializable as _};
use rand_core::CryptoRngCore;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;
use zeroize::Zeroizing;

type HpkeKem = hpke::kem::X25519HkdfSha256;
type HpkeKdf = hpke::kdf::HkdfSha256;
type HpkeAead = hpke::aead::ChaCha20Poly1305;

/// Poly1305 tag length: every ciphertext is its plaintext plus this.
const TAG_BYTES: usize = 16;

/// Why contents could not be sealed, or a sealed payload or opening was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// R-SEAL-9: no recipients; nobody could ever read the contents.
    #[error("R-SEAL-9: a sealed payload needs at least one recipient")]
    NoRecipients,
    /// R-SEAL-9: more recipients than `RECIPIENTS_MAX`.
    #[error("R-SEAL-9: {got} recipients, at most {max}")]
    TooManyRecipients {
        /// Recipients given.
        got: usize,
        /// The limit.
        max: usize,
    },
    /// R-SEAL-10: a recipient label is empty or longer than `RECIPIENT_LABEL_BYTES_MAX`.
    #[error("R-SEAL-10: recipient label is {got} bytes, expected 1 to {max}")]
    BadLabel {
        /// Length of the label, in bytes.
        got: usize,
        /// The limit.
        max: usize,
    },
    /// R-SEAL-10: two recipients share a label, so `open_as` would be ambiguous.
    #[error("R-SEAL-10: recipient label {label:?} appears more than once")]
    DuplicateLabel {
        /// The repeated label.
        label: String,
    },
    /// The payload names no recipient with this label.
    #[error("no recipient labelled {label:?}")]
    NotARecipient {
        /// The label asked for.
        label: String,
    },
    /// R-SEAL-2: the opening's canonical bytes would not fit in `CIPHERTEXT_BYTES_MAX`.
    #[error("R-SEAL-2: sealed contents would be {got} bytes, at most {max}")]
    TooLarge {
        /// Ciphertext length the contents would need.
        got: usize,
        /// The limit.
        max: usize,
    },
    /// Encryption was refused by the AEAD or HPKE. Not expected: keys are checked when
    /// decoded and plaintexts are bounded.
    #[error("encryption failed")]
    EncryptFailed,
    /// A wrapped key or the ciphertext did not decrypt. Deliberately one variant with no
    /// detail: telling apart a bad `enc`, a bad tag, a wrong key or wrong associated data
    /// would give an attacker probing with modified payloads an oracle.
    #[error("could not decrypt (wrong key, or the payload was altered)")]
    OpenFailed,
    /// R-SEAL-4: the plaintext decrypted but does not hash to the commitment: the sealer
    /// encrypted something other than what it committed to, or the opening was altered.
    #[error("R-SEAL-4: opening hashes to {got}, commitment is {expected}")]
    CommitmentMismatch {
        /// The commitment in the payload.
        expected: Hash,
        /// What the opening hashes to.
        got: Hash,
    },
    /// R-SEAL-3: the decrypted plaintext is not the canonical JSON of an opening.
    #[error("R-SEAL-3: {0}")]
    Canonical(#[from] CanonicalError),
}

/// A 32-byte ChaCha20-Poly1305 key for one document's contents. Zeroized on drop; its
/// `Debug` never shows the key.
#[derive(Clone)]
pub struct ContentKey(Zeroizing<[u8; 32]>);

impl ContentKey {
    /// A fresh key from `rng`.
    pub fn generate(rng: &mut impl CryptoRngCore) -> Self {
        let mut key = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(&mut key[..]);
        ContentKey(key)
    }

    /// From 32 secret bytes (test vectors, or a key disclosed to an auditor).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        ContentKey(Zeroizing::new(bytes))
    }

    /// The secret bytes.
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        self.0.clone()
    }
}

impl fmt::Debug for ContentKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ContentKey(..)")
    }
}

/// Contents and the salt that hides them; the plaintext is this object's canonical JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Opening<T> {
    /// The confidential contents.
    pub contents: T,
    /// 32 random bytes, base64 in JSON.
    pub salt: Fixed<32>,
}

/// The content key sealed to one recipient with HPKE base mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WrappedKey {
    /// HPKE encapsulated key: the sender's ephemeral X25519 public key.
    pub enc: Fixed<32>,
    /// The 32-byte content key encrypted, with its 16-byte tag.
    pub ct: Fixed<48>,
}

/// One recipient of a sealed payload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipient {
    /// The recipient's label, unique within the payload.
    pub to: String,
    /// The content key wrapped for this recipient.
    pub key: WrappedKey,
}

/// Confidential contents: a public commitment, the encrypted opening and the content key
/// wrapped for each recipient. Decoding refuses payloads that break R-SEAL-9 or R-SEAL-10.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, try_from = "SealedUnchecked")]
pub struct Sealed {
    /// `SHA-256(CONTENT_COMMITMENT || P)`, hex in JSON.
    pub commitment: Hash,
    /// `P` under ChaCha20-Poly1305 with the content key, base64 in JSON.
    pub ciphertext: Bytes<CIPHERTEXT_BYTES_MAX>,
    /// Who can read it, in the order the sealer chose.
    pub recipients: Vec<Recipient>,
}

/// `Sealed` as parsed, before its recipient rules are checked.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SealedUnchecked {
    commitment: Hash,
    ciphertext: Bytes<CIPHERTEXT_BYTES_MAX>,
    recipients: Vec<Recipient>,
}

impl TryFrom<SealedUnchecked> for Sealed {
    type Error = SealError;

    fn try_from(u: SealedUnchecked) -> Result<Self, SealError> {
        let sealed = Sealed { commitment: u.commitment, ciphertext: u.ciphertext, recipients: u.recipients };
        sealed.check()?;
        Ok(sealed)
    }
}

impl Sealed {
    /// Check the recipient rules: 1 to `RECIPIENTS_MAX` recipients (R-SEAL-9), labels
    /// non-empty, bounded and distinct (R-SEAL-10).
    pub fn check(&self) -> Result<(), SealError> {
        check_labels(self.recipients.iter().map(|r| r.to.as_str()))
    }

    /// Unwrap the content key as the recipient labelled `to`, holding `key`.
    pub fn open_as(&self, to: &str, key: &DecryptionKey) -> Result<ContentKey, SealError> {
        self.check()?;
        let recipient = self
            .recipients
            .iter()
            .find(|r| r.to == to)
            .ok_or_else(|| SealError::NotARecipient { label: to.to_string() })?;
        unwrap_key(&recipient.key, &self.commitment, key)
    }
}

/// Seal `contents` for `recipients` (label, key). Returns the payload and the content key,
/// which the sealer may keep to produce openings later.
///
/// `rng` is drawn in this order, so a seeded generator gives reproducible vectors: the
/// 32-byte salt, the 32-byte content key, then 32 bytes of HPKE ephemeral key material per
/// recipient, in the order given.
pub fn seal<T: Serialize>(
    contents: &T,
    recipients: &[(String, EncryptionKey)],
    rng: &mut impl CryptoRngCore,
) -> Result<(Sealed, ContentKey), SealError> {
    check_labels(recipients.iter().map(|(label, _)| label.as_str()))?;
    let mut salt = [0u8; 32];
    rng.fill_bytes(&mut salt);
    let plaintext = Zeroizing::new(to_canonical(&Opening { contents, salt: Fixed(salt) }));
    let needed = plaintext.len().saturating_add(TAG_BYTES);
    if needed > CIPHERTEXT_BYTES_MAX {
        return Err(SealError::TooLarge { got: needed, max: CIPHERTEXT_BYTES_MAX });
    }
    let commitment = commit_plaintext(&plaintext);
    let key = ContentKey::generate(rng);
    let ciphertext = content_cipher(&key)
        .encrypt(&Nonce::default(), Payload { msg: &plaintext, aad: commitment.as_bytes() })
        .map_err(|_| SealError::EncryptFailed)?;
    let mut wrapped = Vec::with_capacity(recipients.len());
    for (label, to) in recipients {
        wrapped.push(Recipient { to: label.clone(), key: wrap_key(&key, &commitment, to, rng)? });
    }
    let sealed = Sealed { commitment, ciphertext: Bytes(ciphertext), recipients: wrapped };
    Ok((sealed, key))
}

/// Wrap `key` for the holder of `to`, bound to `commitment` (R-SEAL-6). Also used to add
/// a recipient (a regulator, say) to an existing payload without re-encrypting it.
pub fn wrap_key(
    key: &ContentKey,
    commitment: &Hash,
    to: &EncryptionKey,
    rng: &mut impl CryptoRngCore,
) -> Result<WrappedKey, SealError> {
    let (enc, ct) = hpke_seal(to, CONTENT_KEY_WRAP.bytes(), commitment.as_bytes(), &key.0[..], rng)?;
    let enc = <[u8; 32]>::try_from(enc.as_slice()).map_err(|_| SealError::EncryptFailed)?;
    let ct = <[u8; 48]>::try_from(ct.as_slice()).map_err(|_| SealError::EncryptFailed)?;
    Ok(WrappedKey { enc: Fixed(enc), ct: Fixed(ct) })
}

/// Unwrap a content key wrapped for `key`'s holder under `commitment`.
pub fn unwrap_key(
    wrapped: &WrappedKey,
    commitment: &Hash,
    key: &DecryptionKey,
) -> Result<ContentKey, SealError> {
    let plaintext = Zeroizing::new(hpke_open(
        key,
        CONTENT_KEY_WRAP.bytes(),
        commitment.as_bytes(),
        &wrapped.enc.0,
        &wrapped.ct.0,
    )?);
    let bytes = <[u8; 32]>::try_from(plaintext.as_slice()).map_err(|_| SealError::OpenFailed)?;
    Ok(ContentKey::from_bytes(bytes))
}

/// Decrypt `sealed` with `key`, require the plaintext to be a canonical opening of a `T`,
/// and check it against the commitment.
pub fn open<T: Serialize + DeserializeOwned>(
    sealed: &Sealed,
    key: &ContentKey,
) -> Result<Opening<T>, SealError> {
    let plaintext = Zeroizing::new(
        content_cipher(key)
            .decrypt(
                &Nonce::default(),
                Payload { msg: &sealed.ciphertext.0, aad: sealed.commitment.as_bytes() },
            )
            .map_err(|_| SealError::OpenFailed)?,
    );
    let opening: Opening<T> = from_canonical("sealed opening", &plaintext, CIPHERTEXT_BYTES_MAX)?;
    let got = commit_plaintext(&plaintext);
    if got != sealed.commitment {
        return Err(SealError::CommitmentMismatch { expected: sealed.commitment, got });
    }
    Ok(opening)
}

/// Check a plaintext opening (as found in an evidence bundle) against `commitment`.
pub fn check_opening<T: Serialize>(commitment: &Hash, opening: &Opening<T>) -> Result<(), SealError> {
    let got = commitment_of(opening);
    if got != *commitment {
        return Err(SealError::CommitmentMismatch { expected: *commitment, got });
    }
    Ok(())
}

/// The commitment to `opening`: SHA-256 over the domain and its canonical bytes (R-SEAL-1).
pub fn commitment_of<T: Serialize>(opening: &Opening<T>) -> Hash {
    commit_plaintext(&Zeroizing::new(to_canonical(opening)))
}

fn commit_plaintext(plaintext: &[u8]) -> Hash {
    Hash::sha256_parts(&[CONTENT_COMMITMENT.bytes(), plaintext])
}

/// The AEAD for one document. Its nonce is always zero: each content key is fresh random
/// and encrypts exactly one plaintext, so a (key, nonce) pair never repeats.
fn content_cipher(key: &ContentKey) -> ChaCha20Poly1305 {
    ChaCha20Poly1305::new(Key::from_slice(&key.0[..]))
}

fn check_labels<'a>(labels: impl ExactSizeIterator<Item = &'a str>) -> Result<(), SealError> {
    if labels.len() == 0 {
        return Err(SealError::NoRecipients);
    }
    if labels.len() > RECIPIENTS_MAX {
        return Err(SealError::TooManyRecipients { got: labels.len(), max: RECIPIENTS_MAX });
    }
    let mut seen = BTreeSet::new();
    for label in labels {
        if label.is_empty() || label.len() > RECIPIENT_LABEL_BYTES_MAX {
            return Err(SealError::BadLabel { got: label.len(), max: RECIPIENT_LABEL_BYTES_MAX });
        }
        if !seen.insert(label) {
            return Err(SealError::DuplicateLabel { label: label.to_string() });
        }
    }
    Ok(())
}

/// RFC 9180 single-shot base-mode seal in our suite. Returns `(enc, ct)`.
fn hpke_seal(
    to: &EncryptionKey,
    info: &[u8],
    aad: &[u8],
    plaintext: &[u8],
    rng: &mut impl CryptoRngCore,
) -> Result<(Vec<u8>, Vec<u8>), SealError> {
    let pk = <HpkeKem as hpke::Kem>::PublicKey::from_bytes(&to.to_bytes())
        .map_err(|_| SealError::EncryptFailed)?;
    let (enc, ct) = hpke::single_shot_seal::<HpkeAead, HpkeKdf, HpkeKem, _>(
        &OpModeS::Base,
        &pk,
        info,
        plaintext,
        aad,
        &mut HpkeRng(rng),
    )
    .map_err(|_| SealError::EncryptFailed)?;
    Ok((enc.to_bytes().to_vec(), ct))
}

/// RFC 9180 single-shot base-mode open in our suite. Every failure is `OpenFailed`.
fn hpke_open(
    key: &DecryptionKey,
    info: &[u8],
    aad: &[u8],
    enc: &[u8],
    ct: &[u8],
) -> Result<Vec<u8>, SealError> {
    let sk = <HpkeKem as hpke::Kem>::PrivateKey::from_bytes(&key.0[..]).map_err(|_| SealError::OpenFailed)?;
    let enc = <HpkeKem as hpke::Kem>::EncappedKey::from_bytes(enc).map_err(|_| SealError::OpenFailed)?;
    hpke::single_shot_open::<HpkeAead, HpkeKdf, HpkeKem>(&OpModeR::Base, &sk, &enc, info, ct, aad)
        .map_err(|_| SealError::OpenFailed)
}

/// Lends our `rand_core` 0.6 generator to `hpke`, which is built on `rand_core` 0.9.
struct HpkeRng<'a, R: CryptoRngCore>(&'a mut R);

impl<R: CryptoRngCore> hpke::rand_core::RngCore for HpkeRng<'_, R> {
    fn next_u32(&mut self) -> u32 {
        self.0.next_u32()
    }

    fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    fn fill_bytes(&mut self, dst: &mut [u8]) {
        self.0.fill_bytes(dst);
    }
}

impl<R: CryptoRngCore> hpke::rand_core::CryptoRng for HpkeRng<'_, R> {}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng as _;

    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Balance {
        account: String,
        amount: String,
        client: String,
    }

    fn balance() -> Balance {
        Balance {
            account: "40702810000000001234".into(),
            amount: "1250000.00".into(),
            client: "c-001".into(),
        }
    }

    fn party(n: u8) -> (String, DecryptionKey) {
        (format!("org/bank-{n}"), DecryptionKey::from_bytes([n; 32]))
    }

    fn seal_for(n: u8, seed: u64) -> (Sealed, ContentKey, Vec<(String, DecryptionKey)>) {
        let parties: Vec<_> = (1..=n).map(party).collect();
        let to: Vec<_> = parties.iter().map(|(l, k)| (l.clone(), k.public())).collect();
        let (sealed, key) = seal(&balance(), &to, &mut ChaCha20Rng::seed_from_u64(seed)).unwrap();
        (sealed, key, parties)
    }

    #[test]
    fn round_trip_for_one_to_four_recipients() {
        for n in 1..=4u8 {
            let (sealed, key, parties) = seal_for(n, u64::from(n));
            assert_eq!(sealed.recipients.len(), usize::from(n));
            for (label, dk) in &parties {
                let k = sealed.open_as(label, dk).unwrap();
                assert_eq!(*k.to_bytes(), *key.to_bytes());
                let opening: Opening<Balance> = open(&sealed, &k).unwrap();
                assert_eq!(opening.contents, balance());
                assert_eq!(check_opening(&sealed.commitment, &opening), Ok(()));
            }
        }
    }

    #[test]
    fn a_non_recipient_cannot_open() {
        let (sealed, _, parties) = seal_for(2, 7);
        let outsider = DecryptionKey::from_bytes([99; 32]);
        for r in &sealed.recipients {
            assert_eq!(unwrap_key(&r.key, &sealed.commitment, &outsider).err(), Some(SealError::OpenFailed));
        }
        // A recipient's key under someone else's label does not open either.
        let (_, dk1) = &parties[0];
        let (label2, _) = &parties[1];
        assert_eq!(sealed.open_as(label2, dk1).err(), Some(SealError::OpenFailed));
        assert!(matches!(sealed.open_as("org/nobody", dk1), Err(SealError::NotARecipient { .. })));
    }

    #[test]
    fn any_flipped_byte_fails() {
        let (sealed, key, parties) = seal_for(1, 11);
        let (label, dk) = &parties[0];
        for i in 0..sealed.ciphertext.0.len() {
            let mut bad = sealed.clone();
            bad.ciphertext.0[i] ^= 0x01;
            assert_eq!(open::<Balance>(&bad, &key).err(), Some(SealError::OpenFailed), "ciphertext byte {i}");
        }
        for i in 0..32 {
            let mut bad = sealed.clone();
            bad.recipients[0].key.enc.0[i] ^= 0x01;
            assert_eq!(bad.open_as(label, dk).err(), Some(SealError::OpenFailed), "enc byte {i}");
        }
        for i in 0..48 {
            let mut bad = sealed.clone();
            bad.recipients[0].key.ct.0[i] ^= 0x01;
            assert_eq!(bad.open_as(label, dk).err(), Some(SealError::OpenFailed), "ct byte {i}");
        }
        for i in 0..32 {
            let mut bad = sealed.clone();
            bad.commitment.0[i] ^= 0x01;
            assert_eq!(bad.open_as(label, dk).err(), Some(SealError::OpenFailed), "commitment byte {i}");
            assert_eq!(open::<Balance>(&bad, &key).err(), Some(SealError::OpenFailed), "commitment byte {i}");
        }
    }

    #[test]
    fn parts_of_another_document_do_not_open() {
        let (a, key_a, parties) = seal_for(1, 21);
        let (b, key_b, _) = seal_for(1, 22);
        let (label, dk) = &parties[0];
        // Wrapped key of B pasted into A: wrong aad.
        let mut mixed = a.clone();
        mixed.recipients[0].key = b.recipients[0].key;
        assert_eq!(mixed.open_as(label, dk).err(), Some(SealError::OpenFailed));
        assert_eq!(unwrap_key(&b.recipients[0].key, &a.commitment, dk).err(), Some(SealError::OpenFailed));
        // Ciphertext of B under A's commitment, even with B's key.
        let mut mixed = a.clone();
        mixed.ciphertext = b.ciphertext.clone();
        assert_eq!(open::<Balance>(&mixed, &key_b).err(), Some(SealError::OpenFailed));
        assert_eq!(open::<Balance>(&b, &key_a).err(), Some(SealError::OpenFailed));
    }

    #[test]
    fn seeded_output_is_deterministic() {
        let (a, ka, _) = seal_for(3, 5);
        let (b, kb, _) = seal_for(3, 5);
        assert_eq!(to_canonical(&a), to_canonical(&b));
        assert_eq!(*ka.to_bytes(), *kb.to_bytes());
        let (c, _, _) = seal_for(3, 6);
        assert_ne!(a.commitment, c.commitment);
    }

    #[test]
    fn json_shape_and_recipient_rules() {
        let (sealed, _, _) = seal_for(2, 3);
        let json = to_canonical(&sealed);
        let text = String::from_utf8(json.clone()).unwrap();
        assert!(text.starts_with(r#"{"ciphertext":""#), "{text}");
        assert!(text.contains(r#""recipients":[{"key":{"ct":""#), "{text}");
        assert!(text.contains(r#""to":"org/bank-1"}"#), "{text}");
        let back: Sealed = from_canonical("sealed", &json, 1 << 20).unwrap();
        assert_eq!(back, sealed);

        let mut dup = sealed.clone();
        dup.recipients[1].to = dup.recipients[0].to.clone();
        assert!(matches!(dup.check(), Err(SealError::DuplicateLabel { .. })));
        assert!(serde_json::from_slice::<Sealed>(&to_canonical(&dup)).is_err());

        let mut many = sealed.clone();
        many.recipients = (0..=RECIPIENTS_MAX)
            .map(|i| Recipient { to: format!("r{i}"), key: sealed.recipients[0].key })
            .collect();
        assert_eq!(
            many.check(),
            Err(SealError::TooManyRecipients { got: RECIPIENTS_MAX + 1, max: RECIPIENTS_MAX })
        );
        assert!(serde_json::from_slice::<Sealed>(&to_canonical(&many)).is_err());

        let mut long = sealed.clone();
        long.recipients[0].to = "x".repeat(RECIPIENT_LABEL_BYTES_MAX + 1);
        assert!(matches!(long.check(), Err(SealError::BadLabel { .. })));
        long.recipients[0].to = "x".repeat(RECIPIENT_LABEL_BYTES_MAX);
        assert_eq!(long.check(), Ok(()));

        let mut none = sealed;
        none.recipients.clear();
        assert_eq!(none.check(), Err(SealError::NoRecipients));

        let key = DecryptionKey::from_bytes([1; 32]).public();
        let to = vec![("a".to_string(), key), ("a".to_string(), key)];
        let mut rng = ChaCha20Rng::seed_from_u64(0);
        assert!(matches!(seal(&balance(), &to, &mut rng), Err(SealError::DuplicateLabel { .. })));
        assert_eq!(seal(&balance(), &[], &mut rng).err(), Some(SealError::NoRecipients));
    }

    #[test]
    fn openings_are_checked_against_the_commitment() {
        let (sealed, key, _) = seal_for(1, 9);
        let opening: Opening<Balance> = open(&sealed, &key).unwrap();
        let mut altered = opening.clone();
        altered.contents.amount = "1250000.01".into();
        assert!(matches!(
            check_opening(&sealed.commitment, &altered),
            Err(SealError::CommitmentMismatch { .. })
        ));
        let mut resalted = opening;
        resalted.salt.0[0] ^= 1;
        assert!(matches!(
            check_opening(&sealed.commitment, &resalted),
            Err(SealError::CommitmentMismatch { .. })
        ));
    }

    /// A sealer that encrypts one plaintext but commits to another is caught after the
    /// (successful) decryption; a non-canonical plaintext is refused as such.
    #[test]
    fn dishonest_sealer_is_caught() {
        let key = ContentKey::from_bytes([3; 32]);
        let honest = Opening { contents: balance(), salt: Fixed([4; 32]) };
        let plaintext = to_canonical(&honest);
        let wrong_commitment = Hash::sha256(b"something else");
        let encrypt = |p: &[u8], c: &Hash| {
            content_cipher(&key).encrypt(&Nonce::default(), Payload { msg: p, aad: c.as_bytes() }).unwrap()
        };
        let dk = DecryptionKey::from_bytes([1; 32]);
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let wrapped = wrap_key(&key, &wrong_commitment, &dk.public(), &mut rng).unwrap();
        let sealed = Sealed {
            commitment: wrong_commitment,
            ciphertext: Bytes(encrypt(&plaintext, &wrong_commitment)),
            recipients: vec![Recipient { to: "org/bank-1".into(), key: wrapped }],
        };
        assert!(matches!(open::<Balance>(&sealed, &key), Err(SealError::CommitmentMismatch { .. })));

        let mut spaced = plaintext.clone();
        spaced.push(b' ');
        let c = commit_plaintext(&spaced);
        let sealed = Sealed { commitment: c, ciphertext: Bytes(encrypt(&spaced, &c)), ..sealed };
        assert!(matches!(
            open::<Balance>(&sealed, &key),
            Err(SealError::Canonical(CanonicalError::NotCanonical { .. }))
        ));
    }

    #[test]
    fn oversized_contents_are_refused() {
        let to = vec![("org/bank-1".to_string(), DecryptionKey::from_bytes([1; 32]).public())];
        let mut rng = ChaCha20Rng::seed_from_u64(0);
        // The opening wrapper around a string adds 69 bytes; the tag adds 16.
        let fits = "x".repeat(CIPHERTEXT_BYTES_MAX - TAG_BYTES - 69);
        let (sealed, key) = seal(&fits, &to, &mut rng).unwrap();
        assert_eq!(sealed.ciphertext.0.len(), CIPHERTEXT_BYTES_MAX);
        assert_eq!(open::<String>(&sealed, &key).unwrap().contents, fits);
        let over = "x".repeat(CIPHERTEXT_BYTES_MAX - TAG_BYTES - 68);
        assert_eq!(
            seal(&over, &to, &mut rng).err(),
            Some(SealError::TooLarge { got: CIPHERTEXT_BYTES_MAX + 1, max: CIPHERTEXT_BYTES_MAX })
        );
    }

    #[test]
    fn content_key_debug_hides_the_key() {
        assert_eq!(format!("{:?}", ContentKey::from_bytes([0xab; 32])), "ContentKey(..)");
    }

    /// Yields fixed bytes, so HPKE's ephemeral key material can be set to a vector's `ikmE`.
    struct FixedRng(Vec<u8>);

    impl rand_core::RngCore for FixedRng {
        fn next_u32(&mut self) -> u32 {
            unimplemented!()
        }
        fn next_u64(&mut self) -> u64 {
            unimplemented!()
        }
        fn fill_bytes(&mut self, dst: &mut [u8]) {
            assert!(dst.len() <= self.0.len(), "FixedRng exhausted");
            let rest = self.0.split_off(dst.len());
            dst.copy_from_slice(&self.0);
            self.0 = rest;
        }
        fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), rand_core::Error> {
            self.fill_bytes(dst);
            Ok(())
        }
    }

    impl rand_core::CryptoRng for FixedRng {}

    fn unhex<const N: usize>(s: &str) -> [u8; N] {
        hex::decode(s).unwrap().try_into().unwrap()
    }

    /// RFC 9180 Appendix A.2.1 (DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20Poly1305,
    /// base mode), first encryption. Checks our suite choice and the rng adapter: with the
    /// vector's `ikmE` as randomness, `hpke_seal` must produce the vector's `enc` and `ct`,
    /// and `hpke_open` with `skRm` must recover `pt`.
    #[test]
    fn rfc9180_a2_base_vector() {
        let info = hex::decode("4f6465206f6e2061204772656369616e2055726e").unwrap();
        let ikm_e = hex::decode("909a9b35d3dc4713a5e72a4da274b55d3d3821a37e5d099e74a647db583a904b").unwrap();
        let pk_r = unhex::<32>("4310ee97d88cc1f088a5576c77ab0cf5c3ac797f3d95139c6c84b5429c59662a");
        let sk_r = unhex::<32>("8057991eef8f1f1af18f4a9491d16a1ce333f695d4db8e38da75975c4478e0fb");
        let enc = hex::decode("1afa08d3dec047a643885163f1180476fa7ddb54c6a8029ea33f95796bf2ac4a").unwrap();
        let aad = hex::decode("436f756e742d30").unwrap();
        let pt = hex::decode("4265617574792069732074727574682c20747275746820626561757479").unwrap();
        let ct = hex::decode(
            "1c5250d8034ec2b784ba2cfd69dbdb8af406cfe3ff938e131f0def8c8b60b4db21993c62ce81883d2dd1b51a28",
        )
        .unwrap();

        let dk = DecryptionKey::from_bytes(sk_r);
        assert_eq!(dk.public().to_bytes(), pk_r);
        let to = EncryptionKey::from_bytes(pk_r).unwrap();
        let (got_enc, got_ct) = hpke_seal(&to, &info, &aad, &pt, &mut FixedRng(ikm_e)).unwrap();
        assert_eq!(hex::encode(&got_enc), hex::encode(&enc));
        assert_eq!(hex::encode(&got_ct), hex::encode(&ct));
        assert_eq!(hpke_open(&dk, &info, &aad, &enc, &ct).unwrap(), pt);
    }
}
