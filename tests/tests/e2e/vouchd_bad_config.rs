//! `vouchd` refuses bad configurations: a missing config file, malformed TOML, an
//! unreadable key, a genesis hash mismatch, a port in use — each a non-zero exit with a
//! message on stderr naming the problem. And the configs `vouch-testnet` writes load
//! with the node's own `Config::load`.

use crate::common;

use common::*;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Longest vouchd may take to refuse a bad config.
const EXIT_TIMEOUT: Duration = Duration::from_secs(30);

/// Run `vouchd run --config <config>` and return (exit code, stderr); fail if it runs on.
fn run_expecting_exit(config: &Path) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let err_path = dir.path().join("stderr");
    let err = std::fs::File::create(&err_path).unwrap_or_else(|e| panic!("{e}"));
    let mut child = Command::new(vouchd())
        .arg("run")
        .arg("--config")
        .arg(config)
        .env_remove("VOUCH_CONFIG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(err)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start vouchd: {e}"));
    let deadline = Instant::now() + EXIT_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap_or_else(|e| panic!("{e}")) {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "vouchd kept running with {} for {} s; stderr:\n{}",
                config.display(),
                EXIT_TIMEOUT.as_secs(),
                std::fs::read_to_string(&err_path).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
    (status.code().unwrap_or(-1), stderr)
}

fn expect_refusal(config: &Path, case: &str, any_of: &[&str]) {
    let (code, stderr) = run_expecting_exit(config);
    assert_ne!(code, 0, "{case}: vouchd exited 0; stderr:\n{stderr}");
    let lower = stderr.to_lowercase();
    assert!(
        any_of.iter().any(|w| lower.contains(&w.to_lowercase())),
        "{case}: stderr does not name the problem (expected one of {any_of:?}):\n{stderr}"
    );
}

#[test]
fn generated_configs_load_in_vouchd() {
    let (_tmp, net) = create(201);
    for i in net.members() {
        let path = net.node_dir(i).unwrap_or_else(|e| panic!("{e}")).join("node.toml");
        let config =
            vouch_node::config::Config::load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let info = net.info(i).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(config.moniker, info.name);
        assert_eq!(config.p2p.peers.len(), 4);
        assert_eq!(config.http.listen, format!("127.0.0.1:{}", info.http_port));
        assert!(
            config.key.is_file() && config.genesis.is_file(),
            "paths resolve from the config's directory"
        );
        assert_eq!(config.genesis_hash.as_deref(), Some(net.manifest().genesis_hash.as_str()));
    }
}

#[test]
fn vouchd_refuses_bad_configs() {
    let _serial = serial();
    let (_tmp, net) = create(202);
    let node = net.node_dir(0).unwrap_or_else(|e| panic!("{e}"));
    let config = node.join("node.toml");
    let original = std::fs::read_to_string(&config).unwrap_or_else(|e| panic!("{e}"));

    expect_refusal(&node.join("missing.toml"), "missing config file", &["missing.toml"]);

    std::fs::write(&config, "moniker = \"bank-a\"\ndata_dir = [unclosed\n").unwrap_or_else(|e| panic!("{e}"));
    expect_refusal(&config, "malformed TOML", &["node.toml", "toml", "config"]);
    std::fs::write(&config, &original).unwrap_or_else(|e| panic!("{e}"));

    let key = node.join("key.pem");
    let key_text = std::fs::read(&key).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&key, "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
        .unwrap_or_else(|e| panic!("{e}"));
    expect_refusal(&config, "unreadable key", &["key.pem", "key"]);
    std::fs::write(&key, &key_text).unwrap_or_else(|e| panic!("{e}"));

    let wrong = original.replace(&net.manifest().genesis_hash, &"0".repeat(64));
    assert_ne!(wrong, original);
    std::fs::write(&config, &wrong).unwrap_or_else(|e| panic!("{e}"));
    expect_refusal(&config, "genesis hash mismatch", &["genesis"]);
    std::fs::write(&config, &original).unwrap_or_else(|e| panic!("{e}"));

    let info = net.info(0).unwrap_or_else(|e| panic!("{e}")).clone();
    let _held = std::net::TcpListener::bind(("127.0.0.1", info.http_port))
        .unwrap_or_else(|e| panic!("cannot hold port {}: {e}", info.http_port));
    expect_refusal(&config, "HTTP port in use", &[&info.http_port.to_string(), "in use"]);
}
