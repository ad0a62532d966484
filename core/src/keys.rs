//! Hold Ed25519 signing keys and X25519 encryption keys, in JSON and in PKCS#8 v1 PEM.
//!
//! # Terminology
//!
//! - *Public key*: a 32-byte Ed25519 verifying key (RFC 8032), base64 in JSON.
//! - *Signing key*: its 32-byte seed. Stored as PKCS#8 v1 (RFC 5958 `version 0`, no public
//!   key attribute) PEM, which OpenSSL 3.0 reads; v2 files are accepted on input.
//! - *Encryption key*: an X25519 key pair (RFC 7748) used by HPKE; same PEM rules.
//!
//! Signatures are checked with `verify_strict` only: it refuses non-canonical `S`,
//! non-canonical `R`, and small-order public keys or `R`, so every validator accepts
//! exactly the same set of signatures (`docs/decisions/0004-signature-verification.md`).
//! Weak (small-order) public keys are refused when decoded, not only when used.

use crate::domain::Domain;
use crate::encoding::{EncodingError, b64_decode_array, b64_encode};
use ed25519_dalek::pkcs8::DecodePrivateKey as _;
use ed25519_dalek::{Signer as _, SigningKey as DalekSigningKey, VerifyingKey};
use rand_core::CryptoRngCore;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use zeroize::Zeroizing;

/// Why a key or signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The field did not decode.
    #[error(transparent)]
    Encoding(#[from] EncodingError),
    /// Not a point on the curve, or not its canonical encoding.
    #[error("R-KEY-2: not a valid Ed25519 public key (not a curve point, or not its canonical encoding)")]
    InvalidPublicKey,
    /// A small-order point: any signature could verify against it.
    #[error("R-KEY-2: weak Ed25519 public key (small order) refused")]
    WeakPublicKey,
    /// An X25519 key not in its one canonical encoding (top bit set, or u ≥ 2^255 - 19).
    #[error("R-KEY-6: X25519 public key is not canonically encoded (top bit set, or u >= 2^255-19)")]
    NonCanonicalEncryptionKey,
    /// A small-order X25519 key: the shared secret would be predictable.
    #[error("R-KEY-6: weak X25519 public key (small order) refused")]
    WeakEncryptionKey,
    /// The signature does not verify under `verify_strict`.
    #[error("R-KEY-4: signature does not verify")]
    BadSignature,
    /// The PEM file is not a PKCS#8 private key of the expected algorithm.
    #[error("not a PKCS#8 {algorithm} private key in PEM: {detail}")]
    Pem {
        /// `Ed25519` or `X25519`.
        algorithm: &'static str,
        /// What the parser said.
        detail: String,
    },
}

/// An Ed25519 public key, checked to be canonical and not of small order.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKey(VerifyingKey);

impl PartialOrd for PublicKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for PublicKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.as_bytes().cmp(other.0.as_bytes())
    }
}

impl PublicKey {
    /// Decode 32 bytes, refusing invalid and weak keys.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, KeyError> {
        let key = VerifyingKey::from_bytes(bytes).map_err(|_| KeyError::InvalidPublicKey)?;
        // Decompression reduces y mod p, so y and y + p spell one point: accept only y < p.
        // (The sign bit with x = 0 would be a second spelling too, but x = 0 only for
        // y = ±1, both of small order, which the weak-key check below refuses.)
        if !is_canonical_field_element(bytes) {
            return Err(KeyError::InvalidPublicKey);
        }
        if key.is_weak() {
            return Err(KeyError::WeakPublicKey);
        }
        Ok(PublicKey(key))
    }

    /// Decode base64.
    pub fn from_b64(text: &str) -> Result<Self, KeyError> {
        PublicKey::from_bytes(&b64_decode_array::<32>(text)?)
    }

    /// The 32 raw bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// Base64 of the raw bytes.
    pub fn to_b64(&self) -> String {
        b64_encode(self.0.as_bytes())
    }

    /// Check `signature` over `domain || message` with `verify_strict`.
    pub fn verify(&self, domain: Domain, message: &[u8], signature: &Signature) -> Result<(), KeyError> {
        let sig = ed25519_dalek::Signature::from_bytes(&signature.0);
        self.0.verify_strict(&domain.prefix(message), &sig).map_err(|_| KeyError::BadSignature)
    }

    /// Check a signature over raw `message` with no domain prefix. Only for formats whose
    /// own specification fixes the signed bytes (C2SP signed notes and cosignatures).
    pub fn verify_raw(&self, message: &[u8], signature: &Signature) -> Result<(), KeyError> {
        let sig = ed25519_dalek::Signature::from_bytes(&signature.0);
        self.0.verify_strict(message, &sig).map_err(|_| KeyError::BadSignature)
    }

    /// PEM `PUBLIC KEY` (SubjectPublicKeyInfo), as `openssl pkey -pubout` writes it.
    pub fn to_public_pem(&self) -> String {
        let mut der = ED25519_SPKI_PREFIX.to_vec();
        der.extend_from_slice(self.0.as_bytes());
        pem_encode("PUBLIC KEY", &der)
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.to_b64())
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_b64())
    }
}

impl Serialize for PublicKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_b64())
    }
}

impl<'de> Deserialize<'de> for PublicKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        PublicKey::from_b64(&text).map_err(D::Error::custom)
    }
}

/// A 64-byte Ed25519 signature, base64 in JSON.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature(pub [u8; 64]);

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({})", b64_encode(&self.0))
    }
}

impl Serialize for Signature {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&b64_encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Signature {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        b64_decode_array::<64>(&text).map(Signature).map_err(D::Error::custom)
    }
}

/// An Ed25519 signing key. Never serialized to JSON; stored only as PEM.
#[derive(Clone)]
pub struct SigningKey(DalekSigningKey);

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey(public: {})", self.public().to_b64())
    }
}

/// DER prefix of a PKCS#8 v1 Ed25519 private key: SEQUENCE { INTEGER 0,
/// AlgorithmIdentifier { OID 1.3.101.112 }, OCTET STRING { OCTET STRING (32) } }.
const ED25519_PKCS8_V1_PREFIX: [u8; 16] =
    [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];
/// Same for X25519 (OID 1.3.101.110).
const X25519_PKCS8_V1_PREFIX: [u8; 16] =
    [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20];
/// DER prefix of an Ed25519 SubjectPublicKeyInfo.
const ED25519_SPKI_PREFIX: [u8; 12] =
    [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];
/// DER prefix of an X25519 SubjectPublicKeyInfo.
const X25519_SPKI_PREFIX: [u8; 12] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00];

impl SigningKey {
    /// A fresh key from `rng`.
    pub fn generate(rng: &mut impl CryptoRngCore) -> Self {
        let mut seed = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(&mut seed[..]);
        SigningKey(DalekSigningKey::from_bytes(&seed))
    }

    /// From a 32-byte seed (test keys and vectors).
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        SigningKey(DalekSigningKey::from_bytes(seed))
    }

    /// The public key. A seed always yields a valid, non-weak key except with negligible
    /// probability; `from_seed` callers in tests use fixed seeds checked by tests.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    /// Sign `domain || message`. Crate-private: callers use the named signing function
    /// of each purpose (`sign_envelope`, `sign_precommit`, ...).
    #[allow(dead_code)] // until the first signed object lands
    pub(crate) fn sign(&self, domain: Domain, message: &[u8]) -> Signature {
        Signature(self.0.sign(&domain.prefix(message)).to_bytes())
    }

    /// Sign raw `message` for formats that fix their own signed bytes (C2SP notes).
    pub(crate) fn sign_raw(&self, message: &[u8]) -> Signature {
        Signature(self.0.sign(message).to_bytes())
    }

    /// The 32-byte seed (for C2SP `PRIVATE+KEY` encodings and PEM).
    pub fn seed(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.0.to_bytes())
    }

    /// PKCS#8 v1 PEM (`-----BEGIN PRIVATE KEY-----`), readable by OpenSSL 3.0.
    pub fn to_pkcs8_pem(&self) -> Zeroizing<String> {
        let mut der = Zeroizing::new(ED25519_PKCS8_V1_PREFIX.to_vec());
        der.extend_from_slice(&self.0.to_bytes());
        Zeroizing::new(pem_encode("PRIVATE KEY", &der))
    }

    /// Read PKCS#8 PEM (v1 or v2). A v2 file whose embedded public key does not match
    /// its seed is refused.
    pub fn from_pkcs8_pem(pem: &str) -> Result<Self, KeyError> {
        let key = DalekSigningKey::from_pkcs8_pem(pem)
            .map_err(|e| KeyError::Pem { algorithm: "Ed25519", detail: e.to_string() })?;
        let signing = SigningKey(key);
        PublicKey::from_bytes(&signing.0.verifying_key().to_bytes())?;
        Ok(signing)
    }
}

/// An X25519 public key for HPKE, checked not to be of small order.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EncryptionKey(pub(crate) [u8; 32]);

impl EncryptionKey {
    /// Decode 32 bytes, refusing non-canonical encodings and small-order points.
    pub fn from_bytes(bytes: [u8; 32]) -> Result<Self, KeyError> {
        // RFC 7748 lets a receiver mask the top bit and reduce mod p, which gives one key
        // several spellings; a key in signed data must have exactly one, and a sender using
        // another spelling could produce wraps its recipient's library refuses.
        if !is_canonical_x25519(&bytes) {
            return Err(KeyError::NonCanonicalEncryptionKey);
        }
        // A clamped scalar is a multiple of the cofactor 8, so it maps every point of small
        // order (on the curve or its twist) to zero, and no other point.
        let probe = x25519_dalek::x25519([9u8; 32], bytes);
        if probe == [0u8; 32] {
            return Err(KeyError::WeakEncryptionKey);
        }
        Ok(EncryptionKey(bytes))
    }

    /// The raw bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0
    }

    /// Base64 of the raw bytes.
    pub fn to_b64(&self) -> String {
        b64_encode(&self.0)
    }

    /// PEM `PUBLIC KEY`.
    pub fn to_public_pem(&self) -> String {
        let mut der = X25519_SPKI_PREFIX.to_vec();
        der.extend_from_slice(&self.0);
        pem_encode("PUBLIC KEY", &der)
    }
}

impl fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EncryptionKey({})", self.to_b64())
    }
}

impl Serialize for EncryptionKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_b64())
    }
}

impl<'de> Deserialize<'de> for EncryptionKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        let bytes = b64_decode_array::<32>(&text).map_err(D::Error::custom)?;
        EncryptionKey::from_bytes(bytes).map_err(D::Error::custom)
    }
}

/// Whether the low 255 bits of `y` (little-endian; bit 255 is Ed25519's sign bit) are
/// below p = 2^255 - 19.
fn is_canonical_field_element(y: &[u8; 32]) -> bool {
    let [low, middle @ .., top] = y;
    !(*top & 0x7f == 0x7f && middle.iter().all(|b| *b == 0xff) && *low >= 0xed)
}

/// Whether `u` (little-endian) is below p = 2^255 - 19 with the top bit clear.
fn is_canonical_x25519(u: &[u8; 32]) -> bool {
    let [low, middle @ .., top] = u;
    if *top & 0x80 != 0 {
        return false;
    }
    // u >= p exactly when the top byte is 0x7f, the middle bytes are 0xff and the low
    // byte is at least 0xed.
    !(*top == 0x7f && middle.iter().all(|b| *b == 0xff) && *low >= 0xed)
}

/// An X25519 secret key for opening sealed contents.
#[derive(Clone)]
pub struct DecryptionKey(pub(crate) Zeroizing<[u8; 32]>);

impl fmt::Debug for DecryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DecryptionKey(public: {})", self.public().to_b64())
    }
}

impl DecryptionKey {
    /// A fresh key from `rng`.
    pub fn generate(rng: &mut impl CryptoRngCore) -> Self {
        let mut bytes = [0u8; 32];
        rng.fill_bytes(&mut bytes);
        DecryptionKey(Zeroizing::new(bytes))
    }

    /// From 32 secret bytes (test keys and vectors).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        DecryptionKey(Zeroizing::new(bytes))
    }

    /// The secret bytes.
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        self.0.clone()
    }

    /// The public key (X25519 of the base point).
    pub fn public(&self) -> EncryptionKey {
        EncryptionKey(x25519_dalek::x25519(*self.0, x25519_dalek::X25519_BASEPOINT_BYTES))
    }

    /// PKCS#8 v1 PEM, readable by OpenSSL 3.0.
    pub fn to_pkcs8_pem(&self) -> Zeroizing<String> {
        let mut der = Zeroizing::new(X25519_PKCS8_V1_PREFIX.to_vec());
        der.extend_from_slice(&self.0[..]);
        Zeroizing::new(pem_encode("PRIVATE KEY", &der))
    }

    /// Read PKCS#8 v1 PEM of an X25519 key.
    pub fn from_pkcs8_pem(pem: &str) -> Result<Self, KeyError> {
        let err = |detail: &str| KeyError::Pem { algorithm: "X25519", detail: detail.to_string() };
        let der = pem_decode("PRIVATE KEY", pem).map_err(|d| err(&d))?;
        let der = Zeroizing::new(der);
        let seed = der
            .strip_prefix(&X25519_PKCS8_V1_PREFIX[..])
            .ok_or_else(|| err("expected PKCS#8 v1 with OID 1.3.101.110"))?;
        let bytes: [u8; 32] = seed.try_into().map_err(|_| err("expected a 32-byte key"))?;
        let key = DecryptionKey(Zeroizing::new(bytes));
        EncryptionKey::from_bytes(key.public().0)?;
        Ok(key)
    }
}

fn pem_encode(label: &str, der: &[u8]) -> String {
    let b64 = b64_encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

fn pem_decode(label: &str, pem: &str) -> Result<Vec<u8>, String> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let text = pem.trim();
    let inner = text
        .strip_prefix(&begin)
        .and_then(|t| t.strip_suffix(&end))
        .ok_or_else(|| format!("expected {begin} ... {end}"))?;
    let b64: String = inner.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    crate::encoding::b64_decode(&b64, 4096).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_roundtrip_is_v1() {
        let key = SigningKey::from_seed(&[7u8; 32]);
        let pem = key.to_pkcs8_pem();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI"));
        let back = SigningKey::from_pkcs8_pem(&pem).unwrap();
        assert_eq!(back.public(), key.public());

        let enc = DecryptionKey::from_bytes([5u8; 32]);
        let back = DecryptionKey::from_pkcs8_pem(&enc.to_pkcs8_pem()).unwrap();
        assert_eq!(back.public(), enc.public());
    }

    #[test]
    fn non_canonical_ed25519_encodings_are_refused() {
        // y = 2^255 - 19 + 1 ≡ 1: a non-canonical spelling of the identity's y.
        let mut y_over_p = [0xffu8; 32];
        y_over_p[0] = 0xee;
        y_over_p[31] = 0x7f;
        assert!(PublicKey::from_bytes(&y_over_p).is_err());
        // The basepoint with the sign bit flipped is a valid, canonical point (-B): accepted.
        let b = SigningKey::from_seed(&[3u8; 32]).public().to_bytes();
        let mut flipped = b;
        flipped[31] ^= 0x80;
        assert!(PublicKey::from_bytes(&flipped).is_ok());
        // y = p + 4 (≡ 4): decodes if 4 is a valid y, but is not canonical; refused either way.
        let mut y4 = [0xffu8; 32];
        y4[0] = 0xf1;
        y4[31] = 0x7f;
        assert!(PublicKey::from_bytes(&y4).is_err());
        // Every y in 0..19 written as y + p: none is canonical.
        for small in 0u8..19 {
            let mut enc = [0xffu8; 32];
            enc[31] = 0x7f;
            let (low, carry) = 0xedu8.overflowing_add(small);
            enc[0] = low;
            if carry {
                continue;
            }
            assert!(PublicKey::from_bytes(&enc).is_err(), "y = p + {small}");
        }
    }

    #[test]
    fn non_canonical_x25519_encodings_are_refused() {
        let public = DecryptionKey::from_bytes([5u8; 32]).public().to_bytes();
        let mut top = public;
        top[31] |= 0x80;
        assert_eq!(EncryptionKey::from_bytes(top), Err(KeyError::NonCanonicalEncryptionKey));
        let mut p = [0xffu8; 32];
        p[0] = 0xed;
        p[31] = 0x7f;
        assert_eq!(EncryptionKey::from_bytes(p), Err(KeyError::NonCanonicalEncryptionKey));
        assert!(EncryptionKey::from_bytes(public).is_ok());
    }

    #[test]
    fn weak_keys_are_refused() {
        // The identity point (y = 1) has order 1.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert_eq!(PublicKey::from_bytes(&identity), Err(KeyError::WeakPublicKey));
        assert_eq!(EncryptionKey::from_bytes([0u8; 32]), Err(KeyError::WeakEncryptionKey));
        let mut one = [0u8; 32];
        one[0] = 1;
        assert_eq!(EncryptionKey::from_bytes(one), Err(KeyError::WeakEncryptionKey));
    }

    #[test]
    fn signatures_are_domain_separated() {
        use crate::domain::{ENVELOPE_SIGNATURE, PRECOMMIT_VOTE};
        let key = SigningKey::from_seed(&[1u8; 32]);
        let sig = key.sign(ENVELOPE_SIGNATURE, b"m");
        assert_eq!(key.public().verify(ENVELOPE_SIGNATURE, b"m", &sig), Ok(()));
        assert_eq!(key.public().verify(PRECOMMIT_VOTE, b"m", &sig), Err(KeyError::BadSignature));
        assert_eq!(key.public().verify(ENVELOPE_SIGNATURE, b"n", &sig), Err(KeyError::BadSignature));
    }
}
