//! `docs/CLI.md` carries every command's `--help`, generated: this test fails when the help
//! changes and the document was not regenerated
//! (`VOUCH_UPDATE_DOCS=1 cargo test -p vouch-cli --test it docs`).

use crate::support::vouch;

const BEGIN: &str =
    "<!-- BEGIN GENERATED REFERENCE: VOUCH_UPDATE_DOCS=1 cargo test -p vouch-cli --test it docs -->";
const END: &str = "<!-- END GENERATED REFERENCE -->";

const COMMANDS: &[&[&str]] = &[
    &[],
    &["keys", "generate"],
    &["keys", "show"],
    &["keys", "export-public"],
    &["genesis", "inspect"],
    &["genesis", "check"],
    &["genesis", "create"],
    &["verify", "chain"],
    &["verify", "bundle"],
    &["verify", "consistency"],
    &["monitor"],
    &["enroll"],
    &["revoke"],
    &["enroll-client"],
    &["request", "create"],
    &["authorize"],
    &["return"],
    &["respond"],
    &["correct"],
    &["decline"],
    &["withdraw"],
    &["accept"],
    &["submit"],
    &["show"],
    &["list"],
    &["evidence", "export"],
    &["evidence", "report"],
    &["completions"],
];

fn reference() -> String {
    let mut out = String::new();
    for command in COMMANDS {
        let mut args: Vec<&str> = command.to_vec();
        args.push("--help");
        let help = vouch(&args).expect(0).stdout;
        let name =
            if command.is_empty() { "vouch".to_string() } else { format!("vouch {}", command.join(" ")) };
        out.push_str(&format!("### `{name}`\n\n```text\n{}\n```\n\n", help.trim_end()));
    }
    out
}

#[test]
fn the_cli_reference_in_docs_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/CLI.md");
    let doc = std::fs::read_to_string(path).expect("docs/CLI.md");
    let start = doc.find(BEGIN).expect("docs/CLI.md has the BEGIN marker") + BEGIN.len();
    let end = doc.find(END).expect("docs/CLI.md has the END marker");
    let generated = format!("\n\n{}", reference());
    if std::env::var_os("VOUCH_UPDATE_DOCS").is_some() {
        let updated = format!("{}{generated}{}", &doc[..start], &doc[end..]);
        std::fs::write(path, updated).expect("write docs/CLI.md");
        return;
    }
    assert!(
        doc[start..end] == generated,
        "docs/CLI.md's reference is out of date: run VOUCH_UPDATE_DOCS=1 cargo test -p vouch-cli --test it docs"
    );
}
