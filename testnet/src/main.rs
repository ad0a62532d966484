//! `vouch-testnet`: run a local Vouch network of five `vouchd` processes (four validators
//! and a regulator's observer), show its state, stop it, run the demo or the load
//! generator against it.
//!
//! Exit codes: 0 success, 1 failure (the message says what was wrong and what to do).

use anyhow::{Context as _, Result, bail};
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;
use vouch_testnet::chaos::{self, ChaosOptions};
use vouch_testnet::layout::{self, DEFAULT_NETWORK, DEFAULT_SEED, MANIFEST, Options};
use vouch_testnet::load::LoadOptions;
use vouch_testnet::net::STOP_TIMEOUT;
use vouch_testnet::process::Build;
use vouch_testnet::proofbench::{self, BenchOptions};
use vouch_testnet::{Testnet, demo, load};

/// The testnet directory unless --dir says otherwise.
const DEFAULT_DIR: &str = "./testnet-data";

/// `bench-proofs`' directory unless --dir says otherwise.
const BENCH_DIR: &str = "./proofbench-data";

/// How long `up` waits for every node to commit height 1.
const UP_TIMEOUT: Duration = Duration::from_secs(90);

/// Run a local Vouch testnet.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
struct Cli {
    /// The testnet directory (for bench-proofs, its ledger's directory: ./proofbench-data
    /// unless given).
    #[arg(long, global = true, default_value = DEFAULT_DIR)]
    dir: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create the testnet (or restart a stopped one), start the five nodes, wait for the
    /// first block, run the demo, and leave the nodes running.
    Up {
        /// Seed every key derives from (same seed, same keys).
        #[arg(long, default_value_t = DEFAULT_SEED)]
        seed: u64,
        /// Wipe an existing (stopped) testnet in --dir and create a new one.
        #[arg(long)]
        fresh: bool,
        /// Use ports from here on (HTTP ports, then p2p ports) instead of free ports.
        #[arg(long)]
        base_port: Option<u16>,
        /// Do not run the demo once the nodes are up.
        #[arg(long)]
        no_demo: bool,
    },
    /// Show each node's height, tree size, root, peers, and whether it runs.
    Status,
    /// Stop the nodes (SIGTERM, then SIGKILL after 10 s); keep the directory.
    Down {
        /// Remove the testnet directory too.
        #[arg(long)]
        wipe: bool,
    },
    /// Run the scripted demo against the running testnet.
    Demo,
    /// Print shell `export` lines for the README walkthrough: each org's node URL
    /// (`BANK_A`), operator token (`BANK_A_TOKEN`), admin key and X25519 org key files
    /// (`BANK_A_ADMIN`, `BANK_A_ENC`, written to <dir>/keys/ from the seed: test keys,
    /// never for real use), and `GENESIS`.
    Env,
    /// Load the running testnet and measure throughput and latency.
    Load {
        /// Length of the timed phase, seconds.
        #[arg(long, default_value_t = 60)]
        seconds: u64,
        /// Concurrent submitters.
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        /// Documents to pre-sign before the timed phase.
        #[arg(long, default_value_t = 12_000)]
        documents: usize,
        /// Instead: submit N documents one at a time on the idle network and report latency.
        #[arg(long, value_name = "N")]
        single: Option<usize>,
    },
    /// Benchmark the proof and checkpoint endpoints of one `vouchd` over a large ledger.
    ///
    /// Writes (or reuses) a one-validator ledger of --entries enrollments in --dir, built
    /// block by block through the node's own verifier, store and cosigner; times proof
    /// computation on the store; starts `vouchd run` on it and reports start-up time and
    /// memory; loads `/v1/proofs/inclusion` (random leaves over the whole log),
    /// `/v1/checkpoint`, `/v1/checkpoints/{size}` and `/v1/proofs/consistency` with `wrk`
    /// (which must be on PATH); stops the node. Use a release build. Needs about 1.5 GB of
    /// disk per million entries.
    BenchProofs {
        /// Entries of a new ledger (an existing one in --dir is reused unless --fresh).
        #[arg(long, default_value_t = 1_000_000)]
        entries: u64,
        /// Documents per block of a new ledger (1 to 4096, the protocol's most).
        #[arg(long, default_value_t = 4_096, value_parser = clap::value_parser!(u64).range(1..=4_096))]
        block_documents: u64,
        /// Seed of a new ledger's keys.
        #[arg(long, default_value_t = DEFAULT_SEED)]
        seed: u64,
        /// Replace the ledger in --dir with a new one.
        #[arg(long)]
        fresh: bool,
        /// Remove --dir at the end.
        #[arg(long)]
        wipe: bool,
        /// Length of each wrk run, seconds.
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        /// Open connections of the wrk runs: each endpoint is loaded at each, in turn.
        #[arg(long, value_delimiter = ',', default_value = "1,32")]
        connections: Vec<usize>,
        /// wrk threads.
        #[arg(long, default_value_t = 2)]
        wrk_threads: usize,
        /// Proofs timed per tree size on the store.
        #[arg(long, default_value_t = 2_000)]
        samples: usize,
        /// Leaf hashes sampled over the whole log for the inclusion queries.
        #[arg(long, default_value_t = 100_000)]
        leaf_sample: usize,
        /// Only write the ledger and time proofs on the store; do not start vouchd.
        #[arg(long)]
        no_node: bool,
    },
    /// Run a seeded fault campaign: five fresh nodes whose p2p links go through proxies, a
    /// steady load, random faults (kill -9, crash during recovery, SIGSTOP, graceful
    /// restart, isolation both ways and one way, a 2+2 split, link delay, connection
    /// resets), then heal everything and check that nothing acknowledged was lost, no two
    /// nodes disagree, no evidence was recorded, every node catches up and stays within
    /// its memory and open-file ceilings. Writes schedule.jsonl, actions.jsonl,
    /// history.jsonl, resources.jsonl, verdict.json and the nodes' logs to --run-dir
    /// (kept). --hours makes it a soak. Exits 1 when a check fails, printing the seed to replay.
    Chaos {
        /// Seed of the fault schedule and the keys; random when not given (always printed).
        #[arg(long)]
        seed: Option<u64>,
        /// Length of the fault phase, minutes (fractions allowed); one fault every 2–4 s.
        #[arg(long, default_value_t = 6.0, conflicts_with = "hours")]
        minutes: f64,
        /// A soak instead: the fault phase lasts this many hours (fractions allowed), one
        /// fault every 15–30 s; each node's memory, open files and data size are sampled
        /// every 30 s either way (resources.jsonl).
        #[arg(long)]
        hours: Option<f64>,
        /// Documents submitted per second, round-robin over the nodes.
        #[arg(long, default_value_t = 4.0)]
        rate: f64,
        /// The run directory; default ./chaos-runs/seed-<seed>-<unix time>.
        #[arg(long)]
        run_dir: Option<PathBuf>,
        /// Add the `loss` fault: 2–20% of one node's p2p packets dropped in the kernel for
        /// 10–20 s (iptables `statistic` rules on loopback, tagged `vouch-chaos`). Needs
        /// root and iptables; changes the schedule a seed draws.
        #[arg(long)]
        packet_loss: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Up { seed, fresh, base_port, no_demo } => up(&cli.dir, seed, fresh, base_port, no_demo),
        Command::Status => status(&cli.dir),
        Command::Down { wipe } => down(&cli.dir, wipe),
        Command::Demo => open_running(&cli.dir).and_then(|net| Ok(demo::run(&net, &mut std::io::stdout())?)),
        Command::Env => open(&cli.dir).and_then(|net| env(&cli.dir, &net)),
        Command::Load { seconds, concurrency, documents, single } => open_running(&cli.dir).and_then(|net| {
            let options = LoadOptions { seconds, concurrency, documents, single };
            let report = load::run(&net, &options, &mut std::io::stdout())?;
            if report.refused > 0 {
                bail!("{} documents were refused (reasons above)", report.refused);
            }
            Ok(())
        }),
        Command::BenchProofs {
            entries,
            block_documents,
            seed,
            fresh,
            wipe,
            seconds,
            connections,
            wrk_threads,
            samples,
            leaf_sample,
            no_node,
        } => {
            let dir =
                if cli.dir == Path::new(DEFAULT_DIR) { PathBuf::from(BENCH_DIR) } else { cli.dir.clone() };
            let options = BenchOptions {
                entries,
                block_documents,
                seed,
                fresh,
                wipe,
                seconds,
                connections,
                wrk_threads,
                samples,
                leaf_sample,
                no_node,
            };
            proofbench::run(&dir, &options, &mut std::io::stdout()).map_err(anyhow::Error::new)
        }
        Command::Chaos { seed, minutes, hours, rate, run_dir, packet_loss } => {
            chaos(seed, minutes, hours, rate, run_dir, packet_loss)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn running(net: &Testnet) -> Vec<String> {
    (0..net.len())
        .filter_map(|i| {
            net.pid(i)
                .map(|pid| format!("{} (pid {pid})", net.info(i).map(|n| n.name.as_str()).unwrap_or("?")))
        })
        .collect()
}

/// `vouch-testnet env`.
fn env(dir: &Path, net: &Testnet) -> Result<()> {
    let keys = dir.join("keys");
    std::fs::create_dir_all(&keys).with_context(|| format!("cannot create {}", keys.display()))?;
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let quote = |text: &str| format!("'{}'", text.replace('\'', "'\\''"));
    let mut out = String::new();
    out.push_str(&format!(
        "export GENESIS={}\n",
        quote(&absolute(&dir.join("genesis.json")).display().to_string())
    ));
    for node in &net.manifest().nodes {
        let var = node.name.to_uppercase().replace('-', "_");
        out.push_str(&format!("export {var}={}\n", quote(&node.http_url())));
        if let Some(token) = &node.token {
            out.push_str(&format!("export {var}_TOKEN={}\n", quote(token)));
        }
        let org =
            vouch_core::ids::OrgId::new(&node.name).with_context(|| format!("node name {}", node.name))?;
        if let Some(secrets) = net.demo_network().orgs.get(&org) {
            let path = keys.join(format!("{}-admin.pem", node.name));
            layout::write_private(&path, secrets.admin.to_pkcs8_pem().as_bytes())?;
            out.push_str(&format!("export {var}_ADMIN={}\n", quote(&absolute(&path).display().to_string())));
            let path = keys.join(format!("{}-enc.pem", node.name));
            layout::write_private(&path, secrets.decryption.to_pkcs8_pem().as_bytes())?;
            out.push_str(&format!("export {var}_ENC={}\n", quote(&absolute(&path).display().to_string())));
        }
    }
    print!("{out}");
    Ok(())
}

fn open(dir: &Path) -> Result<Testnet> {
    if !dir.join(MANIFEST).exists() {
        bail!("no testnet in {}; next: `vouch-testnet up --dir {}`", dir.display(), dir.display());
    }
    Testnet::open(dir).with_context(|| format!("cannot open the testnet in {}", dir.display()))
}

fn open_running(dir: &Path) -> Result<Testnet> {
    let net = open(dir)?;
    let answering = net.validators().into_iter().filter(|i| net.status(*i).is_ok()).count();
    if answering == 0 {
        bail!(
            "no validator of the testnet in {} answers; next: `vouch-testnet up --dir {}`",
            dir.display(),
            dir.display()
        );
    }
    Ok(net)
}

fn up(dir: &Path, seed: u64, fresh: bool, base_port: Option<u16>, no_demo: bool) -> Result<()> {
    let exists = dir.join(MANIFEST).exists();
    if exists {
        let old = open(dir)?;
        let live = running(&old);
        if !live.is_empty() {
            bail!(
                "a testnet is running in {}: {}; next: `vouch-testnet down --dir {}` first, or choose another --dir",
                dir.display(),
                live.join(", "),
                dir.display()
            );
        }
    }
    let mut net = if exists && !fresh {
        println!("restarting the stopped testnet in {} (use --fresh for a new one)", dir.display());
        open(dir)?
    } else {
        if exists {
            std::fs::remove_dir_all(dir).with_context(|| format!("cannot remove {}", dir.display()))?;
        } else if dir.exists() && dir.read_dir().map(|mut d| d.next().is_some()).unwrap_or(true) {
            bail!("{} exists and is not a testnet; next: choose another --dir", dir.display());
        }
        let options =
            Options { seed, network: DEFAULT_NETWORK.into(), genesis_ms: layout::now_ms(), base_port };
        let net = Testnet::create(dir, &options, Build::IfMissing)
            .with_context(|| format!("cannot create the testnet in {}", dir.display()))?;
        println!(
            "created testnet {} in {} (seed {seed}, genesis {})",
            options.network,
            dir.display(),
            net.manifest().genesis_hash
        );
        net
    };
    net.keep(true);
    net.prepare()?;
    net.start_all()?;
    let members = net.members();
    if let Err(e) = net.wait_for_height(&members, 1, UP_TIMEOUT) {
        return Err(anyhow::Error::new(e).context(format!(
            "the nodes did not all commit a first block; they are left running for inspection (`vouch-testnet status`, `vouch-testnet down --dir {}`)",
            dir.display()
        )));
    }
    println!("\n{:<10} {:<22} {:<24} p2p", "node", "role", "http");
    for i in &members {
        let n = net.info(*i)?;
        println!("{:<10} {:<22} {:<24} {}", n.name, n.describe(), n.http_url(), n.p2p_peer());
    }
    println!("\nlogs: {}/nodes/<node>/node.log", dir.display());
    if !no_demo {
        demo::run(&net, &mut std::io::stdout())?;
    }
    println!("\nthe nodes keep running; `vouch-testnet status` shows them, `vouch-testnet down` stops them");
    Ok(())
}

/// `vouch-testnet chaos`.
fn chaos(
    seed: Option<u64>,
    minutes: f64,
    hours: Option<f64>,
    rate: f64,
    run_dir: Option<PathBuf>,
    packet_loss: bool,
) -> Result<()> {
    if !(minutes.is_finite() && minutes > 0.0) {
        bail!("--minutes {minutes} is not a positive number of minutes");
    }
    let (length, gap_ms) = match hours {
        Some(h) if !(h.is_finite() && h > 0.0 && h <= 24.0 * 30.0) => {
            bail!("--hours {h} is not a number of hours between 0 and 720")
        }
        Some(h) => (Duration::from_secs_f64(h * 3_600.0), chaos::schedule::SOAK_GAP_MS),
        None => (Duration::from_secs_f64(minutes * 60.0), chaos::schedule::GAP_MS),
    };
    if !(rate.is_finite() && rate > 0.0 && rate <= 1_000.0) {
        bail!("--rate {rate} is not between 0 and 1000 documents per second");
    }
    let seed = seed.unwrap_or_else(rand::random);
    let run_dir = run_dir.unwrap_or_else(|| {
        PathBuf::from("chaos-runs").join(format!("seed-{seed}-{}", layout::now_ms() / 1_000))
    });
    let options = ChaosOptions { seed, length, rate, run_dir, vouchd: None, gap_ms, packet_loss };
    let report = chaos::run(&options, &mut std::io::stdout())
        .with_context(|| format!("the campaign of seed {seed} could not run (not a verdict)"))?;
    if !report.passed() {
        bail!("the campaign of seed {seed} failed its checks (above)");
    }
    Ok(())
}

fn status(dir: &Path) -> Result<()> {
    let net = open(dir)?;
    println!("{} in {} (genesis {})", net.manifest().network, dir.display(), net.manifest().genesis_hash);
    println!(
        "{:<10} {:<8} {:>8} {:>10} {:<14} {:>5} {:<12} {:>7}",
        "node", "process", "height", "tree size", "root", "peers", "sync", "mempool"
    );
    for i in 0..net.len() {
        let name = net.info(i)?.name.clone();
        let process = match net.pid(i) {
            Some(pid) => pid.to_string(),
            None => "stopped".into(),
        };
        match net.status(i) {
            Ok(s) => println!(
                "{name:<10} {process:<8} {:>8} {:>10} {:<14} {:>5} {:<12} {:>7}",
                s.height,
                s.tree_size,
                s.root.get(..12).unwrap_or(&s.root),
                s.peers,
                s.sync,
                s.mempool
            ),
            Err(e) => println!("{name:<10} {process:<8} no answer: {e}"),
        }
    }
    Ok(())
}

fn down(dir: &Path, wipe: bool) -> Result<()> {
    let net = open(dir)?;
    for (name, clean) in net.stop_all(STOP_TIMEOUT)? {
        if clean {
            println!("{name}: stopped");
        } else {
            println!("{name}: did not stop within {} s of SIGTERM; killed", STOP_TIMEOUT.as_secs());
        }
    }
    let _ = std::fs::remove_file(dir.join(vouch_testnet::process::PIDS));
    if wipe {
        drop(net);
        std::fs::remove_dir_all(dir).with_context(|| format!("cannot remove {}", dir.display()))?;
        println!("removed {}", dir.display());
    }
    Ok(())
}
