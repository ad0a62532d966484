//! Produce and check RFC 8785 (JCS) canonical JSON, the only form signed objects take.
//!
//! Every signed or hashed JSON object in Vouch is exchanged in its canonical form. A
//! decoder therefore parses the bytes, re-encodes what it parsed, and refuses the input
//! unless the two are identical. This removes every ambiguity an outside verifier could
//! trip on (key order, whitespace, escapes, number spellings, duplicate keys, unknown
//! fields, explicit `null`s for absent fields): the bytes received are the bytes hashed.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Why bytes are not an acceptable canonical JSON object of the expected type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CanonicalError {
    /// Longer than the limit; refused before parsing.
    #[error("{what} is {got} bytes, over the limit of {max} bytes")]
    TooLarge {
        /// What was being decoded.
        what: &'static str,
        /// Size seen.
        got: usize,
        /// The limit.
        max: usize,
    },
    /// Not JSON, or not of the expected shape (a missing, unknown or mistyped field).
    #[error("{what} is not valid: {detail}")]
    Invalid {
        /// What was being decoded.
        what: &'static str,
        /// The parser's message (line, column and field).
        detail: String,
    },
    /// Valid, but not in RFC 8785 canonical form.
    #[error("{what} is not in RFC 8785 canonical form (first difference at byte {offset})")]
    NotCanonical {
        /// What was being decoded.
        what: &'static str,
        /// Offset of the first byte that differs from the canonical encoding.
        offset: usize,
    },
}

/// Encode `value` as RFC 8785 canonical JSON.
///
/// Our types contain only strings, booleans, integers below 2^53, arrays and objects,
/// which always serialize; a failure here is a bug in this crate, not bad input.
pub fn to_canonical<T: Serialize>(value: &T) -> Vec<u8> {
    match serde_json_canonicalizer::to_vec(value) {
        Ok(bytes) => bytes,
        // Unreachable for our types: no maps with non-string keys, no NaN floats.
        Err(e) => unreachable_serialization(e),
    }
}

/// Append `value`'s RFC 8785 encoding to `out` (saves a copy where a prefix comes first).
pub fn append_canonical<T: Serialize>(out: &mut Vec<u8>, value: &T) {
    if let Err(e) = serde_json_canonicalizer::to_writer(value, out) {
        unreachable_serialization(e)
    }
}

#[cold]
#[allow(clippy::panic)]
fn unreachable_serialization(e: serde_json::Error) -> ! {
    panic!("canonical JSON serialization failed for an in-crate type: {e}")
}

/// Parse `bytes` as a `T` and require them to be `T`'s canonical encoding.
pub fn from_canonical<T: Serialize + DeserializeOwned>(
    what: &'static str,
    bytes: &[u8],
    max_bytes: usize,
) -> Result<T, CanonicalError> {
    let value = from_json::<T>(what, bytes, max_bytes)?;
    let canonical = to_canonical(&value);
    if canonical != bytes {
        let offset =
            canonical.iter().zip(bytes).position(|(a, b)| a != b).unwrap_or(canonical.len().min(bytes.len()));
        return Err(CanonicalError::NotCanonical { what, offset });
    }
    Ok(value)
}

/// Parse `bytes` as a `T` in any JSON spelling (for files people edit, such as a
/// genesis draft), still bounded by `max_bytes` and refusing unknown fields.
pub fn from_json<T: DeserializeOwned>(
    what: &'static str,
    bytes: &[u8],
    max_bytes: usize,
) -> Result<T, CanonicalError> {
    if bytes.len() > max_bytes {
        return Err(CanonicalError::TooLarge { what, got: bytes.len(), max: max_bytes });
    }
    serde_json::from_slice(bytes).map_err(|e| CanonicalError::Invalid { what, detail: e.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct T {
        b: u64,
        a: String,
    }

    #[test]
    fn canonical_roundtrip() {
        let t = T { b: 1, a: "x".into() };
        let bytes = to_canonical(&t);
        assert_eq!(bytes, br#"{"a":"x","b":1}"#);
        assert_eq!(from_canonical::<T>("t", &bytes, 100), Ok(t));
    }

    #[test]
    fn refuses_non_canonical_spellings() {
        for bad in [
            &br#"{"b":1,"a":"x"}"#[..],
            br#"{"a":"x", "b":1}"#,
            br#"{"a":"\u0078","b":1}"#,
            br#"{"a":"x","b":1.0}"#,
            br#"{"a":"x","b":1} "#,
        ] {
            assert!(from_canonical::<T>("t", bad, 100).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        assert!(matches!(
            from_canonical::<T>("t", br#"{"a":"x","b":1,"c":2}"#, 100),
            Err(CanonicalError::Invalid { .. })
        ));
        assert!(matches!(
            from_canonical::<T>("t", br#"{"a":"x","a":"y","b":1}"#, 100),
            Err(CanonicalError::Invalid { .. })
        ));
        assert!(matches!(
            from_canonical::<T>("t", br#"{"a":"x","b":1}"#, 5),
            Err(CanonicalError::TooLarge { .. })
        ));
        assert!(matches!(
            from_canonical::<T>("t", br#"{"a":"x","b"#, 100),
            Err(CanonicalError::Invalid { .. })
        ));
    }
}
