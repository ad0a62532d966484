//! Own the wire and write-ahead-log encoding of consensus messages: Borsh, using the
//! encodings Malachite ships for its own types and ours for Vouch's.
//!
//! Nothing here is signed or hashed: signatures cover the JCS bytes defined in `signing`,
//! so the wire format can change without touching the protocol. Every decoder treats its
//! input as hostile: lengths are bounded by the transport, and trailing bytes are refused.

use borsh::{BorshDeserialize, BorshSerialize};
use bytes::Bytes;
use malachitebft_app_channel::app::types::codec::{Codec, HasEncodedLen};
use malachitebft_app_channel::app::types::streaming::StreamMessage;
use malachitebft_app_channel::app::types::sync::{RawDecidedValue, Request, Response, Status};
use malachitebft_app_channel::app::types::{ProposedValue, SignedConsensusMsg};
use malachitebft_core_consensus::LivenessMsg;
use malachitebft_core_types::{
    ExtendedCommitCertificate, ExtendedCommitSignature, PolkaCertificate, Round, SignedMessage,
    ValidatorProof,
};
use malachitebft_sync::ValueResponse;

use super::signing::Sig;
use super::types::{Address, BlockId, Height, ProposalPart, VouchContext};

/// A message that could not be encoded or decoded.
#[derive(Debug, thiserror::Error)]
#[error("consensus codec: {0}")]
pub struct CodecError(String);

/// Borsh for every consensus, sync and WAL message.
#[derive(Clone, Copy, Debug, Default)]
pub struct VouchCodec;

fn encode<T: BorshSerialize>(t: &T) -> Result<Bytes, CodecError> {
    borsh::to_vec(t).map(Bytes::from).map_err(|e| CodecError(e.to_string()))
}

fn decode<T: BorshDeserialize>(what: &str, bytes: &[u8]) -> Result<T, CodecError> {
    borsh::from_slice(bytes).map_err(|e| CodecError(format!("{what}: {e}")))
}

macro_rules! borsh_codec {
    ($t:ty, $name:literal) => {
        impl Codec<$t> for VouchCodec {
            type Error = CodecError;

            fn decode(&self, bytes: Bytes) -> Result<$t, CodecError> {
                decode($name, &bytes)
            }

            fn encode(&self, msg: &$t) -> Result<Bytes, CodecError> {
                encode(msg)
            }
        }
    };
}

borsh_codec!(ProposalPart, "proposal part");
borsh_codec!(SignedConsensusMsg<VouchContext>, "consensus message");
borsh_codec!(LivenessMsg<VouchContext>, "liveness message");
borsh_codec!(StreamMessage<ProposalPart>, "proposal stream message");
borsh_codec!(ProposedValue<VouchContext>, "proposed value");
borsh_codec!(PolkaCertificate<VouchContext>, "polka certificate");
borsh_codec!(Status<VouchContext>, "sync status");
borsh_codec!(Request<VouchContext>, "sync request");

#[derive(BorshSerialize, BorshDeserialize)]
struct RawProof {
    public_key: Vec<u8>,
    peer_id: Vec<u8>,
    signature: Sig,
}

impl Codec<ValidatorProof<VouchContext>> for VouchCodec {
    type Error = CodecError;

    fn decode(&self, bytes: Bytes) -> Result<ValidatorProof<VouchContext>, CodecError> {
        let r: RawProof = decode("validator proof", &bytes)?;
        Ok(ValidatorProof::new(r.public_key, r.peer_id, r.signature))
    }

    fn encode(&self, p: &ValidatorProof<VouchContext>) -> Result<Bytes, CodecError> {
        encode(&RawProof {
            public_key: p.public_key.clone(),
            peer_id: p.peer_id.clone(),
            signature: p.signature,
        })
    }
}

#[derive(BorshSerialize, BorshDeserialize)]
struct RawExtension {
    extension: Vec<u8>,
    signature: Sig,
}

#[derive(BorshSerialize, BorshDeserialize)]
struct RawCommitSignature {
    address: Address,
    signature: Sig,
    extension: Option<RawExtension>,
}

#[derive(BorshSerialize, BorshDeserialize)]
struct RawCertificate {
    height: Height,
    round: Round,
    value_id: BlockId,
    signatures: Vec<RawCommitSignature>,
}

#[derive(BorshSerialize, BorshDeserialize)]
struct RawDecided {
    value: Vec<u8>,
    certificate: RawCertificate,
}

#[derive(BorshSerialize, BorshDeserialize)]
struct RawValueResponse {
    start_height: Height,
    values: Vec<RawDecided>,
}

fn raw_response(r: &Response<VouchContext>) -> RawValueResponse {
    let Response::ValueResponse(v) = r;
    RawValueResponse {
        start_height: v.start_height,
        values: v
            .values
            .iter()
            .map(|d| RawDecided {
                value: d.value_bytes.to_vec(),
                certificate: RawCertificate {
                    height: d.certificate.height,
                    round: d.certificate.round,
                    value_id: d.certificate.value_id,
                    signatures: d
                        .certificate
                        .commit_signatures
                        .iter()
                        .map(|s| RawCommitSignature {
                            address: s.address,
                            signature: s.signature,
                            extension: s.extension.as_ref().map(|e| RawExtension {
                                extension: e.message.clone(),
                                signature: e.signature,
                            }),
                        })
                        .collect(),
                },
            })
            .collect(),
    }
}

impl Codec<Response<VouchContext>> for VouchCodec {
    type Error = CodecError;

    fn decode(&self, bytes: Bytes) -> Result<Response<VouchContext>, CodecError> {
        let r: RawValueResponse = decode("sync response", &bytes)?;
        let values = r
            .values
            .into_iter()
            .map(|d| {
                let c = d.certificate;
                RawDecidedValue::new(
                    Bytes::from(d.value),
                    ExtendedCommitCertificate {
                        height: c.height,
                        round: c.round,
                        value_id: c.value_id,
                        commit_signatures: c
                            .signatures
                            .into_iter()
                            .map(|s| {
                                ExtendedCommitSignature::new(
                                    s.address,
                                    s.signature,
                                    s.extension.map(|e| SignedMessage::new(e.extension, e.signature)),
                                )
                            })
                            .collect(),
                    },
                )
            })
            .collect();
        Ok(Response::ValueResponse(ValueResponse::new(r.start_height, values)))
    }

    fn encode(&self, r: &Response<VouchContext>) -> Result<Bytes, CodecError> {
        encode(&raw_response(r))
    }
}

impl HasEncodedLen<Response<VouchContext>> for VouchCodec {
    fn encoded_len(&self, r: &Response<VouchContext>) -> Result<usize, CodecError> {
        borsh::object_length(&raw_response(r)).map_err(|e| CodecError(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let c = VouchCodec;
        for bytes in [&b""[..], b"\x00", b"\xff\xff\xff\xff\xff", &[7u8; 300]] {
            let b = Bytes::copy_from_slice(bytes);
            let _ = Codec::<ProposalPart>::decode(&c, b.clone());
            let _ = Codec::<SignedConsensusMsg<VouchContext>>::decode(&c, b.clone());
            let _ = Codec::<StreamMessage<ProposalPart>>::decode(&c, b.clone());
            let _ = Codec::<Response<VouchContext>>::decode(&c, b.clone());
            let _ = Codec::<ValidatorProof<VouchContext>>::decode(&c, b);
        }
    }

    #[test]
    fn parts_round_trip() {
        let c = VouchCodec;
        let p = ProposalPart::Documents(vec![b"{}".to_vec(), b"[1]".to_vec()]);
        let bytes = Codec::<ProposalPart>::encode(&c, &p).unwrap();
        assert_eq!(Codec::<ProposalPart>::decode(&c, bytes).unwrap(), p);
    }

    /// Decode `bytes` as the message kind named as in [`decode`]'s errors, and encode the
    /// result again.
    fn round_trip(kind: &str, bytes: &Bytes) -> Result<Bytes, CodecError> {
        fn again<T>(bytes: &Bytes) -> Result<Bytes, CodecError>
        where
            VouchCodec: Codec<T, Error = CodecError>,
        {
            let m = Codec::<T>::decode(&VouchCodec, bytes.clone())?;
            Codec::<T>::encode(&VouchCodec, &m)
        }
        match kind {
            "proposal part" => again::<ProposalPart>(bytes),
            "consensus message" => again::<SignedConsensusMsg<VouchContext>>(bytes),
            "liveness message" => again::<LivenessMsg<VouchContext>>(bytes),
            "proposal stream message" => again::<StreamMessage<ProposalPart>>(bytes),
            "proposed value" => again::<ProposedValue<VouchContext>>(bytes),
            "polka certificate" => again::<PolkaCertificate<VouchContext>>(bytes),
            "sync status" => again::<Status<VouchContext>>(bytes),
            "sync request" => again::<Request<VouchContext>>(bytes),
            "sync response" => again::<Response<VouchContext>>(bytes),
            "validator proof" => again::<ValidatorProof<VouchContext>>(bytes),
            other => Err(CodecError(format!("the test knows no kind {other}"))),
        }
    }

    /// One well-formed message of every kind a peer can send, encoded.
    fn originals() -> Vec<(&'static str, Bytes)> {
        use super::super::types::{BlockValue, Proposal, Vote};
        use malachitebft_app_channel::app::streaming::{StreamContent, StreamId};
        use malachitebft_app_channel::app::types::core::{NilOrVal, Validity, VoteType};
        use malachitebft_core_types::PolkaSignature;
        use malachitebft_sync::ValueRequest;

        let key = vouch_core::keys::SigningKey::from_seed(&[9; 32]).public();
        let who = Address::of(&key);
        let sig = Sig([7; 64]);
        let id = BlockId([5; 32]);
        let (h, r) = (Height(41), Round::new(2));
        let vote = |kind| Vote {
            kind,
            height: h,
            round: r,
            value: NilOrVal::Val(id),
            validator: who,
            extension: None,
        };
        let nil = Vote { value: NilOrVal::Nil, ..vote(VoteType::Prevote) };
        let proposal =
            Proposal { height: h, round: r, value: BlockValue(id), pol_round: Round::Nil, proposer: who };
        let envelope = br#"{"author":{"key":"AAAA","org":"bank-a"},"type":"request","v":1}"#.to_vec();
        let parts = [
            ProposalPart::Init { height: h, round: r, pol_round: Round::new(1), proposer: who },
            ProposalPart::Header(br#"{"height":41,"prev":"AA=="}"#.to_vec()),
            ProposalPart::Documents(vec![envelope.clone(), envelope]),
        ];
        let polka = PolkaCertificate {
            height: h,
            round: r,
            value_id: id,
            polka_signatures: vec![PolkaSignature::new(who, sig), PolkaSignature::new(Address([3; 32]), sig)],
        };
        let certificate = ExtendedCommitCertificate {
            height: h,
            round: r,
            value_id: id,
            commit_signatures: vec![
                ExtendedCommitSignature::new(who, sig, None),
                ExtendedCommitSignature::new(who, sig, Some(SignedMessage::new(b"ext".to_vec(), sig))),
            ],
        };
        let peer = malachitebft_app_channel::app::types::PeerId::from_bytes(
            &crate::node::peer_id(&key).unwrap().to_bytes(),
        )
        .unwrap();
        let c = VouchCodec;
        let mut out: Vec<(&'static str, Bytes)> = Vec::new();
        for p in &parts {
            out.push(("proposal part", Codec::<ProposalPart>::encode(&c, p).unwrap()));
            let data = StreamMessage {
                stream_id: StreamId::new(Bytes::from_static(b"\x00\x00\x00\x29\x02")),
                sequence: 1,
                content: StreamContent::Data(p.clone()),
            };
            out.push(("proposal stream message", Codec::encode(&c, &data).unwrap()));
        }
        let fin = StreamMessage::<ProposalPart> {
            stream_id: StreamId::new(Bytes::from_static(b"\x07")),
            sequence: 4,
            content: StreamContent::Fin,
        };
        out.push(("proposal stream message", Codec::encode(&c, &fin).unwrap()));
        for v in [vote(VoteType::Prevote), vote(VoteType::Precommit), nil] {
            let signed = SignedMessage::new(v, sig);
            out.push((
                "consensus message",
                Codec::encode(&c, &SignedConsensusMsg::Vote(signed.clone())).unwrap(),
            ));
            out.push(("liveness message", Codec::encode(&c, &LivenessMsg::Vote(signed)).unwrap()));
        }
        let signed = SignedConsensusMsg::Proposal(SignedMessage::new(proposal, sig));
        out.push(("consensus message", Codec::encode(&c, &signed).unwrap()));
        out.push((
            "liveness message",
            Codec::encode(&c, &LivenessMsg::PolkaCertificate(polka.clone())).unwrap(),
        ));
        out.push(("polka certificate", Codec::encode(&c, &polka).unwrap()));
        let proposed = ProposedValue {
            height: h,
            round: r,
            valid_round: Round::Nil,
            proposer: who,
            value: BlockValue(id),
            validity: Validity::Valid,
        };
        out.push(("proposed value", Codec::encode(&c, &proposed).unwrap()));
        let status =
            Status::<VouchContext> { peer_id: peer, tip_height: Height(900), history_min_height: Height(1) };
        out.push(("sync status", Codec::encode(&c, &status).unwrap()));
        for range in [Height(1)..=Height(32), Height(7)..=Height(7), Height(u64::MAX - 1)..=Height(u64::MAX)]
        {
            let request = Request::ValueRequest(ValueRequest::new(range));
            out.push(("sync request", Codec::encode(&c, &request).unwrap()));
        }
        let value = RawDecidedValue::new(Bytes::from_static(b"block body"), certificate);
        let response = Response::ValueResponse(ValueResponse::new(h, vec![value.clone(), value]));
        out.push(("sync response", Codec::encode(&c, &response).unwrap()));
        let proof = ValidatorProof::new(key.to_bytes().to_vec(), peer.to_bytes(), sig);
        out.push(("validator proof", Codec::encode(&c, &proof).unwrap()));
        out
    }

    /// Inputs of the p2p burst: issue 7 asks for 100,000 mutated inputs per run over the
    /// HTTP API, notes and checkpoints, sync ranges and p2p messages together.
    const P2P_BURST: usize = 40_000;

    /// Most bytes one decode may ask the allocator for at once, for inputs of under 1 KiB.
    /// Borsh reserves at most 1 MiB for a byte string of any claimed length (and at most
    /// 4 KiB of elements for other vectors), then fails at the end of the input: this
    /// burst found a 59-byte stream message claiming a 4 GiB stream id, which cost 1 MiB.
    const DECODE_ALLOCATION_MAX: usize = 1024 * 1024;

    #[test]
    fn every_original_round_trips() {
        for (kind, bytes) in originals() {
            assert_eq!(round_trip(kind, &bytes).unwrap(), bytes, "{kind}");
        }
    }

    #[test]
    fn a_burst_of_mutated_p2p_messages_is_refused_by_name_or_means_exactly_its_bytes() {
        let originals = originals();
        let pool: Vec<&[u8]> = originals.iter().map(|(_, b)| b.as_ref()).collect();
        let mut mutator = vouch_core::testkit::mutate::Mutator::new(0x5eed_c0de);
        let mut outcomes = std::collections::BTreeMap::<String, usize>::new();
        let mut largest = 0;
        for i in 0..P2P_BURST {
            let (kind, original) = &originals[i % originals.len()];
            let bytes = Bytes::from(mutator.mutate(original, &pool));
            let (result, asked) = crate::alloc_probe::largest_allocation(|| round_trip(kind, &bytes));
            largest = largest.max(asked);
            assert!(
                asked <= DECODE_ALLOCATION_MAX,
                "{kind}: decoding {} bytes asked for {asked} bytes at once: {bytes:?}",
                bytes.len()
            );
            let outcome = match result {
                // Borsh has one encoding per value: a mutant that decodes is that value.
                Ok(again) => {
                    assert_eq!(again, bytes, "{kind}: a mutant decoded to a message that encodes otherwise");
                    format!("{kind}: decoded")
                }
                Err(e) => {
                    let named = format!("consensus codec: {kind}: ");
                    assert!(e.to_string().starts_with(&named), "{kind}: refusal does not name it: {e}");
                    format!("{kind}: refused")
                }
            };
            *outcomes.entry(outcome).or_default() += 1;
        }
        let refused: usize = outcomes.iter().filter(|(k, _)| k.ends_with("refused")).map(|(_, n)| n).sum();
        assert!(refused * 2 > P2P_BURST, "most mutants should be refused: {outcomes:?}");
        eprintln!(
            "mutated p2p messages: {P2P_BURST} inputs; largest allocation {largest} bytes; {outcomes:?}"
        );
    }
}
