//! Own the domain-separation constants: one per signing or hashing purpose.
//!
//! Every signature in Vouch is over `DOMAIN || message`, where `DOMAIN` is one of the
//! constants below (ASCII, ending in a newline). A signature made for one purpose can
//! therefore never be replayed as another. Changing a constant is a protocol change
//! (`docs/PROTOCOL.md` §Domain separation).

/// A domain-separation prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Domain(pub &'static str);

impl Domain {
    /// The prefix bytes.
    pub fn bytes(&self) -> &'static [u8] {
        self.0.as_bytes()
    }

    /// `DOMAIN || message`, the exact bytes signed or hashed.
    pub fn prefix(&self, message: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.0.len() + message.len());
        out.extend_from_slice(self.0.as_bytes());
        out.extend_from_slice(message);
        out
    }
}

/// Author's and checker's signature over a document envelope (see `envelope`).
pub const ENVELOPE_SIGNATURE: Domain = Domain("vouch-v1/envelope-signature\n");
/// A validator's precommit vote, whose signatures form a block's commit certificate.
pub const PRECOMMIT_VOTE: Domain = Domain("vouch-v1/precommit\n");
/// A consensus message other than a precommit for a block: a prevote, a precommit for
/// nil, or a proposal (see `docs/PROTOCOL.md` §Consensus messages).
pub const CONSENSUS_MESSAGE: Domain = Domain("vouch-v1/consensus-message\n");
/// A node's statement binding its p2p identity to its consensus key.
pub const PEER_BINDING: Domain = Domain("vouch-v1/peer-binding\n");
/// Hash of a block header.
pub const BLOCK_HEADER_HASH: Domain = Domain("vouch-v1/block-header\n");
/// Hash of a validator set.
pub const VALIDATOR_SET_HASH: Domain = Domain("vouch-v1/validator-set\n");
/// Hash of a genesis document.
pub const GENESIS_HASH: Domain = Domain("vouch-v1/genesis\n");
/// Salted commitment to confidential contents.
pub const CONTENT_COMMITMENT: Domain = Domain("vouch-v1/content-commitment\n");
/// HPKE `info` when wrapping a content key for a recipient.
pub const CONTENT_KEY_WRAP: Domain = Domain("vouch-v1/content-key-wrap\n");
