//! The README's walkthrough, run as written against a local five-node testnet that has
//! run the demo, as a new user would after the README's first command. The block between
//! `<!-- walkthrough:begin -->` and `<!-- walkthrough:end -->` is run by `bash -euo
//! pipefail`, with two changes only: the build line is skipped (this test builds the same
//! binaries in its own profile) and `PATH` points at them instead of `target/release`.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

/// The walkthrough's shell lines, from the README.
fn walkthrough() -> String {
    let readme = concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md");
    let text = std::fs::read_to_string(readme).unwrap_or_else(|e| panic!("README.md: {e}"));
    let begin = text.find("<!-- walkthrough:begin -->").unwrap_or_else(|| panic!("no walkthrough:begin"));
    let end = text.find("<!-- walkthrough:end -->").unwrap_or_else(|| panic!("no walkthrough:end"));
    let block = text.get(begin..end).unwrap_or_else(|| panic!("markers out of order"));
    let body = block
        .split_once("```bash\n")
        .and_then(|(_, rest)| rest.rsplit_once("```"))
        .map(|(code, _)| code)
        .unwrap_or_else(|| panic!("no ```bash block between the markers"));
    let mut skipped = 0;
    let lines: Vec<&str> = body
        .lines()
        .filter(|l| {
            let skip = l.starts_with("cargo build --release") || l.starts_with("export PATH=");
            skipped += usize::from(skip);
            !skip
        })
        .collect();
    assert_eq!(skipped, 2, "the walkthrough's build and PATH lines changed; update this test");
    lines.join("\n") + "\n"
}

/// Build `vouch` and `vouch-testnet` in this test's profile; the directory holding them.
fn binaries() -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(&cargo)
        .args(["build", "--quiet", "-p", "vouch-cli", "-p", "vouch-testnet"])
        .status()
        .unwrap_or_else(|e| panic!("cannot run cargo: {e}"));
    assert!(status.success(), "cargo build failed: {status}");
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("{e}"));
    exe.ancestors()
        .skip(1)
        .take(3)
        .find(|d| d.join("vouch").is_file() && d.join("vouch-testnet").is_file())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| panic!("vouch and vouch-testnet not found near {}", exe.display()))
}

#[test]
fn the_readme_walkthrough_runs_as_written() {
    let _serial = common::serial();
    let script = walkthrough();
    let bin = binaries();
    let (_tmp, net) = common::start(47);
    let mut demo_log = Vec::new();
    vouch_testnet::demo::run(&net, &mut demo_log).unwrap_or_else(|e| panic!("demo: {e}\n{}", net.logs(20)));

    // The repository root as the walkthrough sees it: `docs/` and `./testnet-data`.
    let root = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let docs = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs");
    std::os::unix::fs::symlink(docs, root.path().join("docs")).unwrap_or_else(|e| panic!("{e}"));
    std::os::unix::fs::symlink(net.dir(), root.path().join("testnet-data")).unwrap_or_else(|e| panic!("{e}"));
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let out = Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .current_dir(root.path())
        .env("PATH", path)
        .env_remove("VOUCH_TOKEN")
        .output()
        .unwrap_or_else(|e| panic!("cannot run bash: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}\n{stderr}");
    assert!(
        out.status.success(),
        "the walkthrough failed ({}):\n{stdout}\n{stderr}\n{}",
        out.status,
        net.logs(15)
    );
    // What the walkthrough claims to show.
    assert!(stdout.contains("status:       accepted"), "the confirmation was not accepted:\n{stdout}");
    assert!(stdout.contains("form1"), "the bank's rules were not shown:\n{stdout}");
    assert!(
        stdout.contains("consistency proof of"),
        "the later checkpoint was not proven to extend the first:\n{stdout}"
    );
    assert!(stdout.contains("ok: bundle"), "the regulator did not verify the bundle:\n{stdout}");
}
