//! Own start-up and shutdown: load and check the configuration, genesis and key; open the
//! store and re-verify it (from its resume point, see `crate::resume`); start the
//! Malachite engine, the HTTP server and the application loop; and stop cleanly on SIGTERM
//! or Ctrl-C, also during start-up.

use anyhow::{Context as _, anyhow, bail};
use bytes::Bytes;
use malachitebft_app_channel::app::config::{
    ConsensusConfig, DiscoveryConfig, NodeConfig, P2pConfig, ValuePayload, ValueSyncConfig,
};
use malachitebft_app_channel::app::net::Multiaddr;
use malachitebft_app_channel::app::types::Keypair;
use malachitebft_app_channel::app::types::codec::Codec;
use malachitebft_app_channel::{
    ConsensusContext, NetworkContext, NetworkIdentity, RequestContext, Signer, SyncContext, WalContext,
};
use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tracing::{error, info, warn};
use vouch_core::block::Block;
use vouch_core::genesis::Genesis;
use vouch_core::keys::{PublicKey, SigningKey};
use vouch_core::verify::ChainVerifier;

use crate::app::App;
use crate::config::{Config, LogFormat};
use crate::consensus::codec::VouchCodec;
use crate::consensus::signing::{VouchSigner, VouchVerifier};
use crate::consensus::types::{Address, VouchContext};
use crate::guard::Guard;
use crate::mempool::Mempool;
use crate::metrics::Metrics;
use crate::shared::{Shared, Snapshot};
use crate::store::Store;

/// The engine's view of the configuration.
#[derive(Clone, Debug)]
struct EngineConfig {
    moniker: String,
    consensus: ConsensusConfig,
    value_sync: ValueSyncConfig,
}

impl NodeConfig for EngineConfig {
    fn moniker(&self) -> &str {
        &self.moniker
    }

    fn consensus(&self) -> &ConsensusConfig {
        &self.consensus
    }

    fn consensus_mut(&mut self) -> &mut ConsensusConfig {
        &mut self.consensus
    }

    fn value_sync(&self) -> &ValueSyncConfig {
        &self.value_sync
    }

    fn value_sync_mut(&mut self) -> &mut ValueSyncConfig {
        &mut self.value_sync
    }
}

/// The libp2p peer id of a node key, as genesis members' nodes are named on the network.
pub fn peer_id(key: &PublicKey) -> anyhow::Result<malachitebft_app_channel::app::net::PeerId> {
    let pk = libp2p_identity::ed25519::PublicKey::try_from_bytes(&key.to_bytes())
        .map_err(|e| anyhow!("not an Ed25519 key: {e}"))?;
    Ok(libp2p_identity::PublicKey::from(pk).to_peer_id())
}

fn init_logging(cfg: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&cfg.log.filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match cfg.log.format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Everything checked before anything starts.
struct Prepared {
    cfg: Config,
    genesis: Genesis,
    key: SigningKey,
    validator: bool,
    guard: Arc<Guard>,
    store: Arc<Store>,
    chain: ChainVerifier,
    peers: Vec<Multiaddr>,
}

fn prepare(config_path: &Path) -> anyhow::Result<Prepared> {
    let cfg = Config::load(config_path)?;
    init_logging(&cfg);
    let genesis_bytes = std::fs::read(&cfg.genesis).with_context(|| {
        format!("cannot read genesis {}; next: check `genesis` in the config", cfg.genesis.display())
    })?;
    let genesis = Genesis::from_json(&genesis_bytes)
        .with_context(|| format!("genesis {} is not a valid genesis document", cfg.genesis.display()))?;
    let genesis_hash = genesis.hash();
    if let Some(expected) = &cfg.genesis_hash
        && !expected.eq_ignore_ascii_case(&genesis_hash.to_hex())
    {
        bail!(
            "genesis {} has hash {}, but the config expects {expected}: this is not the network's genesis; next: get the genesis file whose hash the network published",
            cfg.genesis.display(),
            genesis_hash.to_hex()
        );
    }
    let pem = std::fs::read_to_string(&cfg.key).with_context(|| {
        format!(
            "cannot read key {}; next: check `key` in the config and the file's permissions",
            cfg.key.display()
        )
    })?;
    let key = SigningKey::from_pkcs8_pem(&pem)
        .map_err(|e| anyhow!("key {} is not an Ed25519 PKCS#8 PEM private key: {e}", cfg.key.display()))?;
    let public = key.public();
    let Some((org, _, validator)) = genesis.node_keys().into_iter().find(|(_, k, _)| *k == public) else {
        bail!(
            "the key in {} ({}) is not a validator or node key of any member in genesis; next: use the key genesis lists for this node",
            cfg.key.display(),
            public.to_b64()
        );
    };
    info!(org = %org, validator, key = %public.to_b64(), "node identity");
    let members: Vec<_> = genesis.node_keys().iter().filter_map(|(_, k, _)| peer_id(k).ok()).collect();
    let mut peers = Vec::new();
    for p in &cfg.p2p.peers {
        let addr: Multiaddr =
            p.parse().with_context(|| format!("p2p.peers entry {p:?} is not a multiaddr"))?;
        let id = addr.iter().find_map(|proto| match proto {
            multiaddr::Protocol::P2p(id) => Some(id),
            _ => None,
        });
        match id {
            Some(id) if members.contains(&id) => peers.push(addr),
            Some(id) => bail!("p2p.peers entry {p}: peer {id} is not a node of any genesis member"),
            None => bail!("p2p.peers entry {p} has no /p2p/<peer id>; every peer must be named by its key"),
        }
    }
    crate::faults::watch_clock(&cfg.data_dir);
    let guard = Arc::new(Guard::open(&cfg.guard_path())?);
    std::fs::create_dir_all(&cfg.data_dir)
        .with_context(|| format!("cannot create data directory {}", cfg.data_dir.display()))?;
    let opening = std::time::Instant::now();
    let store = Arc::new(Store::open(&cfg.data_dir.join("ledger.redb"), &genesis_hash)?);
    let open_ms = opening.elapsed().as_millis();
    let verifying = std::time::Instant::now();
    let (chain, resumed_at) = open_chain(&genesis, &store)?;
    let verify_ms = verifying.elapsed().as_millis();
    let (height, tree_size) = (chain.height(), chain.tree().size());
    if resumed_at == 0 {
        info!(height, tree_size, open_ms, verify_ms, "store verified from genesis");
    } else {
        info!(height, tree_size, resumed_at, open_ms, verify_ms, "store verified from its resume point");
    }
    Ok(Prepared { cfg, genesis, key, validator, guard, store, chain, peers })
}

/// Re-verify every stored block from genesis: links, certificates, signatures, state
/// transitions and roots. A store that fails is reported with the first bad height.
pub(crate) fn replay(genesis: &Genesis, store: &Store) -> anyhow::Result<ChainVerifier> {
    verify_from(ChainVerifier::new(genesis), store)
}

/// The chain verifier after the stored tip, and the height it resumed at (0: genesis).
/// Resumes at the store's resume point when it fits (see `crate::resume`) and re-verifies
/// the blocks above it; otherwise, with a warning, every block from genesis.
pub(crate) fn open_chain(genesis: &Genesis, store: &Store) -> anyhow::Result<(ChainVerifier, u64)> {
    let tip = store.tip()?;
    let resumed = match store.resume_point()? {
        Some((height, _)) if height > tip => {
            warn!(height, tip, "the resume point is ahead of the stored tip; verifying from genesis");
            None
        }
        Some((height, bytes)) => {
            let header = store
                .header(height)?
                .ok_or_else(|| anyhow!("store is corrupt: header {height} of {tip} is missing"))?;
            match crate::resume::decode(&bytes)
                .map_err(|e| e.to_string())
                .and_then(|point| ChainVerifier::resume(genesis, point, &header).map_err(|e| e.to_string()))
            {
                Ok(chain) => Some(chain),
                Err(e) => {
                    warn!(height, error = %e, "the resume point cannot be used; verifying from genesis");
                    None
                }
            }
        }
        None => None,
    };
    let chain = resumed.unwrap_or_else(|| ChainVerifier::new(genesis));
    let resumed_at = chain.height();
    Ok((verify_from(chain, store)?, resumed_at))
}

/// Verify and apply the stored blocks above `chain`'s height, up to the tip.
fn verify_from(mut chain: ChainVerifier, store: &Store) -> anyhow::Result<ChainVerifier> {
    let tip = store.tip()?;
    for h in chain.height().saturating_add(1)..=tip {
        let json = store
            .block_json(h)?
            .ok_or_else(|| anyhow!("store is corrupt: block {h} of {tip} is missing; next: restore the data directory or wipe it and let the node catch up"))?;
        let block =
            Block::from_json(&json).map_err(|e| anyhow!("store is corrupt: block {h} is unreadable: {e}"))?;
        chain = chain
            .push_consuming(&block)
            .map(|(c, _)| c)
            .map_err(|e| anyhow!("store is corrupt: block {h} fails verification: {e}; next: restore the data directory or wipe it and let the node catch up"))?;
    }
    Ok(chain)
}

fn engine_config(p: &Prepared) -> anyhow::Result<EngineConfig> {
    let listen: Multiaddr = p
        .cfg
        .p2p
        .listen
        .parse()
        .with_context(|| format!("p2p.listen {:?} is not a multiaddr", p.cfg.p2p.listen))?;
    // Name the protocols after the genesis hash: a node of another network (or of another
    // genesis) fails the handshake instead of exchanging messages.
    let tag = &p.genesis.hash().to_hex()[..16];
    let mut p2p = P2pConfig {
        listen_addr: listen,
        persistent_peers: p.peers.clone(),
        persistent_peers_only: true,
        discovery: DiscoveryConfig { enabled: false, ..Default::default() },
        ..Default::default()
    };
    p2p.protocol_names.consensus = format!("/vouch/{tag}/consensus/1");
    p2p.protocol_names.sync = format!("/vouch/{tag}/sync/1");
    p2p.protocol_names.validator_proof = format!("/vouch/{tag}/peer-binding/1");
    p2p.protocol_names.discovery_kad = format!("/vouch/{tag}/kad/1");
    p2p.protocol_names.discovery_regres = format!("/vouch/{tag}/reqres/1");
    let consensus = ConsensusConfig {
        enabled: p.validator,
        p2p,
        value_payload: ValuePayload::ProposalAndParts,
        ..Default::default()
    };
    let value_sync = ValueSyncConfig { status_update_interval: Duration::from_secs(1), ..Default::default() };
    Ok(EngineConfig { moniker: p.cfg.moniker.clone(), consensus, value_sync })
}

/// Run the node until SIGTERM/Ctrl-C (exit 0) or a fatal fault (an error).
pub async fn run(config_path: &Path) -> anyhow::Result<()> {
    // Listen for the stop signals before anything else: a SIGTERM while the store is
    // re-verified (seconds on a long chain) is then a clean stop, not the default action.
    let mut stop = StopSignal::install()?;
    let path = config_path.to_path_buf();
    let preparing = tokio::task::spawn_blocking(move || prepare(&path));
    let p = tokio::select! {
        prepared = preparing => prepared.map_err(|e| anyhow!("the start-up task failed: {e}"))??,
        _ = stop.recv() => {
            // The start-up task only reads; main gives it no time to finish.
            info!("stopped on signal while starting");
            return Ok(());
        }
    };
    let listener = tokio::net::TcpListener::bind(&p.cfg.http.listen).await.with_context(|| {
        format!(
            "cannot listen for HTTP on {} (http.listen); next: free the port or choose another",
            p.cfg.http.listen
        )
    })?;
    if let Some(port) = p2p_port(&p.cfg.p2p.listen) {
        std::net::TcpListener::bind(("127.0.0.1", port))
            .or_else(|_| std::net::TcpListener::bind(("0.0.0.0", port)))
            .with_context(|| {
                format!(
                    "cannot listen for p2p on port {port} (p2p.listen); next: free the port or choose another"
                )
            })?;
    }
    let public = p.key.public();
    let metrics = Metrics::register(&p.cfg.moniker);
    let cosigner = if p.validator {
        let org = p
            .genesis
            .orgs
            .iter()
            .find(|o| o.validator.as_ref().is_some_and(|v| v.key == public))
            .map(|o| o.id.clone())
            .ok_or_else(|| anyhow!("validator key not found in genesis"))?;
        let mut path = p.cfg.key.clone().into_os_string();
        path.push(".cosigned");
        Some(crate::cosign::Cosigner::open(
            p.key.clone(),
            p.genesis.cosigner_name(&org),
            p.genesis.network.to_string(),
            std::path::Path::new(&path),
        )?)
    } else {
        None
    };
    let mempool =
        Arc::new(Mempool::new(p.chain.state().clone(), p.cfg.mempool.max_documents, p.cfg.mempool.max_bytes));
    let summary = p.chain.summary();
    let evidence = p.store.evidence().map(|e| e.len() as u64).unwrap_or(0);
    let client = crate::http::PeerClient::new();
    let shared = Arc::new(Shared {
        genesis_hash: p.genesis.hash(),
        genesis: p.genesis.clone(),
        moniker: p.cfg.moniker.clone(),
        node_key: public.to_b64(),
        validator: p.validator,
        store: p.store.clone(),
        mempool,
        status: RwLock::new(Snapshot {
            height: summary.height,
            tree_size: summary.tree_size,
            root: summary.root.to_hex(),
            sync: "catching_up",
            network_height: summary.height,
            evidence,
            ..Default::default()
        }),
        waiters: Default::default(),
        arrivals: Default::default(),
        metrics,
        collector: crate::cosign::Collector::new(&p.genesis),
        cosigner,
        http_peers: p.cfg.http.peers.clone(),
        forwarder: crate::forward::Forwarder::start(&p.cfg.http.peers, &client),
        client,
    });
    shared.metrics.height.set(i64::try_from(summary.height).unwrap_or(i64::MAX));
    let http = tokio::spawn(crate::http::serve(listener, shared.clone(), p.cfg.clone()));
    let wal = p.cfg.data_dir.join("wal").join("consensus.wal");
    match crate::wal::check_at_start(&wal, crate::shared::now_ms()) {
        Ok(crate::wal::WalAtStart::Usable) => {}
        Ok(crate::wal::WalAtStart::SetAside { to, reason }) => warn!(
            reason = %reason,
            kept_as = %to.display(),
            "the consensus write-ahead log could not be opened; set aside, starting a fresh one (the signing guard still prevents signing twice)"
        ),
        Err(e) => {
            http.abort();
            return Err(anyhow!(
                "cannot set aside the unreadable consensus write-ahead log {}: {e}",
                wal.display()
            ));
        }
    }
    let mut chain = p.chain.clone();
    // Set after the guard refused a signature the engine asked for: see below.
    let mut follow_past_guard = false;
    let result = loop {
        // A validator that signed at heights it no longer has (its data was wiped or
        // restored from a backup) follows the chain without a signer until it is past the
        // last height it signed; then consensus restarts with the signer.
        let signed = p.guard.last_height();
        let catch_up = p.validator
            && (signed > chain.height() + 1
                || (signed > chain.height() && (!wal.exists() || follow_past_guard)));
        let votes = p.validator && !catch_up;
        if catch_up {
            info!(
                tip = chain.height(),
                last_signed = signed,
                "following the chain without signing until past the last signed height"
            );
        }
        let (channels, engine) = start(&p, votes, &wal).await?;
        info!(moniker = %p.cfg.moniker, http = %p.cfg.http.listen, p2p = %p.cfg.p2p.listen, validator = votes, "vouchd running");
        let app = App::new(p.cfg.clone(), shared.clone(), chain, public, catch_up.then_some(signed));
        let outcome = tokio::select! {
            r = app.run(channels) => r.map_err(|e| anyhow!("stopping: {e}")),
            _ = stop.recv() => { info!("shutting down on signal"); Err(anyhow!("signal")) }
        };
        // Stopping the node actor alone leaves its children running: the old network
        // actor would keep its connections open, peers would count the new engine's
        // connections as second ones and not send it their validator proofs again, and
        // this node could then not publish a single vote.
        let _ = engine.actor.get_cell().stop_children_and_wait(None, Some(Duration::from_secs(5))).await;
        let _ = engine.actor.stop_and_wait(None, Some(Duration::from_secs(5))).await;
        engine.handle.abort();
        match outcome {
            Ok(c) if catch_up => {
                chain = c;
                follow_past_guard = false;
                // Let the p2p listener close before the engine binds it again.
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Ok(_) => break Err(anyhow!("the consensus loop ended unexpectedly")),
            Err(e) if e.to_string() == "signal" => break Ok(()),
            // The engine asked to sign a step this key had already passed at the height it
            // is on, so its write-ahead log is behind the guard (cut by a crash mid-append,
            // lost, or restored). The guard refused and the engine stopped; restarted the
            // same way, it would fail the same way forever. Sit out that height instead.
            Err(e) if votes && p.guard.take_refused() => {
                warn!(
                    error = %e,
                    last_signed = p.guard.last_height(),
                    "the consensus write-ahead log is behind this key's signing guard; following without signing until past the last signed height"
                );
                chain = match open_chain(&p.genesis, &shared.store) {
                    Ok((c, _)) => c,
                    Err(e) => break Err(e),
                };
                follow_past_guard = true;
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e) => break Err(e),
        }
    };
    if let Err(e) = &result {
        error!(error = %e, "fatal");
    }
    http.abort();
    result
}

/// Start the Malachite engine, voting (with the guarded signer) or following.
async fn start(
    p: &Prepared,
    votes: bool,
    wal: &Path,
) -> anyhow::Result<(malachitebft_app_channel::Channels<VouchContext>, malachitebft_app_channel::EngineHandle)>
{
    let mut engine_cfg = engine_config(p)?;
    engine_cfg.consensus.enabled = votes;
    let network = p.genesis.network.clone();
    let public = p.key.public();
    let address = Address::of(&public);
    let signer = VouchSigner::new(network.clone(), p.key.clone(), p.guard.clone());
    let verifier = VouchVerifier::new(network.clone());
    let keypair = Keypair::ed25519_from_bytes(p.key.seed().to_vec())
        .map_err(|e| anyhow!("key cannot serve as the p2p identity: {e}"))?;
    let identity = if votes {
        let proof = signer
            .sign_validator_proof(public.to_bytes().to_vec(), keypair.public().to_peer_id().to_bytes())
            .await
            .map_err(|e| anyhow!("cannot sign the peer binding: {e}"))?;
        let proof_bytes: Bytes = VouchCodec.encode(&proof).map_err(|e| anyhow!("{e}"))?;
        NetworkIdentity::new_validator(p.cfg.moniker.clone(), keypair, address.to_string(), proof_bytes)
    } else {
        NetworkIdentity::new(p.cfg.moniker.clone(), keypair, None)
    };
    let consensus_ctx = if votes {
        ConsensusContext::new_validator(address, Box::new(verifier), Box::new(signer))
    } else {
        ConsensusContext::new_full_node(address, Box::new(verifier))
    };
    malachitebft_app_channel::start_engine(
        VouchContext,
        engine_cfg,
        WalContext::new(wal.to_path_buf(), VouchCodec),
        NetworkContext::new(identity, VouchCodec),
        consensus_ctx,
        SyncContext::new(VouchCodec),
        RequestContext::new(100),
    )
    .await
    .map_err(|e| anyhow!("cannot start consensus: {e}"))
}

fn p2p_port(listen: &str) -> Option<u16> {
    let addr: Multiaddr = listen.parse().ok()?;
    addr.iter().find_map(|p| match p {
        multiaddr::Protocol::Tcp(port) => Some(port),
        _ => None,
    })
}

/// SIGTERM or Ctrl-C. The handlers are installed when this is made, so a signal that
/// arrives before anyone awaits it is kept, not handled by the default action (exit 143).
struct StopSignal {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
}

impl StopSignal {
    fn install() -> anyhow::Result<StopSignal> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let term = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
            let interrupt = signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?;
            Ok(StopSignal { term, interrupt })
        }
        #[cfg(not(unix))]
        Ok(StopSignal {})
    }

    async fn recv(&mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.interrupt.recv() => {}
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vouch_core::testkit::{Ledger, demo_ledger};

    /// The demo ledger's blocks committed to a fresh store.
    fn stored(ledger: &Ledger) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("ledger.redb"), &ledger.net.genesis.hash()).unwrap();
        let mut envelopes = ledger.committed.iter();
        for block in &ledger.blocks {
            let leaves: Vec<Vec<u8>> =
                (0..block.header.documents).map(|_| envelopes.next().unwrap().bytes.clone()).collect();
            store.commit_block(block, &leaves, &[]).unwrap();
        }
        (dir, store)
    }

    #[test]
    fn a_start_resumes_at_the_kept_point_and_ends_where_verifying_from_genesis_ends() {
        let (l, _) = demo_ledger(5).unwrap();
        let (_dir, store) = stored(&l);
        let (full, at) = open_chain(&l.net.genesis, &store).unwrap();
        assert_eq!(at, 0, "no point kept yet");
        assert_eq!(full.summary(), l.verifier.summary());

        let mut verifier = ChainVerifier::new(&l.net.genesis);
        for block in &l.blocks[..3] {
            verifier.push(block).unwrap();
        }
        store.put_resume_point(3, &crate::resume::encode(&verifier.resumable()).unwrap()).unwrap();
        let (resumed, at) = open_chain(&l.net.genesis, &store).unwrap();
        assert_eq!(at, 3);
        assert_eq!(resumed.summary(), full.summary());
        assert_eq!(resumed.state(), full.state());
    }

    #[test]
    fn a_point_that_does_not_fit_is_ignored_and_the_chain_verified_from_genesis() {
        let (l, _) = demo_ledger(6).unwrap();
        let (_dir, store) = stored(&l);
        let full = replay(&l.net.genesis, &store).unwrap();
        let mut verifier = ChainVerifier::new(&l.net.genesis);
        for block in &l.blocks[..4] {
            verifier.push(block).unwrap();
        }
        let good = crate::resume::encode(&verifier.resumable()).unwrap();
        // Kept under another height than the one it was taken at.
        store.put_resume_point(3, &good).unwrap();
        let (chain, at) = open_chain(&l.net.genesis, &store).unwrap();
        assert_eq!((at, chain.summary()), (0, full.summary()));
        // Damaged bytes.
        let mut damaged = good.clone();
        let last = damaged.len() - 1;
        damaged.truncate(last);
        store.put_resume_point(4, &damaged).unwrap();
        let (chain, at) = open_chain(&l.net.genesis, &store).unwrap();
        assert_eq!((at, chain.summary()), (0, full.summary()));
        // A point ahead of the tip is refused by the store.
        let tip = store.tip().unwrap();
        assert!(matches!(
            store.put_resume_point(tip + 1, &good),
            Err(crate::store::StoreError::ResumeAhead { .. })
        ));
        // And the good one is used.
        store.put_resume_point(4, &good).unwrap();
        assert_eq!(open_chain(&l.net.genesis, &store).unwrap().1, 4);
    }
}
