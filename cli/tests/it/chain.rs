//! `vouch verify chain`: an NDJSON export verifies; the same export with one byte changed
//! in different places fails naming the height; a node URL (export, or block by block).

use crate::support::{Dir, FakeNode, block_lines, dead_url, demo, flip, position, vouch};

fn export(lines: &[String]) -> String {
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

#[test]
fn an_export_file_verifies_from_genesis() {
    let dir = Dir::new();
    let genesis = dir.genesis();
    let (l, _) = demo();
    let file = dir.write("export.ndjson", export(&block_lines(l)));
    let summary = l.verifier.summary();
    let json = vouch(&["verify", "chain", "--from", &file, "--genesis", &genesis, "--json"]).expect(0).json();
    assert_eq!(json["height"], l.blocks.len() as u64);
    assert_eq!(json["tree_size"], summary.tree_size);
    assert_eq!(json["root"], summary.root.to_hex());
    assert_eq!(json["head"], summary.head.to_hex());
    assert_eq!(json["documents"], l.committed.len() as u64);
    let text = vouch(&["verify", "chain", "--from", &file, "--genesis", &genesis]).expect(0).stdout;
    assert!(text.starts_with(&format!("ok: verified {} blocks", l.blocks.len())), "{text}");
    assert!(text.contains(&summary.root.to_hex()), "{text}");
    // A file's last line may lack its newline.
    let unterminated = dir.write("unterminated.ndjson", block_lines(l).join("\n"));
    vouch(&["verify", "chain", "--from", &unterminated, "--genesis", &genesis]).expect(0);
}

/// Change one byte of block `height`'s line and check the failure names that height.
fn tampered(height: usize, after: &str, anchor: &str, skip: usize, rule: &str) {
    let dir = Dir::new();
    let genesis = dir.genesis();
    let mut lines = block_lines(&demo().0);
    let line = &lines[height - 1];
    lines[height - 1] = flip(line, position(line, after, anchor, skip));
    let file = dir.write("export.ndjson", export(&lines));
    let run = vouch(&["verify", "chain", "--from", &file, "--genesis", &genesis]).expect(1);
    assert!(
        run.stderr.contains(&format!("block {height} (line {height})")),
        "height {height} named:\n{}",
        run.stderr
    );
    assert!(run.stderr.contains(rule), "{rule} named:\n{}", run.stderr);
    let json = vouch(&["verify", "chain", "--from", &file, "--genesis", &genesis, "--json"]).expect(1).json();
    assert_eq!(json["details"]["height"], height as u64);
    assert_eq!(json["rule"], rule);
}

#[test]
fn one_changed_byte_fails_naming_the_height() {
    // The link to genesis.
    tampered(1, "\"header\"", "\"prev\":\"", 5, "R-BLK-2");
    // A header field: the certificate no longer covers the header.
    tampered(3, "\"header\"", "\"time_ms\":", 12, "R-BLK-8");
    // A validator's precommit signature.
    tampered(2, "\"certificate\"", "\"sig\":\"", 10, "R-BLK-8");
    // A signed document's content: its signature fails.
    tampered(4, "\"documents\"", "\"created_ms\":", 10, "R-BLK-9");
    // The root the header commits to (certificate fails first: it covers the header).
    tampered(5, "\"header\"", "\"root\":\"", 7, "R-BLK-8");
}

#[test]
fn a_missing_or_corrupt_line_fails_naming_the_height() {
    let dir = Dir::new();
    let genesis = dir.genesis();
    let mut lines = block_lines(&demo().0);
    lines.remove(2);
    let file = dir.write("gap.ndjson", export(&lines));
    let run = vouch(&["verify", "chain", "--from", &file, "--genesis", &genesis]).expect(1);
    assert!(run.stderr.contains("block 4 (line 3)") && run.stderr.contains("R-BLK-1"), "{}", run.stderr);

    let mut lines = block_lines(&demo().0);
    let half = lines[5].len() / 2;
    lines[5].truncate(half);
    let file = dir.write("cut.ndjson", export(&lines));
    let run = vouch(&["verify", "chain", "--from", &file, "--genesis", &genesis]).expect(1);
    assert!(run.stderr.contains("block 6 (line 6) does not parse"), "{}", run.stderr);
}

#[test]
fn a_node_is_verified_through_its_export_or_block_by_block() {
    let dir = Dir::new();
    let genesis = dir.genesis();
    let (l, _) = demo();
    let n = l.blocks.len();
    let lines = block_lines(l);
    let node = FakeNode::start();
    node.serve_status(l);
    // The export, served in two pages: the client asks for the rest.
    node.serve(&format!("/v1/export?from=1&to={n}"), "application/x-ndjson", export(&lines[..5]));
    node.serve(&format!("/v1/export?from=6&to={n}"), "application/x-ndjson", export(&lines[5..]));
    let json =
        vouch(&["verify", "chain", "--from", &node.url(), "--genesis", &genesis, "--json"]).expect(0).json();
    assert_eq!(json["method"], "export");
    assert_eq!(json["height"], n as u64);
    assert_eq!(json["status_checked"], true);
    assert!(!node.hits().iter().any(|h| h.starts_with("/v1/blocks/")), "{:?}", node.hits());

    // An export cut mid-line (the node closed the connection): a network error, not a bad block.
    let cut = FakeNode::start();
    cut.serve_status(l);
    cut.serve(
        &format!("/v1/export?from=1&to={n}"),
        "application/x-ndjson",
        format!("{}{}", export(&lines[..5]), &lines[5][..100]),
    );
    let run = vouch(&["verify", "chain", "--from", &cut.url(), "--genesis", &genesis]).expect(3);
    assert!(run.stderr.contains("ended in the middle of a line"), "{}", run.stderr);

    // No export endpoint: block by block.
    let node = FakeNode::start();
    node.serve_status(l);
    node.serve_blocks(l);
    let json =
        vouch(&["verify", "chain", "--from", &node.url(), "--genesis", &genesis, "--json"]).expect(0).json();
    assert_eq!(json["method"], "blocks");
    assert_eq!(json["root"], l.verifier.summary().root.to_hex());

    // A tampered block from the node.
    let bad = flip(&lines[6], position(&lines[6], "\"certificate\"", "\"sig\":\"", 3));
    node.serve("/v1/blocks/7", "application/json", bad);
    let run = vouch(&["verify", "chain", "--from", &node.url(), "--genesis", &genesis]).expect(1);
    assert!(run.stderr.contains("block 7 (") && run.stderr.contains("/v1/blocks/7"), "{}", run.stderr);

    // The node stops short of the height it reports: a network error.
    node.remove("/v1/blocks/7");
    let run = vouch(&["verify", "chain", "--from", &node.url(), "--genesis", &genesis]).expect(3);
    assert!(run.stderr.contains("served blocks only up to 6"), "{}", run.stderr);
}

#[test]
fn a_node_of_another_network_or_none_at_all() {
    let dir = Dir::new();
    let genesis = dir.genesis();
    let (l, _) = demo();
    let node = FakeNode::start();
    node.serve(
        "/v1/status",
        "application/json",
        serde_json::json!({"height": 1, "genesis_hash": "ab".repeat(32)}).to_string(),
    );
    let run = vouch(&["verify", "chain", "--from", &node.url(), "--genesis", &genesis]).expect(1);
    assert!(run.stderr.contains("the node's genesis hash is abab"), "{}", run.stderr);

    // The status disagrees with the blocks.
    let node = FakeNode::start();
    node.serve_blocks(l);
    let summary = l.verifier.summary();
    node.serve(
        "/v1/status",
        "application/json",
        serde_json::json!({
            "height": summary.height,
            "tree_size": summary.tree_size,
            "root": "00".repeat(32),
            "genesis_hash": l.net.genesis.hash().to_hex(),
        })
        .to_string(),
    );
    let run = vouch(&["verify", "chain", "--from", &node.url(), "--genesis", &genesis]).expect(1);
    assert!(run.stderr.contains("status says root"), "{}", run.stderr);

    let run = vouch(&["verify", "chain", "--from", &dead_url(), "--genesis", &genesis]).expect(3);
    assert!(run.stderr.contains("/v1/status failed"), "{}", run.stderr);
    vouch(&["verify", "chain", "--from", "ftp://node.example", "--genesis", &genesis]).expect(2);
}
