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
}
