//! TEMPORARY stand-in for sealing (replaced by the crypto branch).
#![allow(missing_docs)]
use crate::encoding::{Bytes, Fixed, Hash};
use crate::limits::CIPHERTEXT_BYTES_MAX;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WrappedKey {
    pub enc: Fixed<32>,
    pub ct: Fixed<48>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipient {
    pub to: String,
    pub key: WrappedKey,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sealed {
    pub commitment: Hash,
    pub ciphertext: Bytes<CIPHERTEXT_BYTES_MAX>,
    pub recipients: Vec<Recipient>,
}
