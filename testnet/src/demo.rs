//! Run the scripted demo against a running testnet: people and clients enrolled,
//! confirmation requests sent, authorized by the client and answered by the bank (one
//! agreeing, one with an exception), answers accepted — each step committed by the real
//! network, then the checkpoint and every node's root.
//!
//! Documents are signed with `vouch_core::testkit::Ledger` (same seed and genesis as the
//! testnet) in waves. Each wave is signed at the wall clock (the state machine refuses a
//! `created_ms` far from block time, R-ST-2), submitted round-robin to the validators,
//! awaited, and then committed to the local ledger too, so the next wave builds on it.
//! Ids carry a per-run tag, so the demo can run again on the same network.

use crate::client::{Client, Committed};
use crate::layout::now_ms;
use crate::logins::{Login, Seat};
use crate::net::{Testnet, TestnetError};
use crate::wave::{Fate, submit_wave};
use std::io::Write;
use std::time::Duration;
use vouch_api::Holder;
use vouch_core::date::Date;
use vouch_core::documents::{Accept, Conclusion, Document, Form, Scope};
use vouch_core::envelope::Envelope;
use vouch_core::ids::OrgId;
use vouch_core::items::{Answer, ClientIdentity, RowAnswer};
use vouch_core::testkit::{Ledger, TestkitError, demo_request_contents, demo_response_contents};

/// Longest one wave may take to commit.
pub const WAVE_TIMEOUT: Duration = Duration::from_secs(60);

/// Longest the demo waits for a checkpoint covering its documents.
pub const CHECKPOINT_TIMEOUT: Duration = Duration::from_secs(20);

/// Why the demo stopped.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The console sign-ins could not be set up.
    #[error("cannot set up the web console's demo sign-ins: {0}")]
    Logins(#[from] crate::logins::LoginError),
    /// The testkit could not build a document (a bug in the script).
    #[error("cannot build a document: {0}")]
    Testkit(#[from] TestkitError),
    /// The network refused a document.
    #[error(
        "the network refused {what}: {problem}; next: read the rule in docs/PROTOCOL.md and the node's log"
    )]
    Refused {
        /// The document.
        what: String,
        /// The node's answer.
        problem: String,
    },
    /// A document was not committed in time.
    #[error(
        "{what} was not committed within {seconds} s ({reason}); next: `vouch-testnet status` and the node logs"
    )]
    NotCommitted {
        /// The document.
        what: String,
        /// The deadline.
        seconds: u64,
        /// The last thing seen.
        reason: String,
    },
    /// The local ledger refused what the network committed.
    #[error(
        "the network committed {what}, but the local ledger refused it: {reason}; the demo's own state is out of step, which is a bug in the demo or a divergence between vouchd and vouch-core"
    )]
    LocalCommit {
        /// The wave.
        what: String,
        /// What the testkit said.
        reason: String,
    },
    /// The checkpoint did not verify.
    #[error("the checkpoint from {node} does not verify: {reason}")]
    Checkpoint {
        /// The node.
        node: String,
        /// Why.
        reason: String,
    },
    /// Testnet trouble (timeouts carry the node logs).
    #[error(transparent)]
    Testnet(#[from] TestnetError),
    /// Output failed.
    #[error("cannot write the report: {0}")]
    Io(#[from] std::io::Error),
}

/// A per-run tag for ids: the wall clock in base 36, such as `t0smq3k1`.
pub fn run_tag() -> String {
    let mut n = now_ms() / 100;
    let mut digits = Vec::new();
    while n > 0 {
        let d = u8::try_from(n % 36).unwrap_or(0);
        digits.push(if d < 10 { b'0' + d } else { b'a' + d - 10 });
        n /= 36;
    }
    digits.reverse();
    format!("t{}", String::from_utf8_lossy(&digits))
}

/// Set the ledger's clock to the wall clock (never backwards: block times only grow).
pub fn sync_clock(ledger: &mut Ledger) {
    ledger.now_ms = ledger.now_ms.max(now_ms());
}

/// Submit the ledger's pending documents (described by `what`, one per document)
/// round-robin to `targets`, wait for every commit, then commit them locally.
pub fn commit_pending(
    ledger: &mut Ledger,
    clients: &[Client],
    targets: &[usize],
    what: &[String],
) -> Result<Vec<(Committed, usize)>, DemoError> {
    let documents: Vec<Vec<u8>> = ledger.pending.iter().map(|e| e.bytes.clone()).collect();
    let outcomes = submit_wave(clients, targets, &documents, WAVE_TIMEOUT);
    let mut committed = Vec::with_capacity(outcomes.len());
    for o in outcomes {
        let name = what.get(o.index).cloned().unwrap_or_else(|| format!("document {}", o.index));
        match o.fate {
            Fate::Committed(c) => committed.push((c, o.node)),
            Fate::Refused(p) => return Err(DemoError::Refused { what: name, problem: p.to_string() }),
            Fate::Lost(reason) => {
                return Err(DemoError::NotCommitted { what: name, seconds: WAVE_TIMEOUT.as_secs(), reason });
            }
        }
    }
    let wave = what.join(", ");
    ledger.commit().map_err(|e| DemoError::LocalCommit { what: wave, reason: e.to_string() })?;
    Ok(committed)
}

struct Run<'a> {
    ledger: Ledger,
    clients: Vec<Client>,
    targets: Vec<usize>,
    names: Vec<String>,
    out: &'a mut dyn Write,
    wave: usize,
}

impl Run<'_> {
    fn commit(&mut self, title: &str, what: Vec<String>) -> Result<(), DemoError> {
        self.wave += 1;
        writeln!(self.out, "\nwave {}: {title}", self.wave)?;
        let envelopes: Vec<Envelope> = self.ledger.pending.clone();
        let committed = commit_pending(&mut self.ledger, &self.clients, &self.targets, &what)?;
        for ((c, node), (w, e)) in committed.iter().zip(what.iter().zip(&envelopes)) {
            let via = self.names.get(*node).map(String::as_str).unwrap_or("?");
            writeln!(
                self.out,
                "  {:<14} {w}\n  {:<14} leaf {} at height {} (submitted to {via})",
                e.doc_type().as_str(),
                "",
                c.leaf_index,
                c.height
            )?;
        }
        Ok(())
    }
}

fn date(text: &str) -> Result<Date, DemoError> {
    Date::parse(text).map_err(|e| DemoError::Testkit(TestkitError::Scenario(e.to_string())))
}

/// Run the demo on `net`, writing what happens to `out`.
pub fn run(net: &Testnet, out: &mut dyn Write) -> Result<(), DemoError> {
    let tag = run_tag();
    let mut ledger = Ledger::new(net.demo_network().clone());
    sync_clock(&mut ledger);
    let names: Vec<String> =
        (0..net.len()).filter_map(|i| net.info(i).ok().map(|n| n.name.clone())).collect();
    writeln!(out, "demo run {tag} on {} ({} nodes)", net.manifest().network, net.len())?;
    let mut run = Run { ledger, clients: net.clients(), targets: net.validators(), names, out, wave: 0 };
    let l = &mut run.ledger;

    // People.
    let auditor_x = l.enroll("audit-x", &format!("wang-{tag}"), "王审计", "Audit Manager 审计经理")?;
    let auditor_y = l.enroll("audit-y", &format!("zhao-{tag}"), "赵审计", "Audit Senior 高级审计员")?;
    let maker_a = l.enroll("bank-a", &format!("li-{tag}"), "李经办", "函证中心经办")?;
    let checker_a = l.enroll("bank-a", &format!("zhang-{tag}"), "张复核", "函证中心复核")?;
    let maker_b = l.enroll("bank-b", &format!("chen-{tag}"), "陈经办", "函证中心经办")?;
    let checker_b = l.enroll("bank-b", &format!("liu-{tag}"), "刘复核", "函证中心复核")?;
    let inspector = l.enroll("regulator", &format!("sun-{tag}"), "孙监管", "Inspector 检查员")?;
    run.commit(
        "each organization enrolls its people (signed by the org's admin key)",
        vec![
            format!("audit-x enrolls auditor wang-{tag}"),
            format!("audit-y enrolls auditor zhao-{tag}"),
            format!("bank-a enrolls maker li-{tag}"),
            format!("bank-a enrolls checker zhang-{tag}"),
            format!("bank-b enrolls maker chen-{tag}"),
            format!("bank-b enrolls checker liu-{tag}"),
            format!("regulator enrolls inspector sun-{tag}"),
        ],
    )?;

    // Clients.
    let l = &mut run.ledger;
    sync_clock(l);
    let identity =
        |name: &str| ClientIdentity { name: name.into(), credit_code: "9144030071526726XG".into() };
    let client_a = l.enroll_client(&maker_a, &format!("c-{tag}-1"), &identity("杭州示例科技有限公司"))?;
    let client_b = l.enroll_client(&maker_b, &format!("c-{tag}-2"), &identity("宁波示例贸易有限公司"))?;
    let rules = vouch_core::testkit::demo_bank_rules()?;
    l.submit((&maker_a.signer(), &maker_a.key), None, Document::BankRules(rules))?;
    run.commit(
        "banks enroll their clients (identity sealed for the bank and the regulator; the client countersigns); \
         bank-a publishes its rules (forms, scopes, fee, contact)",
        vec![
            format!("bank-a enrolls client c-{tag}-1"),
            format!("bank-b enrolls client c-{tag}-2"),
            format!("bank-a publishes its rules, signed by li-{tag}"),
        ],
    )?;

    // Console sign-ins: the nodes sign for these people (custodial signing).
    let demo = net.demo_network();
    let org_key = |org: &OrgId| demo.orgs.get(org).map(|o| &o.decryption);
    let people: [(&'static str, &'static str, &vouch_core::testkit::Person, bool); 7] = [
        ("auditor", "王审计", &auditor_x, false),
        ("auditor", "赵审计", &auditor_y, false),
        ("bank maker", "李经办", &maker_a, false),
        ("bank checker", "张复核", &checker_a, false),
        ("bank maker", "陈经办", &maker_b, false),
        ("bank checker", "刘复核", &checker_b, false),
        ("regulator", "孙监管", &inspector, true),
    ];
    let mut seats: Vec<Seat<'_>> = people
        .iter()
        .map(|(role, name, p, operator)| Seat {
            role,
            org: &p.org,
            holder: Holder::Person(p.id.clone()),
            name,
            signing: &p.key,
            decryption: org_key(&p.org),
            operator: *operator,
        })
        .collect();
    for (c, name) in [(&client_a, "杭州示例科技有限公司"), (&client_b, "宁波示例贸易有限公司")]
    {
        seats.push(Seat {
            role: "client",
            org: &c.bank,
            holder: Holder::Client(c.client.clone()),
            name,
            signing: &c.key,
            decryption: Some(&c.decryption),
            operator: false,
        });
    }
    let logins = crate::logins::set_up(net, &seats)?;

    // Requests.
    let l = &mut run.ledger;
    sync_clock(l);
    let as_of = date("2025-12-31")?;
    let contents = demo_request_contents()?;
    let req_x1 = l.request(
        &auditor_x,
        &client_a,
        &format!("AX-{tag}-1"),
        Form::Form1,
        Scope::WholeBank,
        as_of,
        &contents,
    )?;
    let req_x2 = l.request(
        &auditor_x,
        &client_a,
        &format!("AX-{tag}-2"),
        Form::Form1,
        Scope::WholeBank,
        as_of,
        &contents,
    )?;
    let req_y1 = l.request(
        &auditor_y,
        &client_b,
        &format!("AY-{tag}-1"),
        Form::Form1,
        Scope::WholeBank,
        as_of,
        &contents,
    )?;
    run.commit(
        "auditors send confirmation requests (contents sealed for the auditor, the client and the regulator)",
        vec![
            format!("audit-x asks bank-a about client c-{tag}-1, letter AX-{tag}-1"),
            format!("audit-x asks bank-a about client c-{tag}-1, letter AX-{tag}-2"),
            format!("audit-y asks bank-b about client c-{tag}-2, letter AY-{tag}-1"),
        ],
    )?;

    // Authorizations.
    let l = &mut run.ledger;
    sync_clock(l);
    let valid_until =
        Date::from_unix_ms(l.now_ms.saturating_add(365 * 86_400_000), l.net.genesis.utc_offset_minutes);
    l.authorize(&client_a, &req_x1, valid_until)?;
    l.authorize(&client_a, &req_x2, valid_until)?;
    l.authorize(&client_b, &req_y1, valid_until)?;
    run.commit(
        "clients authorize their banks to answer (the content key is re-wrapped for the bank)",
        vec![
            format!("client c-{tag}-1 authorizes AX-{tag}-1"),
            format!("client c-{tag}-1 authorizes AX-{tag}-2"),
            format!("client c-{tag}-2 authorizes AY-{tag}-1"),
        ],
    )?;

    // Answers.
    let l = &mut run.ledger;
    sync_clock(l);
    let mut agreed = demo_response_contents()?;
    agreed.conclusion = Conclusion::Matches;
    if let Some(items) = agreed.items.as_mut() {
        items.deposits = Some(Answer::Checked {
            rows: vec![RowAnswer::Agreed { row: 0 }, RowAnswer::Agreed { row: 1 }],
            unlisted: Vec::new(),
        });
    }
    let differences = demo_response_contents()?;
    let resp_x1 = l.respond(&maker_a, &checker_a, &req_x1, Conclusion::Matches, &agreed, None)?;
    l.respond(&maker_a, &checker_a, &req_x2, Conclusion::Differences, &differences, None)?;
    let resp_y1 = l.respond(&maker_b, &checker_b, &req_y1, Conclusion::Matches, &agreed, None)?;
    run.commit(
        "banks answer, maker and checker signing (contents sealed for the auditor, the bank and the regulator)",
        vec![
            format!("bank-a answers AX-{tag}-1: everything agrees"),
            format!("bank-a answers AX-{tag}-2: one balance exception and one unlisted account"),
            format!("bank-b answers AY-{tag}-1: everything agrees"),
        ],
    )?;

    // Acceptances.
    let l = &mut run.ledger;
    sync_clock(l);
    for (auditor, request, response) in [(&auditor_x, &req_x1, &resp_x1), (&auditor_y, &req_y1, &resp_y1)] {
        l.submit(
            (&auditor.signer(), &auditor.key),
            None,
            Document::Accept(Accept { request: request.id, response: response.id, note: None }),
        )?;
    }
    run.commit(
        "auditors accept the agreeing answers",
        vec![
            format!("audit-x accepts the answer to AX-{tag}-1"),
            format!("audit-y accepts the answer to AY-{tag}-1"),
        ],
    )?;

    let size = run.ledger.verifier.tree().size();
    let Run { out, .. } = run;
    report_agreement(net, out, size)?;
    print_logins(net, &logins, out)
}

/// The web console's sign-ins, as `up` prints them.
pub fn print_logins(net: &Testnet, logins: &[Login], out: &mut dyn Write) -> Result<(), DemoError> {
    writeln!(
        out,
        "\nweb console: open the address in a browser and sign in with the token ({} has them too)",
        net.dir().join(crate::logins::CONSOLE_FILE).display()
    )?;
    for l in logins {
        writeln!(
            out,
            "  {:<13} {:<8} {:<22} {}\n  {:<13} {}",
            l.role, l.org, l.console, l.name, "", l.token
        )?;
    }
    Ok(())
}

/// Wait until every member node agrees on one tree of at least `size` leaves, print the
/// checkpoint of the first validator (checked against genesis) and each node's root.
pub fn report_agreement(net: &Testnet, out: &mut dyn Write, size: u64) -> Result<(), DemoError> {
    let members = net.members();
    let (agreed_size, agreed_root) = net.wait_for_agreement(&members, size, WAVE_TIMEOUT)?;
    let first = net.validators().first().copied().unwrap_or(0);
    let node_name = net.info(first)?.name.clone();
    match net.wait_for_checkpoint(first, agreed_size, CHECKPOINT_TIMEOUT) {
        Ok(note) => {
            let (checkpoint, quorum) =
                vouch_core::bundle::verify_checkpoint_note(note.as_bytes(), &net.demo_network().genesis)
                    .map_err(|e| DemoError::Checkpoint { node: node_name.clone(), reason: e.to_string() })?;
            writeln!(
                out,
                "\ncheckpoint from {node_name} (size {}, cosigned by {} of {} voting power, verified against genesis):\n{note}",
                checkpoint.checkpoint.size, quorum.signed_power, quorum.total_power
            )?;
        }
        // Not a failure of the documents: say so plainly and go on to the roots.
        Err(TestnetError::Timeout { what, .. }) => {
            writeln!(
                out,
                "\nno cosigned checkpoint yet: waited {} s for {what}",
                CHECKPOINT_TIMEOUT.as_secs()
            )?;
        }
        Err(e) => return Err(e.into()),
    }
    writeln!(out, "every node agrees on tree size {agreed_size}, root {agreed_root}:")?;
    for i in members {
        let s = net.status(i)?;
        writeln!(
            out,
            "  {:<10} height {:>6}  tree size {:>7}  root {}",
            s.moniker, s.height, s.tree_size, s.root
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use vouch_core::ids::PersonId;

    #[test]
    fn run_tag_makes_valid_ids() {
        let tag = run_tag();
        assert!(PersonId::new(&format!("wang-{tag}")).is_ok(), "{tag}");
        assert!(tag.len() < 16, "{tag}");
    }

    /// The script's documents are accepted by vouch-core's state machine when committed
    /// locally, wave by wave, at the wall clock (what the network will check).
    #[test]
    fn the_script_is_valid_for_the_state_machine() {
        let net = vouch_core::testkit::DemoNetwork::with_members(
            1,
            crate::layout::DEFAULT_NETWORK,
            now_ms(),
            &crate::layout::MEMBERS,
        )
        .expect("network");
        let mut l = Ledger::new(net);
        l.advance_ms(1);
        let tag = run_tag();
        let ax = l.enroll("audit-x", &format!("wang-{tag}"), "王", "A").expect("enroll");
        let ma = l.enroll("bank-a", &format!("li-{tag}"), "李", "M").expect("enroll");
        let ca = l.enroll("bank-a", &format!("zhang-{tag}"), "张", "C").expect("enroll");
        l.commit().expect("people");
        let id = ClientIdentity {
            name: "杭州示例科技有限公司".into(),
            credit_code: "9144030071526726XG".into(),
        };
        let client = l.enroll_client(&ma, &format!("c-{tag}-1"), &id).expect("client");
        l.commit().expect("client");
        let as_of = date("2025-12-31").expect("date");
        let contents = demo_request_contents().expect("contents");
        let r = l
            .request(&ax, &client, &format!("AX-{tag}-1"), Form::Form1, Scope::WholeBank, as_of, &contents)
            .expect("request");
        l.commit().expect("request");
        let until = Date::from_unix_ms(l.now_ms + 365 * 86_400_000, 480);
        l.authorize(&client, &r, until).expect("authorize");
        l.commit().expect("authorization");
        let differences = demo_response_contents().expect("answer");
        l.respond(&ma, &ca, &r, Conclusion::Differences, &differences, None).expect("respond");
        l.commit().expect("answer");
    }
}
