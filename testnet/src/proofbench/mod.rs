//! `vouch-testnet bench-proofs`: the proof and checkpoint endpoints of one `vouchd` over a
//! ledger of a million entries or more, loaded by `wrk` from another process.
//!
//! 1. Write (or reuse) a one-validator network in `--dir` whose store holds `--entries`
//!    committed enrollments with a cosigned checkpoint after every block ([`ledger`]).
//! 2. Time proof computation straight on the store at several tree sizes, and count the
//!    Merkle nodes each proof reads (the O(log n) claim).
//! 3. Start `vouchd run` on it; time until it answers HTTP and until its start-up work
//!    (the API view) is done, and read its memory.
//! 4. Load each endpoint with wrk ([`wrk`]) at each connection count; print a table.
//! 5. Stop the node (SIGTERM, SIGKILL after a grace period); with `--wipe`, remove `--dir`.
//!
//! ```text
//! <dir>/bench.json   seed, genesis time, entries: what to rebuild the keys from
//! <dir>/genesis.json
//! <dir>/node/        key.pem, node.toml, data/ledger.redb, node.log
//! <dir>/wrk/         Lua scripts, leaves.txt (sampled leaf hashes), sizes.txt
//! ```

pub mod ledger;
pub mod wrk;

use crate::client::Client;
use crate::config::{self, NodeToml};
use crate::layout::{issue_token, now_ms, write_node_dir};
use crate::process::{self, Build};
use rand::SeedableRng as _;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use vouch_node::store::Store;

/// Longest the node may take to answer HTTP after it is started.
pub const START_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// Longest to wait for the node to go idle after it answers (its API view is built).
pub const SETTLE_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// The node counts as idle below this share of one core over [`SETTLE_WINDOW`].
const IDLE_CPU: f64 = 0.10;
const SETTLE_WINDOW: Duration = Duration::from_secs(2);

/// Grace period between SIGTERM and SIGKILL when stopping the node.
const STOP_GRACE: Duration = Duration::from_secs(15);

/// `/proc` counts CPU time in USER_HZ, 100 on Linux.
const USER_HZ: f64 = 100.0;

/// Tree sizes whose proofs are timed on the store, besides the whole log.
const TIMED_SIZES: [u64; 3] = [1_000, 10_000, 100_000];

/// What `bench-proofs` does.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Entries of a new ledger.
    pub entries: u64,
    /// Documents per block of a new ledger.
    pub block_documents: u64,
    /// Seed of a new ledger.
    pub seed: u64,
    /// Replace a ledger already in the directory.
    pub fresh: bool,
    /// Remove the directory at the end.
    pub wipe: bool,
    /// Length of each wrk run.
    pub seconds: u64,
    /// Connection counts to load with, each in turn.
    pub connections: Vec<usize>,
    /// wrk threads.
    pub wrk_threads: usize,
    /// Proofs timed per tree size on the store.
    pub samples: usize,
    /// Leaf hashes sampled for the inclusion queries.
    pub leaf_sample: usize,
    /// Only write the ledger and time proofs on the store; do not start the node.
    pub no_node: bool,
}

/// Why the benchmark stopped.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// Writing or reading the ledger.
    #[error(transparent)]
    Ledger(#[from] ledger::LedgerError),
    /// Opening the store.
    #[error("store: {0}")]
    Store(#[from] vouch_node::store::StoreError),
    /// wrk.
    #[error(transparent)]
    Wrk(#[from] wrk::WrkError),
    /// Writing the directory.
    #[error(transparent)]
    Layout(#[from] crate::layout::LayoutError),
    /// Starting or signalling the node.
    #[error(transparent)]
    Process(#[from] process::ProcessError),
    /// A file operation.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The node did not do what a benchmark needs.
    #[error("{0}")]
    Node(String),
    /// The directory holds something else.
    #[error("{0}")]
    Directory(String),
}

fn io<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> BenchError + 'a {
    move |source| BenchError::Io { action, path: path.to_path_buf(), source }
}

/// `<dir>/bench.json`: enough to rebuild the network and to reuse the ledger.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Spec {
    seed: u64,
    genesis_ms: u64,
    entries: u64,
    block_documents: u64,
    http_port: u16,
}

const SPEC: &str = "bench.json";

/// Run the whole benchmark, printing as it goes.
pub fn run(dir: &Path, options: &BenchOptions, out: &mut dyn Write) -> Result<(), BenchError> {
    let spec = prepare(dir, options, out)?;
    let node_dir = dir.join("node");
    let store_path = node_dir.join("data").join("ledger.redb");
    let genesis = ledger::network(spec.seed, spec.genesis_ms)?.genesis;
    let started = Instant::now();
    let store = Store::open(&store_path, &genesis.hash())?;
    let file_bytes = std::fs::metadata(&store_path).map(|m| m.len()).unwrap_or(0);
    let tree_size = store.tree_size()?;
    line(
        out,
        format!(
            "store: {} blocks, {tree_size} leaves, {:.2} GiB; Store::open (page checksums and invariants) {:.1} s",
            store.tip()?,
            file_bytes as f64 / (1u64 << 30) as f64,
            started.elapsed().as_secs_f64()
        ),
    );
    let mut rng = rand::rngs::StdRng::seed_from_u64(spec.seed);
    line(
        out,
        format!("\nproof computation on the store ({} random proofs per size, one thread):", options.samples),
    );
    line(
        out,
        format!(
            "| {:<11} | {:>9} | {:>9} | {:>9} | {:>14} | {:>17} |",
            "proof", "tree size", "p50", "p99", "hashes avg/max", "node reads avg/max"
        ),
    );
    line(out, "|---|---:|---:|---:|---:|---:|".into());
    let mut sizes: Vec<u64> = TIMED_SIZES.iter().copied().filter(|s| *s < tree_size).collect();
    sizes.push(tree_size);
    for size in sizes {
        for t in ledger::time_proofs(&store, size, options.samples, &mut rng)? {
            line(
                out,
                format!(
                    "| {:<11} | {:>9} | {:>9} | {:>9} | {:>8.1}/{:<5} | {:>11.1}/{:<5} |",
                    t.kind,
                    t.tree_size,
                    micros(t.p50),
                    micros(t.p99),
                    t.hashes_mean,
                    t.hashes_max,
                    t.reads_mean,
                    t.reads_max
                ),
            );
        }
    }
    let wrk_dir = dir.join("wrk");
    std::fs::create_dir_all(&wrk_dir).map_err(io("cannot create", &wrk_dir))?;
    let leaves = wrk_dir.join("leaves.txt");
    let sampled = ledger::write_leaf_sample(&store, tree_size, options.leaf_sample, &leaves, &mut rng)?;
    let sizes_path = wrk_dir.join("sizes.txt");
    let checkpoint_sizes = ledger::checkpoint_sizes(&store)?;
    let sizes_text: String = checkpoint_sizes.iter().map(|s| format!("{s}\n")).collect();
    std::fs::write(&sizes_path, sizes_text).map_err(io("cannot write", &sizes_path))?;
    drop(store);
    line(
        out,
        format!(
            "\nload inputs: {sampled} leaf hashes sampled over [0, {tree_size}), {} checkpoint sizes",
            checkpoint_sizes.len()
        ),
    );
    let result = if options.no_node { Ok(()) } else { serve_and_load(dir, &spec, tree_size, options, out) };
    if options.wipe {
        std::fs::remove_dir_all(dir).map_err(io("cannot remove", dir))?;
        line(out, format!("removed {}", dir.display()));
    }
    result
}

fn line(out: &mut dyn Write, text: String) {
    let _ = writeln!(out, "{text}");
    let _ = out.flush();
}

fn micros(d: Duration) -> String {
    if d < Duration::from_millis(10) {
        format!("{:.0} µs", d.as_secs_f64() * 1e6)
    } else {
        format!("{:.1} ms", d.as_secs_f64() * 1e3)
    }
}

/// Reuse the ledger in `dir`, or write a new one.
fn prepare(dir: &Path, options: &BenchOptions, out: &mut dyn Write) -> Result<Spec, BenchError> {
    let spec_path = dir.join(SPEC);
    if spec_path.exists() && !options.fresh {
        let bytes = std::fs::read(&spec_path).map_err(io("cannot read", &spec_path))?;
        let spec: Spec = serde_json::from_slice(&bytes).map_err(|e| {
            BenchError::Directory(format!(
                "{} does not parse ({e}); next: `--fresh` to write a new ledger",
                spec_path.display()
            ))
        })?;
        line(
            out,
            format!(
                "reusing the ledger in {} ({} entries; --fresh writes a new one)",
                dir.display(),
                spec.entries
            ),
        );
        return Ok(spec);
    }
    if spec_path.exists() {
        std::fs::remove_dir_all(dir).map_err(io("cannot remove", dir))?;
    } else if dir.exists() && dir.read_dir().map(|mut d| d.next().is_some()).unwrap_or(true) {
        return Err(BenchError::Directory(format!(
            "{} exists and holds no proof-bench ledger; next: choose another --dir",
            dir.display()
        )));
    }
    let ports = crate::ports::free_ports(2).map_err(|e| BenchError::Node(e.to_string()))?;
    let (http_port, p2p_port) = match ports.as_slice() {
        [h, p] => (*h, *p),
        _ => return Err(BenchError::Node("no free ports".into())),
    };
    // Block times follow genesis by 1 ms each, so genesis is an hour back: the node's
    // own blocks, at the wall clock, come after them.
    let spec = Spec {
        seed: options.seed,
        genesis_ms: now_ms().saturating_sub(3_600_000),
        entries: options.entries,
        block_documents: options.block_documents,
        http_port,
    };
    let net = ledger::network(spec.seed, spec.genesis_ms)?;
    std::fs::create_dir_all(dir).map_err(io("cannot create", dir))?;
    let genesis_path = dir.join("genesis.json");
    std::fs::write(&genesis_path, net.genesis.to_canonical()).map_err(io("cannot write", &genesis_path))?;
    let org = ledger::member()?;
    let key = net
        .orgs
        .get(&org)
        .and_then(|s| s.validator.as_ref())
        .ok_or_else(|| BenchError::Node(format!("{org} has no validator key")))?;
    let node_dir = dir.join("node");
    let toml = NodeToml {
        moniker: org.to_string(),
        data_dir: "data".into(),
        genesis: "../genesis.json".into(),
        genesis_hash: Some(net.genesis.hash().to_hex()),
        key: "key.pem".into(),
        keystore_passphrase_file: None,
        p2p: config::P2p { listen: config::p2p_addr(p2p_port), peers: Vec::new() },
        http: config::Http {
            listen: format!("127.0.0.1:{http_port}"),
            peers: Vec::new(),
            commit_wait_ms: config::COMMIT_WAIT_MS,
        },
    };
    write_node_dir(&node_dir, key, &toml)?;
    issue_token(&node_dir, &net.genesis, org.as_str())?;
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    line(
        out,
        format!(
            "writing {} entries in blocks of {} to {} ({threads} signing threads)",
            spec.entries,
            spec.block_documents,
            node_dir.display()
        ),
    );
    let store = Store::open(&node_dir.join("data").join("ledger.redb"), &net.genesis.hash())?;
    let ledger_spec = ledger::LedgerSpec {
        seed: spec.seed,
        genesis_ms: spec.genesis_ms,
        entries: spec.entries,
        block_documents: spec.block_documents,
        threads,
    };
    let written = ledger::write(&store, &net, &ledger_spec, &node_dir.join("key.pem.cosigned"), out)?;
    drop(store);
    line(
        out,
        format!(
            "wrote {} blocks, {} entries in {:.1} s ({:.0} entries/s)",
            written.height,
            written.tree_size,
            written.elapsed.as_secs_f64(),
            written.tree_size as f64 / written.elapsed.as_secs_f64().max(1e-9)
        ),
    );
    let text = serde_json::to_vec_pretty(&spec).map_err(|e| BenchError::Directory(e.to_string()))?;
    std::fs::write(&spec_path, text).map_err(io("cannot write", &spec_path))?;
    Ok(spec)
}

/// A started node that is stopped when dropped.
struct Node {
    child: std::process::Child,
    stopped: bool,
}

impl Node {
    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGTERM, then SIGKILL after the grace period. Whether it stopped on SIGTERM.
    fn stop(&mut self) -> bool {
        if self.stopped {
            return true;
        }
        self.stopped = true;
        let _ = process::send(self.pid(), nix::sys::signal::Signal::SIGTERM);
        let deadline = Instant::now() + STOP_GRACE;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        false
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Memory and CPU time of a process, from `/proc`.
#[derive(Debug, Clone, Copy, Default)]
struct Usage {
    rss_kib: u64,
    peak_kib: u64,
    cpu: Duration,
}

fn usage(pid: u32) -> Option<Usage> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib = |key: &str| {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
    };
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) start at state, field 3.
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<u64>().ok());
    // utime and stime are fields 14 and 15, i.e. 11 and 12 after the state.
    let cpu_ticks = ticks(11)? + ticks(12)?;
    Some(Usage {
        rss_kib: kib("VmRSS:")?,
        peak_kib: kib("VmHWM:")?,
        cpu: Duration::from_secs_f64(cpu_ticks as f64 / USER_HZ),
    })
}

fn gib(kib: u64) -> String {
    format!("{:.2} GiB", kib as f64 / (1024.0 * 1024.0))
}

fn serve_and_load(
    dir: &Path,
    spec: &Spec,
    tree_size: u64,
    options: &BenchOptions,
    out: &mut dyn Write,
) -> Result<(), BenchError> {
    let vouchd = process::locate_vouchd(Build::IfMissing)?;
    let node_dir = dir.join("node");
    let log = node_dir.join("node.log");
    let started = Instant::now();
    let child = process::spawn(&vouchd, &node_dir.join("node.toml"), &log, true, &[])?;
    let mut node = Node { child, stopped: false };
    let base = config::http_url(spec.http_port);
    line(out, format!("\nstarted {} (pid {}), log {}", vouchd.display(), node.pid(), log.display()));
    let client = Client::new(&base, None);
    loop {
        if client.healthy() {
            break;
        }
        if let Ok(Some(status)) = node.child.try_wait() {
            node.stopped = true;
            return Err(BenchError::Node(format!(
                "vouchd exited ({status}) before answering; its log ends:\n{}",
                process::tail(&log, 20)
            )));
        }
        if started.elapsed() > START_TIMEOUT {
            return Err(BenchError::Node(format!(
                "vouchd did not answer within {} s",
                START_TIMEOUT.as_secs()
            )));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let ready = started.elapsed();
    let at_ready = usage(node.pid()).unwrap_or_default();
    // Then wait for the start-up work after the listener (the API view) to finish: the
    // node is idle when it uses under a tenth of a core for two seconds.
    let mut last = at_ready;
    let settled = loop {
        std::thread::sleep(SETTLE_WINDOW);
        let now = usage(node.pid()).ok_or_else(|| BenchError::Node("vouchd exited".into()))?;
        let busy = now.cpu.saturating_sub(last.cpu).as_secs_f64() / SETTLE_WINDOW.as_secs_f64();
        last = now;
        if busy < IDLE_CPU {
            break started.elapsed().saturating_sub(SETTLE_WINDOW);
        }
        if started.elapsed() > SETTLE_TIMEOUT {
            return Err(BenchError::Node("vouchd did not go idle after start".into()));
        }
    };
    let status = client.status().map_err(|e| BenchError::Node(e.to_string()))?;
    if status.tree_size != tree_size {
        return Err(BenchError::Node(format!(
            "the node reports tree size {}, the store holds {tree_size}",
            status.tree_size
        )));
    }
    line(
        out,
        format!(
            "answering HTTP after {:.1} s (RSS {}, CPU {:.1} s); idle after {:.1} s (RSS {}, peak {}, CPU {:.1} s); height {}, tree size {}",
            ready.as_secs_f64(),
            gib(at_ready.rss_kib),
            at_ready.cpu.as_secs_f64(),
            settled.as_secs_f64(),
            gib(last.rss_kib),
            gib(last.peak_kib),
            last.cpu.as_secs_f64(),
            status.height,
            status.tree_size
        ),
    );
    let scripts = wrk::Scripts::write(
        &dir.join("wrk"),
        &dir.join("wrk").join("leaves.txt"),
        &dir.join("wrk").join("sizes.txt"),
    )?;
    line(out, format!("\nwrk, {} s per run, {} threads:", options.seconds, options.wrk_threads));
    line(
        out,
        format!(
            "| {:<24} | {:>5} | {:>10} | {:>9} | {:>9} | {:>9} | {:>6} |",
            "endpoint", "conns", "requests/s", "p50", "p90", "p99", "errors"
        ),
    );
    line(out, "|---|---:|---:|---:|---:|---:|---:|".into());
    let mut commands = Vec::new();
    for &connections in &options.connections {
        for endpoint in wrk::Endpoint::ALL {
            let load = wrk::Load {
                threads: options.wrk_threads.min(connections),
                connections,
                duration: Duration::from_secs(options.seconds),
            };
            let r = wrk::run(&scripts, endpoint, &base, load)?;
            line(
                out,
                format!(
                    "| {:<24} | {:>5} | {:>10.0} | {:>9} | {:>9} | {:>9} | {:>6} |",
                    endpoint.label(),
                    connections,
                    r.rps,
                    micros(r.p50),
                    micros(r.p90),
                    micros(r.p99),
                    r.non_2xx + r.socket_errors
                ),
            );
            commands.push(r.command);
        }
    }
    let after = usage(node.pid()).unwrap_or_default();
    line(out, format!("\nnode after the load: RSS {}, peak {}", gib(after.rss_kib), gib(after.peak_kib)));
    line(out, "wrk commands run:".into());
    for c in commands {
        line(out, format!("  {c}"));
    }
    if node.stop() {
        line(out, "stopped vouchd (SIGTERM)".into());
    } else {
        line(out, format!("vouchd did not stop within {} s of SIGTERM; killed", STOP_GRACE.as_secs()));
    }
    Ok(())
}
