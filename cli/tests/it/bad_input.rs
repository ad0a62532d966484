//! Bad input never panics: missing files, empty files, non-JSON, binary garbage and bad
//! flags each get a clear error (what was wrong, what to do) and exit 2.

use crate::support::{Dir, arg, checkpoint, demo, vouch};

/// Every file-reading command with `file` in the place of its one input.
fn commands(dir: &Dir, file: &str) -> Vec<Vec<String>> {
    let genesis = dir.genesis();
    let note = dir.write("note.txt", checkpoint(&demo().0, 3));
    let hash = demo().0.net.genesis.hash().to_hex();
    let state = arg(&dir.path("state.json"));
    let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    vec![
        strings(&["keys", "show", file]),
        strings(&["keys", "export-public", file]),
        strings(&["genesis", "inspect", file]),
        strings(&["genesis", "check", file]),
        strings(&["genesis", "create", "--spec", file, "--out", &arg(&dir.path("out.json"))]),
        strings(&["verify", "chain", "--from", file, "--genesis", &genesis]),
        strings(&["verify", "chain", "--from", &genesis, "--genesis", file]),
        strings(&["verify", "bundle", file, "--genesis-hash", &hash]),
        strings(&["verify", "bundle", &genesis, "--genesis", file]),
        strings(&["verify", "consistency", file, &note, "--genesis", &genesis]),
        strings(&["verify", "consistency", &note, &note, "--genesis", file]),
        strings(&["verify", "consistency", &note, &note, "--proof", file, "--genesis", &genesis]),
        strings(&["monitor", "--from", "http://127.0.0.1:9", "--genesis", file, "--state", &state, "--once"]),
    ]
}

#[test]
fn missing_empty_and_garbage_files_are_input_errors() {
    let dir = Dir::new();
    let inputs = [
        ("missing", arg(&dir.path("does-not-exist.json"))),
        ("empty", dir.write("empty", "")),
        ("blank", dir.write("blank", " \n\n\t\n")),
        ("not JSON", dir.write("text", "hello, world\n")),
        ("binary", dir.write("binary", [0u8, 159, 146, 150, 255, 0, 1, 2])),
        ("a directory", arg(dir.0.path())),
    ];
    for (what, file) in &inputs {
        for command in commands(&dir, file) {
            let run = vouch(&command);
            assert_eq!(
                run.code,
                2,
                "{what}: `vouch {}` exits 2\nstdout:\n{}\nstderr:\n{}",
                command.join(" "),
                run.stdout,
                run.stderr
            );
            run.expect(2);
        }
    }
}

#[test]
fn json_that_is_not_what_the_command_reads() {
    let dir = Dir::new();
    let genesis = dir.genesis();
    // JSON but not blocks: not an export (a genesis file passed by mistake, say).
    let not_blocks = dir.write("x.ndjson", "{\"a\": 1}\n");
    let run = vouch(&["verify", "chain", "--from", &not_blocks, "--genesis", &genesis]).expect(2);
    assert!(run.stderr.contains("line 1 is not a block"), "{}", run.stderr);
    vouch(&["verify", "chain", "--from", &genesis, "--genesis", &genesis]).expect(2);
    // JSON but not a bundle.
    let hash = demo().0.net.genesis.hash().to_hex();
    let run = vouch(&["verify", "bundle", &genesis, "--genesis-hash", &hash]).expect(1);
    assert!(run.stderr.contains("R-BUN-1"), "{}", run.stderr);
    // JSON but not a proof.
    let note = dir.write("note.txt", checkpoint(&demo().0, 3));
    let proof = dir.write("proof.json", "[1, 2]");
    let run =
        vouch(&["verify", "consistency", &note, &note, "--proof", &proof, "--genesis", &genesis]).expect(2);
    assert!(run.stderr.contains("not a consistency proof"), "{}", run.stderr);
    // A genesis where a note should be: not a note at all.
    let run = vouch(&["verify", "consistency", &genesis, &note, "--genesis", &genesis]).expect(2);
    assert!(run.stderr.contains("is not a cosigned checkpoint note"), "{}", run.stderr);
}

#[test]
fn bad_flags_are_usage_errors() {
    let dir = Dir::new();
    let genesis = dir.genesis();
    for args in [
        vec!["verify", "bundle", "b.json"],
        vec!["verify", "bundle", "b.json", "--genesis-hash", "zz"],
        vec!["genesis", "check", &genesis, "--hash", "1234"],
        vec!["keys", "generate"],
        vec!["keys", "generate", "--out", "k.pem", "--type", "rsa"],
        vec!["monitor", "--from", "http://x", "--genesis", &genesis, "--state", "s", "--interval", "0"],
        vec!["verify", "consistency", "a", "b", "--proof", "p", "--from", "http://x", "--genesis", &genesis],
        vec!["frobnicate"],
        vec![],
    ] {
        let run = vouch(&args);
        assert_eq!(run.code, 2, "`vouch {}`: {}", args.join(" "), run.stderr);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    }
    // Help and version succeed, and the help documents the exit codes.
    let help = vouch(&["verify", "chain", "--help"]).expect(0).stdout;
    assert!(help.contains("Exit codes:") && help.contains("3  network or I/O error"), "{help}");
    vouch(&["--version"]).expect(0);
    let script = vouch(&["completions", "bash"]).expect(0).stdout;
    assert!(script.contains("vouch"), "{script}");
}
