//! The `vouchd` binary starts and explains itself. (Also: this integration test makes
//! `cargo test --workspace` build `target/<profile>/vouchd`, which the end-to-end tests in
//! `tests/` run.)

use std::process::Command;

#[test]
fn vouchd_prints_its_usage_and_refuses_a_missing_config() {
    let exe = env!("CARGO_BIN_EXE_vouchd");
    let help = Command::new(exe).arg("--help").output().expect("run vouchd --help");
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("run"));
    let missing = Command::new(exe)
        .args(["run", "--config", "/nonexistent/vouch/node.toml"])
        .env_remove("VOUCH_CONFIG")
        .output()
        .expect("run vouchd");
    assert!(!missing.status.success(), "a missing config must fail");
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(stderr.contains("cannot read config file"), "{stderr}");
}

/// `vouchd token`: issue prints a token once, list shows its id and never the token,
/// revoke marks it, and refusals exit 1 naming what is wrong.
#[test]
fn vouchd_token_issues_lists_and_revokes() {
    let exe = env!("CARGO_BIN_EXE_vouchd");
    let dir = tempfile::tempdir().expect("dir");
    let genesis = concat!(env!("CARGO_MANIFEST_DIR"), "/../core/tests/vectors/golden/genesis.json");
    let config = dir.path().join("node.toml");
    std::fs::write(
        &config,
        format!("moniker = \"t\"\ndata_dir = \"data\"\ngenesis = {genesis:?}\nkey = \"node.pem\"\n"),
    )
    .expect("config");
    let vouchd = |args: &[&str]| {
        Command::new(exe).args(args).env_remove("VOUCH_CONFIG").output().expect("run vouchd token")
    };
    let config = config.to_str().expect("utf-8 path");
    let issued = vouchd(&["token", "issue", "--config", config, "--org", "bank-a", "--name", "Li"]);
    assert!(issued.status.success(), "{}", String::from_utf8_lossy(&issued.stderr));
    let token = String::from_utf8_lossy(&issued.stdout).trim().to_string();
    assert!(token.starts_with("vouch_") && token.len() == 70, "{token}");
    let listed = vouchd(&["token", "list", "--config", config, "--json"]);
    assert!(listed.status.success());
    let list: serde_json::Value = serde_json::from_slice(&listed.stdout).expect("json");
    let id = list[0]["id"].as_str().expect("id").to_string();
    assert!(!String::from_utf8_lossy(&listed.stdout).contains(&token[6..]), "list never shows a token");
    let revoked = vouchd(&["token", "revoke", "--config", config, &id]);
    assert!(revoked.status.success(), "{}", String::from_utf8_lossy(&revoked.stderr));
    let listed = vouchd(&["token", "list", "--config", config, "--json"]);
    let list: serde_json::Value = serde_json::from_slice(&listed.stdout).expect("json");
    assert!(list[0]["revoked_ms"].is_u64());
    for (args, says) in [
        (vec!["token", "issue", "--config", config, "--org", "nobody", "--name", "x"], "not a member"),
        (
            vec!["token", "issue", "--config", config, "--org", "audit-x", "--name", "x", "--client", "c-1"],
            "bank",
        ),
        (vec!["token", "revoke", "--config", config, "tok_0000000000000000"], "no token"),
    ] {
        let out = vouchd(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("vouchd: error:") && stderr.contains(says), "{args:?}: {stderr}");
    }
}
