//! Own the types Malachite's Tendermint runs on for Vouch: heights, validator addresses,
//! the proposed value (a block header hash), proposals, proposal parts, votes and the
//! validator set. How each is signed is in `signing`; how each travels is in `codec`.

use borsh::{BorshDeserialize, BorshSerialize};
use malachitebft_core_types::{
    self as mtypes, Context, NilOrVal, Round, SignedExtension, VoteType, VotingPower,
};
use std::fmt;
use vouch_core::encoding::Hash;
use vouch_core::keys::PublicKey;

use super::signing::VouchScheme;

/// Block height, from 1 (0 is "before genesis").
#[derive(
    Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, BorshSerialize, BorshDeserialize,
)]
pub struct Height(pub u64);

impl fmt::Display for Height {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl mtypes::Height for Height {
    const ZERO: Self = Height(0);
    const INITIAL: Self = Height(1);

    fn increment_by(&self, n: u64) -> Self {
        Height(self.0.saturating_add(n))
    }

    fn decrement_by(&self, n: u64) -> Option<Self> {
        self.0.checked_sub(n).map(Height)
    }

    fn as_u64(&self) -> u64 {
        self.0
    }
}

/// A validator's address: its Ed25519 consensus key.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, BorshSerialize, BorshDeserialize)]
pub struct Address(pub [u8; 32]);

impl Address {
    /// The address of a key.
    pub fn of(key: &PublicKey) -> Address {
        Address(key.to_bytes())
    }

    /// The key (validated when the address came from genesis; an address decoded from the
    /// wire is only ever compared with validator-set entries).
    pub fn key(&self) -> Option<PublicKey> {
        PublicKey::from_bytes(&self.0).ok()
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&vouch_core::encoding::b64_encode(&self.0))
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Address({self})")
    }
}

impl mtypes::Address for Address {}

/// The id of a proposed block: the hash of its header (`vouch-core` `Header::hash`).
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, BorshSerialize, BorshDeserialize)]
pub struct BlockId(pub [u8; 32]);

impl BlockId {
    /// As a `vouch-core` hash.
    pub fn hash(&self) -> Hash {
        Hash(self.0)
    }
}

impl From<Hash> for BlockId {
    fn from(h: Hash) -> Self {
        BlockId(h.0)
    }
}

impl fmt::Display for BlockId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for BlockId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlockId({})", hex::encode(&self.0[..8]))
    }
}

/// The value consensus decides: a block, named by its header hash. The block's header and
/// documents travel as proposal parts and are kept by the application.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, BorshSerialize, BorshDeserialize)]
pub struct BlockValue(pub BlockId);

impl mtypes::Value for BlockValue {
    type Id = BlockId;

    fn id(&self) -> BlockId {
        self.0
    }
}

/// A proposal: "at this height and round, `proposer` proposes the block `value`".
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Proposal {
    /// Height.
    pub height: Height,
    /// Round.
    pub round: Round,
    /// The block.
    pub value: BlockValue,
    /// Proof-of-lock round, or nil.
    pub pol_round: Round,
    /// The proposer.
    pub proposer: Address,
}

impl mtypes::Proposal<VouchContext> for Proposal {
    fn height(&self) -> Height {
        self.height
    }

    fn round(&self) -> Round {
        self.round
    }

    fn value(&self) -> &BlockValue {
        &self.value
    }

    fn take_value(self) -> BlockValue {
        self.value
    }

    fn pol_round(&self) -> Round {
        self.pol_round
    }

    fn validator_address(&self) -> &Address {
        &self.proposer
    }
}

/// One part of a streamed proposal. A stream is `Init`, then the header, then documents
/// in chunks, then the stream's `Fin` (a Malachite stream message, not a part).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum ProposalPart {
    /// Which proposal the stream carries.
    Init {
        /// Height.
        height: Height,
        /// Round.
        round: Round,
        /// Proof-of-lock round.
        pol_round: Round,
        /// Proposer.
        proposer: Address,
    },
    /// The block header, canonical JSON.
    Header(Vec<u8>),
    /// A run of documents, each the canonical bytes of an envelope, in ledger order.
    Documents(Vec<Vec<u8>>),
}

impl mtypes::ProposalPart<VouchContext> for ProposalPart {
    fn is_first(&self) -> bool {
        matches!(self, ProposalPart::Init { .. })
    }

    fn is_last(&self) -> bool {
        // The end of a stream is its `Fin` message.
        false
    }
}

/// A prevote or precommit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vote {
    /// Prevote or precommit.
    pub kind: VoteType,
    /// Height.
    pub height: Height,
    /// Round.
    pub round: Round,
    /// The block voted for, or nil.
    pub value: NilOrVal<BlockId>,
    /// The voter.
    pub validator: Address,
    /// Vote extension (unused by Vouch; always `None`).
    pub extension: Option<SignedExtension<VouchContext>>,
}

impl BorshSerialize for Vote {
    fn serialize<W: borsh::io::Write>(&self, w: &mut W) -> borsh::io::Result<()> {
        let kind: u8 = match self.kind {
            VoteType::Prevote => 0,
            VoteType::Precommit => 1,
        };
        kind.serialize(w)?;
        self.height.serialize(w)?;
        self.round.serialize(w)?;
        self.value.serialize(w)?;
        self.validator.serialize(w)
    }
}

impl BorshDeserialize for Vote {
    fn deserialize_reader<R: borsh::io::Read>(r: &mut R) -> borsh::io::Result<Self> {
        let kind = match u8::deserialize_reader(r)? {
            0 => VoteType::Prevote,
            1 => VoteType::Precommit,
            other => {
                return Err(borsh::io::Error::new(
                    borsh::io::ErrorKind::InvalidData,
                    format!("vote type {other} is not 0 (prevote) or 1 (precommit)"),
                ));
            }
        };
        Ok(Vote {
            kind,
            height: Height::deserialize_reader(r)?,
            round: Round::deserialize_reader(r)?,
            value: NilOrVal::deserialize_reader(r)?,
            validator: Address::deserialize_reader(r)?,
            extension: None,
        })
    }
}

impl mtypes::Vote<VouchContext> for Vote {
    fn height(&self) -> Height {
        self.height
    }

    fn round(&self) -> Round {
        self.round
    }

    fn value(&self) -> &NilOrVal<BlockId> {
        &self.value
    }

    fn take_value(self) -> NilOrVal<BlockId> {
        self.value
    }

    fn vote_type(&self) -> VoteType {
        self.kind
    }

    fn validator_address(&self) -> &Address {
        &self.validator
    }

    fn extension(&self) -> Option<&SignedExtension<VouchContext>> {
        self.extension.as_ref()
    }

    fn take_extension(&mut self) -> Option<SignedExtension<VouchContext>> {
        self.extension.take()
    }

    fn extend(self, extension: SignedExtension<VouchContext>) -> Self {
        Vote { extension: Some(extension), ..self }
    }
}

/// A validator: address, key and voting power, from genesis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Validator {
    /// Address (the key's bytes).
    pub address: Address,
    /// Consensus key.
    pub key: PublicKey,
    /// Voting power.
    pub power: VotingPower,
}

impl mtypes::Validator<VouchContext> for Validator {
    fn address(&self) -> &Address {
        &self.address
    }

    fn public_key(&self) -> &PublicKey {
        &self.key
    }

    fn voting_power(&self) -> VotingPower {
        self.power
    }
}

/// The validator set, sorted by address so every node indexes it the same way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidatorSet {
    /// Validators, sorted by address.
    pub validators: Vec<Validator>,
}

impl ValidatorSet {
    /// The set from genesis.
    pub fn from_genesis(genesis: &vouch_core::genesis::Genesis) -> ValidatorSet {
        let mut validators: Vec<Validator> = genesis
            .validators()
            .into_iter()
            .map(|v| Validator { address: Address::of(&v.key), key: v.key, power: v.power })
            .collect();
        validators.sort_by_key(|v| v.address);
        ValidatorSet { validators }
    }
}

impl mtypes::ValidatorSet<VouchContext> for ValidatorSet {
    fn count(&self) -> usize {
        self.validators.len()
    }

    fn total_voting_power(&self) -> VotingPower {
        self.validators.iter().fold(0u64, |acc, v| acc.saturating_add(v.power))
    }

    fn get_by_address(&self, address: &Address) -> Option<&Validator> {
        self.validators.iter().find(|v| &v.address == address)
    }

    fn get_by_index(&self, index: usize) -> Option<&Validator> {
        self.validators.get(index)
    }
}

/// Vouch's consensus context.
#[derive(Clone, Debug, Default)]
pub struct VouchContext;

impl Context for VouchContext {
    type Address = Address;
    type Height = Height;
    type ProposalPart = ProposalPart;
    type Proposal = Proposal;
    type Validator = Validator;
    type ValidatorSet = ValidatorSet;
    type Timeouts = mtypes::LinearTimeouts;
    type Value = BlockValue;
    type Vote = Vote;
    type Extension = Vec<u8>;
    type SigningScheme = VouchScheme;

    /// Round-robin over validators sorted by address, weighted by voting power: position
    /// `(height + round) mod total power` on the line of validators laid end to end.
    fn select_proposer<'a>(&self, set: &'a ValidatorSet, height: Height, round: Round) -> &'a Validator {
        let total = mtypes::ValidatorSet::<VouchContext>::total_voting_power(set).max(1);
        let r = u64::from(round.as_u32().unwrap_or(0));
        let mut slot = height.0.wrapping_add(r) % total;
        for v in &set.validators {
            if slot < v.power {
                return v;
            }
            slot -= v.power;
        }
        // Genesis guarantees at least one validator (R-GEN-4).
        #[allow(clippy::indexing_slicing)]
        &set.validators[0]
    }

    fn new_proposal(
        &self,
        height: Height,
        round: Round,
        value: BlockValue,
        pol_round: Round,
        address: Address,
    ) -> Proposal {
        Proposal { height, round, value, pol_round, proposer: address }
    }

    fn new_prevote(&self, height: Height, round: Round, value: NilOrVal<BlockId>, address: Address) -> Vote {
        Vote { kind: VoteType::Prevote, height, round, value, validator: address, extension: None }
    }

    fn new_precommit(
        &self,
        height: Height,
        round: Round,
        value: NilOrVal<BlockId>,
        address: Address,
    ) -> Vote {
        Vote { kind: VoteType::Precommit, height, round, value, validator: address, extension: None }
    }
}
