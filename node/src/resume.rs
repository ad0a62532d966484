//! Resume the chain verifier at start from the last point this node kept, instead of
//! re-verifying every block from genesis, which grows with the chain (18 to 26 s at 16,000
//! heights in a debug build, in the 2-hour soak of 2026-12-07).
//!
//! Every [`EVERY`] heights the node keeps where its verifier stood after the block it just
//! committed: the state and the log's leaf hashes (`vouch_core::verify::Resumable`),
//! encoded as CBOR behind a tag naming this format and the `vouchd` version. At start it
//! resumes there if the point decodes and fits the stored header at its height (tree size,
//! root, network, validator set: `ChainVerifier::resume`), and re-verifies only the blocks
//! above it. Anything else (no point, another version, a point that does not decode or
//! fit) falls back to re-verifying from genesis, with a warning: the point is a cache.
//!
//! What this trusts: that the point was written by this node from a verifier that had
//! verified every block below it. The file's integrity (redb's page checksums) and the
//! ledger invariants (hash links, tree sizes, root) are still checked at every open; the
//! signatures and state transitions below the point are re-verified by the self-audit
//! (`GET /v1/self-audit`), which always starts from genesis.

use vouch_core::verify::Resumable;

/// Keep a point every this many heights: a restart re-verifies at most this many blocks
/// beyond the store checks. A point costs one encoding of the state, in the background.
pub const EVERY: u64 = 500;

/// A release that changes what the state machine derives from the same documents must
/// change this (the version alone would not tell two builds of one version apart).
const FORMAT: &str = "vouch-resume/1";

/// Why a kept point cannot be used (or kept).
#[derive(Debug, thiserror::Error)]
pub enum ResumeCodecError {
    /// Written by another format or version.
    #[error("the resume point was written by {found:?}, this build writes {expected:?}")]
    Tag {
        /// The point's tag.
        found: String,
        /// This build's.
        expected: String,
    },
    /// The CBOR does not decode.
    #[error("the resume point does not decode: {0}")]
    Decode(String),
    /// Encoding failed.
    #[error("cannot encode the resume point: {0}")]
    Encode(String),
}

fn tag() -> String {
    format!("{FORMAT} vouchd/{}\n", env!("CARGO_PKG_VERSION"))
}

/// The bytes kept for `point`.
pub fn encode(point: &Resumable) -> Result<Vec<u8>, ResumeCodecError> {
    let mut bytes = tag().into_bytes();
    ciborium::into_writer(point, &mut bytes).map_err(|e| ResumeCodecError::Encode(e.to_string()))?;
    Ok(bytes)
}

/// The point kept as `bytes`, if this build wrote it.
pub fn decode(bytes: &[u8]) -> Result<Resumable, ResumeCodecError> {
    let expected = tag();
    let Some(body) = bytes.strip_prefix(expected.as_bytes()) else {
        let line = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
        let found: String = String::from_utf8_lossy(line).chars().take(80).collect();
        return Err(ResumeCodecError::Tag { found, expected: expected.trim_end().to_string() });
    };
    ciborium::from_reader(body).map_err(|e| ResumeCodecError::Decode(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use vouch_core::testkit::demo_ledger;
    use vouch_core::verify::ChainVerifier;

    #[test]
    fn a_point_round_trips_and_resumes_as_the_verifier_it_was_taken_from() {
        let (l, _) = demo_ledger(3).unwrap();
        let point = l.verifier.resumable();
        let decoded = decode(&encode(&point).unwrap()).unwrap();
        assert_eq!(decoded, point);
        let last = l.blocks.last().unwrap();
        let resumed = ChainVerifier::resume(&l.net.genesis, decoded, &last.header).unwrap();
        assert_eq!(resumed.summary(), l.verifier.summary());
        assert_eq!(resumed.state(), l.verifier.state());
    }

    #[test]
    fn a_point_of_another_version_or_cut_short_is_refused_by_name() {
        let (l, _) = demo_ledger(4).unwrap();
        let bytes = encode(&l.verifier.resumable()).unwrap();
        let mut other = bytes.clone();
        other[..FORMAT.len()].copy_from_slice(b"vouch-resume/0");
        assert!(matches!(decode(&other), Err(ResumeCodecError::Tag { .. })));
        for cut in [tag().len(), tag().len() + 1, bytes.len() / 2, bytes.len() - 1] {
            assert!(matches!(decode(&bytes[..cut]), Err(ResumeCodecError::Decode(_))), "cut at {cut}");
        }
        assert!(matches!(decode(b""), Err(ResumeCodecError::Tag { .. })));
    }
}
