//! Criterion benchmarks of vouch-core's verification paths, in one run so that the numbers
//! are comparable: raw primitives (Ed25519 `verify_strict`, SHA-256), envelope decoding,
//! the Merkle log, and `verify_chain` against the signature checks it cannot avoid.
//!
//! ```text
//! cargo bench -p vouch-core --bench core                 # everything (builds a 100k ledger)
//! cargo bench -p vouch-core --bench core -- 'chain_1k'   # one group (criterion filter)
//! cargo bench -p vouch-core --bench core -- 'chain_100k'
//! ```
//!
//! The 100,000-document ledger takes minutes to build (every request and response is
//! sealed with HPKE), so it is built once, outside any measured loop, only when a
//! `chain_100k` benchmark is selected, and cached as JSON next to the bench executable
//! (`vouch-bench-ledger-<n>-seed<seed>-block<docs>.json`). A cached ledger is used only if it verifies
//! to the expected size; set `VOUCH_BENCH_REBUILD=1` to ignore the cache.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, black_box, criterion_group, criterion_main,
};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use vouch_core::block::Block;
use vouch_core::canonical;
use vouch_core::date::Date;
use vouch_core::documents::{Conclusion, DocType, Form, Scope};
use vouch_core::envelope::{Draft, Envelope};
use vouch_core::genesis::Genesis;
use vouch_core::keys::{PublicKey, Signature, SigningKey};
use vouch_core::merkle::{self, MemoryTree};
use vouch_core::testkit::{Client, DemoNetwork, Ledger, Person};
use vouch_core::verify::{verify_chain, verify_chain_with_threads};

const SEED: u64 = 7;
/// Documents per block once the pipeline is full (requests + authorizations + responses).
const BLOCK_DOCS: usize = 500;

// ---------------------------------------------------------------------------------------
// Building ledgers with the testkit (never measured).

fn d(s: &str) -> Date {
    Date::parse(s).unwrap()
}

/// Request contents of a typical size: two deposit accounts and a loan.
fn request_contents(i: usize) -> serde_json::Value {
    json!({
        "deposits": [
            {"account_no": format!("6222 0000 {i:08}"), "balance": "1000000.00", "currency": "CNY", "type": "current"},
            {"account_no": format!("6222 0001 {i:08}"), "balance": "250000.00", "currency": "USD", "type": "time"}
        ],
        "loans": [{"contract_no": format!("LN-{i:08}"), "principal": "5000000.00", "currency": "CNY", "maturity": "2027-06-30"}]
    })
}

fn response_contents(i: usize) -> serde_json::Value {
    json!({"confirmed": true, "rows": 3, "stamp": format!("bank-a/{i:08}"), "remarks": "经本行核对，所函证项目与本行记载信息相符。"})
}

struct Staff {
    auditors: Vec<Person>,
    /// (maker, checker) per bank.
    banks: Vec<(Person, Person)>,
    clients: Vec<Client>,
}

/// A ledger of exactly `n` documents (n >= 300): enrollments, client enrollments, then a
/// pipeline where each block carries new requests, the client authorizations of the
/// previous block's requests and the bank responses to the block before that's, about
/// `BLOCK_DOCS` documents per block. Every letter number is unique.
fn build_ledger(n: usize) -> Ledger {
    let mut ledger = Ledger::new(DemoNetwork::new(SEED).unwrap());
    let mut auditors = Vec::new();
    for i in 0..8 {
        auditors.push(ledger.enroll("audit-x", &format!("auditor-{i}"), "审计师", "Audit Senior").unwrap());
    }
    let mut banks = Vec::new();
    for bank in ["bank-a", "bank-b"] {
        let maker = ledger.enroll(bank, "maker", "经办人", "函证中心经办").unwrap();
        let checker = ledger.enroll(bank, "checker", "复核人", "函证中心复核").unwrap();
        banks.push((maker, checker));
    }
    ledger.commit().unwrap();
    let mut clients = Vec::new();
    for i in 0..200 {
        let (maker, _) = &banks[i % banks.len()];
        let maker = maker.clone();
        let identity = json!({"name": format!("Demo Client {i} Ltd"), "uscc": format!("91310000MA{i:08}")});
        clients.push(ledger.enroll_client(&maker, &format!("c-{i:04}"), &identity).unwrap());
    }
    ledger.commit().unwrap();
    let staff = Staff { auditors, banks, clients };

    let committed = |l: &Ledger| usize::try_from(l.verifier.tree().size()).unwrap();
    assert!(committed(&ledger) <= n, "n is below the setup's size");
    let as_of = d("2026-10-31");
    let valid_until = d("2027-03-31");
    // Requests waiting for authorization, and (request, client) waiting for a response.
    let mut to_authorize: Vec<(Envelope, usize)> = Vec::new();
    let mut to_answer: Vec<(Envelope, usize)> = Vec::new();
    let mut next_letter = 0usize;
    loop {
        let done = committed(&ledger);
        // Each request in flight still needs its authorization and/or response.
        let owed = 2 * to_authorize.len() + to_answer.len();
        if done + owed >= n && owed == 0 {
            break;
        }
        // Responses to requests authorized in the previous block.
        for (request, c) in std::mem::take(&mut to_answer) {
            let (maker, checker) = staff.banks[c % staff.banks.len()].clone();
            let contents = response_contents(c);
            ledger.respond(&maker, &checker, &request, Conclusion::Matches, &contents, None).unwrap();
        }
        // Authorizations of the previous block's requests.
        for (request, c) in std::mem::take(&mut to_authorize) {
            ledger.authorize(&staff.clients[c], &request, valid_until).unwrap();
            to_answer.push((request, c));
        }
        // New requests, as many as fit the block and the total.
        let budget = n - done - owed;
        let room = BLOCK_DOCS.saturating_sub(ledger.pending.len());
        let mut new = room.min(budget / 3);
        // Use up a remainder of 1 or 2 with requests left unanswered.
        if budget < 3 {
            new = budget;
        }
        for _ in 0..new {
            let c = next_letter % staff.clients.len();
            let auditor = staff.auditors[next_letter % staff.auditors.len()].clone();
            let letter = format!("AX-2026-{next_letter:06}");
            let contents = request_contents(next_letter);
            let request = ledger
                .request(
                    &auditor,
                    &staff.clients[c],
                    &letter,
                    Form::Form1,
                    Scope::WholeBank,
                    as_of,
                    &contents,
                )
                .unwrap();
            if budget >= 3 {
                to_authorize.push((request, c));
            }
            next_letter += 1;
        }
        ledger.commit().unwrap();
    }
    assert_eq!(committed(&ledger), n);
    ledger
}

fn cache_path(n: usize) -> Option<std::path::PathBuf> {
    let exe = std::env::current_exe().ok()?;
    Some(exe.parent()?.join(format!("vouch-bench-ledger-{n}-seed{SEED}-block{BLOCK_DOCS}.json")))
}

/// Blocks of an `n`-document ledger: from the cache if it verifies to `n`, else built.
///
/// The crate's clippy.toml forbids I/O and clocks because the library is pure; this is
/// the benchmark harness (test-input caching and a progress message), not the library.
#[allow(clippy::disallowed_methods)]
fn ledger_blocks(n: usize) -> (Genesis, Vec<Block>) {
    let genesis = DemoNetwork::new(SEED).unwrap().genesis;
    let rebuild = std::env::var_os("VOUCH_BENCH_REBUILD").is_some();
    if let (false, Some(path)) = (rebuild, cache_path(n))
        && let Ok(bytes) = std::fs::read(&path)
        && let Ok(blocks) = serde_json::from_slice::<Vec<Block>>(&bytes)
        && verify_chain(&genesis, &blocks).is_ok_and(|s| s.tree_size == n as u64)
    {
        eprintln!("using cached ledger {}", path.display());
        return (genesis, blocks);
    }
    let start = Instant::now();
    eprintln!("building a {n}-document ledger with the testkit (not measured)...");
    let ledger = build_ledger(n);
    eprintln!("built {n} documents in {} blocks in {:.1?}", ledger.blocks.len(), start.elapsed());
    if let Some(path) = cache_path(n)
        && let Ok(bytes) = serde_json::to_vec(&ledger.blocks)
        && std::fs::write(&path, bytes).is_ok()
    {
        eprintln!("cached at {}", path.display());
    }
    (genesis, ledger.blocks)
}

/// One envelope's signature checks: the author's, and the checker's for answers.
struct SigJob {
    bytes: Vec<u8>,
    author: (PublicKey, Signature),
    checker: Option<(PublicKey, Signature)>,
}

/// Decode every document (not measured) and precompute its signing bytes.
fn sig_jobs(genesis: &Genesis, blocks: &[Block]) -> Vec<SigJob> {
    blocks
        .iter()
        .flat_map(|b| b.documents.iter())
        .map(|value| {
            let env = Envelope::decode(&canonical::to_canonical(value), &genesis.network).unwrap();
            let bytes = Draft {
                network: env.network.clone(),
                created_ms: env.created_ms,
                author: env.author.clone(),
                checker: env.checker.clone(),
                document: env.document.clone(),
            }
            .signing_bytes();
            SigJob {
                bytes,
                author: (env.author.key, env.sig),
                checker: env.checker.as_ref().map(|c| (c.key, env.checker_sig.unwrap())),
            }
        })
        .collect()
}

/// Verify every signature the envelopes need, one after another on this thread.
fn verify_sigs(jobs: &[SigJob]) {
    for job in jobs {
        job.author.0.verify_raw(&job.bytes, &job.author.1).unwrap();
        if let Some((key, sig)) = &job.checker {
            key.verify_raw(&job.bytes, sig).unwrap();
        }
    }
}

struct Chain {
    genesis: Genesis,
    blocks: Vec<Block>,
    jobs: Vec<SigJob>,
}

impl Chain {
    fn new(n: usize) -> Chain {
        let (genesis, blocks) = ledger_blocks(n);
        let jobs = sig_jobs(&genesis, &blocks);
        let signatures = jobs.iter().map(|j| 1 + usize::from(j.checker.is_some())).sum::<usize>();
        let largest = blocks.iter().map(|b| b.documents.len()).max().unwrap_or(0);
        eprintln!(
            "chain of {n} documents, {} blocks (largest {largest} documents), {signatures} envelope signatures",
            blocks.len()
        );
        Chain { genesis, blocks, jobs }
    }
}

fn small_chain() -> &'static Chain {
    static CHAIN: OnceLock<Chain> = OnceLock::new();
    CHAIN.get_or_init(|| Chain::new(1_000))
}

fn big_chain() -> &'static Chain {
    static CHAIN: OnceLock<Chain> = OnceLock::new();
    CHAIN.get_or_init(|| Chain::new(100_000))
}

/// The canonical bytes of the first envelope of `doc_type` in the small chain.
fn sample_envelope(doc_type: DocType) -> Vec<u8> {
    let chain = small_chain();
    chain
        .blocks
        .iter()
        .flat_map(|b| b.documents.iter())
        .map(canonical::to_canonical)
        .find(|bytes| Envelope::decode(bytes, &chain.genesis.network).unwrap().doc_type() == doc_type)
        .unwrap()
}

// ---------------------------------------------------------------------------------------
// Benchmarks.

fn primitives(c: &mut Criterion) {
    let mut g = c.benchmark_group("primitives");
    let key = SigningKey::from_seed(&[42u8; 32]);
    let message: Vec<u8> = (0..1024u32).map(|i| (i % 251) as u8).collect();
    // Sign and verify with ed25519-dalek directly: the baseline, no crate code involved.
    let dalek_key = ed25519_dalek::SigningKey::from_bytes(&[42u8; 32]);
    let verifying = dalek_key.verifying_key();
    let signature = ed25519_dalek::Signer::sign(&dalek_key, &message);
    assert_eq!(verifying.to_bytes(), key.public().to_bytes());
    g.throughput(Throughput::Elements(1));
    g.bench_function("ed25519_verify_strict/1KiB", |b| {
        b.iter(|| verifying.verify_strict(black_box(&message), black_box(&signature)).unwrap())
    });

    let envelope_len = sample_envelope(DocType::Request).len();
    for (name, len) in
        [("1KiB".to_string(), 1024), (format!("request_envelope_{envelope_len}B"), envelope_len)]
    {
        let data = vec![0x5au8; len];
        g.throughput(Throughput::Bytes(len as u64));
        g.bench_function(BenchmarkId::new("sha256", name), |b| b.iter(|| Sha256::digest(black_box(&data))));
    }
    g.finish();
}

fn envelopes(c: &mut Criterion) {
    let mut g = c.benchmark_group("envelope_decode");
    let network = small_chain().genesis.network.clone();
    g.throughput(Throughput::Elements(1));
    for doc_type in [DocType::Request, DocType::Authorization, DocType::Response] {
        let bytes = sample_envelope(doc_type);
        let id = BenchmarkId::new(doc_type.as_str(), format!("{}B", bytes.len()));
        g.bench_function(id, |b| b.iter(|| Envelope::decode(black_box(&bytes), &network).unwrap()));
    }
    g.finish();
}

fn leaves(n: u64) -> Vec<Vec<u8>> {
    // Leaf bytes of a typical request envelope's size would only add hashing time that
    // the sha256 benchmark already shows; 64-byte leaves keep the tree cost visible.
    (0..n).map(|i| [i.to_be_bytes(); 8].concat()).collect()
}

fn tree(leaves: &[Vec<u8>]) -> MemoryTree {
    let mut tree = MemoryTree::new();
    for leaf in leaves {
        tree.push(leaf).unwrap();
    }
    tree
}

fn merkle_log(c: &mut Criterion) {
    let mut g = c.benchmark_group("merkle");
    for n in [1_000u64, 100_000] {
        let data = leaves(n);
        if n > 10_000 {
            g.sample_size(20);
        }
        // Append n leaves to an empty tree; throughput is per leaf (amortized append).
        g.throughput(Throughput::Elements(n));
        g.bench_function(BenchmarkId::new("push_64B_leaves", n), |b| b.iter(|| tree(black_box(&data))));
    }
    g.sample_size(100);

    let n = 100_000u64;
    let t = tree(&leaves(n));
    let root = t.root().unwrap();
    g.throughput(Throughput::Elements(1));
    g.bench_function(BenchmarkId::new("inclusion_proof", n), |b| {
        b.iter(|| t.inclusion_proof(black_box(61_803), n).unwrap())
    });
    g.bench_function(BenchmarkId::new("consistency_proof", format!("61803->{n}")), |b| {
        b.iter(|| t.consistency_proof(black_box(61_803), n).unwrap())
    });
    let leaf = merkle::leaf_hash(&[61_803u64.to_be_bytes(); 8].concat());
    let proof = t.inclusion_proof(61_803, n).unwrap();
    g.bench_function(BenchmarkId::new("verify_inclusion", n), |b| {
        b.iter(|| merkle::verify_inclusion(black_box(&leaf), 61_803, n, &proof, &root).unwrap())
    });
    g.bench_function(BenchmarkId::new("root", n), |b| b.iter(|| black_box(&t).root().unwrap()));
    g.finish();
}

fn chain_group(c: &mut Criterion, name: &str, n: usize, chain: fn() -> &'static Chain, big: bool) {
    let mut g = c.benchmark_group(name);
    if big {
        // Each iteration takes seconds: one iteration per sample, ten samples.
        g.sampling_mode(SamplingMode::Flat);
        g.sample_size(10);
        g.warm_up_time(Duration::from_secs(1));
        g.measurement_time(Duration::from_secs(20));
    }
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("signatures_only_1_thread", |b| {
        let chain = chain();
        b.iter(|| verify_sigs(black_box(&chain.jobs)))
    });
    g.bench_function("verify_chain_1_thread", |b| {
        let chain = chain();
        b.iter(|| verify_chain_with_threads(&chain.genesis, black_box(&chain.blocks), 1).unwrap())
    });
    g.bench_function("verify_chain_all_cores", |b| {
        let chain = chain();
        b.iter(|| verify_chain(&chain.genesis, black_box(&chain.blocks)).unwrap())
    });
    g.finish();
}

fn chain_1k(c: &mut Criterion) {
    chain_group(c, "chain_1k", 1_000, small_chain, false);
}

fn chain_100k(c: &mut Criterion) {
    // Building the 100k ledger takes about a minute: only when benchmarking for real, not
    // when `cargo test --all-targets` runs this binary once in test mode.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    chain_group(c, "chain_100k", 100_000, big_chain, true);
}

criterion_group!(benches, primitives, envelopes, merkle_log, chain_1k, chain_100k);
criterion_main!(benches);
