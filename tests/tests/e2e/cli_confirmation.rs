//! One confirmation's whole story through the built `vouch` binary against the local
//! five-node testnet: people and a client enrolled, a request from
//! `docs/examples/request.toml`, the client's authorization, an answer with one exception,
//! a correction, the auditor's acceptance; then `vouch verify chain` re-verifies the
//! node's chain from genesis and `vouch evidence export` writes the verified bundle and its
//! report. The client authorizes and the bank checks its answer against the letter with
//! documents read from the node (with their API tokens), not from files. Prints each command
//! and its output (`--nocapture`), which is where the examples of `docs/CLI.md` §Documents
//! come from.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

/// The `vouch` binary: `$VOUCH`, or built from this workspace next to this test.
fn vouch_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("VOUCH") {
        return PathBuf::from(path);
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(&cargo)
        .args(["build", "--quiet", "-p", "vouch-cli", "--bin", "vouch"])
        .status()
        .unwrap_or_else(|e| panic!("cannot run cargo: {e}"));
    assert!(status.success(), "cargo build -p vouch-cli failed: {status}");
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("{e}"));
    exe.ancestors()
        .skip(1)
        .take(3)
        .map(|d| d.join("vouch"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("vouch not found near {}", exe.display()))
}

struct Cli {
    bin: PathBuf,
    dir: PathBuf,
}

impl Cli {
    /// Run `vouch args…`, print the command and its output, require exit 0, return stdout.
    fn run(&self, args: &[&str]) -> String {
        let out = Command::new(&self.bin)
            .args(args)
            .current_dir(&self.dir)
            .output()
            .unwrap_or_else(|e| panic!("cannot run vouch: {e}"));
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        println!("$ vouch {}\n{stdout}{stderr}", args.join(" "));
        assert!(out.status.success(), "vouch {} failed ({}):\n{stdout}{stderr}", args.join(" "), out.status);
        stdout
    }

    /// The document id on the first line of a submitting command's report (`type ID`).
    fn id(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.contains("committed at height"), "not committed:\n{out}");
        out.lines()
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .unwrap_or_else(|| panic!("no id in:\n{out}"))
            .to_string()
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::write(dir.join(name), bytes).unwrap_or_else(|e| panic!("write {name}: {e}"));
}

#[test]
fn cli_request_authorize_respond_correct_accept_then_verify_chain() {
    let _serial = common::serial();
    let bin = vouch_binary();
    let (_tmp, net) = common::start(41);
    let work = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = work.path().to_path_buf();
    let cli = Cli { bin, dir: dir.clone() };
    let demo = net.demo_network();
    for org in ["audit-x", "bank-a"] {
        let id = vouch_core::ids::OrgId::new(org).unwrap_or_else(|e| panic!("{e}"));
        let admin = &demo.orgs.get(&id).unwrap_or_else(|| panic!("no {org}")).admin;
        write(&dir, &format!("{org}-admin.pem"), admin.to_pkcs8_pem().as_bytes());
    }
    write(&dir, "genesis.json", &demo.genesis.to_canonical());
    let node = net.manifest().nodes.first().unwrap_or_else(|| panic!("no node")).http_url();
    let node = node.as_str();
    // Each org reads confirmations from its own node with its own token: the client with a
    // client token its bank issued, the bank and the audit firm with their operator tokens.
    let of = |org: &str| {
        net.manifest()
            .nodes
            .iter()
            .find(|n| n.org.as_deref() == Some(org))
            .unwrap_or_else(|| panic!("no node of {org}"))
            .clone()
    };
    let (bank_node, audit_node) = (of("bank-a"), of("audit-x"));
    let bank_url = bank_node.http_url();
    let audit_url = audit_node.http_url();
    let bank_token = bank_node.token.clone().unwrap_or_else(|| panic!("no bank-a token"));
    let audit_token = audit_node.token.clone().unwrap_or_else(|| panic!("no audit-x token"));
    let tokens = vouch_node::tokens::TokenFile::in_data_dir(&net.dir().join(&bank_node.dir).join("data"));
    let now = u64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0),
    )
    .unwrap_or(0);
    let (_, client_token) = tokens
        .issue(
            &demo.genesis,
            "bank-a",
            "c-000123 finance",
            Some("c-000123"),
            false,
            now,
            &mut rand::rngs::OsRng,
        )
        .unwrap_or_else(|e| panic!("cannot issue a client token: {e}"));
    let client_token = client_token.token().to_string();
    for org in ["audit-x", "bank-a"] {
        let id = vouch_core::ids::OrgId::new(org).unwrap_or_else(|e| panic!("{e}"));
        let key = &demo.orgs.get(&id).unwrap_or_else(|| panic!("no {org}")).decryption;
        write(&dir, &format!("{org}-enc.pem"), key.to_pkcs8_pem().as_bytes());
    }

    for name in ["auditor", "maker", "checker", "client"] {
        cli.run(&["keys", "generate", "--out", &format!("{name}.pem")]);
    }
    cli.run(&["keys", "generate", "--type", "x25519", "--out", "client-enc.pem"]);
    let admin = |org: &'static str| format!("{org}-admin.pem");
    for (org, person, key, name, title) in [
        ("audit-x", "wang-shenji", "auditor.pem", "王审计", "Audit Manager"),
        ("bank-a", "li-jingban", "maker.pem", "李经办", "函证中心经办"),
        ("bank-a", "zhang-fuhe", "checker.pem", "张复核", "函证中心复核"),
    ] {
        cli.id(&[
            "enroll",
            "--org",
            org,
            "--key",
            &admin(org),
            "--person",
            person,
            "--name",
            name,
            "--title",
            title,
            "--person-key",
            key,
            "--node",
            node,
        ]);
    }
    cli.id(&[
        "enroll-client",
        "--org",
        "bank-a",
        "--key",
        "maker.pem",
        "--client",
        "c-000123",
        "--client-key",
        "client.pem",
        "--client-encryption-key",
        "client-enc.pem",
        "--name",
        "杭州示例科技有限公司",
        "--credit-code",
        "9144030071526726XG",
        "--node",
        node,
    ]);
    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/examples");
    let request_toml = format!("{examples}/request.toml");
    let response_toml = format!("{examples}/response.toml");
    let request = cli.id(&[
        "request",
        "create",
        "--file",
        &request_toml,
        "--client-encryption-key",
        "client-enc.pem",
        "--org",
        "audit-x",
        "--key",
        "auditor.pem",
        "--out",
        "request.json",
        "--node",
        node,
    ]);
    // The client authorizes with the request read from its bank's node (no --request file).
    cli.id(&[
        "authorize",
        &request,
        "--token",
        &client_token,
        "--decryption-key",
        "client-enc.pem",
        "--valid-until",
        "2027-03-31",
        "--org",
        "bank-a",
        "--key",
        "client.pem",
        "--genesis",
        "genesis.json",
        "--node",
        &bank_url,
    ]);
    // The bank checks its answer against the letter, read from the node and opened with
    // the key the authorization passed on.
    let response = cli.id(&[
        "respond",
        &request,
        "--file",
        &response_toml,
        "--auditor",
        "audit-x",
        "--decryption-key",
        "bank-a-enc.pem",
        "--token",
        &bank_token,
        "--org",
        "bank-a",
        "--key",
        "maker.pem",
        "--checker-key",
        "checker.pem",
        "--genesis",
        "genesis.json",
        "--node",
        &bank_url,
    ]);
    let correction = cli.id(&[
        "correct",
        &request,
        "--supersedes",
        &response,
        "--reason",
        "复核发现未列示账户 / unlisted account found on review",
        "--file",
        &response_toml,
        "--auditor",
        "audit-x",
        "--org",
        "bank-a",
        "--key",
        "maker.pem",
        "--checker-key",
        "checker.pem",
        "--node",
        node,
    ]);
    cli.id(&[
        "accept",
        &request,
        "--response",
        &correction,
        "--note",
        "E1-3",
        "--org",
        "audit-x",
        "--key",
        "auditor.pem",
        "--node",
        node,
    ]);
    // The answer cannot be accepted twice: the node refuses, naming the rule (exit 1).
    let out = Command::new(&cli.bin)
        .args([
            "accept",
            &request,
            "--response",
            &correction,
            "--org",
            "audit-x",
            "--key",
            "auditor.pem",
            "--node",
            node,
        ])
        .current_dir(&dir)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("$ vouch accept … (again)\n{stderr}exit {:?}", out.status.code());
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("R-"), "the refusal names a rule:\n{stderr}");
    // Whole blocks need a regulator's or an operator token of the node: without one the
    // export is refused, with the testnet's operator token the chain verifies.
    let refused = Command::new(&cli.bin)
        .args(["verify", "chain", "--from", node, "--genesis", "genesis.json"])
        .env_remove("VOUCH_TOKEN")
        .current_dir(&cli.dir)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_ne!(refused.status.code(), Some(0), "the export was served without a token");
    let token =
        net.manifest().nodes.first().and_then(|n| n.token.clone()).unwrap_or_else(|| panic!("no token"));
    let verified =
        cli.run(&["verify", "chain", "--from", node, "--genesis", "genesis.json", "--token", &token]);
    assert!(verified.contains("verified") || verified.contains("ok"), "{verified}");

    // The auditor exports the evidence for the working papers: the bundle, verified, and
    // the report with the letter and the answers opened with the firm's key.
    let exported = cli.run(&[
        "evidence",
        "export",
        &request,
        "--node",
        &audit_url,
        "--token",
        &audit_token,
        "--genesis",
        "genesis.json",
        "--out",
        "papers",
        "--decryption-key",
        "audit-x-enc.pem",
    ]);
    assert!(exported.contains("status:     accepted"), "{exported}");
    let bundle = dir.join("papers").join(format!("{request}.bundle.json"));
    let report = std::fs::read_to_string(dir.join("papers").join(format!("{request}.report.html")))
        .unwrap_or_else(|e| panic!("no report: {e}"));
    for needle in ["AX-2026-0001", "王审计", "EXCEPTION", "node's word", &request, &correction] {
        assert!(report.contains(needle), "the report misses {needle:?}");
    }
    // The saved bundle makes the same report offline.
    let bundle = bundle.to_str().unwrap_or_else(|| panic!("path"));
    let offline =
        cli.run(&["evidence", "report", bundle, "--genesis", "genesis.json", "--out", "offline.html"]);
    assert!(offline.contains("ok: bundle verified"), "{offline}");
}
