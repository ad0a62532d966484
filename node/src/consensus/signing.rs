//! Own what consensus signs and how: the signing scheme Malachite sees, the exact bytes of
//! each consensus message (`docs/PROTOCOL.md` §Consensus messages), and the signer that
//! consults the durable signing guard before every vote and proposal.
//!
//! A precommit for a block is signed over `vouch-core`'s precommit bytes, so the commit
//! certificate Malachite assembles is, signature for signature, the block certificate an
//! offline verifier checks.

use async_trait::async_trait;
use malachitebft_app_channel::{Signer, Verifier};
use malachitebft_core_types::{
    NilOrVal, Round, SignedExtension, SignedMessage, SigningScheme, ValidatorProof, VoteExtensionScope,
    VoteType,
};
use malachitebft_signing::{Error as SigningError, VerificationResult};
use serde::Serialize;
use std::fmt;
use std::sync::Arc;
use vouch_core::block::{
    precommit_bytes, sign_consensus_message, sign_peer_binding, sign_precommit, verify_consensus_message,
    verify_peer_binding, verify_precommit,
};
use vouch_core::domain::{CONSENSUS_MESSAGE, Domain, PRECOMMIT_VOTE};
use vouch_core::encoding::Hash;
use vouch_core::ids::NetworkId;
use vouch_core::keys::{PublicKey, Signature, SigningKey};

use super::types::{BlockId, Proposal, Vote, VouchContext};
use crate::guard::{Guard, Step};

/// A 64-byte Ed25519 signature, ordered by its bytes (Malachite needs `Ord`).
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub struct Sig(pub [u8; 64]);

impl fmt::Debug for Sig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sig({})", hex::encode(&self.0[..8]))
    }
}

impl From<Signature> for Sig {
    fn from(s: Signature) -> Self {
        Sig(s.0)
    }
}

impl Sig {
    /// As a `vouch-core` signature.
    pub fn signature(&self) -> Signature {
        Signature(self.0)
    }
}

/// Why bytes are not a key or a signature.
#[derive(Debug, Clone, thiserror::Error)]
pub enum DecodingError {
    /// Wrong length or not a valid (canonical, non-weak) Ed25519 key.
    #[error("{0}")]
    Invalid(&'static str),
}

/// Ed25519 with `verify_strict`, over Vouch's domain-separated bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VouchScheme;

impl SigningScheme for VouchScheme {
    type DecodingError = DecodingError;
    type Signature = Sig;
    type PublicKey = PublicKey;
    type PrivateKey = SigningKey;

    fn decode_signature(bytes: &[u8]) -> Result<Sig, DecodingError> {
        <[u8; 64]>::try_from(bytes).map(Sig).map_err(|_| DecodingError::Invalid("signature is not 64 bytes"))
    }

    fn encode_signature(signature: &Sig) -> Vec<u8> {
        signature.0.to_vec()
    }

    fn decode_public_key(bytes: &[u8]) -> Result<PublicKey, DecodingError> {
        let arr =
            <[u8; 32]>::try_from(bytes).map_err(|_| DecodingError::Invalid("public key is not 32 bytes"))?;
        PublicKey::from_bytes(&arr).map_err(|_| DecodingError::Invalid("not a valid Ed25519 public key"))
    }

    fn encode_public_key(public_key: &PublicKey) -> Vec<u8> {
        public_key.to_bytes().to_vec()
    }
}

fn round_i64(r: Round) -> i64 {
    r.as_i64()
}

#[derive(Serialize)]
struct ProposalMessage<'a> {
    height: u64,
    kind: &'static str,
    network: &'a NetworkId,
    pol_round: i64,
    proposer: String,
    round: i64,
    value: Hash,
}

#[derive(Serialize)]
struct VoteMessage<'a> {
    height: u64,
    kind: &'static str,
    network: &'a NetworkId,
    round: i64,
    validator: String,
    value: Option<Hash>,
}

#[derive(Serialize)]
struct ExtensionMessage<'a> {
    extension: String,
    height: u64,
    kind: &'static str,
    network: &'a NetworkId,
    round: i64,
    validator: String,
    value: Hash,
}

/// The JCS message a proposal signature covers (after the consensus-message domain).
pub fn proposal_bytes(network: &NetworkId, p: &Proposal) -> Vec<u8> {
    vouch_core::canonical::to_canonical(&ProposalMessage {
        height: p.height.0,
        kind: "proposal",
        network,
        pol_round: round_i64(p.pol_round),
        proposer: p.proposer.to_string(),
        round: round_i64(p.round),
        value: p.value.0.hash(),
    })
}

/// How a vote is signed: a precommit for a block uses `vouch-core`'s precommit bytes;
/// everything else the consensus-message bytes.
enum VoteBytes {
    Precommit { height: u64, round: u32, header: Hash },
    Message(Vec<u8>),
}

fn vote_bytes(network: &NetworkId, v: &Vote) -> VoteBytes {
    if let (VoteType::Precommit, NilOrVal::Val(id), Some(round)) = (v.kind, &v.value, v.round.as_u32()) {
        return VoteBytes::Precommit { height: v.height.0, round, header: id.hash() };
    }
    VoteBytes::Message(vouch_core::canonical::to_canonical(&VoteMessage {
        height: v.height.0,
        kind: match v.kind {
            VoteType::Prevote => "prevote",
            VoteType::Precommit => "precommit",
        },
        network,
        round: round_i64(v.round),
        validator: v.validator.to_string(),
        value: match &v.value {
            NilOrVal::Nil => None,
            NilOrVal::Val(id) => Some(id.hash()),
        },
    }))
}

/// The domain and message a vote signature covers, as `docs/PROTOCOL.md` §12.4 defines
/// them: what an examiner needs to check a vote without our code.
pub fn signed_vote(network: &NetworkId, v: &Vote) -> (Domain, Vec<u8>) {
    match vote_bytes(network, v) {
        VoteBytes::Precommit { height, round, header } => {
            (PRECOMMIT_VOTE, precommit_bytes(network, height, round, &header))
        }
        VoteBytes::Message(m) => (CONSENSUS_MESSAGE, m),
    }
}

fn extension_bytes(network: &NetworkId, scope: &VoteExtensionScope<VouchContext>, ext: &[u8]) -> Vec<u8> {
    vouch_core::canonical::to_canonical(&ExtensionMessage {
        extension: vouch_core::encoding::b64_encode(ext),
        height: scope.height.0,
        kind: "extension",
        network,
        round: round_i64(scope.round),
        validator: scope.validator_address.to_string(),
        value: scope.value_id.hash(),
    })
}

/// Peer-binding bytes: Malachite's validator-proof preimage.
fn binding_bytes(public_key: &[u8], peer_id: &[u8]) -> Vec<u8> {
    ValidatorProof::<VouchContext>::signing_bytes(public_key, peer_id)
}

/// Verifies consensus signatures against the network's bytes.
#[derive(Clone)]
pub struct VouchVerifier {
    network: NetworkId,
}

impl VouchVerifier {
    /// For `network`.
    pub fn new(network: NetworkId) -> Self {
        VouchVerifier { network }
    }

    /// Check a vote signature (used by the engine and by tests).
    pub fn vote_ok(&self, vote: &Vote, sig: &Sig, key: &PublicKey) -> bool {
        match vote_bytes(&self.network, vote) {
            VoteBytes::Precommit { height, round, header } => {
                verify_precommit(key, &self.network, height, round, &header, &sig.signature())
            }
            VoteBytes::Message(m) => verify_consensus_message(key, &m, &sig.signature()),
        }
    }
}

#[async_trait]
impl Verifier<VouchContext> for VouchVerifier {
    async fn verify_signed_vote(
        &self,
        vote: &Vote,
        signature: &Sig,
        public_key: &PublicKey,
    ) -> Result<VerificationResult, SigningError> {
        Ok(VerificationResult::from_bool(self.vote_ok(vote, signature, public_key)))
    }

    async fn verify_signed_proposal(
        &self,
        proposal: &Proposal,
        signature: &Sig,
        public_key: &PublicKey,
    ) -> Result<VerificationResult, SigningError> {
        let m = proposal_bytes(&self.network, proposal);
        Ok(VerificationResult::from_bool(verify_consensus_message(public_key, &m, &signature.signature())))
    }

    async fn verify_signed_vote_extension(
        &self,
        scope: &VoteExtensionScope<VouchContext>,
        extension: &Vec<u8>,
        signature: &Sig,
        public_key: &PublicKey,
    ) -> Result<VerificationResult, SigningError> {
        let m = extension_bytes(&self.network, scope, extension);
        Ok(VerificationResult::from_bool(verify_consensus_message(public_key, &m, &signature.signature())))
    }

    async fn verify_validator_proof(
        &self,
        proof: &ValidatorProof<VouchContext>,
    ) -> Result<VerificationResult, SigningError> {
        let Ok(key) = VouchScheme::decode_public_key(&proof.public_key) else {
            return Ok(VerificationResult::Invalid);
        };
        let m = binding_bytes(&proof.public_key, &proof.peer_id);
        Ok(VerificationResult::from_bool(verify_peer_binding(&key, &m, &proof.signature.signature())))
    }
}

/// Signs consensus messages with the node's key, after recording each in the signing
/// guard so that the key never signs two different messages for one height, round and
/// step, nor anything below what it signed before — across crashes and data wipes.
#[derive(Clone)]
pub struct VouchSigner {
    network: NetworkId,
    key: SigningKey,
    guard: Arc<Guard>,
}

impl VouchSigner {
    /// A signer for `network` with `key`, guarded by `guard`.
    pub fn new(network: NetworkId, key: SigningKey, guard: Arc<Guard>) -> Self {
        VouchSigner { network, key, guard }
    }

    fn guarded(
        &self,
        height: u64,
        round: Round,
        step: Step,
        what: &[u8],
        sign: impl FnOnce() -> Signature,
    ) -> Result<Sig, SigningError> {
        let digest = Hash::sha256(what);
        self.guard
            .sign_once(height, round_i64(round), step, &digest, || Sig::from(sign()))
            .map_err(SigningError::from_source)
    }
}

#[async_trait]
impl Signer<VouchContext> for VouchSigner {
    async fn sign_vote(&self, vote: Vote) -> Result<SignedMessage<VouchContext, Vote>, SigningError> {
        let step = match vote.kind {
            VoteType::Prevote => Step::Prevote,
            VoteType::Precommit => Step::Precommit,
        };
        let sig = match vote_bytes(&self.network, &vote) {
            VoteBytes::Precommit { height, round, header } => {
                let mut what = b"precommit".to_vec();
                what.extend_from_slice(&header.0);
                let sig = self.guarded(vote.height.0, vote.round, step, &what, || {
                    sign_precommit(&self.key, &self.network, height, round, &header)
                })?;
                crate::faults::crash_after(crate::faults::Point::Precommit);
                sig
            }
            VoteBytes::Message(m) => {
                self.guarded(vote.height.0, vote.round, step, &m, || sign_consensus_message(&self.key, &m))?
            }
        };
        Ok(SignedMessage::new(vote, sig))
    }

    async fn sign_proposal(
        &self,
        proposal: Proposal,
    ) -> Result<SignedMessage<VouchContext, Proposal>, SigningError> {
        let m = proposal_bytes(&self.network, &proposal);
        let sig = self.guarded(proposal.height.0, proposal.round, Step::Propose, &m, || {
            sign_consensus_message(&self.key, &m)
        })?;
        Ok(SignedMessage::new(proposal, sig))
    }

    async fn sign_vote_extension(
        &self,
        scope: VoteExtensionScope<VouchContext>,
        extension: Vec<u8>,
    ) -> Result<SignedExtension<VouchContext>, SigningError> {
        // Vouch does not use vote extensions; sign them under their own kind so a signature
        // here can never stand for a vote or proposal.
        let m = extension_bytes(&self.network, &scope, &extension);
        let sig = Sig::from(sign_consensus_message(&self.key, &m));
        Ok(SignedMessage::new(extension, sig))
    }

    async fn sign_validator_proof(
        &self,
        public_key: Vec<u8>,
        peer_id: Vec<u8>,
    ) -> Result<ValidatorProof<VouchContext>, SigningError> {
        let m = binding_bytes(&public_key, &peer_id);
        let sig = Sig::from(sign_peer_binding(&self.key, &m));
        Ok(ValidatorProof::new(public_key, peer_id, sig))
    }
}

/// The block id a signed precommit commits to, if it is a precommit for a block.
pub fn precommit_target(v: &Vote) -> Option<BlockId> {
    match (&v.kind, &v.value) {
        (VoteType::Precommit, NilOrVal::Val(id)) => Some(*id),
        _ => None,
    }
}
