//! Custodial signing against a real testnet: bank-a's node gets a keystore (passphrase
//! from a file named in its config), `vouchd keystore add` and `vouchd token issue
//! --signer` set it up while it runs, and one confirmation goes request → authorization →
//! response (maker, then checker) → acceptance through `POST /v1/drafts` and `…/sign` only.
//! Every signature is made by the node; the test never signs.

use crate::common;

use std::path::Path;
use std::process::Command;
use vouch_testnet::client::Client;

fn vouchd(args: &[&str]) -> String {
    let out = Command::new(common::vouchd()).args(args).output().unwrap_or_else(|e| panic!("vouchd: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "vouchd {} failed:\n{stdout}{stderr}", args.join(" "));
    stdout
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

/// Draft `body` as `client`'s token, then sign it with the hash shown; the sign answer.
fn draft_and_sign(client: &Client, body: serde_json::Value) -> (u16, serde_json::Value, serde_json::Value) {
    let (status, draft) = client.post_json("/v1/drafts", &body).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(status, 201, "draft {body}: {draft}");
    let (status, signed) = sign(client, &draft);
    (status, draft, signed)
}

fn sign(client: &Client, draft: &serde_json::Value) -> (u16, serde_json::Value) {
    let id = draft["draft_id"].as_str().unwrap_or_else(|| panic!("no draft id: {draft}"));
    client
        .post_json(
            &format!("/v1/drafts/{id}/sign"),
            &serde_json::json!({"sha256": draft["signing_bytes_sha256"]}),
        )
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_confirmation_signed_only_by_the_node_through_drafts() {
    let _serial = common::serial();
    let (_tmp, net) = common::create(47);
    let bank = net
        .manifest()
        .nodes
        .iter()
        .position(|n| n.org.as_deref() == Some("bank-a"))
        .unwrap_or_else(|| panic!("no bank-a node"));
    let node_dir = net.node_dir(bank).unwrap_or_else(|e| panic!("{e}"));
    let config = node_dir.join("node.toml");
    // The testnet gives every node a random keystore passphrase in a file its config names.
    let toml = std::fs::read_to_string(&config).unwrap_or_else(|e| panic!("{e}"));
    assert!(toml.contains("keystore_passphrase_file = \"keystore.pass\""), "{toml}");
    assert!(node_dir.join("keystore.pass").exists());
    net.start_all().unwrap_or_else(|e| panic!("{e}"));
    net.wait_for_height(&net.members(), 1, common::START_TIMEOUT).unwrap_or_else(|e| panic!("{e}"));
    let cast = common::Cast::enroll(&net);

    // The operator hands the node the keys (PEM files as `vouch keys generate` writes).
    let keys = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let pem = |name: &str, text: &str| {
        let path = keys.path().join(name);
        write(&path, text);
        path.display().to_string()
    };
    let demo = net.demo_network();
    let bank_a = vouch_core::ids::OrgId::new("bank-a").unwrap_or_else(|e| panic!("{e}"));
    let bank_x25519 = demo.orgs.get(&bank_a).unwrap_or_else(|| panic!("bank-a")).decryption.to_pkcs8_pem();
    let bank_x25519 = pem("bank-a.x25519.pem", &bank_x25519);
    let config = config.display().to_string();
    let people = [
        ("audit-x", &cast.auditor_x, false),
        ("bank-a", &cast.maker_a, true),
        ("bank-a", &cast.checker_a, true),
    ];
    let mut tokens = Vec::new();
    for (org, person, bank_key) in people {
        let key = pem(&format!("{}.pem", person.id), &person.key.to_pkcs8_pem());
        let mut args = vec![
            "keystore",
            "add",
            "--config",
            &config,
            "--org",
            org,
            "--person",
            person.id.as_str(),
            "--key",
            &key,
        ];
        if bank_key {
            args.extend(["--decryption-key", bank_x25519.as_str()]);
        }
        vouchd(&args);
        let token = vouchd(&[
            "token",
            "issue",
            "--config",
            &config,
            "--org",
            org,
            "--name",
            "e2e",
            "--signer",
            person.id.as_str(),
        ]);
        tokens.push(token.trim().to_string());
    }
    let client = &cast.client_a;
    let client_key = pem("client.pem", &client.key.to_pkcs8_pem());
    let client_x25519 = pem("client.x25519.pem", &client.decryption.to_pkcs8_pem());
    let client_ref = client.client.as_str();
    vouchd(&[
        "keystore",
        "add",
        "--config",
        &config,
        "--org",
        "bank-a",
        "--client",
        client_ref,
        "--key",
        &client_key,
        "--decryption-key",
        &client_x25519,
    ]);
    let listed = vouchd(&["keystore", "list", "--config", &config]);
    assert!(listed.contains(client_ref) && !listed.contains("PRIVATE"), "{listed}");
    let client_token = vouchd(&[
        "token", "issue", "--config", &config, "--org", "bank-a", "--client", client_ref, "--name", "portal",
        "--signer", client_ref,
    ]);

    let base = net.manifest().nodes.get(bank).map(|n| n.http_url()).unwrap_or_else(|| panic!("node"));
    let as_token = |t: &str| Client::new(&base, Some(t.trim().to_string()));
    let (auditor, maker, checker, client) =
        (as_token(&tokens[0]), as_token(&tokens[1]), as_token(&tokens[2]), as_token(&client_token));

    let contents = vouch_core::testkit::demo_request_contents().unwrap_or_else(|e| panic!("{e}"));
    let (status, _, signed) = draft_and_sign(
        &auditor,
        serde_json::json!({"action": "request", "bank": "bank-a", "client": client_ref, "as_of": "2025-12-31",
            "letter_no": format!("CUSTODY-{}", cast.tag), "contents": contents}),
    );
    assert_eq!(status, 200, "request committed: {signed}");
    let request = signed["id"].as_str().unwrap_or_else(|| panic!("no id: {signed}")).to_string();

    let (status, draft, signed) = draft_and_sign(
        &client,
        serde_json::json!({"action": "authorize", "request": request, "valid_until": "2027-03-31"}),
    );
    assert_eq!(status, 200, "authorization committed: {signed}");
    assert_eq!(draft["document"]["letter"], serde_json::to_value(&contents).unwrap_or_default());

    let answer = vouch_core::testkit::demo_response_contents().unwrap_or_else(|e| panic!("{e}"));
    let (status, draft, waiting) = draft_and_sign(
        &maker,
        serde_json::json!({"action": "respond", "request": request, "checker": cast.checker_a.id.as_str(),
            "contents": answer}),
    );
    assert_eq!((status, waiting["status"].as_str()), (202, Some("awaiting_checker")), "{waiting}");
    let (status, signed) = sign(&checker, &draft);
    assert_eq!(status, 200, "response committed: {signed}");
    let response = signed["id"].as_str().unwrap_or_else(|| panic!("no id: {signed}")).to_string();

    let (status, _, signed) = draft_and_sign(
        &auditor,
        serde_json::json!({"action": "accept", "request": request, "response": response, "note": "E1-3"}),
    );
    assert_eq!(status, 200, "acceptance committed: {signed}");
    let (status, detail) =
        auditor.get_json(&format!("/v1/confirmations/{request}")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["status"], "accepted", "{detail}");
}
