//! Run the built `vouch` binary, build ledgers with the core testkit, and serve them from a
//! tiny in-test HTTP node.

use serde_json::Value;
use std::collections::HashMap;
use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};
use vouch_core::canonical::to_canonical;
use vouch_core::testkit::{DemoNetwork, Ledger, demo_ledger, golden::checkpoint_at};

/// The seed of every ledger in these tests.
pub const SEED: u64 = 7;

/// What one run of `vouch` did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The stdout as JSON (with `--json`).
    pub fn json(&self) -> Value {
        serde_json::from_str(self.stdout.trim()).unwrap_or_else(|e| {
            panic!("stdout is not JSON ({e}):\n{}\nstderr:\n{}", self.stdout, self.stderr)
        })
    }

    /// Assert the exit code, showing the output when it differs, and that nothing panicked.
    #[track_caller]
    pub fn expect(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "expected exit {code}, got {}\nstdout:\n{}\nstderr:\n{}",
            self.code, self.stdout, self.stderr
        );
        assert!(!self.stderr.contains("panicked"), "vouch panicked:\n{}", self.stderr);
        if code != 0 && !self.stdout.trim_start().starts_with('{') {
            assert!(self.stderr.contains("error: "), "a failure says what went wrong:\n{}", self.stderr);
            assert!(self.stderr.contains("hint: "), "a failure says what to do next:\n{}", self.stderr);
        }
        self
    }
}

/// Run `vouch args…`.
pub fn vouch<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_vouch")).args(args).output().expect("run vouch");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A path as an argument.
pub fn arg(path: &Path) -> String {
    path.to_str().expect("utf-8 path").to_string()
}

/// The demo ledger of `SEED` (one confirmation's whole story, 11 blocks), built once.
pub fn demo() -> &'static (Ledger, vouch_core::testkit::DemoConfirmation) {
    static DEMO: OnceLock<(Ledger, vouch_core::testkit::DemoConfirmation)> = OnceLock::new();
    DEMO.get_or_init(|| demo_ledger(SEED).expect("demo ledger"))
}

/// Another history of the same network (same validators): people enrolled in other
/// orders, so every leaf differs from the demo ledger's.
pub fn other_history() -> &'static Ledger {
    static OTHER: OnceLock<Ledger> = OnceLock::new();
    OTHER.get_or_init(|| {
        let mut l = Ledger::new(DemoNetwork::new(SEED).expect("network"));
        for block in 0..4 {
            for i in 0..10 {
                let person = format!("other-{block}-{i}");
                l.enroll("bank-b", &person, "另一人", "Clerk").expect("enroll");
            }
            l.commit().expect("commit");
            l.advance_ms(60_000);
        }
        l
    })
}

/// The demo ledger's blocks as NDJSON lines (canonical JSON, one per line).
pub fn block_lines(l: &Ledger) -> Vec<String> {
    l.blocks.iter().map(|b| String::from_utf8(to_canonical(b)).expect("utf-8")).collect()
}

/// A checkpoint of `l`'s first `size` leaves, cosigned by every validator.
pub fn checkpoint(l: &Ledger, size: u64) -> String {
    checkpoint_at(l, size, 1_800_000_000).expect("checkpoint")
}

/// A consistency proof of `l` between two sizes, as `{"from","to","proof"}`.
pub fn proof_json(l: &Ledger, from: u64, to: u64) -> String {
    let proof = l.verifier.tree().consistency_proof(from, to).expect("proof");
    serde_json::json!({ "from": from, "to": to, "proof": proof }).to_string()
}

/// A temporary directory with helpers to write files in it.
pub struct Dir(pub tempfile::TempDir);

impl Dir {
    pub fn new() -> Dir {
        Dir(tempfile::tempdir().expect("tempdir"))
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.path().join(name)
    }

    /// Write `bytes` to `name`; its path as an argument.
    pub fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> String {
        let path = self.path(name);
        std::fs::write(&path, bytes).expect("write");
        arg(&path)
    }

    /// The demo genesis, canonical.
    pub fn genesis(&self) -> String {
        self.write("genesis.json", demo().0.net.genesis.to_canonical())
    }
}

/// Change the byte at `at` to another of the same kind (digit, letter, `+`/`/`), so
/// JSON stays JSON and base64 stays base64.
pub fn flip(text: &str, at: usize) -> String {
    let mut bytes = text.as_bytes().to_vec();
    let b = bytes[at];
    bytes[at] = match b {
        b'0'..=b'8' | b'a'..=b'y' | b'A'..=b'Y' => b + 1,
        b'9' => b'8',
        b'z' => b'y',
        b'Z' => b'Y',
        b'+' => b'/',
        b'/' => b'+',
        other => panic!("flip: {:?} at {at} is not a digit, letter, + or /", other as char),
    };
    String::from_utf8(bytes).expect("utf-8")
}

/// The index of the `skip`-th character after the first `anchor` found after `after`.
pub fn position(text: &str, after: &str, anchor: &str, skip: usize) -> usize {
    let start = text.find(after).unwrap_or_else(|| panic!("{after:?} not found"));
    let offset = text[start..].find(anchor).unwrap_or_else(|| panic!("{anchor:?} not found after {after:?}"));
    start + offset + anchor.len() + skip
}

/// A route's answer.
/// POSTed bodies with their paths.
type Posts = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

#[derive(Clone)]
struct Answer {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
}

/// A fake node: answers GETs from a table of exact paths (with query); 404 otherwise.
pub struct FakeNode {
    addr: String,
    routes: Arc<Mutex<HashMap<String, Answer>>>,
    hits: Arc<Mutex<Vec<String>>>,
    posts: Posts,
}

impl FakeNode {
    /// Start serving on a free local port (the thread lives as long as the test process).
    pub fn start() -> FakeNode {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = format!("http://{}", listener.local_addr().expect("addr"));
        let routes: Arc<Mutex<HashMap<String, Answer>>> = Arc::default();
        let hits: Arc<Mutex<Vec<String>>> = Arc::default();
        let posts: Posts = Arc::default();
        let (r, h, p) = (routes.clone(), hits.clone(), posts.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let (routes, hits, posts) = (r.clone(), h.clone(), p.clone());
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                    let mut request_line = String::new();
                    if reader.read_line(&mut request_line).is_err() {
                        return;
                    }
                    let mut content_length = 0usize;
                    loop {
                        let mut header = String::new();
                        match reader.read_line(&mut header) {
                            Ok(0) | Err(_) => break,
                            Ok(_) if header == "\r\n" || header == "\n" => break,
                            Ok(_) => {
                                let lower = header.to_ascii_lowercase();
                                if lower.starts_with("authorization:") {
                                    hits.lock().unwrap().push(header.trim_end().to_string());
                                }
                                if let Some(v) = lower.strip_prefix("content-length:") {
                                    content_length = v.trim().parse().unwrap_or(0);
                                }
                            }
                        }
                    }
                    let path = request_line.split_whitespace().nth(1).unwrap_or("").to_string();
                    if request_line.starts_with("POST ") {
                        let mut body = vec![0u8; content_length];
                        if std::io::Read::read_exact(&mut reader, &mut body).is_err() {
                            return;
                        }
                        posts.lock().unwrap().push((path.clone(), body));
                    }
                    hits.lock().unwrap().push(path.clone());
                    let answer = routes.lock().unwrap().get(&path).cloned().unwrap_or(Answer {
                        status: 404,
                        content_type: "text/plain",
                        body: b"not found".to_vec(),
                    });
                    let head = format!(
                        "HTTP/1.1 {} X\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        answer.status,
                        answer.content_type,
                        answer.body.len()
                    );
                    let _ = stream.write_all(head.as_bytes());
                    let _ = stream.write_all(&answer.body);
                    let _ = stream.flush();
                });
            }
        });
        FakeNode { addr, routes, hits, posts }
    }

    /// The base URL.
    pub fn url(&self) -> String {
        self.addr.clone()
    }

    /// Serve `body` at `path` with 200.
    pub fn serve(&self, path: &str, content_type: &'static str, body: impl Into<Vec<u8>>) {
        self.routes
            .lock()
            .unwrap()
            .insert(path.to_string(), Answer { status: 200, content_type, body: body.into() });
    }

    /// Stop serving `path` (it answers 404).
    /// Answer `path` with `status` and a JSON body.
    pub fn serve_json_status(&self, path: &str, status: u16, body: &Value) {
        self.routes.lock().unwrap().insert(
            path.to_string(),
            Answer { status, content_type: "application/json", body: body.to_string().into_bytes() },
        );
    }

    /// Bodies POSTed so far, with their paths.
    pub fn posts(&self) -> Vec<(String, Vec<u8>)> {
        self.posts.lock().unwrap().clone()
    }

    pub fn remove(&self, path: &str) {
        self.routes.lock().unwrap().remove(path);
    }

    /// Paths requested so far.
    pub fn hits(&self) -> Vec<String> {
        self.hits.lock().unwrap().clone()
    }

    /// Serve `l`'s status (genesis hash, height, tree size, root).
    pub fn serve_status(&self, l: &Ledger) {
        let summary = l.verifier.summary();
        let status = serde_json::json!({
            "moniker": "fake",
            "network": l.net.genesis.network.to_string(),
            "genesis_hash": l.net.genesis.hash().to_hex(),
            "height": summary.height,
            "tree_size": summary.tree_size,
            "root": summary.root.to_hex(),
        });
        self.serve("/v1/status", "application/json", status.to_string());
    }

    /// Serve `l`'s blocks one by one.
    pub fn serve_blocks(&self, l: &Ledger) {
        for (i, line) in block_lines(l).into_iter().enumerate() {
            self.serve(&format!("/v1/blocks/{}", i + 1), "application/json", line);
        }
    }

    /// Serve a checkpoint of `l` at `size` as the latest.
    pub fn serve_checkpoint(&self, note: &str) {
        self.serve("/v1/checkpoint", "text/plain", note.to_string());
    }

    /// Serve the consistency proof of `l` between two sizes.
    pub fn serve_proof(&self, l: &Ledger, from: u64, to: u64) {
        self.serve(
            &format!("/v1/proofs/consistency?from={from}&to={to}"),
            "application/json",
            proof_json(l, from, to),
        );
    }
}

/// A URL where nothing listens.
pub fn dead_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    format!("http://{addr}")
}
