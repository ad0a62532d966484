//! A running testnet: start, stop, kill and pause its `vouchd` processes, and ask them
//! questions over HTTP. Dropping a [`Testnet`] kills every process it started, unless it
//! was told to keep them (`up`).
//!
//! # Terminology
//!
//! - *Node index*: position in [`Testnet::nodes`]; the manifest's nodes first (validators
//!   0 to 3, the observer 4), then extra nodes added by tests (an outsider, a twin).
//! - *Started here*: a process this value spawned (it holds the `Child`); a testnet opened
//!   from a directory also knows the pids in `pids.json`, and signals those after checking
//!   they still are `vouchd`.

use crate::client::{Client, ClientError, Committed, Status, Submitted};
use crate::config::NodeToml;
use crate::layout::{self, LayoutError, Manifest, NodeInfo, Options};
use crate::process::{self, Build, ProcessError};
use nix::sys::signal::Signal;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use vouch_core::block::Block;
use vouch_core::keys::SigningKey;
use vouch_core::testkit::DemoNetwork;

/// How many log lines a timeout message shows per node.
pub const LOG_TAIL_LINES: usize = 15;

/// Longest `stop` waits after SIGTERM before SIGKILL.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a testnet operation failed.
#[derive(Debug, thiserror::Error)]
pub enum TestnetError {
    /// Directory layout.
    #[error(transparent)]
    Layout(#[from] LayoutError),
    /// Processes.
    #[error(transparent)]
    Process(#[from] ProcessError),
    /// HTTP.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// No such node.
    #[error("no node {index}: the testnet has {len} nodes")]
    NoNode {
        /// Index asked.
        index: usize,
        /// Nodes there are.
        len: usize,
    },
    /// Something did not happen in time.
    #[error("{what} did not happen within {seconds:.1} s; next: read the node logs:\n{logs}")]
    Timeout {
        /// What was awaited.
        what: String,
        /// The deadline.
        seconds: f64,
        /// Last lines of each node's log.
        logs: String,
    },
}

/// Poll `condition` every `poll` until it holds (true) or `timeout` passes (false).
pub fn wait_until(timeout: Duration, poll: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(poll.min(deadline.saturating_duration_since(Instant::now())));
    }
}

struct Node {
    info: NodeInfo,
    client: Client,
    child: Mutex<Option<Child>>,
    /// Pid from `pids.json` for a node started by another invocation.
    foreign: Mutex<Option<u32>>,
}

/// A testnet directory and the processes running it.
pub struct Testnet {
    dir: PathBuf,
    manifest: Manifest,
    net: DemoNetwork,
    vouchd: Mutex<Option<PathBuf>>,
    build: Build,
    nodes: Vec<Node>,
    keep: bool,
}

impl std::fmt::Debug for Testnet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Testnet").field("dir", &self.dir).field("nodes", &self.nodes.len()).finish()
    }
}

fn node(info: NodeInfo) -> Node {
    Node {
        client: Client::new(&info.http_url(), info.token.clone()),
        info,
        child: Mutex::new(None),
        foreign: Mutex::new(None),
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Testnet {
    /// Generate a new testnet in `dir` (nothing started). `build` says whether to build
    /// `vouchd` before the first start.
    pub fn create(dir: &Path, options: &Options, build: Build) -> Result<Testnet, TestnetError> {
        let (manifest, net) = layout::create(dir, options)?;
        let nodes = manifest.nodes.iter().cloned().map(node).collect();
        Ok(Testnet {
            dir: dir.to_path_buf(),
            manifest,
            net,
            vouchd: Mutex::new(None),
            build,
            nodes,
            keep: false,
        })
    }

    /// Open the testnet in `dir`, with the pids a previous invocation recorded. Processes
    /// are kept when this value is dropped.
    pub fn open(dir: &Path) -> Result<Testnet, TestnetError> {
        let (manifest, net) = Manifest::load(dir)?;
        let pids = process::read_pids(dir)?;
        let nodes: Vec<Node> = manifest.nodes.iter().cloned().map(node).collect();
        for n in &nodes {
            *lock(&n.foreign) = pids.get(&n.info.name).copied();
        }
        Ok(Testnet {
            dir: dir.to_path_buf(),
            manifest,
            net,
            vouchd: Mutex::new(None),
            build: Build::IfMissing,
            nodes,
            keep: true,
        })
    }

    /// Keep (true) or kill (false) the started processes when this value is dropped.
    pub fn keep(&mut self, keep: bool) {
        self.keep = keep;
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The demo network (genesis and every key).
    pub fn demo_network(&self) -> &DemoNetwork {
        &self.net
    }

    /// Number of nodes (extras included).
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether there are no nodes.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Indices of the validators of the manifest.
    pub fn validators(&self) -> Vec<usize> {
        (0..self.manifest.nodes.len())
            .filter(|i| self.manifest.nodes.get(*i).is_some_and(|n| n.validator))
            .collect()
    }

    /// Indices of the manifest's nodes (validators and observer, no extras).
    pub fn members(&self) -> Vec<usize> {
        (0..self.manifest.nodes.len()).collect()
    }

    fn node(&self, i: usize) -> Result<&Node, TestnetError> {
        self.nodes.get(i).ok_or(TestnetError::NoNode { index: i, len: self.nodes.len() })
    }

    /// Node `i`'s description.
    pub fn info(&self, i: usize) -> Result<&NodeInfo, TestnetError> {
        Ok(&self.node(i)?.info)
    }

    /// Node `i`'s HTTP client.
    pub fn client(&self, i: usize) -> Result<&Client, TestnetError> {
        Ok(&self.node(i)?.client)
    }

    /// Clients of every node, to move into worker threads.
    pub fn clients(&self) -> Vec<Client> {
        self.nodes.iter().map(|n| n.client.clone()).collect()
    }

    /// Node `i`'s directory.
    pub fn node_dir(&self, i: usize) -> Result<PathBuf, TestnetError> {
        Ok(self.dir.join(&self.node(i)?.info.dir))
    }

    /// Node `i`'s log file.
    pub fn log_path(&self, i: usize) -> Result<PathBuf, TestnetError> {
        Ok(self.node_dir(i)?.join("node.log"))
    }

    /// The last `lines` lines of node `i`'s log.
    pub fn log_tail(&self, i: usize, lines: usize) -> String {
        match self.log_path(i) {
            Ok(p) => process::tail(&p, lines),
            Err(e) => e.to_string(),
        }
    }

    /// The last lines of every node's log, headed by name and path.
    pub fn logs(&self, lines: usize) -> String {
        let mut out = String::new();
        for (i, n) in self.nodes.iter().enumerate() {
            let path = self.log_path(i).map(|p| p.display().to_string()).unwrap_or_default();
            out.push_str(&format!(
                "--- {} ({path}), last {lines} lines:\n{}\n",
                n.info.name,
                self.log_tail(i, lines)
            ));
        }
        out
    }

    /// A timeout error naming `what`, with every node's log tail.
    pub fn timeout(&self, what: impl Into<String>, timeout: Duration) -> TestnetError {
        TestnetError::Timeout {
            what: what.into(),
            seconds: timeout.as_secs_f64(),
            logs: self.logs(LOG_TAIL_LINES),
        }
    }

    fn vouchd(&self) -> Result<PathBuf, TestnetError> {
        let mut v = lock(&self.vouchd);
        if let Some(path) = v.as_ref() {
            return Ok(path.clone());
        }
        let path = process::locate_vouchd(self.build)?;
        *v = Some(path.clone());
        Ok(path)
    }

    /// Find (or build) `vouchd` now, so that the first start does not wait for a build.
    pub fn prepare(&self) -> Result<PathBuf, TestnetError> {
        self.vouchd()
    }

    /// Use the `vouchd` at `path` (tests locate it once for all their testnets).
    pub fn set_vouchd(&self, path: PathBuf) {
        *lock(&self.vouchd) = Some(path);
    }

    /// Add a node outside the manifest (an outsider, a twin): writes its directory
    /// `nodes/<name>/` with `key` and `config`, and returns its index. Not started.
    pub fn add_node(
        &mut self,
        info: NodeInfo,
        key: &SigningKey,
        config: &NodeToml,
    ) -> Result<usize, TestnetError> {
        layout::write_node_dir(&self.dir.join(&info.dir), key, config)?;
        self.nodes.push(node(info));
        Ok(self.nodes.len() - 1)
    }

    /// Replace node `i`'s `node.toml` (it takes effect at its next start).
    pub fn write_config(&self, i: usize, config: &NodeToml) -> Result<(), TestnetError> {
        let path = self.node_dir(i)?.join("node.toml");
        std::fs::write(&path, config.to_toml().map_err(LayoutError::from)?)
            .map_err(|source| TestnetError::Layout(LayoutError::Io { action: "cannot write", path, source }))
    }

    /// Write the pids of running nodes to `pids.json`.
    fn save_pids(&self) -> Result<(), TestnetError> {
        let mut pids = std::collections::BTreeMap::new();
        for (i, n) in self.nodes.iter().enumerate() {
            if let Some(pid) = self.pid(i) {
                pids.insert(n.info.name.clone(), pid);
            }
        }
        Ok(process::write_pids(&self.dir, &pids)?)
    }

    /// The pid of node `i` if it is running.
    pub fn pid(&self, i: usize) -> Option<u32> {
        let n = self.nodes.get(i)?;
        let mut child = lock(&n.child);
        if let Some(c) = child.as_mut() {
            return match c.try_wait() {
                Ok(None) => Some(c.id()),
                _ => None,
            };
        }
        lock(&n.foreign).filter(|pid| process::is_vouchd(*pid))
    }

    /// Whether node `i` is running.
    pub fn is_running(&self, i: usize) -> bool {
        self.pid(i).is_some()
    }

    /// Start node `i` (no-op if it runs).
    pub fn start(&self, i: usize) -> Result<(), TestnetError> {
        self.start_with(i, &[])
    }

    /// Start node `i` with `env` added to its environment (no-op if it runs).
    pub fn start_with(&self, i: usize, env: &[(String, String)]) -> Result<(), TestnetError> {
        if self.is_running(i) {
            return Ok(());
        }
        let vouchd = self.vouchd()?;
        let dir = self.node_dir(i)?;
        let tie = !self.keep;
        let child = process::spawn(&vouchd, &dir.join("node.toml"), &dir.join("node.log"), tie, env)?;
        let n = self.node(i)?;
        *lock(&n.child) = Some(child);
        *lock(&n.foreign) = None;
        self.save_pids()
    }

    /// Start every node of the manifest.
    pub fn start_all(&self) -> Result<(), TestnetError> {
        for i in self.members() {
            self.start(i)?;
        }
        Ok(())
    }

    fn signal(&self, i: usize, sig: Signal) -> Result<(), TestnetError> {
        if let Some(pid) = self.pid(i) {
            process::send(pid, sig)?;
        }
        Ok(())
    }

    /// SIGKILL node `i` and reap it.
    pub fn kill(&self, i: usize) -> Result<(), TestnetError> {
        let n = self.node(i)?;
        self.signal(i, Signal::SIGKILL)?;
        if let Some(mut c) = lock(&n.child).take() {
            let _ = c.wait();
        }
        let foreign = *lock(&n.foreign);
        if let Some(pid) = foreign {
            wait_until(STOP_TIMEOUT, Duration::from_millis(20), || !process::is_vouchd(pid));
            *lock(&n.foreign) = None;
        }
        self.save_pids()
    }

    /// SIGTERM node `i`, wait up to `timeout` for it to exit, then SIGKILL. Returns
    /// whether it exited on its own.
    pub fn stop(&self, i: usize, timeout: Duration) -> Result<bool, TestnetError> {
        if !self.is_running(i) {
            return Ok(true);
        }
        self.signal(i, Signal::SIGTERM)?;
        // A paused process handles SIGTERM only once continued.
        self.signal(i, Signal::SIGCONT)?;
        let exited = wait_until(timeout, Duration::from_millis(50), || !self.is_running(i));
        self.kill(i)?;
        Ok(exited)
    }

    /// SIGSTOP node `i` (it stays in the process table, silent).
    pub fn pause(&self, i: usize) -> Result<(), TestnetError> {
        self.signal(i, Signal::SIGSTOP)
    }

    /// SIGCONT node `i`.
    pub fn resume(&self, i: usize) -> Result<(), TestnetError> {
        self.signal(i, Signal::SIGCONT)
    }

    /// Stop every node (SIGTERM, then SIGKILL after `timeout`), all at once.
    pub fn stop_all(&self, timeout: Duration) -> Result<Vec<(String, bool)>, TestnetError> {
        let running: Vec<usize> = (0..self.nodes.len()).filter(|i| self.is_running(*i)).collect();
        for i in &running {
            self.signal(*i, Signal::SIGTERM)?;
            self.signal(*i, Signal::SIGCONT)?;
        }
        let mut out = Vec::new();
        let deadline = Instant::now() + timeout;
        for i in running {
            let left = deadline.saturating_duration_since(Instant::now());
            let exited = wait_until(left, Duration::from_millis(50), || !self.is_running(i));
            self.kill(i)?;
            out.push((self.nodes.get(i).map(|n| n.info.name.clone()).unwrap_or_default(), exited));
        }
        Ok(out)
    }

    /// `GET /v1/status` of node `i`.
    pub fn status(&self, i: usize) -> Result<Status, TestnetError> {
        Ok(self.client(i)?.status()?)
    }

    /// Node `i`'s height, or `None` if it does not answer.
    pub fn height(&self, i: usize) -> Option<u64> {
        self.status(i).ok().map(|s| s.height)
    }

    /// Submit `bytes` to node `i`.
    pub fn submit(&self, i: usize, bytes: &[u8]) -> Result<Submitted, TestnetError> {
        Ok(self.client(i)?.submit(bytes)?)
    }

    /// Block `h` from node `i`.
    pub fn block(&self, i: usize, h: u64) -> Result<Option<Block>, TestnetError> {
        Ok(self.client(i)?.block(h)?)
    }

    /// Blocks `from..=to` from node `i`, or `None` if it has no block `to`.
    pub fn blocks(&self, i: usize, from: u64, to: u64) -> Result<Option<Vec<Block>>, TestnetError> {
        Ok(self.client(i)?.blocks(from, to)?)
    }

    /// The checkpoint note of node `i`.
    pub fn checkpoint(&self, i: usize) -> Result<String, TestnetError> {
        Ok(self.client(i)?.checkpoint()?)
    }

    /// Wait until node `i` serves a cosigned checkpoint of at least `size` leaves; returns
    /// the note. The error names the last answer.
    pub fn wait_for_checkpoint(
        &self,
        i: usize,
        size: u64,
        timeout: Duration,
    ) -> Result<String, TestnetError> {
        let mut last = String::from("no answer");
        let mut note = None;
        let ok = wait_until(timeout, Duration::from_millis(250), || match self.checkpoint(i) {
            Ok(text) => {
                let big_enough = vouch_core::checkpoint::CosignedCheckpoint::parse_note(text.as_bytes())
                    .map(|c| c.checkpoint.size >= size)
                    .unwrap_or(true);
                last = format!("a checkpoint below size {size}");
                note = Some(text);
                big_enough
            }
            Err(e) => {
                last = e.to_string();
                false
            }
        });
        match note {
            Some(note) if ok => Ok(note),
            _ => {
                let name = self.nodes.get(i).map(|n| n.info.name.clone()).unwrap_or_default();
                Err(self.timeout(
                    format!("a cosigned checkpoint of size ≥ {size} from {name} (last: {last})"),
                    timeout,
                ))
            }
        }
    }

    /// Wait until every node in `nodes` reports height at least `height`.
    pub fn wait_for_height(
        &self,
        nodes: &[usize],
        height: u64,
        timeout: Duration,
    ) -> Result<(), TestnetError> {
        let ok = wait_until(timeout, Duration::from_millis(200), || {
            nodes.iter().all(|i| self.height(*i).is_some_and(|h| h >= height))
        });
        if ok {
            return Ok(());
        }
        let heights: Vec<String> = nodes
            .iter()
            .map(|i| {
                let name = self.nodes.get(*i).map(|n| n.info.name.as_str()).unwrap_or("?");
                match self.status(*i) {
                    Ok(s) => format!("{name} at height {} with {} peers", s.height, s.peers),
                    Err(e) => format!("{name}: {e}"),
                }
            })
            .collect();
        Err(self.timeout(format!("height {height} on every node ({})", heights.join("; ")), timeout))
    }

    /// Wait until every node in `nodes` reports the same tree size and root, with tree
    /// size at least `size`. Returns that (size, root).
    pub fn wait_for_agreement(
        &self,
        nodes: &[usize],
        size: u64,
        timeout: Duration,
    ) -> Result<(u64, String), TestnetError> {
        let mut last = Vec::new();
        let ok = wait_until(timeout, Duration::from_millis(200), || {
            last = nodes.iter().map(|i| self.status(*i).ok().map(|s| (s.tree_size, s.root))).collect();
            let first = last.first().cloned().flatten();
            first.as_ref().is_some_and(|(s, _)| *s >= size) && last.iter().all(|x| *x == first)
        });
        if ok && let Some(Some(agreed)) = last.first().cloned() {
            return Ok(agreed);
        }
        let seen: Vec<String> = nodes
            .iter()
            .zip(&last)
            .map(|(i, s)| {
                let name = self.nodes.get(*i).map(|n| n.info.name.as_str()).unwrap_or("?");
                match s {
                    Some((size, root)) => {
                        format!("{name}: size {size} root {}", root.get(..12).unwrap_or(root))
                    }
                    None => format!("{name}: no answer"),
                }
            })
            .collect();
        Err(self.timeout(format!("agreement on a tree of size ≥ {size} ({})", seen.join("; ")), timeout))
    }

    /// Find the document with `leaf_hash` in node `i`'s blocks, scanning heights from
    /// `from`. Returns its commit record.
    pub fn find_leaf(&self, i: usize, leaf_hash: &str, from: u64) -> Result<Option<Committed>, TestnetError> {
        let top = self.status(i)?.height;
        for h in from.max(1)..=top {
            let Some(block) = self.block(i, h)? else { continue };
            if let Some(c) = leaf_in_block(&block, leaf_hash) {
                return Ok(Some(c));
            }
        }
        Ok(None)
    }
}

/// The commit record of the document with `leaf_hash` in `block`, if it is there.
pub fn leaf_in_block(block: &Block, leaf_hash: &str) -> Option<Committed> {
    let first = block.header.tree_size.checked_sub(block.header.documents)?;
    block.documents.iter().enumerate().find_map(|(k, doc)| {
        let hash = crate::client::leaf_hash(&vouch_core::canonical::to_canonical(doc));
        (hash == leaf_hash).then(|| Committed {
            leaf_index: first + u64::try_from(k).unwrap_or(u64::MAX),
            height: block.header.height,
            leaf_hash: hash,
        })
    })
}

impl Drop for Testnet {
    fn drop(&mut self) {
        if self.keep {
            return;
        }
        for n in &self.nodes {
            if let Some(mut c) = lock(&n.child).take() {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
        let _ = std::fs::remove_file(self.dir.join(process::PIDS));
    }
}

/// Start a fresh testnet in `dir` with the `vouchd` at `vouchd`: start the five nodes
/// and wait until each has committed height 1.
pub fn start_fresh(
    dir: &Path,
    options: &Options,
    vouchd: &Path,
    timeout: Duration,
) -> Result<Testnet, TestnetError> {
    let net = Testnet::create(dir, options, Build::IfMissing)?;
    net.set_vouchd(vouchd.to_path_buf());
    net.start_all()?;
    let members = net.members();
    net.wait_for_height(&members, 1, timeout)?;
    Ok(net)
}
