//! Read a confirmation's signed documents from a node for the party signing its next step
//! (`vouch authorize`, `vouch respond` and `vouch correct` without envelope files).
//!
//! The documents come from the node's evidence bundle (`GET /v1/confirmations/{id}/bundle`,
//! which a party's token may read), verified with `vouch_core::bundle::verify_bundle`
//! against the genesis the command signs for: each envelope is signed by a proven key and
//! included under a cosigned checkpoint, so nothing is used on the node's word alone.
//! A document the latest checkpoint does not cover yet is waited for (HTTP 409), up to
//! [`CHECKPOINT_WAIT`].

use crate::bundle;
use crate::client::Client;
use crate::confirmations::{self, ReadError};
use crate::submit::{SubmitError, input};
use std::path::Path;
use std::time::{Duration, Instant};
use vouch_core::bundle::Bundle;
use vouch_core::encoding::Hash;
use vouch_core::envelope::Envelope;
use vouch_core::genesis::Genesis;
use vouch_core::limits::BUNDLE_BYTES_MAX;

/// How long to wait for a checkpoint covering a document just committed: checkpoints
/// follow blocks within seconds on a healthy network.
pub const CHECKPOINT_WAIT: Duration = Duration::from_secs(60);
/// Time between two asks while waiting.
const RETRY_INTERVAL: Duration = Duration::from_secs(1);

/// The bytes of confirmation `id`'s bundle, as the node at `node` serves them, with its URL;
/// while the latest checkpoint does not cover its documents (HTTP 409), asked again every
/// second for up to `wait`.
pub fn bundle_bytes(
    node: &str,
    token: &str,
    id: &Hash,
    wait: Duration,
) -> Result<(String, Vec<u8>), ReadError> {
    let path = format!("/v1/confirmations/{id}/bundle");
    let deadline = Instant::now() + wait;
    loop {
        match confirmations::get_bytes(node, &path, token, BUNDLE_BYTES_MAX) {
            Err(ReadError::Refused { status: 409, .. }) if Instant::now() < deadline => {
                std::thread::sleep(RETRY_INTERVAL);
            }
            other => return other,
        }
    }
}

/// The documents of confirmation `id` (the request first, in ledger order; enrollments
/// left out), verified against `genesis`.
pub fn documents(
    node: &Client,
    token: &str,
    genesis: &Genesis,
    id: &Hash,
) -> Result<Vec<Envelope>, SubmitError> {
    let (url, bytes) = bundle_bytes(node.base(), token, id, CHECKPOINT_WAIT)?;
    let verified = bundle::check(&bytes, Path::new(&url), &genesis.hash())?;
    if verified.request != *id {
        return Err(input(
            "REQUEST_ID",
            format!("{url} answered the documents of request {}", verified.request),
        ));
    }
    // verify_bundle read these same bytes; a failure here would be a bug, reported as input.
    let parsed: Bundle = vouch_core::canonical::from_json("bundle", &bytes, BUNDLE_BYTES_MAX)
        .map_err(|e| input(url.clone(), e))?;
    let mut out = Vec::new();
    for entry in &parsed.entries {
        let env =
            Envelope::decode_value(&entry.envelope, &genesis.network).map_err(|e| input(url.clone(), e))?;
        if env.id == *id || env.document.request_ref() == Some(*id) {
            out.push(env);
        }
    }
    Ok(out)
}

/// The token to read with: a party's API token is needed to read a confirmation.
pub fn need_token<'a>(token: Option<&'a str>, instead: &str) -> Result<&'a str, SubmitError> {
    token.ok_or_else(|| {
        input(
            "--token",
            format!("reading the confirmation from the node needs your API token (--token or VOUCH_TOKEN), or pass {instead}"),
        )
    })
}
