//! Own the form of equivocation evidence: each pair of conflicting signed consensus
//! messages the engine reports becomes one self-contained JSON record
//! (`docs/PROTOCOL.md` §12.5) that an examiner checks with the validator's public key
//! alone: both signatures verify over `domain || message`, and the two messages are for
//! the same height, round and step with different contents.

use malachitebft_app_channel::app::types::core::SignedMessage;
use malachitebft_core_consensus::MisbehaviorEvidence;
use serde::Serialize;
use vouch_core::domain::{CONSENSUS_MESSAGE, Domain};
use vouch_core::encoding::b64_encode;
use vouch_core::ids::NetworkId;

use crate::consensus::signing::{proposal_bytes, signed_vote};
use crate::consensus::types::{Address, VouchContext};

/// One signed message of a conflicting pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignedPart {
    /// The domain-separation prefix, as text (it ends in a newline).
    pub domain: &'static str,
    /// The message after the domain, base64: JCS text (§12.4, or §12.3 for a precommit).
    pub message: String,
    /// The Ed25519 signature over `domain || message`, base64.
    pub signature: String,
}

/// Two conflicting signed messages from one validator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Equivocation {
    /// `double-proposal` or `double-vote`.
    pub kind: &'static str,
    /// The validator's consensus key, base64.
    pub validator: String,
    /// Height of both messages.
    pub height: u64,
    /// Round of both messages.
    pub round: i64,
    /// The first message seen.
    pub first: SignedPart,
    /// The conflicting one.
    pub second: SignedPart,
}

fn part(domain: Domain, message: &[u8], signature: &[u8]) -> SignedPart {
    SignedPart { domain: domain.0, message: b64_encode(message), signature: b64_encode(signature) }
}

/// Every conflicting pair in `evidence`, for the validators in `validators`.
pub fn equivocations(
    network: &NetworkId,
    validators: &[Address],
    evidence: &MisbehaviorEvidence<VouchContext>,
) -> Vec<Equivocation> {
    let mut out = Vec::new();
    for address in validators {
        for (a, b) in evidence.proposals.get(address).into_iter().flatten() {
            // Malachite can report a pair whose signed bytes are the same (twins
            // re-proposing one locked value): that proves nothing, so it is not recorded.
            if proposal_bytes(network, &a.message) == proposal_bytes(network, &b.message) {
                continue;
            }
            out.push(Equivocation {
                kind: "double-proposal",
                validator: address.to_string(),
                height: a.message.height.0,
                round: a.message.round.as_i64(),
                first: proposal_part(network, a),
                second: proposal_part(network, b),
            });
        }
        for (a, b) in evidence.votes.get(address).into_iter().flatten() {
            let (da, ma) = signed_vote(network, &a.message);
            let (db, mb) = signed_vote(network, &b.message);
            if (da.0, &ma) == (db.0, &mb) {
                continue;
            }
            out.push(Equivocation {
                kind: "double-vote",
                validator: address.to_string(),
                height: a.message.height.0,
                round: a.message.round.as_i64(),
                first: part(da, &ma, &a.signature.0),
                second: part(db, &mb, &b.signature.0),
            });
        }
    }
    out
}

fn proposal_part(
    network: &NetworkId,
    p: &SignedMessage<VouchContext, crate::consensus::types::Proposal>,
) -> SignedPart {
    part(CONSENSUS_MESSAGE, &proposal_bytes(network, &p.message), &p.signature.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consensus::signing::Sig;
    use crate::consensus::types::{BlockId, BlockValue, Height, Proposal, Vote};
    use malachitebft_core_types::{NilOrVal, Round, VoteType};
    use vouch_core::block::{sign_consensus_message, sign_precommit};
    use vouch_core::domain::PRECOMMIT_VOTE;
    use vouch_core::encoding::{b64_decode, b64_decode_array};
    use vouch_core::keys::{PublicKey, Signature, SigningKey};

    fn network() -> NetworkId {
        NetworkId::new("evidence-test").expect("network id")
    }

    fn vote(kind: VoteType, value: NilOrVal<BlockId>, who: Address) -> Vote {
        Vote { kind, height: Height(7), round: Round::new(2), value, validator: who, extension: None }
    }

    fn sign_vote(key: &SigningKey, v: Vote) -> SignedMessage<VouchContext, Vote> {
        let sig = match (v.kind, &v.value) {
            (VoteType::Precommit, NilOrVal::Val(id)) => sign_precommit(key, &network(), 7, 2, &id.hash()),
            _ => sign_consensus_message(key, &signed_vote(&network(), &v).1),
        };
        SignedMessage::new(v, Sig::from(sig))
    }

    fn sign_proposal(key: &SigningKey, p: Proposal) -> SignedMessage<VouchContext, Proposal> {
        let message = proposal_bytes(&network(), &p);
        SignedMessage::new(p, Sig::from(sign_consensus_message(key, &message)))
    }

    /// What an examiner does with a record (R-EVID-1..3), from the JSON and the key only.
    fn examine(json: &str) -> Result<(), String> {
        let e: serde_json::Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let key =
            PublicKey::from_b64(e["validator"].as_str().unwrap_or_default()).map_err(|e| e.to_string())?;
        let mut seen = Vec::new();
        for side in ["first", "second"] {
            let part = &e[side];
            let domain = match part["domain"].as_str() {
                Some(d) if d == PRECOMMIT_VOTE.0 => PRECOMMIT_VOTE,
                Some(d) if d == CONSENSUS_MESSAGE.0 => CONSENSUS_MESSAGE,
                other => return Err(format!("unknown domain {other:?}")),
            };
            let message =
                b64_decode(part["message"].as_str().unwrap_or_default(), 4096).map_err(|e| e.to_string())?;
            let sig = Signature(
                b64_decode_array(part["signature"].as_str().unwrap_or_default())
                    .map_err(|e| e.to_string())?,
            );
            key.verify(domain, &message, &sig).map_err(|e| format!("{side}: {e}"))?;
            let m: serde_json::Value = serde_json::from_slice(&message).map_err(|e| e.to_string())?;
            if m["height"] != e["height"] || m["round"] != e["round"] {
                return Err(format!("{side} is for another height or round"));
            }
            seen.push(message);
        }
        if seen[0] == seen[1] { Err("the two messages are the same".into()) } else { Ok(()) }
    }

    #[test]
    fn conflicting_votes_and_proposals_become_checkable_records() {
        let key = SigningKey::from_seed(&[7; 32]);
        let honest = SigningKey::from_seed(&[8; 32]);
        let who = Address::of(&key.public());
        let (a, b) = (BlockId([1; 32]), BlockId([2; 32]));
        let mut evidence =
            MisbehaviorEvidence::<VouchContext> { proposals: Default::default(), votes: Default::default() };
        // Prevote for a block against prevote for nil; precommit for one block against
        // another (both under the precommit domain); two proposals.
        evidence.votes.add(
            sign_vote(&key, vote(VoteType::Prevote, NilOrVal::Val(a), who)),
            sign_vote(&key, vote(VoteType::Prevote, NilOrVal::Nil, who)),
        );
        evidence.votes.add(
            sign_vote(&key, vote(VoteType::Precommit, NilOrVal::Val(a), who)),
            sign_vote(&key, vote(VoteType::Precommit, NilOrVal::Val(b), who)),
        );
        let proposal = |v| Proposal {
            height: Height(7),
            round: Round::new(2),
            value: BlockValue(v),
            pol_round: Round::Nil,
            proposer: who,
        };
        evidence.proposals.add(sign_proposal(&key, proposal(a)), sign_proposal(&key, proposal(b)));
        // A pair of the same signed bytes (seen from twins re-proposing a locked value in
        // the twins test) proves nothing and gives no record.
        let other = SigningKey::from_seed(&[9; 32]);
        let twin = Address::of(&other.public());
        let same = |k: &SigningKey| {
            sign_proposal(
                k,
                Proposal {
                    height: Height(7),
                    round: Round::new(4),
                    value: BlockValue(a),
                    pol_round: Round::new(0),
                    proposer: twin,
                },
            )
        };
        evidence.proposals.add(same(&other), same(&other));
        evidence.votes.add(
            sign_vote(&other, vote(VoteType::Prevote, NilOrVal::Val(a), twin)),
            sign_vote(&other, vote(VoteType::Prevote, NilOrVal::Val(a), twin)),
        );

        let validators = [Address::of(&honest.public()), who, twin];
        let records = equivocations(&network(), &validators, &evidence);
        assert_eq!(
            records.iter().map(|r| r.kind).collect::<Vec<_>>(),
            ["double-proposal", "double-vote", "double-vote"]
        );
        for r in &records {
            assert_eq!(r.validator, key.public().to_b64());
            assert_eq!((r.height, r.round), (7, 2));
            let json = serde_json::to_string(r).expect("json");
            examine(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
        }
        assert_eq!(records[2].first.domain, PRECOMMIT_VOTE.0);

        // The examiner refuses a record whose signature was made by another key, and one
        // whose two messages are the same.
        let mut forged = records[1].clone();
        forged.validator = honest.public().to_b64();
        assert!(examine(&serde_json::to_string(&forged).expect("json")).is_err());
        let mut same = records[1].clone();
        same.second = same.first.clone();
        assert!(examine(&serde_json::to_string(&same).expect("json")).is_err());
    }
}
