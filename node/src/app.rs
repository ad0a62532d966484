//! Own the application side of consensus: answering every message the Malachite engine
//! sends, building and checking blocks with `vouch-core`, committing decided blocks to the
//! store before acknowledging them, and serving decided blocks to peers that catch up.
//!
//! The contract with the engine (`docs/NODE.md`, `docs/PROTOCOL.md` §12.4, and the Malachite issues in
//! `../shared/design/RELIABILITY.md` §3) shapes this module:
//! - a decided block is written durably, then the engine is answered;
//! - a height decided twice (by consensus and by sync) is applied once;
//! - values built or received are stored, so a restarted proposer re-proposes the same
//!   block for the same height and round;
//! - the start height comes from the store;
//! - every range a peer asks for is bounded;
//! - misbehavior evidence the engine reports is stored.

use bytes::Bytes;
use malachitebft_app_channel::app::engine::host::{HeightParams, Next, SyncedValueOutcome};
use malachitebft_app_channel::app::streaming::{StreamContent, StreamId, StreamMessage};
use malachitebft_app_channel::app::types::core::{LinearTimeouts, Round, Validity};
use malachitebft_app_channel::app::types::sync::RawDecidedValue;
use malachitebft_app_channel::app::types::{LocallyProposedValue, ProposedValue};
use malachitebft_app_channel::{AppMsg, Channels, NetworkMsg, NetworkRequest};
use malachitebft_core_types::{CommitCertificate, ExtendedCommitCertificate, ExtendedCommitSignature};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tracing::{debug, info, warn};
use vouch_core::block::{Block, Certificate, CommitSignature, Header};
use vouch_core::encoding::Hash;
use vouch_core::envelope::Envelope;
use vouch_core::keys::PublicKey;
use vouch_core::verify::ChainVerifier;

use crate::config::Config;
use crate::consensus::types::{
    Address, BlockId, BlockValue, Height, ProposalPart, ValidatorSet, VouchContext,
};
use crate::mempool::Mempool;
use crate::shared::{Outcome, Shared, now_ms};
use crate::store::IndexEntry;

/// A block may claim a time at most this far ahead of this node's clock.
const MAX_FUTURE_MS: u64 = 30_000;
/// Most heights returned for one sync request.
const SYNC_HEIGHTS_MAX: u64 = 32;
/// Most bytes of blocks returned for one sync request (the engine's response cap is 10 MiB).
const SYNC_BYTES_MAX: usize = 8 * 1024 * 1024;
/// Most partial proposal streams kept at once.
const STREAMS_MAX: usize = 64;
/// Bytes of documents per proposal part.
const PART_BYTES: usize = 256 * 1024;

/// A block's content as proposed: header and documents, in the form stored and synced.
#[derive(Debug, Clone, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub struct BlockBody {
    /// Canonical JSON of the header.
    pub header: Vec<u8>,
    /// Canonical envelope bytes, in order.
    pub documents: Vec<Vec<u8>>,
}

/// A value this node built or received, as stored for restarts.
#[derive(Debug, Clone, borsh::BorshSerialize, borsh::BorshDeserialize)]
struct StoredValue {
    round: Round,
    pol_round: Round,
    proposer: Address,
    body: BlockBody,
}

/// A proposed block, decoded.
#[derive(Debug, Clone)]
struct Candidate {
    height: u64,
    round: Round,
    pol_round: Round,
    proposer: Address,
    header: Header,
    envelopes: Vec<Envelope>,
    body: BlockBody,
}

impl Candidate {
    fn id(&self) -> BlockId {
        BlockId::from(self.header.hash())
    }
}

#[derive(Default)]
struct PartialStream {
    parts: BTreeMap<u64, Option<ProposalPart>>,
    fin: Option<u64>,
    bytes: usize,
}

enum Internal {
    Build {
        height: u64,
        round: Round,
        reply: tokio::sync::oneshot::Sender<LocallyProposedValue<VouchContext>>,
    },
}

/// The application state driven by the engine's messages.
pub struct App {
    cfg: Config,
    shared: Arc<Shared>,
    chain: Option<ChainVerifier>,
    validators: ValidatorSet,
    key: PublicKey,
    candidates: BTreeMap<BlockId, Candidate>,
    streams: BTreeMap<(String, Bytes), PartialStream>,
    height_started: Instant,
    internal_tx: mpsc::Sender<Internal>,
    internal_rx: mpsc::Receiver<Internal>,
    /// While set, this validator follows the chain without signing (it signed up to this
    /// height before losing its data); `run` returns once the chain reaches it.
    catch_up_until: Option<u64>,
}

/// A fatal fault: the node must stop rather than continue on a state it cannot trust.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Fatal(pub String);

impl App {
    /// The application at the stored tip.
    pub fn new(
        cfg: Config,
        shared: Arc<Shared>,
        chain: ChainVerifier,
        key: PublicKey,
        catch_up_until: Option<u64>,
    ) -> App {
        let (internal_tx, internal_rx) = mpsc::channel(16);
        App {
            catch_up_until,
            validators: ValidatorSet::from_genesis(&shared.genesis),
            cfg,
            shared,
            chain: Some(chain),
            key,
            candidates: BTreeMap::new(),
            streams: BTreeMap::new(),
            height_started: Instant::now(),
            internal_tx,
            internal_rx,
        }
    }

    fn chain(&self) -> Result<&ChainVerifier, Fatal> {
        self.chain.as_ref().ok_or_else(|| Fatal("chain state lost after a failed block".into()))
    }

    fn params(&self) -> HeightParams<VouchContext> {
        let c = &self.cfg.consensus;
        let ms = Duration::from_millis;
        let timeouts = LinearTimeouts {
            propose: ms(c.timeout_propose_ms),
            propose_delta: ms(c.timeout_delta_ms),
            prevote: ms(c.timeout_prevote_ms),
            prevote_delta: ms(c.timeout_delta_ms),
            precommit: ms(c.timeout_precommit_ms),
            precommit_delta: ms(c.timeout_delta_ms),
            rebroadcast: ms(c.timeout_propose_ms + c.timeout_prevote_ms + c.timeout_precommit_ms),
            max_timeout: Duration::from_secs(60),
        };
        HeightParams::new(self.validators.clone(), timeouts, None)
    }

    /// Run until the engine's channel closes or a fatal fault.
    pub async fn run(mut self, mut channels: Channels<VouchContext>) -> Result<ChainVerifier, Fatal> {
        let mut peers_tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tokio::select! {
                msg = channels.consensus.recv() => {
                    let Some(msg) = msg else {
                        return Err(Fatal("the consensus engine stopped (see the log lines above)".into()));
                    };
                    self.handle(msg, &channels).await?;
                    if let Some(target) = self.catch_up_until
                        && self.chain()?.height() >= target
                    {
                        info!(height = target, "caught up past the last height this key signed");
                        return self.chain.take().ok_or_else(|| Fatal("chain state missing".into()));
                    }
                }
                Some(internal) = self.internal_rx.recv() => {
                    match internal {
                        Internal::Build { height, round, reply } => self.build(height, round, reply, &channels).await?,
                    }
                }
                _ = peers_tick.tick() => {
                    self.refresh_peers(&channels).await;
                    self.shared.prune_waiters();
                    self.shared.metrics.mempool.set(i64::try_from(self.shared.mempool.len()).unwrap_or(i64::MAX));
                }
            }
        }
    }

    async fn refresh_peers(&self, channels: &Channels<VouchContext>) {
        if let Ok(Some(dump)) = NetworkRequest::dump_state(&channels.net_requests).await {
            let peers: Vec<String> = dump.peers.keys().map(|p| p.to_string()).collect();
            self.shared.metrics.peers.set(i64::try_from(peers.len()).unwrap_or(0));
            self.shared.update(|s| s.peers = peers);
        }
    }

    async fn handle(
        &mut self,
        msg: AppMsg<VouchContext>,
        channels: &Channels<VouchContext>,
    ) -> Result<(), Fatal> {
        match msg {
            AppMsg::ConsensusReady { reply } => {
                let start = Height(self.chain()?.height() + 1);
                info!(height = start.0, "consensus ready; starting at the height after the stored tip");
                let _ = reply.send((start, self.params()));
            }
            AppMsg::StartedRound { height, round, proposer, role, reply_value } => {
                debug!(height = height.0, %round, %proposer, ?role, "started round");
                if round.as_i64() == 0 {
                    self.height_started = Instant::now();
                }
                self.shared.metrics.round.set(round.as_i64());
                self.shared.update(|s| s.round = round.as_i64());
                self.candidates.retain(|_, c| c.height >= height.0);
                let values = self.values_for(height.0, round)?;
                let _ = reply_value.send(values);
            }
            AppMsg::GetValue { height, round, timeout, reply } => {
                self.get_value(height.0, round, timeout, reply, channels).await?;
            }
            AppMsg::ExtendVote { reply, .. } => {
                let _ = reply.send(None);
            }
            AppMsg::VerifyVoteExtensions { extensions, reply, .. } => {
                // Vote extensions are disabled; any that arrive are refused.
                let verdicts = extensions
                    .into_iter()
                    .map(|(a, _)| {
                        (a, Err(malachitebft_core_consensus::VoteExtensionError::InvalidVoteExtension))
                    })
                    .collect();
                let _ = reply.send(verdicts);
            }
            AppMsg::RestreamProposal { height, round, valid_round, address, value_id } => {
                let found = match self.candidates.get(&value_id) {
                    Some(c) => Some(c.clone()),
                    None => self.load_by_id(height.0, &value_id)?,
                };
                match found {
                    Some(mut c) => {
                        c.round = round;
                        c.pol_round = valid_round;
                        c.proposer = address;
                        self.publish(&c, channels).await;
                    }
                    None => {
                        warn!(height = height.0, %value_id, "asked to restream a proposal this node does not have")
                    }
                }
            }
            AppMsg::GetHistoryMinHeight { reply } => {
                let _ = reply.send(Height(1));
            }
            AppMsg::ReceivedProposalPart { from, published_by, part, reply } => {
                let key = published_by.unwrap_or(from).to_string();
                let value = self.receive_part(key, part)?;
                let _ = reply.send(value);
            }
            AppMsg::Decided { certificate, reply, .. } => {
                self.decided(certificate)?;
                let _ = reply.send(());
            }
            AppMsg::Finalized { certificate, evidence, reply, .. } => {
                if !evidence.is_empty() {
                    self.record_evidence(certificate.height.0, &evidence)?;
                }
                let next = Height(self.chain()?.height() + 1);
                let _ = reply.send(Next::Start(next, self.params()));
            }
            AppMsg::GetDecidedValues { range, reply } => {
                let values = self.decided_values(range.start().0, range.end().0)?;
                let _ = reply.send(values);
            }
            AppMsg::ProcessSyncedValue { height, round, proposer, value_bytes, reply } => {
                let outcome = self.synced_value(height.0, round, proposer, &value_bytes)?;
                let _ = reply.send(outcome);
            }
        }
        Ok(())
    }

    /// Store each conflicting pair the engine reports as its own evidence record.
    fn record_evidence(
        &mut self,
        height: u64,
        evidence: &malachitebft_core_consensus::MisbehaviorEvidence<VouchContext>,
    ) -> Result<(), Fatal> {
        let validators: Vec<Address> =
            self.shared.genesis.validators().iter().map(|v| Address::of(&v.key)).collect();
        for e in crate::evidence::equivocations(&self.shared.genesis.network, &validators, evidence) {
            let json =
                serde_json::to_string(&e).map_err(|e| Fatal(format!("cannot encode evidence: {e}")))?;
            warn!(height, kind = e.kind, validator = %e.validator, evidence = %json, "equivocation reported by consensus");
            self.shared
                .store
                .put_evidence(height, e.kind, &json)
                .map_err(|e| Fatal(format!("cannot store misbehavior evidence: {e}")))?;
            self.shared.metrics.evidence.inc();
        }
        let count = self.shared.store.evidence().map(|e| e.len()).unwrap_or(0);
        self.shared.update(|s| s.evidence = u64::try_from(count).unwrap_or(u64::MAX));
        Ok(())
    }

    /// Values seen for (height, round), from memory or the store, each checked now.
    fn values_for(&mut self, height: u64, round: Round) -> Result<Vec<ProposedValue<VouchContext>>, Fatal> {
        let stored = self.shared.store.values_at(height).map_err(|e| Fatal(format!("store: {e}")))?;
        for (_, bytes) in stored {
            if let Some(c) = decode_stored(height, &bytes, &self.shared.genesis.network, &self.shared.mempool)
            {
                self.candidates.entry(c.id()).or_insert(c);
            }
        }
        let chain = self.chain()?;
        let mut out = Vec::new();
        for c in self.candidates.values().filter(|c| c.height == height && c.round == round) {
            let validity = Validity::from_bool(check_candidate(chain, c, true).is_ok());
            out.push(ProposedValue {
                height: Height(height),
                round,
                valid_round: c.pol_round,
                proposer: c.proposer,
                value: BlockValue(c.id()),
                validity,
            });
        }
        Ok(out)
    }

    fn load_by_id(&self, height: u64, id: &BlockId) -> Result<Option<Candidate>, Fatal> {
        let bytes =
            self.shared.store.value_by_id(height, &id.hash()).map_err(|e| Fatal(format!("store: {e}")))?;
        Ok(bytes.and_then(|b| decode_stored(height, &b, &self.shared.genesis.network, &self.shared.mempool)))
    }

    async fn get_value(
        &mut self,
        height: u64,
        round: Round,
        timeout: Duration,
        reply: tokio::sync::oneshot::Sender<LocallyProposedValue<VouchContext>>,
        channels: &Channels<VouchContext>,
    ) -> Result<(), Fatal> {
        // After a restart, propose exactly what was built before for this height and round.
        let r = round.as_u32().unwrap_or(0);
        if let Some(bytes) = self.shared.store.value(height, r).map_err(|e| Fatal(format!("store: {e}")))?
            && let Some(c) = decode_stored(height, &bytes, &self.shared.genesis.network, &self.shared.mempool)
            && Address::of(&self.key) == c.proposer
        {
            info!(height, %round, "re-proposing the value built before the restart");
            let _ = reply.send(LocallyProposedValue::new(Height(height), round, BlockValue(c.id())));
            self.publish(&c, channels).await;
            self.candidates.insert(c.id(), c);
            return Ok(());
        }
        // Wait for documents (or the block interval) off the loop, then build on it.
        let interval = Duration::from_millis(self.cfg.consensus.block_interval_ms);
        let batch = Duration::from_millis(self.cfg.consensus.batch_wait_ms);
        // Leave a margin so the reply reaches the engine within its timeout.
        let deadline = if round.as_i64() == 0 { self.height_started + interval } else { Instant::now() };
        let latest = Instant::now() + timeout.saturating_sub(Duration::from_millis(200));
        let deadline = tokio::time::Instant::from_std(deadline.min(latest));
        let mempool = self.shared.mempool.clone();
        let tx = self.internal_tx.clone();
        tokio::spawn(async move {
            loop {
                let added = mempool.added.notified();
                tokio::pin!(added);
                added.as_mut().enable();
                if !mempool.is_empty() {
                    tokio::time::sleep(batch).await;
                    break;
                }
                tokio::select! {
                    _ = &mut added => {}
                    _ = tokio::time::sleep_until(deadline) => break,
                }
            }
            let _ = tx.send(Internal::Build { height, round, reply }).await;
        });
        Ok(())
    }

    async fn build(
        &mut self,
        height: u64,
        round: Round,
        reply: tokio::sync::oneshot::Sender<LocallyProposedValue<VouchContext>>,
        channels: &Channels<VouchContext>,
    ) -> Result<(), Fatal> {
        let chain = self.chain()?;
        if chain.height() + 1 != height {
            debug!(height, "dropping a stale build request");
            return Ok(());
        }
        let c = &self.cfg.consensus;
        let time_ms = now_ms().max(chain.next_min_time_ms());
        let (header, envelopes) = loop {
            let batch = self.shared.mempool.batch(c.max_block_documents, c.max_block_bytes);
            match chain.propose(&batch, time_ms, self.key) {
                Ok(header) => break (header, batch),
                Err((index, rejection)) => {
                    let Some(env) = batch.get(index) else {
                        return Err(Fatal(format!(
                            "proposer refused document {index} of a batch of {}",
                            batch.len()
                        )));
                    };
                    warn!(id = %env.id, %rejection, "dropping a pooled document that no longer applies");
                    self.shared.mempool.remove(&env.id);
                    let _ = self.shared.take_arrival(&env.id);
                    self.shared.resolve(&env.id, Outcome::Dropped { reason: rejection.to_string() });
                }
            }
        };
        let header_bytes = vouch_core::canonical::to_canonical(&header);
        let body = BlockBody {
            header: header_bytes,
            documents: envelopes.iter().map(|e| e.bytes.clone()).collect(),
        };
        let candidate = Candidate {
            height,
            round,
            pol_round: Round::Nil,
            proposer: Address::of(&self.key),
            header,
            envelopes,
            body,
        };
        let id = candidate.id();
        self.store_value(&candidate)?;
        info!(height, %round, documents = candidate.envelopes.len(), block = %id, "proposing");
        let _ = reply.send(LocallyProposedValue::new(Height(height), round, BlockValue(id)));
        self.publish(&candidate, channels).await;
        crate::faults::crash_after(crate::faults::Point::Propose);
        self.candidates.insert(id, candidate);
        Ok(())
    }

    /// Keep a built or received value durably, for re-proposal and for deciding it after
    /// a restart. A second, different value for the same height and round (an equivocating
    /// proposer, or twins) is kept too, beside the first: consensus may decide it.
    fn store_value(&self, c: &Candidate) -> Result<(), Fatal> {
        let stored = StoredValue {
            round: c.round,
            pol_round: c.pol_round,
            proposer: c.proposer,
            body: c.body.clone(),
        };
        let bytes = borsh::to_vec(&stored).map_err(|e| Fatal(format!("encode value: {e}")))?;
        let round = c.round.as_u32().unwrap_or(0);
        match self.shared.store.put_value(c.height, round, &c.id().hash(), &bytes) {
            Ok(crate::store::ValueStored::Second) => {
                warn!(height = c.height, round = %c.round, block = %c.id(), "a second value for this height and round, kept beside the first");
                Ok(())
            }
            Ok(_) => Ok(()),
            Err(e) => Err(Fatal(format!("cannot store a proposed value: {e}"))),
        }
    }

    async fn publish(&self, c: &Candidate, channels: &Channels<VouchContext>) {
        let mut id = c.height.to_be_bytes().to_vec();
        id.extend_from_slice(&c.round.as_u32().unwrap_or(0).to_be_bytes());
        let stream_id = StreamId::new(Bytes::from(id));
        let mut parts = vec![
            ProposalPart::Init {
                height: Height(c.height),
                round: c.round,
                pol_round: c.pol_round,
                proposer: c.proposer,
            },
            ProposalPart::Header(c.body.header.clone()),
        ];
        let mut chunk = Vec::new();
        let mut chunk_bytes = 0usize;
        for d in &c.body.documents {
            if chunk_bytes + d.len() > PART_BYTES && !chunk.is_empty() {
                parts.push(ProposalPart::Documents(std::mem::take(&mut chunk)));
                chunk_bytes = 0;
            }
            chunk_bytes += d.len();
            chunk.push(d.clone());
        }
        if !chunk.is_empty() {
            parts.push(ProposalPart::Documents(chunk));
        }
        let mut seq = 0u64;
        for part in parts {
            let msg = StreamMessage::new(stream_id.clone(), seq, StreamContent::Data(part));
            seq += 1;
            if channels.network.send(NetworkMsg::PublishProposalPart(msg)).await.is_err() {
                warn!("network channel closed while publishing a proposal");
                return;
            }
        }
        let fin = StreamMessage::new(stream_id, seq, StreamContent::Fin);
        let _ = channels.network.send(NetworkMsg::PublishProposalPart(fin)).await;
    }

    fn receive_part(
        &mut self,
        peer: String,
        msg: StreamMessage<ProposalPart>,
    ) -> Result<Option<ProposedValue<VouchContext>>, Fatal> {
        let key = (peer, msg.stream_id.to_bytes());
        if !self.streams.contains_key(&key) && self.streams.len() >= STREAMS_MAX {
            // Bound memory: forget the oldest partial stream.
            if let Some(k) = self.streams.keys().next().cloned() {
                self.streams.remove(&k);
            }
        }
        let stream = self.streams.entry(key.clone()).or_default();
        let size = match &msg.content {
            StreamContent::Data(ProposalPart::Header(h)) => h.len(),
            StreamContent::Data(ProposalPart::Documents(d)) => d.iter().map(Vec::len).sum(),
            _ => 0,
        };
        stream.bytes = stream.bytes.saturating_add(size);
        if stream.bytes > 2 * vouch_core::limits::BLOCK_BYTES_MAX || msg.sequence > 1_000_000 {
            self.streams.remove(&key);
            return Ok(None);
        }
        match msg.content {
            StreamContent::Data(part) => {
                stream.parts.insert(msg.sequence, Some(part));
            }
            StreamContent::Fin => stream.fin = Some(msg.sequence),
        }
        let Some(fin) = stream.fin else { return Ok(None) };
        if u64::try_from(stream.parts.len()).ok() != Some(fin) {
            return Ok(None);
        }
        let Some(stream) = self.streams.remove(&key) else { return Ok(None) };
        let parts: Vec<ProposalPart> = stream.parts.into_values().flatten().collect();
        let Some(candidate) = assemble(parts, &self.shared.genesis.network, &self.shared.mempool) else {
            warn!("dropping a malformed proposal stream");
            return Ok(None);
        };
        let chain = self.chain()?;
        if candidate.height < chain.height() + 1 {
            return Ok(None);
        }
        let started = Instant::now();
        self.store_value(&candidate)?;
        let stored = started.elapsed();
        let id = candidate.id();
        let out = if candidate.height == chain.height() + 1 {
            let check = check_candidate(chain, &candidate, true);
            debug!(
                height = candidate.height,
                documents = candidate.envelopes.len(),
                store_ms = stored.as_millis(),
                check_ms = (started.elapsed() - stored).as_millis(),
                "proposal received"
            );
            if let Err(e) = &check {
                warn!(height = candidate.height, block = %id, error = %e, "received an invalid proposal");
            }
            Some(ProposedValue {
                height: Height(candidate.height),
                round: candidate.round,
                valid_round: candidate.pol_round,
                proposer: candidate.proposer,
                value: BlockValue(id),
                validity: Validity::from_bool(check.is_ok()),
            })
        } else {
            // A future height: checked when that height starts (`StartedRound`).
            None
        };
        self.candidates.insert(id, candidate);
        Ok(out)
    }

    fn decided(&mut self, certificate: CommitCertificate<VouchContext>) -> Result<(), Fatal> {
        let height = certificate.height.0;
        let id = certificate.value_id;
        let tip = self.chain()?.height();
        if height <= tip {
            // Decided twice (consensus and sync): applied once; it must be the same block.
            let stored = self.shared.store.header(height).map_err(|e| Fatal(format!("store: {e}")))?;
            return match stored {
                Some(h) if BlockId::from(h.hash()) == id => Ok(()),
                _ => Err(Fatal(format!(
                    "height {height} decided as {id}, but this node committed a different block"
                ))),
            };
        }
        let mut candidate = match self.candidates.remove(&id) {
            Some(c) => c,
            None => self.load_by_id(height, &id)?.ok_or_else(|| {
                Fatal(format!("height {height} decided block {id}, which this node never received"))
            })?,
        };
        let signatures = certificate
            .commit_signatures
            .iter()
            .map(|s| {
                s.address
                    .key()
                    .map(|k| CommitSignature { validator: k, sig: s.signature.signature() })
                    .ok_or_else(|| Fatal(format!("certificate signer {} is not a key", s.address)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let certificate = Certificate { round: certificate.round.as_u32().unwrap_or(0), signatures };
        let chain = self.chain.take().ok_or_else(|| Fatal("chain state missing".into()))?;
        let size_before = chain.tree().size();
        let started = Instant::now();
        // The candidate's envelopes were decoded from its documents' bytes (or taken from
        // the mempool after comparing bytes), so they are applied as they are, and the
        // bytes are stored as the block's documents without another JSON round trip.
        let ids: Vec<Hash> = candidate.envelopes.iter().map(|e| e.id).collect();
        let parties: Vec<Vec<String>> = candidate.envelopes.iter().map(parties_of).collect();
        let (chain, summary) = chain
            .push_envelopes_consuming(
                &candidate.header,
                &certificate,
                std::mem::take(&mut candidate.envelopes),
            )
            .map_err(|e| Fatal(format!("decided block at height {height} fails verification: {e}")))?;
        let index: Vec<IndexEntry> = summary
            .applied
            .iter()
            .zip(parties)
            .enumerate()
            .map(|(i, (a, parties))| IndexEntry {
                leaf_index: size_before + i as u64,
                document: a.id,
                request: a.request,
                parties,
                status: a.status.map(|s| format!("{s:?}")),
            })
            .collect();
        let applied = started.elapsed();
        self.shared
            .store
            .commit_parts(&candidate.header, &certificate, &candidate.body.documents, &index)
            .map_err(|e| Fatal(format!("cannot commit block {height} durably: {e}")))?;
        let stored = started.elapsed();
        // Durable: now tell everyone.
        let state_now = now_ms();
        for (i, id) in ids.iter().enumerate() {
            self.shared.resolve(id, Outcome::Committed { leaf_index: size_before + i as u64, height });
            if let Some(t) = self.shared.take_arrival(id) {
                self.shared.metrics.commit_latency.observe(t.elapsed().as_secs_f64());
            }
        }
        for (id, rejection) in self.shared.mempool.recheck(&ids, chain.state(), state_now) {
            self.shared.resolve(&id, Outcome::Dropped { reason: rejection.to_string() });
            let _ = self.shared.take_arrival(&id);
        }
        let summary = chain.summary();
        self.shared.update(|s| {
            s.height = summary.height;
            s.tree_size = summary.tree_size;
            s.root = summary.root.to_hex();
            s.network_height = s.network_height.max(summary.height);
            s.sync = "synced";
        });
        let m = &self.shared.metrics;
        m.height.set(i64::try_from(summary.height).unwrap_or(i64::MAX));
        m.tree_size.set(i64::try_from(summary.tree_size).unwrap_or(i64::MAX));
        m.committed.inc_by(ids.len() as u64);
        m.block_time.observe(self.height_started.elapsed().as_secs_f64());
        m.mempool.set(i64::try_from(self.shared.mempool.len()).unwrap_or(i64::MAX));
        // Where a commit's time goes: applying the block, writing it, rechecking the pool.
        let ms = |d: Duration| d.as_millis();
        info!(
            height,
            documents = ids.len(),
            tree_size = summary.tree_size,
            apply_ms = ms(applied),
            store_ms = ms(stored - applied),
            recheck_ms = ms(started.elapsed() - stored),
            "committed"
        );
        self.cosign(summary.tree_size, summary.root)?;
        if height.is_multiple_of(crate::resume::EVERY) {
            self.keep_resume_point(&chain);
        }
        self.chain = Some(chain);
        self.candidates.retain(|_, c| c.height > height);
        Ok(())
    }

    /// Keep where `chain` stands as the store's resume point, in the background: the state
    /// is shared, not copied, and encoding it takes a while on a long ledger. A failure
    /// only costs a longer restart, so it is logged, not fatal.
    fn keep_resume_point(&self, chain: &ChainVerifier) {
        let point = chain.resumable();
        let store = self.shared.store.clone();
        tokio::task::spawn_blocking(move || {
            let height = point.height;
            let kept = crate::resume::encode(&point)
                .map_err(|e| e.to_string())
                .and_then(|bytes| store.put_resume_point(height, &bytes).map_err(|e| e.to_string()));
            match kept {
                Ok(()) => debug!(height, "resume point kept"),
                Err(e) => {
                    warn!(height, error = %e, "cannot keep a resume point; a restart will verify more blocks")
                }
            }
        });
    }

    /// Cosign the new checkpoint (validators), count it, send it to the other nodes, and
    /// count cosignatures that arrived before this node reached their size.
    fn cosign(&self, size: u64, root: Hash) -> Result<(), Fatal> {
        if size == 0 {
            return Ok(());
        }
        if let Some(cosigner) = self.shared.cosigner.as_ref().filter(|_| self.catch_up_until.is_none()) {
            match cosigner.cosign(&self.shared.store, size, root, now_ms() / 1000) {
                Ok(note) => {
                    if let Err(e) = crate::cosign::gather(&self.shared, &note) {
                        warn!(error = %e, "own cosignature not counted");
                    }
                    crate::http::broadcast(&self.shared, "/v1/cosignatures", Bytes::from(note));
                }
                // Never continue after failing to record what was cosigned.
                Err(e @ crate::cosign::CosignError::File { .. }) => {
                    return Err(Fatal(format!("cannot record the cosigned checkpoint: {e}")));
                }
                // Behind the last cosigned size (after a restore) or inconsistent with it:
                // do not cosign; the other validators' cosignatures still count.
                Err(e) => warn!(error = %e, "not cosigning this checkpoint"),
            }
        }
        for note in self.shared.collector.take_ahead() {
            if let Err(e) = crate::cosign::gather(&self.shared, &note) {
                debug!(error = %e, "an earlier cosignature was not counted");
            }
        }
        Ok(())
    }

    fn decided_values(&self, from: u64, to: u64) -> Result<Vec<RawDecidedValue<VouchContext>>, Fatal> {
        let tip = self.chain()?.height();
        let mut out = Vec::new();
        let mut bytes = 0usize;
        for h in served_heights(from, to, tip) {
            let Some(json) = self.shared.store.block_json(h).map_err(|e| Fatal(format!("store: {e}")))?
            else {
                break;
            };
            let block =
                Block::from_json(&json).map_err(|e| Fatal(format!("stored block {h} unreadable: {e}")))?;
            let body = BlockBody {
                header: vouch_core::canonical::to_canonical(&block.header),
                documents: block.documents.iter().map(vouch_core::canonical::to_canonical).collect(),
            };
            let value = borsh::to_vec(&body).map_err(|e| Fatal(format!("encode block {h}: {e}")))?;
            bytes += value.len();
            if bytes > SYNC_BYTES_MAX && !out.is_empty() {
                break;
            }
            let certificate = ExtendedCommitCertificate {
                height: Height(h),
                round: Round::new(block.certificate.round),
                value_id: BlockId::from(block.header.hash()),
                commit_signatures: block
                    .certificate
                    .signatures
                    .iter()
                    .map(|s| ExtendedCommitSignature::new(Address::of(&s.validator), s.sig.into(), None))
                    .collect(),
            };
            out.push(RawDecidedValue::new(Bytes::from(value), certificate));
        }
        Ok(out)
    }

    fn synced_value(
        &mut self,
        height: u64,
        round: Round,
        proposer: Address,
        bytes: &[u8],
    ) -> Result<SyncedValueOutcome<VouchContext>, Fatal> {
        let Ok(body) = borsh::from_slice::<BlockBody>(bytes) else {
            return Ok(SyncedValueOutcome::PeerFault);
        };
        let stored = StoredValue { round, pol_round: Round::Nil, proposer, body };
        let Some(candidate) =
            candidate_from(height, stored, &self.shared.genesis.network, &self.shared.mempool)
        else {
            return Ok(SyncedValueOutcome::PeerFault);
        };
        let chain = self.chain()?;
        let id = candidate.id();
        let validity = if height == chain.height() + 1 {
            let check = check_candidate(chain, &candidate, false);
            if let Err(e) = &check {
                warn!(height, block = %id, error = %e, "a peer sent an invalid block while syncing");
            }
            check.is_ok()
        } else if height <= chain.height() {
            let stored = self.shared.store.header(height).map_err(|e| Fatal(format!("store: {e}")))?;
            stored.is_some_and(|h| BlockId::from(h.hash()) == id)
        } else {
            return Ok(SyncedValueOutcome::LocalTransientError);
        };
        self.shared.update(|s| {
            s.sync = "catching_up";
            s.network_height = s.network_height.max(height);
        });
        let out = ProposedValue {
            height: Height(height),
            round,
            valid_round: Round::Nil,
            proposer,
            value: BlockValue(id),
            validity: Validity::from_bool(validity),
        };
        if validity {
            // The engine writes this value to its write-ahead log once we answer, and after
            // a crash may decide it from there without asking again: keep it durably first,
            // as a received proposal is, so that `Decided` can always find it.
            if height == chain.height() + 1 {
                self.store_value(&candidate)?;
            }
            self.candidates.insert(id, candidate);
        }
        Ok(SyncedValueOutcome::Verdict(out))
    }
}

/// Check a proposed block against the chain: it extends the tip, its time is in order
/// (and, for a live proposal, not ahead of this node's clock by more than
/// `MAX_FUTURE_MS`), its proposer is a validator (for a fresh live proposal, the one that
/// streams it), and the header is exactly what applying its documents to the tip's state
/// produces (R-CMSG-4).
fn check_candidate(chain: &ChainVerifier, c: &Candidate, live: bool) -> Result<(), String> {
    let h = &c.header;
    if h.height != chain.height() + 1 {
        return Err(format!("height {} does not follow {}", h.height, chain.height()));
    }
    if h.prev != chain.head() {
        return Err("prev does not link to the tip".into());
    }
    if h.time_ms < chain.next_min_time_ms() {
        return Err(format!("time {} is before {}", h.time_ms, chain.next_min_time_ms()));
    }
    if live && h.time_ms > now_ms().saturating_add(MAX_FUTURE_MS) {
        return Err(format!("time {} is more than {MAX_FUTURE_MS} ms ahead of this node's clock", h.time_ms));
    }
    // A fresh proposal's block names the proposer that streams it. A value re-proposed from
    // an earlier round (`pol_round` set), or fetched while catching up (the engine names
    // the proposer of the certificate's round), names the validator that first built it,
    // which may be another: requiring a match made such blocks invalid, and a node that
    // fell behind a height decided in a later round than it was built could never fetch it
    // (found by `n4_twins_no_fork`). R-BLK-5 still holds: a validator's key.
    if live && c.pol_round == Round::Nil && Address::of(&h.proposer) != c.proposer {
        return Err("header proposer differs from the stream's proposer".into());
    }
    if !chain.validators().iter().any(|v| v.key == h.proposer) {
        return Err(format!("proposer {} is not a validator", h.proposer.to_b64()));
    }
    let expected =
        chain.propose(&c.envelopes, h.time_ms, h.proposer).map_err(|(i, e)| format!("document {i}: {e}"))?;
    if &expected != h {
        return Err("header does not match its documents applied to the tip".into());
    }
    Ok(())
}

fn decode_stored(
    height: u64,
    bytes: &[u8],
    network: &vouch_core::ids::NetworkId,
    pool: &Mempool,
) -> Option<Candidate> {
    let stored: StoredValue = borsh::from_slice(bytes).ok()?;
    candidate_from(height, stored, network, pool)
}

/// Decode a proposed block. Documents already in the mempool were decoded and their
/// signatures verified on arrival; their bytes are compared and the pooled decoding reused.
fn candidate_from(
    height: u64,
    s: StoredValue,
    network: &vouch_core::ids::NetworkId,
    pool: &Mempool,
) -> Option<Candidate> {
    let header: Header = vouch_core::canonical::from_canonical("header", &s.body.header, 64 * 1024).ok()?;
    if header.height != height || s.body.documents.len() > vouch_core::limits::BLOCK_DOCUMENTS_MAX {
        return None;
    }
    let envelopes = s
        .body
        .documents
        .iter()
        .map(|d| match pool.get(&Hash::sha256(d)) {
            Some(e) if &e.bytes == d && &e.network == network => Ok(e),
            _ => Envelope::decode(d, network),
        })
        .collect::<Result<Vec<_>, _>>()
        .ok()?;
    Some(Candidate {
        height,
        round: s.round,
        pol_round: s.pol_round,
        proposer: s.proposer,
        header,
        envelopes,
        body: s.body,
    })
}

fn assemble(
    parts: Vec<ProposalPart>,
    network: &vouch_core::ids::NetworkId,
    pool: &Mempool,
) -> Option<Candidate> {
    let mut it = parts.into_iter();
    let Some(ProposalPart::Init { height, round, pol_round, proposer }) = it.next() else { return None };
    let Some(ProposalPart::Header(header)) = it.next() else { return None };
    let mut documents = Vec::new();
    for p in it {
        let ProposalPart::Documents(d) = p else { return None };
        documents.extend(d);
        if documents.len() > vouch_core::limits::BLOCK_DOCUMENTS_MAX {
            return None;
        }
    }
    candidate_from(
        height.0,
        StoredValue { round, pol_round, proposer, body: BlockBody { header, documents } },
        network,
        pool,
    )
}

/// The heights served for a peer's request `from..=to` when this node's tip is `tip`: at
/// most [`SYNC_HEIGHTS_MAX`] of them, none above the tip, none below 1, and empty when the
/// request holds none of ours. Peers choose both ends freely.
fn served_heights(from: u64, to: u64, tip: u64) -> std::ops::RangeInclusive<u64> {
    let from = from.max(1);
    from..=to.min(tip).min(from.saturating_add(SYNC_HEIGHTS_MAX - 1))
}

/// The orgs a document concerns, for the by-party index: its author's and checker's.
fn parties_of(env: &Envelope) -> Vec<String> {
    let mut out = vec![env.author.org.to_string()];
    if let Some(c) = &env.checker
        && c.org != env.author.org
    {
        out.push(c.org.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use vouch_core::testkit::mutate::Mutator;

    /// Inputs of the sync-range part of issue 7's bad-input burst.
    const RANGE_BURST: usize = 20_000;

    /// A peer's end of a range: an edge value, near the tip, small, or anything.
    fn end(m: &mut Mutator, tip: u64) -> u64 {
        const EDGES: [u64; 8] = [0, 1, 2, 31, 32, 33, u64::MAX - 1, u64::MAX];
        match m.below(4) {
            0 => EDGES[m.below(EDGES.len())],
            1 => tip.saturating_add(1).saturating_sub(m.below(3) as u64),
            2 => m.below(100) as u64,
            _ => m.next_u64(),
        }
    }

    /// An empty block at height 1 built by validator `builder`, streamed (or named by the
    /// engine) as proposed by validator `named`.
    fn first_block(builder: usize, named: usize, pol_round: Round) -> (ChainVerifier, Candidate) {
        let net = vouch_core::testkit::DemoNetwork::new(7).unwrap();
        let chain = ChainVerifier::new(&net.genesis);
        let key = |i: usize| chain.validators()[i].key;
        let header = chain.propose(&[], chain.next_min_time_ms(), key(builder)).unwrap();
        let body = BlockBody { header: vouch_core::canonical::to_canonical(&header), documents: Vec::new() };
        let c = Candidate {
            height: 1,
            round: Round::new(1),
            pol_round,
            proposer: Address::of(&key(named)),
            header,
            envelopes: Vec::new(),
            body,
        };
        (chain, c)
    }

    #[test]
    fn a_block_built_in_an_earlier_round_is_valid_when_another_proposer_brings_it() {
        // Regression (n4_twins_no_fork, 2026-12-07): a block built by one validator in round
        // 0 and decided in round 1, whose proposer is another, was refused while catching
        // up ("header proposer differs from the stream's proposer"), and the node stayed
        // behind that height for good. Re-proposed live with its pol_round, likewise.
        let (chain, fetched) = first_block(0, 1, Round::Nil);
        assert_eq!(check_candidate(&chain, &fetched, false), Ok(()));
        let (chain, reproposed) = first_block(0, 1, Round::new(0));
        assert_eq!(check_candidate(&chain, &reproposed, true), Ok(()));
        // A fresh proposal must still be built by the validator that streams it.
        let (chain, fresh) = first_block(0, 1, Round::Nil);
        let refused = check_candidate(&chain, &fresh, true).unwrap_err();
        assert!(refused.contains("differs from the stream's proposer"), "{refused}");
        let (chain, own) = first_block(2, 2, Round::Nil);
        assert_eq!(check_candidate(&chain, &own, true), Ok(()));
    }

    #[test]
    fn a_block_whose_proposer_is_no_validator_is_refused_even_while_catching_up() {
        let (chain, mut c) = first_block(0, 1, Round::Nil);
        let outsider = vouch_core::keys::SigningKey::from_seed(&[42; 32]).public();
        c.header = chain.propose(&[], chain.next_min_time_ms(), outsider).unwrap();
        let refused = check_candidate(&chain, &c, false).unwrap_err();
        assert!(refused.contains("is not a validator"), "{refused}");
    }

    #[test]
    fn a_burst_of_hostile_sync_ranges_serves_only_what_is_there_and_at_most_the_cap() {
        let mut m = Mutator::new(0x5eed_5ca1);
        let (mut served, mut empty) = (0u64, 0usize);
        for _ in 0..RANGE_BURST {
            let tip = match m.below(3) {
                0 => 0,
                1 => m.below(100) as u64,
                _ => m.next_u64() >> m.below(64),
            };
            let (from, to) = (end(&mut m, tip), end(&mut m, tip));
            let r = served_heights(from, to, tip);
            let what = format!("request {from}..={to} at tip {tip} served {r:?}");
            if r.is_empty() {
                assert!(from.max(1) > to.min(tip), "{what}: nothing, though the node has some");
                empty += 1;
                continue;
            }
            let (a, b) = (*r.start(), *r.end());
            assert!(a == from.max(1) && b <= to && b <= tip, "{what}: outside the request or the chain");
            assert!(b - a < SYNC_HEIGHTS_MAX, "{what}: more than {SYNC_HEIGHTS_MAX} heights");
            assert!(b - a + 1 == SYNC_HEIGHTS_MAX || b == to.min(tip), "{what}: fewer than it could");
            served += b - a + 1;
        }
        assert!(
            empty > 0 && served > 0,
            "the burst tried both kinds: {empty} empty, {served} heights served"
        );
        eprintln!(
            "hostile sync ranges: {RANGE_BURST} inputs; {empty} served nothing, {served} heights served"
        );
    }
}
