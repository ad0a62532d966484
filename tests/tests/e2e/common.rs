//! Shared setup, named checkers and timeouts for the end-to-end scenarios.
//!
//! Every scenario runs real `vouchd` processes in a temporary directory on free ports.
//! Every wait has a deadline, and a failure message carries the last lines of each node's
//! log. Dropping the `Testnet` kills its processes, so a failing test cleans up too.
//! Scenarios run one at a time ([`serial`]): five nodes already load
//! a two-core machine.

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Duration;
use vouch_core::testkit::{Client, Ledger, Person};
use vouch_testnet::Testnet;
use vouch_testnet::chaos::check;
use vouch_testnet::client::Committed;
use vouch_testnet::demo::{commit_pending, run_tag, sync_clock};
use vouch_testnet::layout::Options;
use vouch_testnet::process::{Build, locate_vouchd, locate_vouchd_faults};
use vouch_testnet::wave::{Fate, submit_wave};

/// Until every node has committed its first block.
pub const START_TIMEOUT: Duration = Duration::from_secs(120);
/// Until a wave of documents is committed.
pub const COMMIT_TIMEOUT: Duration = Duration::from_secs(120);
/// Until nodes agree on one root.
pub const AGREE_TIMEOUT: Duration = Duration::from_secs(120);

/// One scenario at a time: hold this for the whole scenario.
///
/// When `E2E_TIMES_FILE` names a file, each scenario appends a line to it when it ends:
/// its name, seconds taken, and `passed` or `failed`. `.ci/run` prints that file, which is
/// how we know what the reliability part of CI costs. (Not a `VOUCH_*` name: the nodes
/// inherit the test's environment, and `vouchd` reads every `VOUCH_*` variable as a
/// setting and refuses unknown ones.)
#[track_caller]
pub fn serial() -> Serial {
    static LOCK: Mutex<()> = Mutex::new(());
    let lock = LOCK.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let name = match std::thread::current().name() {
        Some(name) if name != "main" => name.to_string(),
        _ => std::panic::Location::caller().to_string(),
    };
    Serial { _lock: lock, name, started: std::time::Instant::now() }
}

/// The guard [`serial`] returns.
pub struct Serial {
    _lock: MutexGuard<'static, ()>,
    name: String,
    started: std::time::Instant,
}

impl Drop for Serial {
    fn drop(&mut self) {
        let Some(path) = std::env::var_os("E2E_TIMES_FILE") else { return };
        let outcome = if std::thread::panicking() { "failed" } else { "passed" };
        let line = format!("{:>7.1} s  {outcome}  {}\n", self.started.elapsed().as_secs_f64(), self.name);
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut f| std::io::Write::write_all(&mut f, line.as_bytes()));
        if let Err(e) = written {
            eprintln!("cannot record the scenario's time in {}: {e}", PathBuf::from(path).display());
        }
    }
}

/// The `vouchd` to run: `$VOUCHD`, or built from this workspace once per test binary.
pub fn vouchd() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| locate_vouchd(Build::Always).unwrap_or_else(|e| panic!("{e}"))).clone()
}

/// `vouchd-faults` (the fault campaign's build, with `VOUCH_FAULT_*` points): `$VOUCHD`, or
/// built from this workspace once per test binary.
pub fn vouchd_faults() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| locate_vouchd_faults(Build::Always).unwrap_or_else(|e| panic!("{e}"))).clone()
}

/// A scenario's temporary directory: removed when the scenario passes, kept (and its
/// path printed) when it fails, so that the nodes' logs and data can be read afterwards.
pub struct ScenarioDir(Option<tempfile::TempDir>);

impl Drop for ScenarioDir {
    fn drop(&mut self) {
        if std::thread::panicking()
            && let Some(dir) = self.0.take()
        {
            eprintln!(
                "scenario failed: its nodes' configs, data and logs are kept in {}",
                dir.keep().display()
            );
        }
    }
}

/// A temporary directory and a testnet generated (not started) in it.
pub fn create(seed: u64) -> (ScenarioDir, Testnet) {
    let tmp =
        tempfile::Builder::new().prefix("vouch-e2e-").tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let options = Options { seed, ..Options::now() };
    let net = Testnet::create(&tmp.path().join("testnet"), &options, Build::IfMissing)
        .unwrap_or_else(|e| panic!("{e}"));
    net.set_vouchd(vouchd());
    (ScenarioDir(Some(tmp)), net)
}

/// A started testnet whose five nodes have committed height 1.
pub fn start(seed: u64) -> (ScenarioDir, Testnet) {
    let (tmp, net) = create(seed);
    net.start_all().unwrap_or_else(|e| panic!("{e}"));
    net.wait_for_height(&net.members(), 1, START_TIMEOUT).unwrap_or_else(|e| panic!("{e}"));
    (tmp, net)
}

/// The environment that sets a node's shortest time between empty blocks (the config's
/// `consensus.block_interval_ms`), for scenarios that need many heights.
pub fn block_interval(ms: u64) -> Vec<(String, String)> {
    vec![("VOUCH_CONSENSUS__BLOCK_INTERVAL_MS".into(), ms.to_string())]
}

/// People and clients on the ledger, and the local ledger to sign more with.
pub struct Cast {
    /// The local ledger (same genesis).
    pub ledger: Ledger,
    /// A per-run tag in ids.
    pub tag: String,
    /// Auditor at audit-x.
    pub auditor_x: Person,
    /// Auditor at audit-y.
    pub auditor_y: Person,
    /// Maker at bank-a.
    pub maker_a: Person,
    /// Checker at bank-a.
    pub checker_a: Person,
    /// Maker at bank-b.
    pub maker_b: Person,
    /// Checker at bank-b.
    pub checker_b: Person,
    /// A client of bank-a.
    pub client_a: Client,
    /// A client of bank-b.
    pub client_b: Client,
    /// Letters signed so far.
    pub letters: usize,
}

impl Cast {
    /// Enroll the cast through the network (two waves, round-robin over the validators).
    pub fn enroll(net: &Testnet) -> Cast {
        let tag = run_tag();
        let mut l = Ledger::new(net.demo_network().clone());
        sync_clock(&mut l);
        let fail = |e: &dyn std::fmt::Display| -> ! { panic!("{e}\n{}", net.logs(15)) };
        let p = |l: &mut Ledger, org: &str, id: &str| {
            l.enroll(org, &format!("{id}-{tag}"), id, "e2e").unwrap_or_else(|e| panic!("{e}"))
        };
        let auditor_x = p(&mut l, "audit-x", "ax");
        let auditor_y = p(&mut l, "audit-y", "ay");
        let maker_a = p(&mut l, "bank-a", "ma");
        let checker_a = p(&mut l, "bank-a", "ca");
        let maker_b = p(&mut l, "bank-b", "mb");
        let checker_b = p(&mut l, "bank-b", "cb");
        let what: Vec<String> = (0..6).map(|i| format!("enrollment {i}")).collect();
        commit_pending(&mut l, &net.clients(), &net.validators(), &what).unwrap_or_else(|e| fail(&e));
        sync_clock(&mut l);
        let id = vouch_core::items::ClientIdentity {
            name: "杭州示例科技有限公司".into(),
            credit_code: "9144030071526726XG".into(),
        };
        let client_a =
            l.enroll_client(&maker_a, &format!("c-{tag}-a"), &id).unwrap_or_else(|e| panic!("{e}"));
        let client_b =
            l.enroll_client(&maker_b, &format!("c-{tag}-b"), &id).unwrap_or_else(|e| panic!("{e}"));
        let what = vec!["client enrollment a".to_string(), "client enrollment b".to_string()];
        commit_pending(&mut l, &net.clients(), &net.validators(), &what).unwrap_or_else(|e| fail(&e));
        Cast {
            ledger: l,
            tag,
            auditor_x,
            auditor_y,
            maker_a,
            checker_a,
            maker_b,
            checker_b,
            client_a,
            client_b,
            letters: 0,
        }
    }

    /// `n` independent confirmation requests (distinct letter numbers), signed now and
    /// not queued in the local ledger.
    pub fn requests(&mut self, n: usize) -> Vec<Vec<u8>> {
        sync_clock(&mut self.ledger);
        let as_of = vouch_core::date::Date::parse("2025-12-31").unwrap_or_else(|e| panic!("{e}"));
        let contents = vouch_core::testkit::demo_request_contents().unwrap_or_else(|e| panic!("{e}"));
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let k = self.letters;
            self.letters += 1;
            let (auditor, client) = if k.is_multiple_of(2) {
                (&self.auditor_x, &self.client_a)
            } else {
                (&self.auditor_y, &self.client_b)
            };
            let letter = format!("E2E-{}-{k}", self.tag);
            let e = self
                .ledger
                .request(
                    auditor,
                    client,
                    &letter,
                    vouch_core::documents::Form::Form1,
                    vouch_core::documents::Scope::WholeBank,
                    as_of,
                    &contents,
                )
                .unwrap_or_else(|e| panic!("{e}"));
            out.push(e.bytes);
        }
        self.ledger.pending.clear();
        out
    }
}

/// Submit `documents` round-robin over `targets` and require every one committed.
pub fn commit_all(net: &Testnet, targets: &[usize], documents: &[Vec<u8>]) -> Vec<Committed> {
    let outcomes = submit_wave(&net.clients(), targets, documents, COMMIT_TIMEOUT);
    let mut acks = Vec::with_capacity(outcomes.len());
    let mut failures = Vec::new();
    for o in outcomes {
        match o.fate {
            Fate::Committed(c) => acks.push(c),
            Fate::Refused(p) => {
                failures.push(format!("document {} refused by node {}: {p}", o.index, o.node))
            }
            Fate::Lost(r) => failures.push(format!("document {} not committed: {r}", o.index)),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} documents failed; first: {}\n{}",
        failures.len(),
        documents.len(),
        failures.iter().take(5).cloned().collect::<Vec<_>>().join("; "),
        net.logs(15)
    );
    acks
}

/// Every node's ledger read once ([`check::scan`]); a node that cannot be read fails
/// the test.
fn scans(net: &Testnet, nodes: &[usize]) -> Vec<check::Scan> {
    let scans = check::scan_all(net, nodes);
    for s in &scans {
        if let Some(e) = &s.error {
            panic!("{}: {e}\n{}", s.name, net.logs(15));
        }
    }
    scans
}

/// Checker: every node in `nodes` has the same block header at every height up to the
/// lowest height among them (one block per height everywhere). Returns that height.
pub fn one_block_per_height(net: &Testnet, nodes: &[usize]) -> u64 {
    let scans = scans(net, nodes);
    let v = check::one_block_per_height(&scans);
    assert!(v.passed, "{}\n{}", v.detail, net.logs(15));
    scans.iter().map(|s| s.headers.len() as u64).min().unwrap_or(0)
}

/// Checker: every acknowledged document is in every node's block at its height, at its
/// leaf index (nothing acknowledged is lost).
pub fn acknowledged_present(net: &Testnet, nodes: &[usize], acks: &[Committed]) {
    for s in scans(net, nodes) {
        for a in acks {
            assert_eq!(
                s.leaves.get(&a.leaf_hash),
                Some(&(a.height, a.leaf_index)),
                "{}: acknowledged leaf {} ({}) of block {} is not there\n{}",
                s.name,
                a.leaf_index,
                a.leaf_hash,
                a.height,
                net.logs(15)
            );
        }
    }
}

/// Checker: every node in `nodes` agrees on one tree of at least `size` leaves.
pub fn roots_agree(net: &Testnet, nodes: &[usize], size: u64) -> (u64, String) {
    net.wait_for_agreement(nodes, size, AGREE_TIMEOUT).unwrap_or_else(|e| panic!("{e}"))
}
