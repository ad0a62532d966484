//! `vouch enroll`, `enroll-client`, `request create`, `authorize`, `respond`, `correct`,
//! `accept` and the rest against a fake node: every posted envelope must decode and verify
//! with vouch-core, and the documents must chain — each is applied to a testkit ledger,
//! whose state machine checks the roles, recipients and references.

use crate::support::{Dir, FakeNode, SEED, arg, vouch};
use serde_json::{Value, json};
use vouch_core::documents::{Decision, Document};
use vouch_core::encoding::Hash;
use vouch_core::envelope::Envelope;
use vouch_core::items::RequestContents;
use vouch_core::seal;
use vouch_core::testkit::{DemoNetwork, Ledger, demo_request_contents};

const REQUEST_TOML: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/examples/request.toml");
const RESPONSE_TOML: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/examples/response.toml");

struct World {
    dir: Dir,
    node: FakeNode,
    ledger: Ledger,
}

fn now_ms() -> u64 {
    u64::try_from(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis())
        .unwrap()
}

impl World {
    fn new() -> World {
        let dir = Dir::new();
        let net = DemoNetwork::new(SEED).expect("network");
        for org in ["audit-x", "bank-a"] {
            let secrets = &net.orgs[&vouch_core::ids::OrgId::new(org).unwrap()];
            dir.write(&format!("{org}-admin.pem"), secrets.admin.to_pkcs8_pem().as_bytes());
        }
        for (name, kind) in [
            ("auditor", "ed25519"),
            ("maker", "ed25519"),
            ("checker", "ed25519"),
            ("client", "ed25519"),
            ("client-enc", "x25519"),
        ] {
            vouch(&["keys", "generate", "--type", kind, "--out", &arg(&dir.path(&format!("{name}.pem")))])
                .expect(0);
        }
        dir.write("genesis.json", net.genesis.to_canonical());
        let node = FakeNode::start();
        node.serve("/v1/genesis", "application/json", net.genesis.to_canonical());
        node.serve_json_status(
            "/v1/entries",
            200,
            &json!({ "leaf_index": 7, "height": 3, "leaf_hash": "00".repeat(32) }),
        );
        let mut ledger = Ledger::new(net);
        ledger.now_ms = now_ms();
        World { dir, node, ledger }
    }

    fn key(&self, name: &str) -> String {
        arg(&self.dir.path(&format!("{name}.pem")))
    }

    /// Run vouch with `--node`, and return its report and the envelope it posted.
    fn run(&self, args: &[&str]) -> (Value, Envelope) {
        let before = self.node.posts().len();
        let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        all.extend(["--node".into(), self.node.url(), "--json".into()]);
        let report = vouch(&all).expect(0).json();
        let posts = self.node.posts();
        assert_eq!(posts.len(), before + 1, "one envelope posted");
        let (path, body) = posts.last().unwrap();
        assert_eq!(path, "/v1/entries");
        let envelope =
            Envelope::decode(body, &self.ledger.net.genesis.network).expect("posted envelope verifies");
        assert_eq!(report["id"], envelope.id.to_hex());
        assert_eq!(report["status"], "committed");
        assert_eq!(report["leaf_index"], 7);
        (report, envelope)
    }

    /// Apply `envelope` to the ledger in a block of its own: the state machine accepts it.
    fn commit(&mut self, envelope: &Envelope) {
        self.ledger.now_ms = now_ms().max(self.ledger.now_ms);
        self.ledger.pending.push(envelope.clone());
        self.ledger.commit().unwrap_or_else(|e| panic!("{} refused: {e}", envelope.doc_type().as_str()));
    }
}

#[test]
fn a_whole_confirmation_is_built_signed_and_chained() {
    let mut w = World::new();
    // People.
    for (org, person, key) in [
        ("audit-x", "wang-shenji", "auditor"),
        ("bank-a", "li-jingban", "maker"),
        ("bank-a", "zhang-fuhe", "checker"),
    ] {
        let (_, e) = w.run(&[
            "enroll",
            "--org",
            org,
            "--key",
            &w.key(&format!("{org}-admin")),
            "--person",
            person,
            "--name",
            "测试人",
            "--title",
            "Clerk",
            "--person-key",
            &w.key(key),
        ]);
        let Document::Enroll(body) = &e.document else { panic!("not an enroll") };
        assert_eq!(body.person.as_str(), person);
        w.commit(&e);
    }
    // The client, enrolled by the bank and co-signed by itself.
    let (_, e) = w.run(&[
        "enroll-client",
        "--org",
        "bank-a",
        "--key",
        &w.key("maker"),
        "--client",
        "c-000123",
        "--client-key",
        &w.key("client"),
        "--client-encryption-key",
        &w.key("client-enc"),
        "--name",
        "杭州示例科技有限公司",
        "--credit-code",
        "9144030071526726XG",
    ]);
    assert!(e.checker.is_some(), "the client co-signs");
    w.commit(&e);
    // The request, also written for the client's authorization.
    let request_file = arg(&w.dir.path("request.json"));
    // The client's encryption key is read from its enrollment, on the node's chain
    // verified from genesis.
    w.node.serve_status(&w.ledger);
    w.node.serve_blocks(&w.ledger);
    let (_, request) = w.run(&[
        "request",
        "create",
        "--file",
        REQUEST_TOML,
        "--org",
        "audit-x",
        "--key",
        &w.key("auditor"),
        "--out",
        &request_file,
    ]);
    assert!(w.node.hits().iter().any(|h| h.starts_with("/v1/blocks/")), "the chain was read");
    let unknown = std::fs::read_to_string(REQUEST_TOML).unwrap().replacen("c-000123", "c-000999", 1);
    let unknown = w.dir.write("unknown-client.toml", unknown);
    let run = vouch(&[
        "request",
        "create",
        "--file",
        &unknown,
        "--org",
        "audit-x",
        "--key",
        &w.key("auditor"),
        "--node",
        &w.node.url(),
    ])
    .expect(2);
    assert!(run.stderr.contains("c-000999 is not enrolled at bank-a"), "{}", run.stderr);
    assert_eq!(std::fs::read(&request_file).unwrap(), request.bytes, "--out holds the posted envelope");
    let Document::Request(body) = &request.document else { panic!("not a request") };
    assert_eq!(
        (body.letter_no.as_str(), body.bank.as_str(), body.client.as_str()),
        ("AX-2026-0001", "bank-a", "c-000123")
    );
    w.commit(&request);
    let id = request.id.to_hex();
    // The client authorizes: the bank can now open the letter.
    let (_, auth) = w.run(&[
        "authorize",
        &id,
        "--request",
        &request_file,
        "--decryption-key",
        &w.key("client-enc"),
        "--valid-until",
        "2027-03-31",
        "--org",
        "bank-a",
        "--key",
        &w.key("client"),
    ]);
    let Document::Authorization(a) = &auth.document else { panic!("not an authorization") };
    assert_eq!((a.request, a.decision), (request.id, Decision::Authorize));
    let bank_secret = &w.ledger.net.orgs[&body.bank].decryption;
    let content_key =
        seal::unwrap_key(a.bank_key.as_ref().unwrap(), &body.contents.commitment, bank_secret).unwrap();
    let opened = seal::open::<RequestContents>(&body.contents, &content_key).unwrap();
    assert_eq!(opened.contents, demo_request_contents().unwrap());
    let auth_file = w.dir.write("authorization.json", &auth.bytes);
    // Without --request, the request is read from the node's bundle with the token, and
    // verified: a tampered bundle is refused before anything is signed.
    let bundle_path = format!("/v1/confirmations/{id}/bundle");
    let mut bundle = serde_json::to_value(w.ledger.bundle(request.id, false).unwrap()).unwrap();
    let fetched = [
        "authorize",
        &id,
        "--decryption-key",
        &w.key("client-enc"),
        "--valid-until",
        "2027-03-31",
        "--org",
        "bank-a",
        "--key",
        &w.key("client"),
    ];
    let url = w.node.url();
    let mut no_token: Vec<&str> = fetched.to_vec();
    no_token.extend(["--node", url.as_str()]);
    let run = vouch(&no_token).expect(2);
    assert!(run.stderr.contains("--token"), "{}", run.stderr);
    let created = bundle["entries"][0]["envelope"]["created_ms"].as_u64().unwrap();
    bundle["entries"][0]["envelope"]["created_ms"] = json!(created + 1);
    w.node.serve(&bundle_path, "application/json", bundle.to_string());
    let mut tampered = no_token.clone();
    tampered.extend(["--token", "client-t0k"]);
    let run = vouch(&tampered).expect(1);
    assert!(run.stderr.contains("R-BUN-4"), "{}", run.stderr);
    let bundle = w.ledger.bundle(request.id, false).unwrap();
    w.node.serve(&bundle_path, "application/json", serde_json::to_vec(&bundle).unwrap());
    let mut with_token = fetched.to_vec();
    with_token.extend(["--token", "client-t0k"]);
    let (_, fetched_auth) = w.run(&with_token);
    let Document::Authorization(f) = &fetched_auth.document else { panic!("not an authorization") };
    assert_eq!((f.request, f.decision), (request.id, Decision::Authorize));
    let key = seal::unwrap_key(f.bank_key.as_ref().unwrap(), &body.contents.commitment, bank_secret).unwrap();
    assert_eq!(
        seal::open::<RequestContents>(&body.contents, &key).unwrap().contents,
        demo_request_contents().unwrap()
    );
    assert!(w.node.hits().iter().any(|h| h.eq_ignore_ascii_case("authorization: bearer client-t0k")));
    w.commit(&auth);
    // The bank reads the request and the authorization from the node too.
    let bundle = w.ledger.bundle(request.id, false).unwrap();
    w.node.serve(&bundle_path, "application/json", serde_json::to_vec(&bundle).unwrap());
    // The bank answers (one exception, one unlisted account), then corrects.
    let answer = ["--file", RESPONSE_TOML, "--auditor", "audit-x", "--checker-key"];
    let mut respond = vec!["respond", &id];
    respond.extend(answer);
    let checker = w.key("checker");
    let maker = w.key("maker");
    respond.extend([checker.as_str(), "--org", "bank-a", "--key", maker.as_str()]);
    let bank_enc =
        w.dir.write("bank-a-enc.pem", w.ledger.net.orgs[&body.bank].decryption.to_pkcs8_pem().as_bytes());
    let check = [
        "--request",
        request_file.as_str(),
        "--authorization",
        auth_file.as_str(),
        "--decryption-key",
        bank_enc.as_str(),
    ];
    // An answer to a row the letter does not have is refused before signing.
    let bad = std::fs::read_to_string(RESPONSE_TOML).unwrap().replacen("row = 1", "row = 9", 1);
    let bad = w.dir.write("bad-response.toml", bad);
    let mut refused = respond.clone();
    refused[3] = bad.as_str();
    refused.extend(check);
    let url = w.node.url();
    refused.extend(["--node", url.as_str()]);
    let run = vouch(&refused).expect(2);
    assert!(run.stderr.contains("does not answer the letter"), "{}", run.stderr);
    // Checked against the letter read from the node (no envelope files).
    respond.extend(["--decryption-key", bank_enc.as_str(), "--token", "bank-t0k"]);
    let mut refused = respond.clone();
    refused[3] = bad.as_str();
    refused.extend(["--node", url.as_str()]);
    let run = vouch(&refused).expect(2);
    assert!(run.stderr.contains("does not answer the letter"), "read from the node: {}", run.stderr);
    let (_, response) = w.run(&respond);
    let Document::Response(r) = &response.document else { panic!("not a response") };
    assert_eq!(r.request, request.id);
    assert!(response.checker.is_some(), "maker and checker sign");
    w.commit(&response);
    let response_id = response.id.to_hex();
    let mut correct = vec!["correct", &id, "--supersedes", &response_id, "--reason", "复核 / on review"];
    correct.extend(answer);
    correct.extend([checker.as_str(), "--org", "bank-a", "--key", maker.as_str()]);
    let (_, correction) = w.run(&correct);
    let Document::Correction(c) = &correction.document else { panic!("not a correction") };
    assert_eq!((c.request, c.supersedes), (request.id, response.id));
    w.commit(&correction);
    // The auditor accepts the latest answer.
    let correction_id = correction.id.to_hex();
    let (_, accept) = w.run(&[
        "accept",
        &id,
        "--response",
        &correction_id,
        "--note",
        "E1-3",
        "--org",
        "audit-x",
        "--key",
        &w.key("auditor"),
    ]);
    let Document::Accept(x) = &accept.document else { panic!("not an accept") };
    assert_eq!((x.request, x.response), (request.id, correction.id));
    w.commit(&accept);
    let record = w.ledger.verifier.state().request(&request.id).expect("the request is on the ledger");
    assert!(format!("{record:?}").contains("Accepted"), "{record:?}");
}

#[test]
fn offline_signing_writes_envelopes_that_submit_posts_later() {
    let w = World::new();
    let genesis = arg(&w.dir.path("genesis.json"));
    let id = Hash::sha256(b"some request").to_hex();
    let cases: [(&str, Vec<&str>); 4] = [
        ("refusal.json", vec!["authorize", &id, "--refuse", "--reason", "另一家事务所"]),
        ("decline.json", vec!["decline", &id, "--reason", "不办理"]),
        ("withdraw.json", vec!["withdraw", &id, "--reason", "误发"]),
        ("return.json", vec!["return", &id, "--reason", "fee_not_paid", "--note", "余额不足"]),
    ];
    for (file, args) in cases {
        let out = arg(&w.dir.path(file));
        let mut all: Vec<&str> = args.clone();
        let key = w.key("maker");
        all.extend(["--org", "bank-a", "--key", &key, "--genesis", &genesis, "--out", &out, "--json"]);
        let report = vouch(&all).expect(0).json();
        assert_eq!(report["status"], "written");
        let bytes = std::fs::read(&out).unwrap();
        let e = Envelope::decode(&bytes, &w.ledger.net.genesis.network).unwrap();
        assert_eq!(e.document.request_ref().map(|h| h.to_hex()), Some(id.clone()));
        if let Document::Authorization(a) = &e.document {
            assert_eq!((a.decision, a.reason.as_deref()), (Decision::Refuse, Some("另一家事务所")));
        }
    }
    // An admin revokes a person's key, offline too.
    let out = arg(&w.dir.path("revoke.json"));
    vouch(&[
        "revoke",
        "--person-key",
        &w.key("maker"),
        "--reason",
        "left the bank",
        "--org",
        "bank-a",
        "--key",
        &w.key("bank-a-admin"),
        "--genesis",
        &genesis,
        "--out",
        &out,
    ])
    .expect(0);
    let e = Envelope::decode(&std::fs::read(&out).unwrap(), &w.ledger.net.genesis.network).unwrap();
    let Document::Revoke(r) = &e.document else { panic!("not a revoke") };
    let maker =
        vouch_core::keys::SigningKey::from_pkcs8_pem(&std::fs::read_to_string(w.key("maker")).unwrap())
            .unwrap();
    assert_eq!(r.key, maker.public());
    // --out refuses to overwrite; neither --node nor --out is a usage error.
    let auditor = w.key("auditor");
    let base = [
        "withdraw",
        id.as_str(),
        "--reason",
        "x",
        "--org",
        "audit-x",
        "--key",
        &auditor,
        "--genesis",
        &genesis,
    ];
    let mut overwrite = base.to_vec();
    overwrite.extend(["--out", out.as_str()]);
    vouch(&overwrite).expect(2);
    assert_eq!(vouch(&base).code, 2, "neither --node nor --out");
    assert!(w.node.posts().is_empty(), "nothing posted with --out alone");
    let report = vouch(&["submit", &arg(&w.dir.path("decline.json")), "--node", &w.node.url(), "--json"])
        .expect(0)
        .json();
    assert_eq!(report["type"], "decline");
    assert_eq!(w.node.posts().len(), 1);
}

#[test]
fn a_refused_document_prints_the_rule_and_exits_1() {
    let w = World::new();
    w.node.serve_json_status(
        "/v1/entries",
        422,
        &json!({
            "type": "https://vouch.example/problems/refused", "title": "refused", "status": 422,
            "rule": "R-REQ-3", "detail": "R-REQ-3: client c-000123 is not enrolled at bank-a",
        }),
    );
    let run = vouch(&[
        "request",
        "create",
        "--file",
        REQUEST_TOML,
        "--client-encryption-key",
        &w.key("client-enc"),
        "--org",
        "audit-x",
        "--key",
        &w.key("auditor"),
        "--node",
        &w.node.url(),
    ])
    .expect(1);
    assert!(run.stderr.contains("R-REQ-3: client c-000123 is not enrolled"), "{}", run.stderr);
    let json = vouch(&[
        "withdraw",
        &Hash::sha256(b"x").to_hex(),
        "--reason",
        "x",
        "--org",
        "audit-x",
        "--key",
        &w.key("auditor"),
        "--node",
        &w.node.url(),
        "--json",
    ])
    .expect(1)
    .json();
    assert_eq!(json["rule"], "R-REQ-3");
    assert_eq!(json["details"]["problem"], "refused");
}

#[test]
fn a_bad_request_file_exits_2_naming_the_field_and_signs_nothing() {
    let w = World::new();
    let sample = std::fs::read_to_string(REQUEST_TOML).unwrap();
    for (bad, named) in [
        (sample.replacen("balance = \"1234567.89\"", "balance = \"1,234.00\"", 1), "balance"),
        (sample.replacen("[contents.items.loans]", "[contents.items.mortgages]", 1), "mortgages"),
        (sample.replacen("currency = \"CNY\"\n", "", 1), "currency"),
    ] {
        let file = w.dir.write("bad.toml", bad);
        let run = vouch(&[
            "request",
            "create",
            "--file",
            &file,
            "--client-encryption-key",
            &w.key("client-enc"),
            "--org",
            "audit-x",
            "--key",
            &w.key("auditor"),
            "--node",
            &w.node.url(),
        ])
        .expect(2);
        assert!(run.stderr.contains(named), "{named}: {}", run.stderr);
    }
    // A wrong key type, and a request id that is not one.
    vouch(&[
        "request",
        "create",
        "--file",
        REQUEST_TOML,
        "--client-encryption-key",
        &w.key("client"),
        "--org",
        "audit-x",
        "--key",
        &w.key("auditor"),
        "--node",
        &w.node.url(),
    ])
    .expect(2);
    let run = vouch(&[
        "withdraw",
        "abc",
        "--reason",
        "x",
        "--org",
        "audit-x",
        "--key",
        &w.key("auditor"),
        "--node",
        &w.node.url(),
    ])
    .expect(2);
    assert!(run.stderr.contains("REQUEST_ID"), "{}", run.stderr);
    assert!(w.node.posts().is_empty());
}

#[test]
fn show_and_list_send_the_token_and_print_tables() {
    let w = World::new();
    let id = "ab".repeat(32);
    w.node.serve_json_status(
        "/v1/confirmations?limit=50&status=answered",
        200,
        &json!({ "items": [{ "id": id, "letter_no": "AX-2026-0001", "form": "form1", "auditor": "audit-x",
            "bank": "bank-a", "client": "c-000123", "status": "answered", "as_of": "2025-12-31",
            "due": "2026-12-07", "overdue": false }], "next_cursor": null }),
    );
    let run = vouch(&["list", "--node", &w.node.url(), "--token", "t0k", "--status", "answered"]).expect(0);
    assert!(run.stdout.contains("AX-2026-0001") && run.stdout.contains("answered"), "{}", run.stdout);
    assert!(
        w.node.hits().iter().any(|h| h.eq_ignore_ascii_case("authorization: bearer t0k")),
        "{:?}",
        w.node.hits()
    );
    w.node.serve_json_status(
        &format!("/v1/confirmations/{id}"),
        200,
        &json!({ "id": id, "letter_no": "AX-2026-0001", "status": "accepted", "history": [
            { "id": id, "kind": "request", "signer": { "org": "audit-x", "kind": "person", "name": "王审计" },
              "height": 3, "leaf_index": 5 } ] }),
    );
    let run = vouch(&["show", &id, "--node", &w.node.url(), "--token", "t0k"]).expect(0);
    assert!(run.stdout.contains("audit-x 王审计") && run.stdout.contains("accepted"), "{}", run.stdout);
    let json = vouch(&["show", &id, "--node", &w.node.url(), "--token", "t0k", "--json"]).expect(0).json();
    assert_eq!(json["status"], "accepted");
    vouch(&["show", &"cd".repeat(32), "--node", &w.node.url(), "--token", "t0k"]).expect(2);
    // A token the node does not accept is a usage error.
    w.node.serve_json_status(
        "/v1/confirmations?limit=50",
        401,
        &json!({ "type": "https://vouch.example/problems/unauthorized", "title": "unauthorized", "status": 401,
            "detail": "unknown token" }),
    );
    let run = vouch(&["list", "--node", &w.node.url(), "--token", "bad"]).expect(2);
    assert!(run.stderr.contains("unknown token") && run.stderr.contains("--token"), "{}", run.stderr);
    // The token may come from VOUCH_TOKEN.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vouch"))
        .args(["show", &id, "--node", &w.node.url()])
        .env("VOUCH_TOKEN", "env-t0k")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        w.node.hits().iter().any(|h| h.eq_ignore_ascii_case("authorization: bearer env-t0k")),
        "{:?}",
        w.node.hits()
    );
}
