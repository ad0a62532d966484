//! The confirmation state machine, rule by rule, on a demo network: each test names the
//! rule of `docs/PROTOCOL.md` it checks, and each refusal is checked for its rule id.

use serde_json::json;
use vouch_core::date::Date;
use vouch_core::documents::{Conclusion, Decision, Document, Form, Scope};
use vouch_core::envelope::{Draft, Envelope, Signer};
use vouch_core::keys::SigningKey;
use vouch_core::state::Status;
use vouch_core::testkit::{Client, DemoNetwork, Ledger, Person, TestkitError};

struct World {
    ledger: Ledger,
    auditor: Person,
    auditor2: Person,
    maker: Person,
    checker: Person,
    other_bank: Person,
    client: Client,
}

fn d(s: &str) -> Date {
    Date::parse(s).unwrap()
}

fn contents() -> serde_json::Value {
    json!({"deposits": [{"account_no": "6222 0000 1234", "balance": "1000000.00", "currency": "CNY"}]})
}

fn world() -> World {
    let mut ledger = Ledger::new(DemoNetwork::new(7).unwrap());
    let auditor = ledger.enroll("audit-x", "li-si", "李四", "Audit Manager").unwrap();
    let auditor2 = ledger.enroll("audit-x", "wang-wu", "王五", "Audit Senior").unwrap();
    let maker = ledger.enroll("bank-a", "zhang-san", "张三", "函证中心经办").unwrap();
    let checker = ledger.enroll("bank-a", "zhao-liu", "赵六", "函证中心复核").unwrap();
    let other_bank = ledger.enroll("bank-b", "qian-qi", "钱七", "经办").unwrap();
    ledger.commit().unwrap();
    let client = ledger
        .enroll_client(&maker, "c-001", &json!({"name": "Demo Client Ltd", "uscc": "91310000MA1FL0000X"}))
        .unwrap();
    ledger.commit().unwrap();
    World { ledger, auditor, auditor2, maker, checker, other_bank, client }
}

fn rejected_rule(result: Result<vouch_core::verify::BlockSummary, TestkitError>) -> String {
    match result {
        Err(TestkitError::Rejected { rejection, .. }) => rejection.to_string(),
        other => panic!("expected a rejection, got {other:?}"),
    }
}

fn send(w: &mut World, letter: &str) -> Envelope {
    let as_of = d("2026-10-31");
    let c = w.client.clone();
    let a = w.auditor.clone();
    let env = w.ledger.request(&a, &c, letter, Form::Form1, Scope::WholeBank, as_of, &contents()).unwrap();
    w.ledger.commit().unwrap();
    env
}

fn authorize(w: &mut World, request: &Envelope) -> Envelope {
    let c = w.client.clone();
    let env = w.ledger.authorize(&c, request, d("2027-03-31")).unwrap();
    w.ledger.commit().unwrap();
    env
}

fn respond(w: &mut World, request: &Envelope) -> Envelope {
    let (m, c) = (w.maker.clone(), w.checker.clone());
    let env = w.ledger.respond(&m, &c, request, Conclusion::Matches, &json!({"ok": true}), None).unwrap();
    w.ledger.commit().unwrap();
    env
}

fn status(w: &World, request: &Envelope) -> Status {
    w.ledger.verifier.state().request(&request.id).unwrap().status
}

fn submit_as(
    w: &mut World,
    who: &Person,
    document: Document,
) -> Result<vouch_core::verify::BlockSummary, TestkitError> {
    w.ledger.submit((&who.signer(), &who.key), None, document).unwrap();
    w.ledger.commit()
}

#[test]
fn happy_path_request_authorize_respond_correct_accept() {
    let mut w = world();
    let req = send(&mut w, "AX-2026-0001");
    assert_eq!(status(&w, &req), Status::AwaitingAuthorization);
    authorize(&mut w, &req);
    assert_eq!(status(&w, &req), Status::Authorized);
    let resp = respond(&mut w, &req);
    assert_eq!(status(&w, &req), Status::Answered);
    let (m, c) = (w.maker.clone(), w.checker.clone());
    let corr = w
        .ledger
        .respond(&m, &c, &req, Conclusion::Differences, &json!({"fix": 1}), Some((resp.id, "wrong balance")))
        .unwrap();
    w.ledger.commit().unwrap();
    let a = w.auditor.clone();
    submit_as(
        &mut w,
        &a,
        Document::Accept(vouch_core::documents::Accept { request: req.id, response: corr.id, note: None }),
    )
    .unwrap();
    let record = w.ledger.verifier.state().request(&req.id).unwrap();
    assert_eq!(record.status, Status::Accepted);
    assert_eq!(record.answers.len(), 2, "both answers are kept");
    assert!(!record.answers[0].late);
}

#[test]
fn r_st_1_duplicates_and_replays_are_refused() {
    let mut w = world();
    let req = send(&mut w, "AX-1");
    w.ledger.pending.push(req.clone());
    assert!(rejected_rule(w.ledger.commit()).starts_with("R-ST-1"));
}

#[test]
fn r_st_2_stale_envelopes_are_refused() {
    let mut w = world();
    let a = w.auditor.clone();
    let old = Draft {
        network: w.ledger.net.genesis.network.clone(),
        created_ms: w.ledger.now_ms - 25 * 3600 * 1000,
        author: a.signer(),
        checker: None,
        document: Document::Withdraw(vouch_core::documents::Withdraw {
            request: vouch_core::encoding::Hash::ZERO,
            reason: "x".into(),
        }),
    }
    .sign(&a.key, None)
    .unwrap();
    w.ledger.pending.push(old);
    assert!(rejected_rule(w.ledger.commit()).starts_with("R-ST-2"));
}

#[test]
fn r_st_3_unenrolled_and_revoked_keys_are_refused() {
    let mut w = world();
    // A key nobody enrolled, claiming to be audit-x.
    let stranger = Person {
        org: w.auditor.org.clone(),
        id: w.auditor.id.clone(),
        key: SigningKey::from_seed(&[42; 32]),
    };
    let c = w.client.clone();
    w.ledger
        .request(&stranger, &c, "AX-9", Form::Form1, Scope::WholeBank, d("2026-10-31"), &contents())
        .unwrap();
    assert!(rejected_rule(w.ledger.commit()).contains("R-ST-3"));
    // Revoke li-si, then li-si's request is refused.
    let admin = w.ledger.org("audit-x").unwrap().admin.clone();
    let admin_signer = Signer { org: w.auditor.org.clone(), key: admin.public() };
    let a = w.auditor.clone();
    w.ledger
        .submit(
            (&admin_signer, &admin),
            None,
            Document::Revoke(vouch_core::documents::Revoke {
                key: a.key.public(),
                reason: "left the firm".into(),
            }),
        )
        .unwrap();
    w.ledger.commit().unwrap();
    w.ledger.request(&a, &c, "AX-10", Form::Form1, Scope::WholeBank, d("2026-10-31"), &contents()).unwrap();
    let msg = rejected_rule(w.ledger.commit());
    assert!(msg.contains("R-ST-3") && msg.contains("revoked"), "{msg}");
}

#[test]
fn r_enr_1_only_the_admin_key_enrolls() {
    let mut w = world();
    let a = w.auditor.clone();
    let doc = Document::Enroll(vouch_core::documents::Enroll {
        person: vouch_core::ids::PersonId::new("mallory").unwrap(),
        name: "M".into(),
        title: "T".into(),
        key: SigningKey::from_seed(&[9; 32]).public(),
    });
    assert!(rejected_rule(submit_as(&mut w, &a, doc)).starts_with("R-ENR-1"));
}

#[test]
fn r_enr_2_a_key_is_enrolled_once() {
    let mut w = world();
    let admin = w.ledger.org("audit-x").unwrap().admin.clone();
    let signer = Signer { org: w.auditor.org.clone(), key: admin.public() };
    let doc = Document::Enroll(vouch_core::documents::Enroll {
        person: vouch_core::ids::PersonId::new("again").unwrap(),
        name: "A".into(),
        title: "T".into(),
        key: w.auditor.key.public(),
    });
    w.ledger.submit((&signer, &admin), None, doc).unwrap();
    assert!(rejected_rule(w.ledger.commit()).starts_with("R-ENR-2"));
}

#[test]
fn r_cli_1_only_a_bank_enrolls_clients() {
    let mut w = world();
    let a = w.auditor.clone();
    let err = w.ledger.enroll_client(&a, "c-009", &json!({"name": "x"})).unwrap();
    let _ = err;
    assert!(rejected_rule(w.ledger.commit()).starts_with("R-CLI-1"));
}

#[test]
fn r_req_1_only_an_auditor_requests() {
    let mut w = world();
    let m = w.maker.clone();
    let c = w.client.clone();
    w.ledger.request(&m, &c, "B-1", Form::Form1, Scope::WholeBank, d("2026-10-31"), &contents()).unwrap();
    assert!(rejected_rule(w.ledger.commit()).starts_with("R-REQ-1"));
}

#[test]
fn r_req_4_letter_numbers_are_unique_per_firm() {
    let mut w = world();
    send(&mut w, "AX-1");
    let c = w.client.clone();
    let a2 = w.auditor2.clone();
    w.ledger.request(&a2, &c, "AX-1", Form::Form1, Scope::WholeBank, d("2026-10-31"), &contents()).unwrap();
    assert!(rejected_rule(w.ledger.commit()).starts_with("R-REQ-4"));
}

#[test]
fn r_req_6_as_of_is_not_in_the_future() {
    let mut w = world();
    let c = w.client.clone();
    let a = w.auditor.clone();
    w.ledger.request(&a, &c, "AX-2", Form::Form1, Scope::WholeBank, d("2027-01-31"), &contents()).unwrap();
    assert!(rejected_rule(w.ledger.commit()).starts_with("R-REQ-6"));
}

#[test]
fn r_req_7_the_bank_cannot_be_a_recipient_before_authorization() {
    let mut w = world();
    let a = w.auditor.clone();
    let c = w.client.clone();
    let mut recipients = w.ledger.regulator_recipients();
    let net = w.ledger.net.genesis.clone();
    recipients.push(("org/audit-x".into(), net.org(&a.org).unwrap().encryption_key));
    recipients.push(("client/bank-a/c-001".into(), c.decryption.public()));
    recipients.push(("org/bank-a".into(), net.orgs[0].encryption_key));
    let sealed = w.ledger.seal(&contents(), &recipients).unwrap();
    let doc = Document::Request(vouch_core::documents::Request {
        letter_no: "AX-3".into(),
        form: Form::Form1,
        bank: c.bank.clone(),
        scope: Scope::WholeBank,
        client: c.client.clone(),
        as_of: d("2026-10-31"),
        response_days: 10,
        contents: sealed,
    });
    let msg = rejected_rule(submit_as(&mut w, &a, doc));
    assert!(msg.starts_with("R-REQ-7"), "{msg}");
}

#[test]
fn r_auth_1_only_the_client_authorizes() {
    let mut w = world();
    let req = send(&mut w, "AX-1");
    let m = w.maker.clone();
    let doc = Document::Authorization(vouch_core::documents::Authorization {
        request: req.id,
        decision: Decision::Refuse,
        valid_until: None,
        bank_key: None,
        reason: Some("no".into()),
    });
    assert!(rejected_rule(submit_as(&mut w, &m, doc)).starts_with("R-AUTH-1"));
}

#[test]
fn r_auth_2_authorization_is_given_once() {
    let mut w = world();
    let req = send(&mut w, "AX-1");
    authorize(&mut w, &req);
    let c = w.client.clone();
    w.ledger.advance_ms(1);
    w.ledger.authorize(&c, &req, d("2027-03-31")).unwrap();
    assert!(rejected_rule(w.ledger.commit()).starts_with("R-AUTH-2"));
}

#[test]
fn r_auth_3_the_authorization_window_closes() {
    let mut w = world();
    let req = send(&mut w, "AX-1");
    w.ledger.advance_ms(30 * 86_400_000);
    let c = w.client.clone();
    w.ledger.authorize(&c, &req, d("2027-03-31")).unwrap();
    assert!(rejected_rule(w.ledger.commit()).starts_with("R-AUTH-3"));
}

#[test]
fn r_auth_5_a_refusal_needs_a_reason_and_ends_the_request() {
    let mut w = world();
    let req = send(&mut w, "AX-1");
    let c = w.client.clone();
    let signer = Signer { org: c.bank.clone(), key: c.key.public() };
    let refuse = |reason: Option<&str>| {
        Document::Authorization(vouch_core::documents::Authorization {
            request: req.id,
            decision: Decision::Refuse,
            valid_until: None,
            bank_key: None,
            reason: reason.map(String::from),
        })
    };
    w.ledger.submit((&signer, &c.key), None, refuse(None)).unwrap();
    assert!(rejected_rule(w.ledger.commit()).starts_with("R-AUTH-5"));
    w.ledger.submit((&signer, &c.key), None, refuse(Some("dispute with the bank"))).unwrap();
    w.ledger.commit().unwrap();
    assert_eq!(status(&w, &req), Status::AuthorizationRefused);
}

#[test]
fn r_resp_1_only_the_addressed_bank_answers() {
    let mut w = world();
    let req = send(&mut w, "AX-1");
    authorize(&mut w, &req);
    let (o, c) = (w.other_bank.clone(), w.checker.clone());
    w.ledger.respond(&o, &c, &req, Conclusion::Matches, &json!({}), None).unwrap();
    assert!(rejected_rule(w.ledger.commit()).starts_with("R-RESP-1"));
}

#[test]
fn r_resp_2_maker_and_checker_are_two_people_of_the_bank() {
    let mut w = world();
    let req = send(&mut w, "AX-1");
    authorize(&mut w, &req);
    let m = w.maker.clone();
    w.ledger.respond(&m, &m, &req, Conclusion::Matches, &json!({}), None).unwrap();
    assert!(rejected_rule(w.ledger.commit()).starts_with("R-RESP-2"));
}

#[test]
fn r_resp_4_no_answer_before_authorization_and_only_one_answer() {
    let mut w = world();
    let req = send(&mut w, "AX-1");
    let (m, c) = (w.maker.clone(), w.checker.clone());
    w.ledger.respond(&m, &c, &req, Conclusion::Matches, &json!({}), None).unwrap();
    let msg = rejected_rule(w.ledger.commit());
    assert!(msg.starts_with("R-RESP-4") && msg.contains("awaiting_authorization"), "{msg}");
    authorize(&mut w, &req);
    respond(&mut w, &req);
    w.ledger.respond(&m, &c, &req, Conclusion::Matches, &json!({"again": 1}), None).unwrap();
    assert!(rejected_rule(w.ledger.commit()).starts_with("R-RESP-4"));
}

#[test]
fn r_resp_6_late_answers_are_accepted_and_marked() {
    let mut w = world();
    let req = send(&mut w, "AX-1");
    authorize(&mut w, &req);
    w.ledger.advance_ms(40 * 86_400_000);
    let (m, c) = (w.maker.clone(), w.checker.clone());
    w.ledger.respond(&m, &c, &req, Conclusion::Matches, &json!({}), None).unwrap();
    let summary = w.ledger.commit().unwrap();
    assert!(summary.applied[0].late);
    assert!(w.ledger.verifier.state().request(&req.id).unwrap().answers[0].late);
}

#[test]
fn r_resp_3_no_answer_after_the_authorization_expires() {
    let mut w = world();
    let req = send(&mut w, "AX-1");
    authorize(&mut w, &req);
    w.ledger.advance_ms(200 * 86_400_000);
    let (m, c) = (w.maker.clone(), w.checker.clone());
    w.ledger.respond(&m, &c, &req, Conclusion::Matches, &json!({}), None).unwrap();
    assert!(rejected_rule(w.ledger.commit()).starts_with("R-RESP-3"));
}

#[test]
fn r_cor_2_a_correction_supersedes_the_latest_answer() {
    let mut w = world();
    let req = send(&mut w, "AX-1");
    authorize(&mut w, &req);
    respond(&mut w, &req);
    let (m, c) = (w.maker.clone(), w.checker.clone());
    w.ledger
        .respond(&m, &c, &req, Conclusion::Matches, &json!({}), Some((vouch_core::encoding::Hash::ZERO, "x")))
        .unwrap();
    assert!(rejected_rule(w.ledger.commit()).starts_with("R-COR-2"));
}

#[test]
fn r_wdr_nothing_after_withdrawal() {
    let mut w = world();
    let req = send(&mut w, "AX-1");
    let a = w.auditor.clone();
    submit_as(
        &mut w,
        &a,
        Document::Withdraw(vouch_core::documents::Withdraw { request: req.id, reason: "client sold".into() }),
    )
    .unwrap();
    assert_eq!(status(&w, &req), Status::Withdrawn);
    let c = w.client.clone();
    w.ledger.authorize(&c, &req, d("2027-03-31")).unwrap();
    assert!(rejected_rule(w.ledger.commit()).starts_with("R-AUTH-2"));
    let m = w.maker.clone();
    let msg = rejected_rule(submit_as(
        &mut w,
        &m,
        Document::Decline(vouch_core::documents::Decline { request: req.id, reason: "x".into() }),
    ));
    assert!(msg.starts_with("R-DEC-2"), "{msg}");
}

#[test]
fn r_wdr_1_only_the_requesting_firm_withdraws() {
    let mut w = world();
    let req = send(&mut w, "AX-1");
    let m = w.maker.clone();
    let msg = rejected_rule(submit_as(
        &mut w,
        &m,
        Document::Withdraw(vouch_core::documents::Withdraw { request: req.id, reason: "x".into() }),
    ));
    assert!(msg.starts_with("R-WDR-1"), "{msg}");
}

#[test]
fn r_ret_returns_need_the_bank_and_an_authorized_request() {
    let mut w = world();
    let req = send(&mut w, "AX-1");
    let m = w.maker.clone();
    let ret = Document::Return(vouch_core::documents::Return {
        request: req.id,
        reason: vouch_core::documents::ReturnReason::FeeNotPaid,
        note: None,
    });
    assert!(rejected_rule(submit_as(&mut w, &m, ret.clone())).starts_with("R-RET-2"));
    authorize(&mut w, &req);
    submit_as(&mut w, &m, ret).unwrap();
    assert_eq!(status(&w, &req), Status::Returned);
}

#[test]
fn r_acc_2_accept_only_the_latest_answer() {
    let mut w = world();
    let req = send(&mut w, "AX-1");
    let a = w.auditor.clone();
    let accept =
        |response| Document::Accept(vouch_core::documents::Accept { request: req.id, response, note: None });
    assert!(rejected_rule(submit_as(&mut w, &a, accept(req.id))).starts_with("R-ACC-2"));
    authorize(&mut w, &req);
    let resp = respond(&mut w, &req);
    assert!(rejected_rule(submit_as(&mut w, &a, accept(req.id))).starts_with("R-ACC-2"));
    submit_as(&mut w, &a, accept(resp.id)).unwrap();
}

#[test]
fn the_bank_cannot_open_a_request_before_authorization() {
    let mut w = world();
    let req = send(&mut w, "AX-1");
    let Document::Request(body) = &req.document else { unreachable!() };
    let bank_key = w.ledger.org("bank-a").unwrap().decryption.clone();
    assert!(body.contents.open_as("org/bank-a", &bank_key).is_err());
    let auth = authorize(&mut w, &req);
    let Document::Authorization(a) = &auth.document else { unreachable!() };
    let key =
        vouch_core::seal::unwrap_key(a.bank_key.as_ref().unwrap(), &body.contents.commitment, &bank_key)
            .unwrap();
    let opened: vouch_core::seal::Opening<serde_json::Value> =
        vouch_core::seal::open(&body.contents, &key).unwrap();
    assert_eq!(opened.contents, contents());
}

#[test]
fn a_refused_document_leaves_the_state_unchanged() {
    let mut w = world();
    let before = w.ledger.verifier.state().clone();
    let m = w.maker.clone();
    let c = w.client.clone();
    w.ledger.request(&m, &c, "B-1", Form::Form1, Scope::WholeBank, d("2026-10-31"), &contents()).unwrap();
    assert!(w.ledger.commit().is_err());
    assert_eq!(&before, w.ledger.verifier.state());
}

fn admin_of(w: &World, org: &str) -> (Signer, SigningKey) {
    let key = w.ledger.org(org).unwrap().admin.clone();
    (Signer { org: vouch_core::ids::OrgId::new(org).unwrap(), key: key.public() }, key)
}

fn submit_admin(
    w: &mut World,
    org: &str,
    document: Document,
) -> Result<vouch_core::verify::BlockSummary, TestkitError> {
    let (signer, key) = admin_of(w, org);
    w.ledger.submit((&signer, &key), None, document).unwrap();
    w.ledger.commit()
}

#[test]
fn r_enr_3_revocation_is_by_the_own_admin_of_a_person_key_once() {
    let mut w = world();
    let revoke = |key: vouch_core::keys::PublicKey| {
        Document::Revoke(vouch_core::documents::Revoke { key, reason: "left".into() })
    };
    // Another org's admin cannot revoke li-si.
    let k = w.auditor.key.public();
    assert!(rejected_rule(submit_admin(&mut w, "bank-a", revoke(k))).starts_with("R-ENR-3"));
    // An admin key is not a person key.
    let admin = w.ledger.org("audit-x").unwrap().admin.public();
    assert!(rejected_rule(submit_admin(&mut w, "audit-x", revoke(admin))).starts_with("R-ENR-3"));
    // A person cannot revoke.
    let a2 = w.auditor2.clone();
    assert!(rejected_rule(submit_as(&mut w, &a2, revoke(k))).starts_with("R-ENR-3"));
    submit_admin(&mut w, "audit-x", revoke(k)).unwrap();
    assert!(rejected_rule(submit_admin(&mut w, "audit-x", revoke(k))).starts_with("R-ENR-3"));
}

#[test]
fn r_cli_2_client_references_and_keys_are_unique() {
    let mut w = world();
    let m = w.maker.clone();
    w.ledger.enroll_client(&m, "c-001", &json!({"name": "again"})).unwrap();
    let msg = rejected_rule(w.ledger.commit());
    assert!(msg.starts_with("R-CLI-2"), "{msg}");
}

#[test]
fn r_cli_3_client_identity_is_sealed_for_the_bank_and_regulators_only() {
    let mut w = world();
    let m = w.maker.clone();
    let auditor_key = w.ledger.net.genesis.org(&w.auditor.org).unwrap().encryption_key;
    let sealed = w.ledger.seal(&json!({"name": "leaky"}), &[("org/audit-x".into(), auditor_key)]).unwrap();
    let client_key = SigningKey::from_seed(&[77; 32]);
    let doc = Document::ClientEnroll(vouch_core::documents::ClientEnroll {
        client: vouch_core::ids::ClientRef::new("c-077").unwrap(),
        key: client_key.public(),
        encryption_key: vouch_core::keys::DecryptionKey::from_bytes([77; 32]).public(),
        identity: sealed,
    });
    let client_signer = Signer { org: m.org.clone(), key: client_key.public() };
    w.ledger.submit((&m.signer(), &m.key), Some((&client_signer, &client_key)), doc).unwrap();
    let msg = rejected_rule(w.ledger.commit());
    assert!(msg.starts_with("R-CLI-3"), "{msg}");
}

#[test]
fn r_cli_4_a_revoked_client_can_no_longer_be_asked_about_or_authorize() {
    let mut w = world();
    let req = send(&mut w, "AX-1");
    let m = w.maker.clone();
    let revoke = Document::ClientRevoke(vouch_core::documents::ClientRevoke {
        client: w.client.client.clone(),
        reason: "closed".into(),
    });
    // Another bank cannot revoke bank-a's client.
    let o = w.other_bank.clone();
    assert!(rejected_rule(submit_as(&mut w, &o, revoke.clone())).starts_with("R-CLI-4"));
    submit_as(&mut w, &m, revoke.clone()).unwrap();
    assert!(rejected_rule(submit_as(&mut w, &m, revoke)).starts_with("R-CLI-4"));
    // The client's key is no longer active (R-ST-3), and no new request may name it (R-REQ-3).
    let c = w.client.clone();
    w.ledger.authorize(&c, &req, d("2027-03-31")).unwrap();
    assert!(rejected_rule(w.ledger.commit()).starts_with("R-ST-3"));
    let a = w.auditor.clone();
    w.ledger.request(&a, &c, "AX-2", Form::Form1, Scope::WholeBank, d("2026-10-31"), &contents()).unwrap();
    assert!(rejected_rule(w.ledger.commit()).starts_with("R-REQ-3"));
}

#[test]
fn r_cal_p_only_a_regulator_publishes_the_calendar_and_it_moves_deadlines() {
    let mut w = world();
    let year =
        vouch_core::calendar::CalendarYear { year: 2027, holidays: vec![d("2027-01-01")], workdays: vec![] };
    let m = w.maker.clone();
    assert!(rejected_rule(submit_as(&mut w, &m, Document::Calendar(year.clone()))).starts_with("R-CAL-P"));
    let bad =
        vouch_core::calendar::CalendarYear { year: 2027, holidays: vec![d("2026-01-01")], workdays: vec![] };
    assert!(rejected_rule(submit_admin(&mut w, "regulator", Document::Calendar(bad))).starts_with("R-CAL-P"));
    submit_admin(&mut w, "regulator", Document::Calendar(year)).unwrap();
    assert!(!w.ledger.verifier.state().calendar.is_working_day(d("2027-01-01")));
}

#[test]
fn r_req_2_the_addressee_must_be_a_bank() {
    let mut w = world();
    let a = w.auditor.clone();
    let mut c = w.client.clone();
    c.bank = vouch_core::ids::OrgId::new("regulator").unwrap();
    w.ledger.request(&a, &c, "AX-5", Form::Form1, Scope::WholeBank, d("2026-10-31"), &contents()).unwrap();
    let msg = rejected_rule(w.ledger.commit());
    assert!(msg.starts_with("R-REQ-2"), "{msg}");
}

#[test]
fn r_req_3_the_client_must_be_enrolled_at_that_bank() {
    let mut w = world();
    let a = w.auditor.clone();
    let mut c = w.client.clone();
    c.bank = vouch_core::ids::OrgId::new("bank-b").unwrap();
    w.ledger.request(&a, &c, "AX-6", Form::Form1, Scope::WholeBank, d("2026-10-31"), &contents()).unwrap();
    let msg = rejected_rule(w.ledger.commit());
    assert!(msg.starts_with("R-REQ-3"), "{msg}");
}

#[test]
fn r_req_5_the_deadline_is_bounded() {
    let mut w = world();
    let a = w.auditor.clone();
    let c = w.client.clone();
    for days in [0, vouch_core::limits::RESPONSE_DAYS_MAX + 1] {
        let env = w
            .ledger
            .request(&a, &c, "AX-7", Form::Form1, Scope::WholeBank, d("2026-10-31"), &contents())
            .unwrap();
        let Document::Request(mut body) = env.document.clone() else { unreachable!() };
        w.ledger.pending.clear();
        body.response_days = days;
        let msg = rejected_rule(submit_as(&mut w, &a, Document::Request(body)));
        assert!(msg.starts_with("R-REQ-5"), "{msg}");
    }
}

#[test]
fn r_auth_4_an_authorization_carries_the_bank_key_and_covers_the_due_date() {
    let mut w = world();
    let req = send(&mut w, "AX-1");
    let c = w.client.clone();
    // valid_until before the answer's due date.
    w.ledger.authorize(&c, &req, d("2026-11-24")).unwrap();
    let msg = rejected_rule(w.ledger.commit());
    assert!(msg.starts_with("R-AUTH-4") && msg.contains("due date"), "{msg}");
    // No bank_key.
    let signer = Signer { org: c.bank.clone(), key: c.key.public() };
    w.ledger
        .submit(
            (&signer, &c.key),
            None,
            Document::Authorization(vouch_core::documents::Authorization {
                request: req.id,
                decision: Decision::Authorize,
                valid_until: Some(d("2027-03-31")),
                bank_key: None,
                reason: None,
            }),
        )
        .unwrap();
    assert!(rejected_rule(w.ledger.commit()).starts_with("R-AUTH-4"));
}

#[test]
fn r_ret_1_only_the_addressed_bank_returns() {
    let mut w = world();
    let req = send(&mut w, "AX-1");
    authorize(&mut w, &req);
    let o = w.other_bank.clone();
    let ret = Document::Return(vouch_core::documents::Return {
        request: req.id,
        reason: vouch_core::documents::ReturnReason::NotACustomer,
        note: None,
    });
    assert!(rejected_rule(submit_as(&mut w, &o, ret)).starts_with("R-RET-1"));
}

#[test]
fn r_resp_5_answers_are_sealed_for_the_auditor_bank_and_regulators() {
    let mut w = world();
    let req = send(&mut w, "AX-1");
    authorize(&mut w, &req);
    let bank_key = w.ledger.net.genesis.org(&w.maker.org).unwrap().encryption_key;
    let sealed = w.ledger.seal(&json!({}), &[("org/bank-a".into(), bank_key)]).unwrap();
    let (m, c) = (w.maker.clone(), w.checker.clone());
    w.ledger
        .submit(
            (&m.signer(), &m.key),
            Some((&c.signer(), &c.key)),
            Document::Response(vouch_core::documents::Response {
                request: req.id,
                conclusion: Conclusion::Matches,
                contents: sealed,
            }),
        )
        .unwrap();
    let msg = rejected_rule(w.ledger.commit());
    assert!(msg.starts_with("R-RESP-5"), "{msg}");
}

#[test]
fn r_cor_1_only_an_answered_request_is_corrected() {
    let mut w = world();
    let req = send(&mut w, "AX-1");
    authorize(&mut w, &req);
    let (m, c) = (w.maker.clone(), w.checker.clone());
    w.ledger.respond(&m, &c, &req, Conclusion::Matches, &json!({}), Some((req.id, "x"))).unwrap();
    let msg = rejected_rule(w.ledger.commit());
    assert!(msg.starts_with("R-COR-1"), "{msg}");
}

#[test]
fn r_dec_1_only_the_addressed_bank_declines() {
    let mut w = world();
    let req = send(&mut w, "AX-1");
    let o = w.other_bank.clone();
    let dec = Document::Decline(vouch_core::documents::Decline { request: req.id, reason: "no".into() });
    assert!(rejected_rule(submit_as(&mut w, &o, dec.clone())).starts_with("R-DEC-1"));
    let m = w.maker.clone();
    submit_as(&mut w, &m, dec).unwrap();
    assert_eq!(status(&w, &req), Status::Declined);
}

#[test]
fn r_wdr_2_no_withdrawal_after_an_answer() {
    let mut w = world();
    let req = send(&mut w, "AX-1");
    authorize(&mut w, &req);
    respond(&mut w, &req);
    let a = w.auditor.clone();
    let msg = rejected_rule(submit_as(
        &mut w,
        &a,
        Document::Withdraw(vouch_core::documents::Withdraw { request: req.id, reason: "too late".into() }),
    ));
    assert!(msg.starts_with("R-WDR-2"), "{msg}");
}

#[test]
fn r_acc_1_only_the_requesting_firm_accepts() {
    let mut w = world();
    let req = send(&mut w, "AX-1");
    authorize(&mut w, &req);
    let resp = respond(&mut w, &req);
    let m = w.maker.clone();
    let msg = rejected_rule(submit_as(
        &mut w,
        &m,
        Document::Accept(vouch_core::documents::Accept { request: req.id, response: resp.id, note: None }),
    ));
    assert!(msg.starts_with("R-ACC-1"), "{msg}");
}

#[test]
fn r_doc_1_text_fields_are_bounded() {
    let w = world();
    let a = w.auditor.clone();
    let draft = Draft {
        network: w.ledger.net.genesis.network.clone(),
        created_ms: w.ledger.now_ms,
        author: a.signer(),
        checker: None,
        document: Document::Withdraw(vouch_core::documents::Withdraw {
            request: vouch_core::encoding::Hash::ZERO,
            reason: "x".repeat(vouch_core::limits::TEXT_LONG_BYTES_MAX + 1),
        }),
    };
    let e = draft.sign(&a.key, None).unwrap_err().to_string();
    assert!(e.contains("R-DOC-1"), "{e}");
    let empty = Draft {
        network: w.ledger.net.genesis.network.clone(),
        created_ms: w.ledger.now_ms,
        author: a.signer(),
        checker: None,
        document: Document::Withdraw(vouch_core::documents::Withdraw {
            request: vouch_core::encoding::Hash::ZERO,
            reason: String::new(),
        }),
    };
    assert!(empty.sign(&a.key, None).unwrap_err().to_string().contains("R-DOC-1"));
}

#[test]
fn policy_without_client_authorization_lets_the_bank_answer_at_once() {
    let mut net = DemoNetwork::new(9).unwrap();
    net.genesis.policy.client_authorization_required = false;
    let mut l = Ledger::new(net);
    let a = l.enroll("audit-x", "li-si", "李四", "Manager").unwrap();
    let m = l.enroll("bank-a", "zhang-san", "张三", "经办").unwrap();
    let c = l.enroll("bank-a", "zhao-liu", "赵六", "复核").unwrap();
    l.commit().unwrap();
    let client = l.enroll_client(&m, "c-1", &json!({"name": "x"})).unwrap();
    l.commit().unwrap();
    let req =
        l.request(&a, &client, "AX-1", Form::Form2, Scope::WholeBank, d("2026-10-31"), &contents()).unwrap();
    l.commit().unwrap();
    // The bank is a recipient and can open the request without any authorization.
    let Document::Request(body) = &req.document else { unreachable!() };
    let bank_key = l.org("bank-a").unwrap().decryption.clone();
    assert!(body.contents.open_as("org/bank-a", &bank_key).is_ok());
    l.respond(&m, &c, &req, Conclusion::Matches, &json!({}), None).unwrap();
    l.commit().unwrap();
    assert_eq!(l.verifier.state().request(&req.id).unwrap().status, Status::Answered);
}

#[test]
fn r_cli_5_the_client_countersigns_its_enrollment_with_its_own_key() {
    let mut w = world();
    let m = w.maker.clone();
    let c = w.checker.clone();
    let client_key = SigningKey::from_seed(&[55; 32]);
    let sealed = w
        .ledger
        .seal(&json!({"name": "x"}), &{
            let mut r = w.ledger.regulator_recipients();
            r.push(("org/bank-a".into(), w.ledger.net.genesis.org(&m.org).unwrap().encryption_key));
            r
        })
        .unwrap();
    let body = vouch_core::documents::ClientEnroll {
        client: vouch_core::ids::ClientRef::new("c-055").unwrap(),
        key: client_key.public(),
        encryption_key: vouch_core::keys::DecryptionKey::from_bytes([55; 32]).public(),
        identity: sealed,
    };
    // The bank's own second person cannot stand in for the client (a bank enrolling keys it holds).
    w.ledger
        .submit((&m.signer(), &m.key), Some((&c.signer(), &c.key)), Document::ClientEnroll(body.clone()))
        .unwrap();
    let msg = rejected_rule(w.ledger.commit());
    assert!(msg.starts_with("R-CLI-5"), "{msg}");
    let client_signer = Signer { org: m.org.clone(), key: client_key.public() };
    w.ledger
        .submit((&m.signer(), &m.key), Some((&client_signer, &client_key)), Document::ClientEnroll(body))
        .unwrap();
    w.ledger.commit().unwrap();
}

#[test]
fn r_cal_8_a_deadline_that_cannot_be_reached_refuses_the_request() {
    // A calendar with no working day for years: the authorization window cannot be
    // computed, and the request is refused rather than given a made-up deadline.
    let mut net = DemoNetwork::new(8).unwrap();
    net.genesis.calendar = (2026..=2030)
        .map(|year| {
            let mut holidays = Vec::new();
            let mut day = d(&format!("{year}-01-01"));
            while day.year() == year {
                holidays.push(day);
                day = day.next();
            }
            vouch_core::calendar::CalendarYear { year: year as u16, holidays, workdays: vec![] }
        })
        .collect();
    net.genesis.validate().unwrap();
    let mut l = Ledger::new(net);
    let a = l.enroll("audit-x", "li-si", "李四", "Manager").unwrap();
    let m = l.enroll("bank-a", "zhang-san", "张三", "经办").unwrap();
    l.commit().unwrap();
    let client = l.enroll_client(&m, "c-1", &json!({"name": "x"})).unwrap();
    l.commit().unwrap();
    l.request(&a, &client, "AX-1", Form::Form1, Scope::WholeBank, d("2026-10-31"), &contents()).unwrap();
    let msg = rejected_rule(l.commit());
    assert!(msg.starts_with("R-CAL-8"), "{msg}");
}

fn rules() -> vouch_core::documents::BankRules {
    serde_json::from_value(json!({
        "forms": ["form1", "form2"],
        "whole_bank": true,
        "branches": ["北京分行", "上海分行"],
        "response_days": 10,
        "fee": {"amount": "100.00", "currency": "CNY", "note": "debited at authorization"},
        "contact": {"name": "函证中心", "phone": "+86 21 0000 0000"}
    }))
    .unwrap()
}

#[test]
fn r_rules_a_bank_person_publishes_rules_and_a_later_version_replaces_them() {
    let mut w = world();
    let m = w.maker.clone();
    let mut first = rules();
    first.branches.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    submit_as(&mut w, &m, Document::BankRules(first.clone())).unwrap();
    let bank = w.maker.org.clone();
    let record = w.ledger.verifier.state().bank_rules.get(&bank).cloned().unwrap();
    assert_eq!(record.rules, first);
    assert_eq!(record.author, m.key.public());

    let second = vouch_core::documents::BankRules { response_days: 5, fee: None, ..first };
    let c = w.checker.clone();
    submit_as(&mut w, &c, Document::BankRules(second.clone())).unwrap();
    let record = w.ledger.verifier.state().bank_rules.get(&bank).cloned().unwrap();
    assert_eq!(record.rules, second);
    assert_eq!(record.author, c.key.public());
}

#[test]
fn r_rules_1_only_a_person_of_a_bank_publishes_rules() {
    let mut w = world();
    let mut good = rules();
    good.branches.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    let a = w.auditor.clone();
    let msg = rejected_rule(submit_as(&mut w, &a, Document::BankRules(good.clone())));
    assert!(msg.starts_with("R-RULES-1"), "{msg}");
    let (signer, key) = admin_of(&w, "bank-a");
    w.ledger.submit((&signer, &key), None, Document::BankRules(good)).unwrap();
    let msg = rejected_rule(w.ledger.commit());
    assert!(msg.starts_with("R-RULES-1"), "{msg}");
    assert!(w.ledger.verifier.state().bank_rules.is_empty());
}

#[test]
fn r_rules_2_malformed_rules_are_refused_with_the_reason() {
    use vouch_core::documents::BankRules;
    let mut sorted = rules();
    sorted.branches.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    let cases: Vec<(BankRules, &str)> = vec![
        (rules(), "byte order"),
        (BankRules { forms: vec![], ..sorted.clone() }, "forms is empty"),
        (BankRules { forms: vec![Form::Form2, Form::Form1], ..sorted.clone() }, "each form once"),
        (BankRules { forms: vec![Form::Form1, Form::Form1], ..sorted.clone() }, "each form once"),
        (BankRules { whole_bank: false, branches: vec![], ..sorted.clone() }, "no scope"),
        (BankRules { response_days: 0, ..sorted.clone() }, "response_days is 0"),
        (BankRules { response_days: 121, ..sorted.clone() }, "response_days is 121"),
        (
            BankRules {
                fee: Some(serde_json::from_value(json!({"amount": "-1", "currency": "CNY"})).unwrap()),
                ..sorted.clone()
            },
            "negative",
        ),
    ];
    for (bad, words) in cases {
        let mut w = world();
        let m = w.maker.clone();
        let msg = rejected_rule(submit_as(&mut w, &m, Document::BankRules(bad)));
        assert!(msg.starts_with("R-RULES-2") && msg.contains(words), "{msg} should name {words:?}");
    }
    // Text bounds are R-DOC-1, checked when the envelope is decoded.
    let long = BankRules { notes: Some("x".repeat(5000)), ..sorted };
    assert!(Document::BankRules(long).check_fields().unwrap_err().to_string().starts_with("R-DOC-1"));
}
