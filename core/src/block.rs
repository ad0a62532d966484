//! Block headers, commit certificates and the validator set.
use crate::keys::PublicKey;
use serde::{Deserialize, Serialize};

/// A validator as blocks and checkpoints see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Validator {
    /// C2SP cosigner name, `<network>/<org id>`.
    pub name: String,
    /// Consensus key.
    pub key: PublicKey,
    /// Voting power.
    pub power: u64,
}
