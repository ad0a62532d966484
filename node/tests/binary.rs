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
