//! Run a seeded fault campaign against real `vouchd-faults` processes, then heal everything
//! and check that nothing acknowledged was lost and no two nodes disagree (issue 7).
//!
//! # Design
//!
//! - [`proxy`]: a userspace TCP proxy on every directed link, p2p and HTTP forwarding,
//!   which can block a flow, delay it or reset its connections; the nodes' configs name
//!   the proxies as their peers.
//! - [`schedule`]: the faults, drawn from the seed before anything starts
//!   (`schedule.jsonl`), and the timed steps they expand to.
//! - [`history`]: a steady load of pre-signed documents round-robin over the nodes, every
//!   operation recorded with its outcome (`history.jsonl`).
//! - [`monitor`]: per-node status polling during the campaign; catch-up times of
//!   restarted nodes; processes that died on their own; what the validators cosigned
//!   ([`cosigned`]).
//! - [`resources`]: memory, open files and data size sampled every 30 s.
//! - [`check`]: the checkers run after healing.
//!
//! A run directory holds `testnet/` (configs, data and each node's `node.log`),
//! `schedule.jsonl`, `actions.jsonl` (each step as carried out, with its real time),
//! `history.jsonl`, `resources.jsonl` and `verdict.json`. It is kept whatever the outcome.
//!
//! The controller (faults, healing, checks) runs on the calling thread: nodes are started
//! tied to the thread that starts them (`PR_SET_PDEATHSIG`), so it must live as long as
//! they do. What is not built yet is listed in `docs/RELIABILITY.md`.

pub mod check;
pub mod cosigned;
pub mod history;
pub mod loss;
pub mod monitor;
pub mod proxy;
pub mod resources;
pub mod schedule;
pub mod signed;

use crate::config;
use crate::layout::{self, Options};
use crate::net::{STOP_TIMEOUT, Testnet, TestnetError};
use crate::process::Build;
use check::Verdict;
use history::Load;
use monitor::{Expect, Monitor};
use schedule::{Action, Planned, Step};
use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Until every node has committed height 1 at the start.
pub const START_TIMEOUT: Duration = Duration::from_secs(120);

/// After healing, every node must reach the highest height plus this many...
pub const LIVENESS_HEIGHTS: u64 = 5;

/// ...within this long.
pub const LIVENESS_TIMEOUT: Duration = Duration::from_secs(60);

/// How long the checks wait for lagging nodes to reach the highest height before they
/// compare ledgers.
pub const SETTLE_TIMEOUT: Duration = Duration::from_secs(30);

/// Pre-signed documents beyond the campaign's length at the load's rate: warm-up, heal
/// and liveness check.
pub const SPARE_LOAD_SECONDS: f64 = 150.0;

/// Why a campaign could not run (a failed check is a verdict, not an error).
#[derive(Debug, thiserror::Error)]
pub enum ChaosError {
    /// The testnet.
    #[error(transparent)]
    Testnet(#[from] TestnetError),
    /// The proxies.
    #[error(transparent)]
    Proxy(#[from] proxy::ProxyError),
    /// The load's setup (enrollments) or signing.
    #[error("cannot prepare the load: {0}")]
    Load(#[from] crate::demo::DemoError),
    /// A run file.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// Writing the report.
    #[error("cannot write the report: {0}")]
    Out(#[from] std::io::Error),
    /// `--packet-loss` without a usable packet filter.
    #[error(transparent)]
    Loss(#[from] loss::LossError),
}

/// What to run.
#[derive(Debug, Clone)]
pub struct ChaosOptions {
    /// Seed of the schedule (and of the testnet's keys).
    pub seed: u64,
    /// Length of the fault phase.
    pub length: Duration,
    /// Documents per second of the load.
    pub rate: f64,
    /// The run directory (created; must not hold a testnet).
    pub run_dir: PathBuf,
    /// The `vouchd` to run; located (or built) like `up` does when `None`.
    pub vouchd: Option<PathBuf>,
    /// Time between the starts of two faults, ms (lowest, highest):
    /// [`schedule::GAP_MS`] for the CI campaign, [`schedule::SOAK_GAP_MS`] for a soak.
    pub gap_ms: (u64, u64),
    /// Add the `loss` fault: packets dropped in the kernel (root and iptables needed).
    pub packet_loss: bool,
}

/// A validator's record of the largest checkpoint it cosigned, in its node directory
/// (beside `key.pem`, as `vouchd` keeps it).
pub const COSIGNER_RECORD: &str = "key.pem.cosigned";

/// A node's consensus write-ahead log, in its node directory (the testnet's layout).
pub const WAL_FILE: &str = "data/wal/consensus.wal";

/// The data directory, in a node directory (the testnet's layout).
const DATA_DIR: &str = "data";

/// Cut `cut` bytes from the end of `path` (all of it when shorter); its sizes before and
/// after. A missing log is left missing (size 0).
fn cut_tail(path: &Path, cut: u64) -> std::io::Result<(u64, u64)> {
    let file = match std::fs::OpenOptions::new().write(true).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((0, 0)),
        Err(e) => return Err(e),
    };
    let before = file.metadata()?.len();
    let after = before.saturating_sub(cut);
    file.set_len(after)?;
    file.sync_all()?;
    Ok((before, after))
}

/// How long every node stays down in the scripted restart of all of them.
pub const RESTART_ALL_DOWN: Duration = Duration::from_secs(1);

/// How often each node's memory, open files and data size are sampled.
pub const SAMPLE_EVERY: Duration = Duration::from_secs(30);

/// What a campaign found.
#[derive(Debug, Clone)]
pub struct Report {
    /// The seed.
    pub seed: u64,
    /// The run directory.
    pub run_dir: PathBuf,
    /// Faults drawn, by kind.
    pub faults: std::collections::BTreeMap<&'static str, usize>,
    /// Load outcomes.
    pub tally: history::Tally,
    /// Every checker's verdict.
    pub verdicts: Vec<Verdict>,
}

impl Report {
    /// Whether every checker passed.
    pub fn passed(&self) -> bool {
        self.verdicts.iter().all(|v| v.passed)
    }

    /// Total faults.
    pub fn fault_count(&self) -> usize {
        self.faults.values().sum()
    }
}

fn io_err<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> ChaosError + 'a {
    move |source| ChaosError::Io { action, path: path.to_path_buf(), source }
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Point every node's p2p peers at the proxies (node `i` reaches `j` through link `(i, j)`).
fn route_through(net: &Testnet, mesh: &proxy::Mesh) -> Result<(), ChaosError> {
    let manifest = net.manifest().clone();
    for (i, node) in manifest.nodes.iter().enumerate() {
        let others: Vec<&layout::NodeInfo> = manifest.nodes.iter().filter(|o| o.name != node.name).collect();
        let mut toml = layout::node_toml(node, &others, Some(&manifest.genesis_hash), "../../genesis.json");
        toml.p2p.peers = manifest
            .nodes
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .filter_map(|(j, o)| mesh.port(i, j).map(|port| config::p2p_peer(port, &o.peer_id)))
            .collect();
        toml.http.peers = (0..manifest.nodes.len())
            .filter(|j| *j != i)
            .filter_map(|j| mesh.http_port(i, j).map(config::http_url))
            .collect();
        net.write_config(i, &toml)?;
    }
    Ok(())
}

/// The controller's side: carries out steps and keeps `actions.jsonl`.
struct Controller<'a> {
    net: &'a Testnet,
    mesh: &'a proxy::Mesh,
    monitor: &'a Monitor,
    origin: Instant,
    actions: std::io::BufWriter<std::fs::File>,
    names: Vec<String>,
    /// Graceful stops made, and those that needed SIGKILL.
    terms: (usize, Vec<String>),
    /// Nodes started armed to crash and not yet killed, and (armed, fired) so far.
    armed: (Vec<usize>, usize, usize),
    /// Nodes running with their clock set off: (offset ms, since Unix ms).
    clocks: BTreeMap<usize, (i64, u64)>,
    /// Whether packet-loss rules may be in place (cleared at healing).
    packet_loss: bool,
}

impl Controller<'_> {
    fn name(&self, i: usize) -> String {
        self.names.get(i).cloned().unwrap_or_else(|| format!("node-{i}"))
    }

    /// After validator `i` was killed: its guard at `path` against its latest precommit in
    /// the certificates of the highest running node's last blocks.
    fn check_guard(&self, i: usize, path: &Path) {
        let name = self.name(i);
        let genesis = &self.net.demo_network().genesis;
        let key = genesis.orgs.iter().find(|o| o.id.as_str() == name).and_then(|o| o.validator.as_ref());
        let Some(key) = key.map(|v| v.key) else { return };
        let blocks = self.monitor.highest_running(i).and_then(|j| {
            let top = self.net.height(j).filter(|t| *t > 0)?;
            let from = top.saturating_sub(signed::BLOCKS_READ - 1).max(1);
            self.net.blocks(j, from, top).ok().flatten()
        });
        match blocks {
            Some(blocks) if !blocks.is_empty() => {
                self.monitor.signings.check_guard(&name, &key, path, &blocks)
            }
            _ => self.monitor.signings.unread(),
        }
    }

    fn flows(&self, flows: &[(usize, usize)]) -> Vec<String> {
        flows.iter().map(|(a, b)| format!("{}>{}", self.name(*a), self.name(*b))).collect()
    }

    fn log(
        &mut self,
        planned_ms: Option<u64>,
        fault: Option<usize>,
        action: &str,
        detail: serde_json::Value,
    ) {
        let line = serde_json::json!({
            "at_ms": ms(self.origin.elapsed()),
            "planned_ms": planned_ms,
            "fault": fault,
            "action": action,
            "detail": detail,
        });
        let _ = writeln!(self.actions, "{line}");
        let _ = self.actions.flush();
    }

    fn apply(&mut self, step: Option<&Step>, action: &Action) {
        let (planned, fault) = (step.map(|s| s.at_ms), step.map(|s| s.fault));
        let (net, mesh, monitor) = (self.net, self.mesh, self.monitor);
        let result = |r: Result<(), TestnetError>| match r {
            Ok(()) => serde_json::Value::Null,
            Err(e) => serde_json::json!({"error": e.to_string()}),
        };
        match action {
            Action::Kill(i) => {
                if let Some((offset, since)) = self.clocks.remove(i) {
                    monitor.cosignings.clock_set_off(&self.name(*i), offset, since, layout::now_ms());
                }
                if let Some(k) = self.armed.0.iter().position(|a| a == i) {
                    self.armed.0.remove(k);
                    self.armed.1 += 1;
                    if !net.is_running(*i) {
                        self.armed.2 += 1;
                    }
                }
                let r = monitor.transition(*i, Expect::Down, || net.kill(*i));
                if *i < layout::VALIDATORS
                    && let Ok(dir) = net.node_dir(*i)
                {
                    monitor.cosignings.check_record(&self.name(*i), &dir.join(COSIGNER_RECORD));
                    self.check_guard(*i, &dir.join(signed::GUARD_RECORD));
                }
                self.log(
                    planned,
                    fault,
                    "kill",
                    serde_json::json!({"node": self.name(*i), "result": result(r)}),
                );
            }
            Action::Start(i) => {
                let r = monitor.transition(*i, Expect::Running, || net.start(*i));
                monitor.started(*i, "start");
                self.log(
                    planned,
                    fault,
                    "start",
                    serde_json::json!({"node": self.name(*i), "result": result(r)}),
                );
            }
            Action::StartWith(i, env) => {
                if let Some(offset) = env
                    .iter()
                    .find(|(k, _)| k == schedule::CLOCK_OFFSET_VAR)
                    .and_then(|(_, v)| v.parse().ok())
                {
                    self.clocks.insert(*i, (offset, layout::now_ms()));
                }
                let r = monitor.transition(*i, Expect::Running, || net.start_with(*i, env));
                monitor.started(*i, "start");
                let env: BTreeMap<&str, &str> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                self.log(
                    planned,
                    fault,
                    "start",
                    serde_json::json!({"node": self.name(*i), "env": env, "result": result(r)}),
                );
            }
            Action::JumpClock(i, offset) => {
                // The offset the node ran with until now excuses its timestamps until now.
                if let Some((before, since)) = self.clocks.remove(i) {
                    monitor.cosignings.clock_set_off(&self.name(*i), before, since, layout::now_ms());
                }
                let path = net.node_dir(*i).map(|d| d.join(DATA_DIR).join(vouch_node::faults::CLOCK_FILE));
                let done = match (&path, offset) {
                    (Ok(path), Some(ms)) => {
                        self.clocks.insert(*i, (*ms, layout::now_ms()));
                        // Written aside and renamed, so the node's poll never reads half a number.
                        let aside = path.with_extension("tmp");
                        std::fs::write(&aside, ms.to_string())
                            .and_then(|()| std::fs::rename(&aside, path))
                            .map_err(|e| format!("{}: {e}", path.display()))
                    }
                    (Ok(path), None) => match std::fs::remove_file(path) {
                        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                            Err(format!("{}: {e}", path.display()))
                        }
                        _ => Ok(()),
                    },
                    (Err(e), _) => Err(e.to_string()),
                };
                let detail = match done {
                    Ok(()) => serde_json::json!({"node": self.name(*i), "offset_ms": offset}),
                    Err(e) => serde_json::json!({"node": self.name(*i), "offset_ms": offset, "error": e}),
                };
                self.log(planned, fault, "jump_clock", detail);
            }
            Action::StartArmed(i, env) => {
                // Expected down: its abort is the point, not a crash to report.
                let r = monitor.transition(*i, Expect::Down, || net.start_with(*i, env));
                self.armed.0.push(*i);
                let env: BTreeMap<&str, &str> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                self.log(
                    planned,
                    fault,
                    "start_armed",
                    serde_json::json!({"node": self.name(*i), "env": env, "result": result(r)}),
                );
            }
            Action::Term(i) => {
                let t = Instant::now();
                let r = monitor.transition(*i, Expect::Down, || net.stop(*i, STOP_TIMEOUT));
                self.terms.0 += 1;
                match &r {
                    Ok(true) => {}
                    Ok(false) => self.terms.1.push(format!(
                        "{} did not exit within {} s of SIGTERM (killed)",
                        self.name(*i),
                        STOP_TIMEOUT.as_secs()
                    )),
                    Err(e) => self.terms.1.push(format!("{}: {e}", self.name(*i))),
                }
                let detail = match r {
                    Ok(exited) => serde_json::json!({
                        "node": self.name(*i),
                        "exited_on_sigterm": exited,
                        "took_ms": ms(t.elapsed()),
                    }),
                    Err(e) => serde_json::json!({"node": self.name(*i), "error": e.to_string()}),
                };
                self.log(planned, fault, "term", detail);
            }
            Action::Stop(i) => {
                let r = monitor.transition(*i, Expect::Paused, || net.pause(*i));
                self.log(
                    planned,
                    fault,
                    "sigstop",
                    serde_json::json!({"node": self.name(*i), "result": result(r)}),
                );
            }
            Action::Cont(i) => {
                let r = monitor.transition(*i, Expect::Running, || net.resume(*i));
                monitor.started(*i, "cont");
                self.log(
                    planned,
                    fault,
                    "sigcont",
                    serde_json::json!({"node": self.name(*i), "result": result(r)}),
                );
            }
            Action::Cut(flows) => {
                mesh.block(flows, true);
                mesh.reset(flows);
                self.log(planned, fault, "cut", serde_json::json!({"flows": self.flows(flows)}));
            }
            Action::Mend(flows, cut_off) => {
                mesh.block(flows, false);
                if let Some(i) = cut_off {
                    monitor.started(*i, "mend");
                }
                self.log(planned, fault, "mend", serde_json::json!({"flows": self.flows(flows)}));
            }
            Action::Loss(i, percent) => {
                let r = net
                    .info(*i)
                    .map_err(|e| e.to_string())
                    .and_then(|n| loss::set(n.p2p_port, *percent).map_err(|e| e.to_string()));
                let result = match r {
                    Ok(()) => serde_json::Value::Null,
                    Err(e) => serde_json::json!({"error": e}),
                };
                self.log(
                    planned,
                    fault,
                    "loss",
                    serde_json::json!({"node": self.name(*i), "percent": percent, "result": result}),
                );
            }
            Action::Delay(flows, delay) => {
                mesh.delay(flows, *delay);
                self.log(
                    planned,
                    fault,
                    "delay",
                    serde_json::json!({"flows": self.flows(flows), "delay_ms": delay}),
                );
            }
            Action::CutWal(i, cut) => {
                let detail = match net.node_dir(*i).map(|d| d.join(WAL_FILE)) {
                    Ok(path) => match cut_tail(&path, *cut) {
                        Ok((before, after)) => serde_json::json!({
                            "node": self.name(*i), "cut_bytes": cut, "size_before": before, "size_after": after,
                        }),
                        Err(e) => {
                            serde_json::json!({"node": self.name(*i), "error": format!("{}: {e}", path.display())})
                        }
                    },
                    Err(e) => serde_json::json!({"node": self.name(*i), "error": e.to_string()}),
                };
                self.log(planned, fault, "cut_wal", detail);
            }
            Action::Reset(flows) => {
                mesh.reset(flows);
                self.log(planned, fault, "reset", serde_json::json!({"flows": self.flows(flows)}));
            }
        }
    }

    /// Carry out `steps` at their planned times; when a step runs late, later ones slip
    /// by as much, so each fault keeps its planned length.
    fn run(&mut self, steps: &[Step]) {
        let mut slip = Duration::ZERO;
        for step in steps {
            let due = self.origin + Duration::from_millis(step.at_ms) + slip;
            let now = Instant::now();
            if now < due {
                std::thread::sleep(due - now);
            } else {
                slip += now - due;
            }
            self.apply(Some(step), &step.action);
        }
    }

    /// The scripted end of the fault phase: once the last fault is over and the network
    /// has settled, `kill -9` every node, then start them all (a whole network restarted,
    /// as after a power cut; Malachite PR #1198 fixed nodes that stopped syncing after one).
    /// Every acknowledged document must survive it: with no node left running, only what
    /// each node made durable remains.
    fn restart_all(&mut self) {
        std::thread::sleep(Duration::from_millis(schedule::SETTLE_MS));
        self.log(None, None, "restart_all", serde_json::Value::Null);
        let all: Vec<usize> = (0..self.names.len()).collect();
        for i in &all {
            self.apply(None, &Action::Kill(*i));
        }
        std::thread::sleep(RESTART_ALL_DOWN);
        for i in &all {
            self.apply(None, &Action::Start(*i));
        }
    }

    /// Heal every link, continue paused nodes, start stopped ones.
    fn heal(&mut self) {
        self.mesh.heal();
        self.log(None, None, "heal_links", serde_json::Value::Null);
        if self.packet_loss {
            let detail = match loss::clear_all() {
                Ok(n) => serde_json::json!({"rules_removed": n}),
                Err(e) => serde_json::json!({"error": e.to_string()}),
            };
            self.log(None, None, "heal_loss", detail);
        }
        for i in 0..self.names.len() {
            if self.net.is_running(i) {
                // A paused process is running to the OS: SIGCONT is harmless otherwise.
                let r = self.monitor.transition(i, Expect::Running, || self.net.resume(i));
                if let Err(e) = r {
                    self.log(
                        None,
                        None,
                        "sigcont",
                        serde_json::json!({"node": self.name(i), "error": e.to_string()}),
                    );
                }
            } else {
                self.apply(None, &Action::Start(i));
            }
        }
    }
}

/// Run a campaign; progress and the verdicts go to `out`.
pub fn run(options: &ChaosOptions, out: &mut dyn std::io::Write) -> Result<Report, ChaosError> {
    let dir = options.run_dir.clone();
    if options.packet_loss {
        loss::available()?;
        // Rules an interrupted campaign left behind.
        loss::clear_all()?;
    }
    std::fs::create_dir_all(&dir).map_err(io_err("cannot create", &dir))?;
    writeln!(
        out,
        "chaos: seed {} (replay with --seed {}), run directory {}",
        options.seed,
        options.seed,
        dir.display()
    )?;
    let net = Testnet::create(
        &dir.join("testnet"),
        &Options { seed: options.seed, ..Options::now() },
        Build::IfMissing,
    )?;
    match &options.vouchd {
        Some(path) => net.set_vouchd(path.clone()),
        None => net
            .set_vouchd(crate::process::locate_vouchd_faults(Build::IfMissing).map_err(TestnetError::from)?),
    }
    let members = net.members();
    let names: Vec<String> = net.manifest().nodes.iter().map(|n| n.name.clone()).collect();
    let p2p: Vec<u16> = net.manifest().nodes.iter().map(|n| n.p2p_port).collect();
    let used: Vec<u16> = net.manifest().nodes.iter().flat_map(|n| [n.http_port, n.p2p_port]).collect();
    let http: Vec<u16> = net.manifest().nodes.iter().map(|n| n.http_port).collect();
    let mesh = proxy::Mesh::start(&p2p, &http, &used)?;
    route_through(&net, &mesh)?;
    writeln!(
        out,
        "{} link proxies on 127.0.0.1 (p2p and document forwarding); starting {} nodes",
        2 * p2p.len() * (p2p.len() - 1),
        members.len()
    )?;
    net.start_all()?;
    net.wait_for_height(&members, 1, START_TIMEOUT)?;

    let length_ms = ms(options.length);
    let mut weights = schedule::WEIGHTS.to_vec();
    if options.packet_loss {
        weights.push(schedule::PACKET_LOSS_WEIGHT);
    }
    let schedule: Vec<Planned> = schedule::draw_from(
        &weights,
        options.seed,
        length_ms,
        members.len(),
        layout::VALIDATORS,
        options.gap_ms,
    );
    let path = dir.join("schedule.jsonl");
    let text: String = schedule.iter().map(|p| p.to_line(&names) + "\n").collect();
    std::fs::write(&path, text).map_err(io_err("cannot write", &path))?;
    let faults = schedule::counts(&schedule);
    writeln!(
        out,
        "schedule: {} faults over {:.0} s: {faults:?}",
        schedule.len(),
        options.length.as_secs_f64()
    )?;

    let count = (options.rate * (options.length.as_secs_f64() + SPARE_LOAD_SECONDS)).ceil() as usize;
    let prepared = crate::load::prepare(&net, count.max(10), out)?;
    let clients: Vec<_> =
        net.clients().into_iter().map(|c| c.with_submit_timeout(history::SUBMIT_TIMEOUT)).collect();
    let history_path = dir.join("history.jsonl");
    let load = Load::new(clients, names.clone(), prepared.documents, options.rate, &history_path)
        .map_err(io_err("cannot create", &history_path))?;
    let actions_path = dir.join("actions.jsonl");
    let actions = std::fs::File::create(&actions_path).map_err(io_err("cannot create", &actions_path))?;

    let origin = Instant::now();
    let monitor = Monitor::new(names.clone(), origin);
    let sampler = resources::Sampler::new(&names, origin);
    let resources_path = dir.join("resources.jsonl");
    let steps = schedule::steps(&schedule, members.len());
    let mut liveness = None;
    let mut graceful = None;
    let mut crash_points = None;
    std::thread::scope(|s| {
        s.spawn(|| load.run());
        s.spawn(|| sampler.run(&net, SAMPLE_EVERY, &resources_path));
        for i in &members {
            let (monitor, net) = (&monitor, &net);
            s.spawn(move || monitor.watch_node(net, *i));
        }
        let mut controller = Controller {
            net: &net,
            mesh: &mesh,
            monitor: &monitor,
            origin,
            actions: std::io::BufWriter::new(actions),
            names: names.clone(),
            terms: (0, Vec::new()),
            armed: (Vec::new(), 0, 0),
            clocks: BTreeMap::new(),
            packet_loss: options.packet_loss,
        };
        let _ = writeln!(out, "faults: {} steps, load {:.1} documents/s", steps.len(), options.rate);
        controller.run(&steps);
        let _ = writeln!(
            out,
            "faults done at {:.0} s; all five nodes killed at once and restarted",
            origin.elapsed().as_secs_f64()
        );
        controller.restart_all();
        let _ = writeln!(out, "healing at {:.0} s", origin.elapsed().as_secs_f64());
        controller.heal();
        liveness = Some(check_liveness(&net, &members, &monitor));
        graceful = Some(check::graceful(controller.terms.0, &controller.terms.1));
        crash_points = Some(check::crash_points(controller.armed.1, controller.armed.2));
        load.stop();
        monitor.stop();
        sampler.stop();
    });
    let tally = load.tally();
    writeln!(out, "load: {} ok, {} failed, {} unknown", tally.ok, tally.failed, tally.unknown)?;

    // Let laggards reach the top before comparing ledgers (a miss is still reported).
    let top = members.iter().filter_map(|i| net.height(*i)).max().unwrap_or(0);
    let _ = net.wait_for_height(&members, top, SETTLE_TIMEOUT);
    let mut verdicts = Vec::new();
    verdicts.extend(liveness);
    verdicts.extend(graceful);
    verdicts.extend(crash_points);
    let scans = check::scan_all(&net, &members);
    verdicts.push(check::acknowledged(&scans, &load.ops()));
    if let Some(last) = scans.last() {
        verdicts.push(check::refused_not_committed(last, &load.ops()));
    }
    verdicts.push(check::one_block_per_height(&scans));
    verdicts.push(check::no_evidence(&net, &members));
    verdicts.push(check::catch_up(&monitor.catch_ups()));
    verdicts.push(check::no_rollback(&monitor.catch_ups()));
    verdicts.push(monitor.cosignings.verdict());
    verdicts.push(monitor.signings.verdict());
    verdicts.push(check::no_unexpected_exit(&monitor.exits()));
    verdicts.push(resources::check(&sampler.peaks()));
    verdicts.push(check::self_test(&scans));
    let report = Report { seed: options.seed, run_dir: dir.clone(), faults, tally, verdicts };
    write_verdict(&report, &monitor, &sampler.peaks())?;
    print_report(&report, &net, out)?;
    let _ = net.stop_all(STOP_TIMEOUT);
    Ok(report)
}

/// Every node reaches the highest height plus [`LIVENESS_HEIGHTS`] within
/// [`LIVENESS_TIMEOUT`] of healing (the load keeps running).
fn check_liveness(net: &Testnet, members: &[usize], monitor: &Monitor) -> Verdict {
    let t = Instant::now();
    let now: Vec<u64> = members.iter().filter_map(|i| net.height(*i)).collect();
    let top = now.iter().copied().max().unwrap_or(0).max(monitor.heights().into_iter().max().unwrap_or(0));
    let goal = top + LIVENESS_HEIGHTS;
    match net.wait_for_height(members, goal, LIVENESS_TIMEOUT) {
        Ok(()) => Verdict {
            name: "liveness",
            passed: true,
            detail: format!(
                "every node at height {goal} (highest at heal {top} + {LIVENESS_HEIGHTS}) {:.1} s after healing",
                t.elapsed().as_secs_f64()
            ),
        },
        Err(e) => Verdict {
            name: "liveness",
            passed: false,
            detail: format!(
                "not every node reached height {goal} within {} s of healing: {e}",
                LIVENESS_TIMEOUT.as_secs()
            ),
        },
    }
}

fn write_verdict(report: &Report, monitor: &Monitor, peaks: &[resources::Peak]) -> Result<(), ChaosError> {
    let path = report.run_dir.join("verdict.json");
    let value = serde_json::json!({
        "seed": report.seed,
        "passed": report.passed(),
        "faults": report.faults,
        "load": {"ok": report.tally.ok, "failed": report.tally.failed, "unknown": report.tally.unknown},
        "verdicts": report.verdicts,
        "catch_ups": monitor.catch_ups(),
        "resource_peaks": peaks,
    });
    let text = serde_json::to_string_pretty(&value).unwrap_or_default();
    std::fs::write(&path, text).map_err(io_err("cannot write", &path))
}

fn print_report(report: &Report, net: &Testnet, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    writeln!(out, "\nverdicts (seed {}):", report.seed)?;
    for v in &report.verdicts {
        writeln!(out, "  {} {}: {}", if v.passed { "PASS" } else { "FAIL" }, v.name, v.detail)?;
    }
    let dir = report.run_dir.display();
    if report.passed() {
        writeln!(
            out,
            "campaign passed: seed {}, {} faults; run directory {dir}",
            report.seed,
            report.fault_count()
        )?;
    } else {
        writeln!(
            out,
            "\nCAMPAIGN FAILED: seed {} (replay: vouch-testnet chaos --seed {})",
            report.seed, report.seed
        )?;
        writeln!(out, "  schedule: {dir}/schedule.jsonl; steps as run: {dir}/actions.jsonl")?;
        writeln!(out, "  history:  {dir}/history.jsonl; verdicts: {dir}/verdict.json")?;
        for i in 0..net.len() {
            if let Ok(p) = net.log_path(i) {
                writeln!(out, "  log:      {}", p.display())?;
            }
        }
    }
    Ok(())
}
