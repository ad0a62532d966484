//! Identifiers: organization ids, person ids, client references and network ids.
//!
//! Identifiers appear in clear on the ledger and inside signed bytes, so each has one
//! spelling: lowercase ASCII letters, digits and `-`, starting with a letter or digit,
//! at most `limits::ID_BYTES_MAX` bytes. A network id, which is also the C2SP checkpoint
//! origin, may in addition contain `.`, `/`, `_` and `:`.

use crate::limits::{ID_BYTES_MAX, NETWORK_ID_BYTES_MAX};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Why an identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// Empty, too long, or a character outside the allowed set.
    #[error(
        "R-ID-1: invalid {what} {got:?}: expected 1 to {max} bytes of [a-z0-9-] (network ids also . / _ :), starting with [a-z0-9]"
    )]
    Invalid {
        /// Which kind of identifier.
        what: &'static str,
        /// The text (truncated).
        got: String,
        /// The length limit.
        max: usize,
    },
}

fn check(what: &'static str, text: &str, max: usize, extra: &[u8]) -> Result<(), IdError> {
    let ok_byte = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || extra.contains(&b);
    let first_ok = text.bytes().next().is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if text.is_empty() || text.len() > max || !first_ok || !text.bytes().all(ok_byte) {
        return Err(IdError::Invalid { what, got: text.chars().take(80).collect(), max });
    }
    Ok(())
}

macro_rules! id_type {
    ($name:ident, $what:literal, $max:expr, $extra:expr, $doc:literal) => {
        #[doc = $doc]
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// Parse and check.
            pub fn new(text: &str) -> Result<Self, IdError> {
                check($what, text, $max, $extra)?;
                Ok($name(text.to_string()))
            }

            /// The text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{:?}", self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                $name::new(&text).map_err(D::Error::custom)
            }
        }
    };
}

id_type!(OrgId, "organization id", ID_BYTES_MAX, &[], "A member organization's id, e.g. `bank-icbc-sh`.");
id_type!(PersonId, "person id", ID_BYTES_MAX, &[], "A person's id within an organization, e.g. `zhang-san`.");
id_type!(
    ClientRef,
    "client reference",
    ID_BYTES_MAX,
    &[],
    "A bank's pseudonymous reference for one of its clients, e.g. `c-7f3a9e`."
);
id_type!(
    NetworkId,
    "network id",
    NETWORK_ID_BYTES_MAX,
    b"./_:",
    "A network's id, also its checkpoint origin, e.g. `vouch.example/cn-demo`."
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_one_spelling() {
        assert!(OrgId::new("bank-a").is_ok());
        for bad in ["", "-a", "Bank", "bank a", "bank_a", "银行", &"a".repeat(65)] {
            assert!(OrgId::new(bad).is_err(), "{bad}");
        }
        assert!(NetworkId::new("vouch.example/cn-demo").is_ok());
        assert!(NetworkId::new("vouch.example/cn demo").is_err());
        assert!(NetworkId::new("/x").is_err());
    }
}
