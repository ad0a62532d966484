//! `vouch evidence report` and `vouch evidence export`: the HTML report of a verified bundle
//! states the checked facts, escapes every string from the bundle, shows opened contents
//! with exceptions marked, and is refused (nothing written) for a tampered bundle.

use crate::support::{Dir, FakeNode, demo, flip, vouch};
use serde_json::Value;
use vouch_core::documents::{Authorization, Decision, Document, Scope};
use vouch_core::encoding::Hash;
use vouch_core::items::Form;
use vouch_core::testkit::{DemoNetwork, Ledger, demo_request_contents};

fn bundle_bytes(with_openings: bool) -> Vec<u8> {
    let (l, c) = demo();
    serde_json::to_vec(&l.bundle(c.request.id, with_openings).expect("bundle")).unwrap()
}

fn genesis_hash() -> String {
    demo().0.net.genesis.hash().to_hex()
}

/// An org's X25519 private key as a PEM file.
fn org_key(dir: &Dir, org: &str) -> String {
    let pem = demo().0.org(org).expect("org").decryption.to_pkcs8_pem();
    dir.write(&format!("{org}.x25519.pem"), pem.as_bytes())
}

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn the_report_states_what_was_verified() {
    let dir = Dir::new();
    let (l, c) = demo();
    let bytes = bundle_bytes(false);
    let bundle = dir.write("b.json", &bytes);
    let out = dir.path("report.html");
    let out = out.to_str().unwrap();
    let json = vouch(&["evidence", "report", &bundle, "--genesis", &dir.genesis(), "--out", out, "--json"])
        .expect(0)
        .json();
    assert_eq!(json["request"], c.request.id.to_hex());
    assert_eq!(json["status"], "accepted");
    assert_eq!(json["bundle_sha256"], Hash::sha256(&bytes).to_hex());
    assert_eq!(json["report_file"], out);
    assert_eq!(json["opened"].as_array().unwrap().len(), 0, "no key, no openings: nothing opened");
    let html = read(out);
    let mut needles = vec![
        "AX-2026-0001".to_string(),
        l.net.genesis.network.to_string(),
        genesis_hash(),
        Hash::sha256(&bytes).to_hex(),
        env!("CARGO_PKG_VERSION").to_string(),
        "王审计".into(),
        "张复核".into(),
        "enrolled for this org at leaf".into(),
        "verified against the checkpoint root".into(),
        "It does not prove".into(),
        "Not opened".into(),
    ];
    // Every validator, with its cosignature key id.
    for v in l.net.genesis.validators() {
        needles.push(v.name.clone());
        let id = vouch_core::note::key_id(&v.name, vouch_core::note::SIG_TYPE_COSIGNATURE_V1, &v.key);
        needles.push(format!("{id:08x}"));
    }
    // Every document of the confirmation, by hash, with its signer's key.
    for env in [&c.request, &c.authorization, &c.response, &c.correction, &c.acceptance] {
        needles.push(env.id.to_hex());
        needles.push(env.author.key.to_b64());
    }
    needles.push(l.checkpoint().unwrap().lines().nth(2).unwrap().to_string()); // the root, as the note spells it
    for n in &needles {
        assert!(html.contains(n.as_str()), "the report misses {n:?}");
    }
    assert!(!html.contains("<script"), "no scripts");
    assert!(!html.contains("http://") && !html.contains("https://"), "no external assets");
}

#[test]
fn the_report_shows_opened_contents_with_exceptions() {
    // From the openings in the bundle.
    let dir = Dir::new();
    let bundle = dir.write("b.json", bundle_bytes(true));
    let json =
        vouch(&["evidence", "report", &bundle, "--genesis-hash", &genesis_hash(), "--json"]).expect(0).json();
    assert!(json["differences"].as_u64().unwrap() > 0, "{json}");
    let html = read(json["report_file"].as_str().unwrap());
    for needle in
        ["EXCEPTION", "class=exception", "opening in the bundle", "Bank deposits", "杭州示例科技有限公司"]
    {
        assert!(html.contains(needle), "missing {needle:?}");
    }

    // Decrypted with the audit firm's key, from a bundle without openings.
    let dir = Dir::new();
    let bundle = dir.write("b.json", bundle_bytes(false));
    let key = org_key(&dir, "audit-x");
    let json = vouch(&[
        "evidence",
        "report",
        &bundle,
        "--genesis-hash",
        &genesis_hash(),
        "--decryption-key",
        &key,
        "--json",
    ])
    .expect(0)
    .json();
    let how: Vec<&str> =
        json["opened"].as_array().unwrap().iter().map(|o| o["how"].as_str().unwrap()).collect();
    assert_eq!(how.len(), 3, "the request and both answers: {json}");
    assert!(how.iter().all(|h| h.contains("org/audit-x")), "{how:?}");
    let html = read(json["report_file"].as_str().unwrap());
    assert!(html.contains("EXCEPTION") && html.contains("Differences"), "contents are shown");

    // The bank's key opens the letter through the key the client's authorization passed
    // on (the letter is not sealed to the bank), and the answers as their recipient.
    let dir = Dir::new();
    let bundle = dir.write("b.json", bundle_bytes(false));
    let key = org_key(&dir, "bank-a");
    let json = vouch(&[
        "evidence",
        "report",
        &bundle,
        "--genesis-hash",
        &genesis_hash(),
        "--decryption-key",
        &key,
        "--json",
    ])
    .expect(0)
    .json();
    let how: Vec<&str> =
        json["opened"].as_array().unwrap().iter().map(|o| o["how"].as_str().unwrap()).collect();
    assert_eq!(
        how.first().copied(),
        Some("decrypted as the bank, with the key in the client's authorization")
    );
    assert!(how.iter().skip(1).all(|h| h.contains("org/bank-a")), "{how:?}");

    // A key the contents were not sealed to: exit 2, no report.
    let dir = Dir::new();
    let bundle = dir.write("b.json", bundle_bytes(false));
    let key = org_key(&dir, "bank-b");
    let run =
        vouch(&["evidence", "report", &bundle, "--genesis-hash", &genesis_hash(), "--decryption-key", &key])
            .expect(2);
    assert!(run.stderr.contains("opens none"), "{}", run.stderr);
    assert_eq!(std::fs::read_dir(dir.0.path()).unwrap().count(), 2, "nothing written");
}

#[test]
fn hostile_strings_in_the_bundle_are_escaped() {
    let mut l = Ledger::new(DemoNetwork::new(11).unwrap());
    let auditor = l.enroll("audit-x", "mallory", "<b>Mallory</b>", "<img src=x onerror=alert(1)>").unwrap();
    let officer = l.enroll("bank-a", "officer", "Officer \"quoted\"", "Clerk").unwrap();
    l.commit().unwrap();
    let identity = vouch_core::items::ClientIdentity {
        name: "杭州示例科技有限公司".into(),
        credit_code: "9144030071526726XG".into(),
    };
    let client = l.enroll_client(&officer, "c-1", &identity).unwrap();
    l.commit().unwrap();
    let as_of = vouch_core::date::Date::parse("2025-12-31").unwrap();
    let letter = "<script>alert('letter')</script>";
    let request = l
        .request(
            &auditor,
            &client,
            letter,
            Form::Form1,
            Scope::WholeBank,
            as_of,
            &demo_request_contents().unwrap(),
        )
        .unwrap();
    l.commit().unwrap();
    let signer = vouch_core::envelope::Signer { org: client.bank.clone(), key: client.key.public() };
    l.submit(
        (&signer, &client.key),
        None,
        Document::Authorization(Authorization {
            request: request.id,
            decision: Decision::Refuse,
            valid_until: None,
            bank_key: None,
            reason: Some("</td></table><script>alert('reason')</script>".into()),
        }),
    )
    .unwrap();
    l.commit().unwrap();
    let bundle = l.bundle(request.id, false).unwrap();

    let dir = Dir::new();
    let path = dir.write("b.json", serde_json::to_vec(&bundle).unwrap());
    let hash = l.net.genesis.hash().to_hex();
    let json = vouch(&["evidence", "report", &path, "--genesis-hash", &hash, "--json"]).expect(0).json();
    assert_eq!(json["status"], "authorization_refused");
    let html = read(json["report_file"].as_str().unwrap());
    for raw in ["<script", "<b>Mallory", "<img", "</td></table><script"] {
        assert!(!html.contains(raw), "{raw:?} reached the page unescaped");
    }
    for escaped in [
        "&lt;script&gt;alert(&#39;letter&#39;)&lt;/script&gt;",
        "&lt;b&gt;Mallory&lt;/b&gt;",
        "&lt;/td&gt;&lt;/table&gt;&lt;script&gt;alert(&#39;reason&#39;)",
        "Officer &quot;quoted&quot;",
    ] {
        assert!(html.contains(escaped), "{escaped:?} is shown as text");
    }
}

/// Tamper with the demo bundle: `evidence report` exits 1 naming `rule` and `place`, and
/// writes no report.
fn refused(edit: impl FnOnce(&mut Value), rule: &str, place: &str) {
    let dir = Dir::new();
    let mut bundle: Value = serde_json::from_slice(&bundle_bytes(false)).unwrap();
    edit(&mut bundle);
    let path = dir.write("b.json", serde_json::to_vec(&bundle).unwrap());
    let run = vouch(&["evidence", "report", &path, "--genesis-hash", &genesis_hash()]).expect(1);
    assert!(run.stderr.contains(rule) && run.stderr.contains(place), "{rule} at {place}:\n{}", run.stderr);
    let json =
        vouch(&["evidence", "report", &path, "--genesis-hash", &genesis_hash(), "--json"]).expect(1).json();
    assert_eq!(json["rule"], rule);
    assert_eq!(std::fs::read_dir(dir.0.path()).unwrap().count(), 1, "no report for a refused bundle");
}

#[test]
fn a_tampered_bundle_gets_no_report() {
    refused(
        |b| {
            let sig = b["entries"][4]["envelope"]["sig"].as_str().unwrap().to_string();
            b["entries"][4]["envelope"]["sig"] = Value::String(flip(&sig, 10));
        },
        "R-BUN-4",
        "entry 4",
    );
    refused(
        |b| {
            let h = b["entries"][2]["proof"][0].as_str().unwrap().to_string();
            b["entries"][2]["proof"][0] = Value::String(flip(&h, 3));
        },
        "R-BUN-5",
        "entry 2 (leaf 2)",
    );
    refused(
        |b| {
            // The letter number of the request, as a forger would change it.
            let env = b["entries"]
                .as_array_mut()
                .unwrap()
                .iter_mut()
                .find(|e| e["envelope"]["body"]["letter_no"].is_string());
            env.unwrap()["envelope"]["body"]["letter_no"] = Value::String("AX-2026-9999".into());
        },
        "R-BUN-4",
        "entry",
    );
}

#[test]
fn evidence_report_exit_codes() {
    let dir = Dir::new();
    let hash = genesis_hash();
    // 2: no such file; not JSON; no pin.
    vouch(&["evidence", "report", &dir.path("missing.json").display().to_string(), "--genesis-hash", &hash])
        .expect(2);
    let not_json = dir.write("x.json", "not json");
    vouch(&["evidence", "report", &not_json, "--genesis-hash", &hash]).expect(2);
    let bundle = dir.write("b.json", bundle_bytes(false));
    let run = vouch(&["evidence", "report", &bundle]);
    assert_eq!(run.code, 2, "no pinned genesis is a usage error: {}", run.stderr);
    // 1: another network's genesis.
    let run = vouch(&["evidence", "report", &bundle, "--genesis-hash", &"12".repeat(32)]).expect(1);
    assert!(run.stderr.contains("R-BUN-2"), "{}", run.stderr);
    // 0, then 2 for an existing report without --force, then 0 with it.
    let out = dir.path("r.html").display().to_string();
    vouch(&["evidence", "report", &bundle, "--genesis-hash", &hash, "--out", &out]).expect(0);
    let run = vouch(&["evidence", "report", &bundle, "--genesis-hash", &hash, "--out", &out]).expect(2);
    assert!(run.stderr.contains("--force"), "{}", run.stderr);
    vouch(&["evidence", "report", &bundle, "--genesis-hash", &hash, "--out", &out, "--force"]).expect(0);
}

fn serve_confirmation(node: &FakeNode, bundle: &[u8]) -> String {
    let (_, c) = demo();
    let id = c.request.id.to_hex();
    node.serve(&format!("/v1/confirmations/{id}/bundle"), "application/json", bundle.to_vec());
    let history: Vec<Value> = [(&c.request, 5u64), (&c.acceptance, 11)]
        .iter()
        .map(|(e, h)| {
            let leaf = demo().0.committed.iter().position(|x| x.id == e.id).unwrap();
            serde_json::json!({ "id": e.id.to_hex(), "leaf_index": leaf, "height": h, "block_time_ms": 1_790_000_000_000u64 })
        })
        .collect();
    node.serve(
        &format!("/v1/confirmations/{id}"),
        "application/json",
        serde_json::json!({ "id": id, "status": "accepted", "history": history }).to_string(),
    );
    id
}

#[test]
fn export_writes_the_exact_bundle_and_its_report() {
    let node = FakeNode::start();
    let bytes = bundle_bytes(false);
    let id = serve_confirmation(&node, &bytes);
    let dir = Dir::new();
    let out = dir.path("papers").display().to_string();
    let json = vouch(&[
        "evidence",
        "export",
        &id,
        "--node",
        &node.url(),
        "--token",
        "tok-123",
        "--genesis-hash",
        &genesis_hash(),
        "--out",
        &out,
        "--json",
    ])
    .expect(0)
    .json();
    let bundle_file = format!("{out}/{id}.bundle.json");
    assert_eq!(json["bundle_file"], bundle_file);
    assert_eq!(std::fs::read(&bundle_file).unwrap(), bytes, "the exact bytes received");
    let html = read(&format!("{out}/{id}.report.html"));
    assert!(
        html.contains("node&#39;s word") || html.contains("node's word"),
        "heights labelled as the node's"
    );
    assert!(html.contains(&node.url()), "the source is named");
    assert!(
        node.hits().iter().any(|h| h.eq_ignore_ascii_case("authorization: bearer tok-123")),
        "the token is sent: {:?}",
        node.hits()
    );

    // The text output names both files.
    let text = vouch(&[
        "evidence",
        "export",
        &id,
        "--node",
        &node.url(),
        "--token",
        "t",
        "--genesis-hash",
        &genesis_hash(),
        "--out",
        &out,
        "--force",
    ])
    .expect(0)
    .stdout;
    assert!(text.contains(".bundle.json") && text.contains(".report.html"), "{text}");
}

#[test]
fn export_refuses_a_tampered_bundle_and_reports_node_errors() {
    let node = FakeNode::start();
    let mut bundle: Value = serde_json::from_slice(&bundle_bytes(false)).unwrap();
    let sig = bundle["entries"][4]["envelope"]["sig"].as_str().unwrap().to_string();
    bundle["entries"][4]["envelope"]["sig"] = Value::String(flip(&sig, 10));
    let id = serve_confirmation(&node, &serde_json::to_vec(&bundle).unwrap());
    let dir = Dir::new();
    let out = dir.path("papers").display().to_string();
    let args = |id: &str| {
        vec![
            "evidence".to_string(),
            "export".into(),
            id.into(),
            "--node".into(),
            node.url(),
            "--token".into(),
            "t".into(),
            "--genesis-hash".into(),
            genesis_hash(),
            "--out".into(),
            out.clone(),
            "--wait".into(),
            "1".into(),
        ]
    };
    let run = vouch(&args(&id)).expect(1);
    assert!(run.stderr.contains("R-BUN-4") && run.stderr.contains("entry 4"), "{}", run.stderr);
    assert!(!dir.path("papers").exists(), "nothing written");

    // Not checkpointed yet, and still not after the wait: 3, with a next step.
    node.serve_json_status(
        &format!("/v1/confirmations/{id}/bundle"),
        409,
        &serde_json::json!({ "type": "not-checkpointed", "detail": "retry after the next checkpoint" }),
    );
    let run = vouch(&args(&id)).expect(3);
    assert!(run.stderr.contains("next checkpoint"), "{}", run.stderr);
    // Unknown id: 2. Not an id: 2.
    vouch(&args(&"ab".repeat(32))).expect(2);
    vouch(&args("nope")).expect(2);
}
