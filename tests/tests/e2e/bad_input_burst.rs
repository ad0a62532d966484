//! Issue 7's bad-input burst over HTTP: tens of thousands of seeded, mutated requests sent
//! raw over TCP to one node of a running network. Mutants of whole requests (request line,
//! headers and body), of targets (paths and query strings) and of bodies (envelopes,
//! lookups, drafts, sign-in forms), each from a well-formed original.
//!
//! Every answer must be a success or a named refusal: an RFC 9457 problem with a `type`
//! from the API, a page with its message from the console, or hyper's own 4xx for bytes
//! that are not HTTP. A request that never ends (its body shorter than its length says)
//! gets no answer when the client stops sending; the node's log must show no panic, which
//! would also end a connection without an answer. Never a 5xx, never a hang; the node's
//! memory and open files stay
//! bounded, and afterwards it still answers, the network still commits, no node holds
//! evidence and every node has the same blocks. The other parts of the burst are unit
//! tests: `vouch-core`'s `bad_input` (notes, checkpoints, envelopes, bundles, chains) and
//! `vouch-node`'s `consensus::codec` (p2p messages) and `app` (sync ranges).

use crate::common;

use common::*;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};
use vouch_core::testkit::mutate::Mutator;
use vouch_testnet::chaos::resources::{fds, rss_kib};

/// Mutated HTTP requests per run.
const HTTP_BURST: usize = 30_000;
/// Longest one answer may take (a valid envelope waits for its commit).
const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);
/// The target node's resident memory must stay below this during the burst.
const RSS_KIB_MAX: u64 = 512 * 1024;
/// Open files after the burst may exceed those before by at most this many.
const FDS_GROWTH_MAX: u64 = 32;
/// Requests between samples of the node's memory and open files.
const SAMPLE_EVERY: usize = 500;

/// A well-formed request, the starting point of mutants.
#[derive(Clone)]
struct Original {
    method: &'static str,
    target: String,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

impl Original {
    fn get(target: &str, token: Option<&str>) -> Original {
        let headers = token.map(|t| vec![("authorization", format!("Bearer {t}"))]).unwrap_or_default();
        Original { method: "GET", target: target.into(), headers, body: Vec::new() }
    }

    fn post(target: &str, content_type: &str, token: Option<&str>, body: Vec<u8>) -> Original {
        let mut o = Original::get(target, token);
        o.method = "POST";
        o.headers.push(("content-type", content_type.into()));
        o.body = body;
        o
    }

    /// The raw request, with `target` and `body` in place of the original's.
    fn raw(&self, target: &[u8], body: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(256 + body.len());
        out.extend_from_slice(self.method.as_bytes());
        out.push(b' ');
        out.extend_from_slice(target);
        out.extend_from_slice(b" HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n");
        for (name, value) in &self.headers {
            out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
        out.extend_from_slice(format!("content-length: {}\r\n\r\n", body.len()).as_bytes());
        out.extend_from_slice(body);
        out
    }
}

/// How one mutant was answered.
#[derive(Debug)]
enum Answer {
    /// A status line, the content type and the body.
    Http { status: u16, content_type: String, body: Vec<u8> },
    /// The connection closed before any answer.
    Closed,
}

fn send(addr: &str, raw: &[u8]) -> Result<Answer, String> {
    let mut stream = TcpStream::connect(addr).map_err(|e| format!("connect: {e}"))?;
    stream.set_read_timeout(Some(ANSWER_TIMEOUT)).map_err(|e| e.to_string())?;
    stream.set_write_timeout(Some(ANSWER_TIMEOUT)).map_err(|e| e.to_string())?;
    // The server may answer and close before reading everything: a failed write is fine.
    let _ = stream.write_all(raw);
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let mut answer = Vec::new();
    let started = Instant::now();
    if let Err(e) = stream.read_to_end(&mut answer)
        && answer.is_empty()
    {
        return match e.kind() {
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
                Err(format!("no answer within {:.0} s (a hang)", started.elapsed().as_secs_f64()))
            }
            // A reset after the server refused to read on.
            _ => Ok(Answer::Closed),
        };
    }
    if answer.is_empty() {
        return Ok(Answer::Closed);
    }
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n").ok_or("an answer without a header end")?;
    let head = String::from_utf8_lossy(&answer[..split]).to_string();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no status in {head:?}"))?;
    // Only the first answer: a mutant can hold a second request (a bare `\n\n` ends the
    // first one's headers early), and the connection stays open to answer it too.
    let header = |name: &str| {
        head.lines()
            .find_map(|l| l.split_once(':').filter(|(n, _)| n.eq_ignore_ascii_case(name)))
            .map(|(_, v)| v.trim())
    };
    let rest = &answer[split + 4..];
    let body =
        match (header("content-length").and_then(|n| n.parse::<usize>().ok()), header("transfer-encoding")) {
            (Some(n), _) => rest[..n.min(rest.len())].to_vec(),
            (None, Some(t)) if t.eq_ignore_ascii_case("chunked") => dechunk(rest),
            _ => rest.to_vec(),
        };
    let content_type = header("content-type").unwrap_or_default().to_string();
    Ok(Answer::Http { status, content_type, body })
}

/// The payload of a chunked body (best effort: the checks only read problem bodies).
fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = body.windows(2).position(|w| w == b"\r\n") {
        let size =
            std::str::from_utf8(&body[..eol]).ok().and_then(|s| usize::from_str_radix(s.trim(), 16).ok());
        let Some(size) = size.filter(|s| *s > 0) else { break };
        let start = eol + 2;
        let end = (start + size).min(body.len());
        out.extend_from_slice(&body[start..end]);
        body = body.get(end + 2..).unwrap_or_default();
    }
    out
}

/// Judge one answer: `Ok(kind)` for the tally, `Err` for a broken promise.
fn judge(target: &[u8], answer: &Answer) -> Result<String, String> {
    let api = target.starts_with(b"/v1/") || target.starts_with(b"/openapi");
    match answer {
        Answer::Closed => Ok("closed without an answer".into()),
        Answer::Http { status, .. } if *status < 400 => Ok(format!("{status}")),
        Answer::Http { status, content_type, body }
            if content_type.starts_with("application/problem+json") =>
        {
            let problem: serde_json::Value = serde_json::from_slice(body)
                .map_err(|e| format!("{status}: a problem that is not JSON: {e}"))?;
            let kind = problem.get("type").and_then(|t| t.as_str()).unwrap_or_default();
            if kind.is_empty() {
                return Err(format!("{status}: a problem without a type: {problem}"));
            }
            if *status >= 500 && *status != 503 {
                return Err(format!("{status}: a server error: {problem}"));
            }
            Ok(format!("{status} {}", kind.rsplit('/').next().unwrap_or(kind)))
        }
        // hyper refuses bytes that are not HTTP before any handler runs.
        Answer::Http { status: status @ (400 | 413 | 414 | 431 | 505), body, .. } if body.is_empty() => {
            Ok(format!("{status} from hyper (not HTTP)"))
        }
        Answer::Http { status, content_type, body }
            if !api && *status < 500 && content_type.starts_with("text/html") && !body.is_empty() =>
        {
            Ok(format!("{status} console page"))
        }
        Answer::Http { status, content_type, body } => Err(format!(
            "{status} ({content_type}) for {}: {}",
            String::from_utf8_lossy(target),
            String::from_utf8_lossy(&body[..body.len().min(300)])
        )),
    }
}

#[test]
fn a_burst_of_mutated_http_requests_gets_named_refusals_and_leaves_the_node_whole() {
    let _serial = serial();
    let (_tmp, net) = start(7_100);
    let mut cast = Cast::enroll(&net);
    let target = 1;
    let info = net.info(target).unwrap_or_else(|e| panic!("{e}")).clone();
    let addr = format!("127.0.0.1:{}", info.http_port);
    let token = info.token.clone();
    let token = token.as_deref();
    let pid = net.pid(target).unwrap_or_else(|| panic!("{} has no process", info.name));

    let requests = cast.requests(4);
    let committed = commit_all(&net, &net.validators(), &requests[..1]);
    let leaf = committed.first().map(|c| c.leaf_hash.clone()).unwrap_or_default();
    let mut originals = vec![
        Original::get("/v1/status", None),
        Original::get("/v1/checkpoint", None),
        Original::get("/v1/checkpoints/2", None),
        Original::get("/v1/headers/1", None),
        Original::get(&format!("/v1/proofs/inclusion?leaf_hash={leaf}&tree_size=3"), None),
        Original::get("/v1/proofs/consistency?from=1&to=3", None),
        Original::get("/v1/export?from=1&to=2", token),
        Original::get("/v1/confirmations?limit=5&status=requested", token),
        Original::get("/v1/inbox?as_of_date=2026-01-31", token),
        Original::get("/v1/reminders?within_days=3", token),
        Original::get("/v1/banks/bank-a", None),
        Original::get("/v1/evidence", None),
        Original::get("/integrity", None),
        Original::get("/sign-in", None),
        Original::post(
            "/v1/lookup",
            "application/json",
            None,
            format!(r#"{{"leaf_hash":"{leaf}"}}"#).into_bytes(),
        ),
        Original::post(
            "/sign-in",
            "application/x-www-form-urlencoded",
            None,
            b"user=ma&password=wrong&csrf=AAAA".to_vec(),
        ),
    ];
    // Envelopes: one committed (a replay), three never sent (a mutant that is still valid
    // commits, once).
    for bytes in &requests {
        originals.push(Original::post("/v1/entries", "application/json", None, bytes.clone()));
    }
    // A batch as another node forwards it: envelopes one per line.
    originals.push(Original::post("/v1/peer/entries", "application/json", None, requests.join(&b'\n')));
    let pool: Vec<Vec<u8>> =
        originals.iter().flat_map(|o| [o.target.clone().into_bytes(), o.body.clone()]).collect();
    let pool: Vec<&[u8]> = pool.iter().map(Vec::as_slice).collect();

    let fds_before = fds(pid).unwrap_or(0);
    let mut mutator = Mutator::new(0x5eed_4771);
    let mut tally = BTreeMap::<String, usize>::new();
    let mut broken = Vec::new();
    let (mut rss_peak, mut fds_peak) = (0, 0);
    let started = Instant::now();
    let mut sent = 0;
    for i in 0..HTTP_BURST {
        sent += 1;
        let o = &originals[i % originals.len()];
        let (raw, target) = match mutator.below(3) {
            0 => {
                let raw = mutator.mutate(&o.raw(o.target.as_bytes(), &o.body), &pool);
                let target = raw.split(|b| *b == b' ').nth(1).unwrap_or_default().to_vec();
                (raw, target)
            }
            1 => {
                let target = mutator.mutate(o.target.as_bytes(), &pool);
                (o.raw(&target, &o.body), target)
            }
            _ => (o.raw(o.target.as_bytes(), &mutator.mutate(&o.body, &pool)), o.target.clone().into_bytes()),
        };
        match send(&addr, &raw).and_then(|a| judge(&target, &a)) {
            Ok(kind) => *tally.entry(kind).or_default() += 1,
            Err(e) => broken.push(format!("request {i} ({:?}): {e}", String::from_utf8_lossy(&raw))),
        }
        if broken.len() >= 10 {
            break;
        }
        if i % SAMPLE_EVERY == 0 {
            rss_peak = rss_peak
                .max(rss_kib(pid).unwrap_or_else(|| panic!("{} exited\n{}", info.name, net.logs(30))));
            fds_peak = fds_peak.max(fds(pid).unwrap_or(0));
        }
    }
    let took = started.elapsed();
    eprintln!(
        "mutated HTTP requests: {sent} in {:.0} s; peak {} MiB resident, {fds_peak} open files; {tally:?}",
        took.as_secs_f64(),
        rss_peak / 1024
    );
    assert!(
        broken.is_empty(),
        "{} broken answers:\n{}\n{}",
        broken.len(),
        broken.join("\n"),
        net.log_tail(target, 30)
    );
    assert!(rss_peak < RSS_KIB_MAX, "{} grew to {} MiB during the burst", info.name, rss_peak / 1024);
    let fds_after = fds(pid).unwrap_or(0);
    assert!(
        fds_after <= fds_before + FDS_GROWTH_MAX,
        "{} holds {fds_after} open files after the burst, {fds_before} before",
        info.name
    );
    let named: usize = tally.iter().filter(|(k, _)| k.starts_with('4')).map(|(_, n)| n).sum();
    assert!(named * 2 > HTTP_BURST, "most mutants should be refused by name: {tally:?}");

    // A handler that panicked would close its connection without an answer, which the
    // tally counts with requests that never ended; its log would say so.
    let log = std::fs::read_to_string(net.log_path(target).unwrap_or_else(|e| panic!("{e}")))
        .unwrap_or_else(|e| panic!("{}'s log: {e}", info.name));
    assert!(
        !log.contains("panicked"),
        "{} panicked during the burst:\n{}",
        info.name,
        net.log_tail(target, 40)
    );

    // Whole afterwards: it answers, the network commits, nobody holds evidence, one chain.
    assert_eq!(net.pid(target), Some(pid), "{} was restarted or died", info.name);
    let fresh = cast.requests(1);
    commit_all(&net, &[target], &fresh);
    let members = net.members();
    for i in &members {
        let evidence = net.client(*i).and_then(|c| Ok(c.evidence()?)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(evidence, serde_json::json!([]), "node {i} holds evidence after the burst");
    }
    one_block_per_height(&net, &members);
}
