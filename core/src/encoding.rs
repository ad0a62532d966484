//! Encode binary fields in JSON: hashes as lowercase hex, keys, signatures and
//! ciphertexts as padded standard base64 (RFC 4648 §4).
//!
//! Decoders are strict: one spelling per value (no uppercase hex, no missing padding,
//! no whitespace), exact lengths, and a length bound checked before decoding.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256};
use std::fmt;

/// Why a hex or base64 field did not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodingError {
    /// Not valid padded standard base64, or not in its one canonical spelling.
    #[error("invalid base64: {0}")]
    Base64(String),
    /// Not lowercase hex of the right length.
    #[error("invalid hex: expected {expected} lowercase hex digits")]
    Hex {
        /// Digits expected.
        expected: usize,
    },
    /// Decoded to the wrong number of bytes.
    #[error("wrong length: got {got} bytes, expected {expected}")]
    Length {
        /// Bytes decoded.
        got: usize,
        /// Bytes expected.
        expected: usize,
    },
    /// Longer than the limit allows; refused before decoding.
    #[error("too long: {got} bytes, at most {max}")]
    TooLong {
        /// Length seen (of the encoded text).
        got: usize,
        /// The limit.
        max: usize,
    },
}

/// Encode bytes as padded standard base64.
pub fn b64_encode(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Decode padded standard base64, refusing any non-canonical spelling and anything
/// whose decoded length would exceed `max_bytes`.
pub fn b64_decode(text: &str, max_bytes: usize) -> Result<Vec<u8>, EncodingError> {
    let max_text = max_bytes.div_ceil(3).saturating_mul(4);
    if text.len() > max_text {
        return Err(EncodingError::TooLong { got: text.len(), max: max_text });
    }
    let bytes = STANDARD.decode(text).map_err(|e| EncodingError::Base64(e.to_string()))?;
    // The base64 crate refuses non-zero trailing bits by default, so re-encoding
    // reproduces the input exactly; check anyway: one spelling per value.
    if STANDARD.encode(&bytes) != text {
        return Err(EncodingError::Base64("not in canonical form".into()));
    }
    if bytes.len() > max_bytes {
        return Err(EncodingError::TooLong { got: bytes.len(), max: max_bytes });
    }
    Ok(bytes)
}

/// Decode base64 to exactly `N` bytes.
pub fn b64_decode_array<const N: usize>(text: &str) -> Result<[u8; N], EncodingError> {
    let bytes = b64_decode(text, N)?;
    <[u8; N]>::try_from(bytes.as_slice()).map_err(|_| EncodingError::Length { got: bytes.len(), expected: N })
}

/// A SHA-256 digest. In JSON: 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    /// The all-zero hash (a placeholder; height 1's `prev` is the genesis hash).
    pub const ZERO: Hash = Hash([0; 32]);

    /// SHA-256 of `bytes`.
    pub fn sha256(bytes: &[u8]) -> Hash {
        Hash(Sha256::digest(bytes).into())
    }

    /// SHA-256 of the concatenation of `parts`.
    pub fn sha256_parts(parts: &[&[u8]]) -> Hash {
        let mut h = Sha256::new();
        for p in parts {
            h.update(p);
        }
        Hash(h.finalize().into())
    }

    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parse 64 lowercase hex digits.
    pub fn from_hex(text: &str) -> Result<Hash, EncodingError> {
        if text.len() != 64 || !text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return Err(EncodingError::Hex { expected: 64 });
        }
        let mut out = [0u8; 32];
        hex::decode_to_slice(text, &mut out).map_err(|_| EncodingError::Hex { expected: 64 })?;
        Ok(Hash(out))
    }

    /// Padded standard base64 (as in checkpoints).
    pub fn to_b64(&self) -> String {
        b64_encode(&self.0)
    }

    /// Parse padded standard base64 of exactly 32 bytes.
    pub fn from_b64(text: &str) -> Result<Hash, EncodingError> {
        b64_decode_array::<32>(text).map(Hash)
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl Serialize for Hash {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Hash {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Hash::from_hex(&text).map_err(D::Error::custom)
    }
}

/// Variable-length bytes, base64 in JSON, at most `MAX` bytes.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Bytes<const MAX: usize>(pub Vec<u8>);

impl<const MAX: usize> fmt::Debug for Bytes<MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Bytes({} bytes)", self.0.len())
    }
}

impl<const MAX: usize> Serialize for Bytes<MAX> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&b64_encode(&self.0))
    }
}

impl<'de, const MAX: usize> Deserialize<'de> for Bytes<MAX> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        b64_decode(&text, MAX).map(Bytes).map_err(D::Error::custom)
    }
}

/// Fixed-length bytes, base64 in JSON.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fixed<const N: usize>(pub [u8; N]);

impl<const N: usize> fmt::Debug for Fixed<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", b64_encode(&self.0))
    }
}

impl<const N: usize> Serialize for Fixed<N> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&b64_encode(&self.0))
    }
}

impl<'de, const N: usize> Deserialize<'de> for Fixed<N> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        b64_decode_array::<N>(&text).map(Fixed).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_is_strict() {
        assert_eq!(b64_decode("AAE=", 8), Ok(vec![0, 1]));
        assert!(b64_decode("AAE", 8).is_err(), "missing padding");
        assert!(b64_decode("AAF=", 8).is_err(), "non-zero trailing bits");
        assert!(b64_decode("AA E=", 8).is_err(), "whitespace");
        assert!(b64_decode("AA-_", 8).is_err(), "url alphabet");
        assert!(matches!(b64_decode("AAAAAAAA", 3), Err(EncodingError::TooLong { .. })));
        assert!(matches!(b64_decode_array::<3>("AAE="), Err(EncodingError::Length { got: 2, expected: 3 })));
    }

    #[test]
    fn hex_is_strict() {
        let h = Hash::sha256(b"abc");
        assert_eq!(h.to_hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(Hash::from_hex(&h.to_hex()), Ok(h));
        assert!(Hash::from_hex(&h.to_hex().to_uppercase()).is_err());
        assert!(Hash::from_hex("ab").is_err());
        assert!(Hash::from_hex(&"g".repeat(64)).is_err());
    }
}
