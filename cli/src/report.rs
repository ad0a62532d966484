//! Write the confirmation report for the audit working papers: one self-contained HTML
//! page (inline CSS, no scripts, nothing fetched) saying exactly what was verified in an
//! evidence bundle, and what was not.
//!
//! # Terminology
//!
//! - *Verified bundle*: bytes that `vouch_core::bundle::verify_bundle` accepted against the
//!   pinned genesis hash. This module is only ever given such bytes; it reads them again
//!   to lay out what the verification covered, and decides nothing about validity.
//! - *Opened contents*: the plaintext of a sealed letter or answer, from an opening in the
//!   bundle (checked by R-BUN-9) or decrypted with a party's X25519 key (checked against
//!   the commitment by `vouch_core::seal::open`).
//! - *Answer in force*: the latest response or correction in ledger order; a correction
//!   supersedes what came before it.
//! - *Node facts*: block heights and times a node reported when the bundle was fetched.
//!   They are not in the bundle and the report labels them as the node's word.
//!
//! Every string from the bundle is untrusted and goes through [`crate::html::text`].

use crate::civil;
use crate::html::{code, header, row, text};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use vouch_core::bundle::{Bundle, BundleReport};
use vouch_core::checkpoint::CosignedCheckpoint;
use vouch_core::documents::{Decision, DocType, Document};
use vouch_core::encoding::Hash;
use vouch_core::envelope::{Envelope, Signer};
use vouch_core::items::{RequestContents, ResponseContents};
use vouch_core::keys::{DecryptionKey, PublicKey};
use vouch_core::limits::BUNDLE_BYTES_MAX;
use vouch_core::note::{SIG_TYPE_COSIGNATURE_V1, key_id};
use vouch_core::seal::{self, Sealed};

/// Why a report could not be written for a verified bundle.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The bytes verified but do not decode again (a bug: both read the same format).
    #[error("the verified bundle cannot be read again: {0}")]
    Reread(String),
    /// A decryption key was given and opens none of the sealed contents.
    #[error(
        "the decryption key opens none of this confirmation's sealed contents ({tried} sealed documents tried)"
    )]
    KeyOpensNothing {
        /// How many sealed documents were tried.
        tried: usize,
    },
}

/// Heights and block times a node reported, by leaf index, and its status for the request.
#[derive(Debug, Clone, Default)]
pub struct NodeFacts {
    /// The node's URL.
    pub node: String,
    /// Leaf index → (block height, block time in Unix ms).
    pub blocks: BTreeMap<u64, (u64, u64)>,
    /// The status the node reports.
    pub status: Option<String>,
}

/// What the report is made from.
pub struct Inputs<'a> {
    /// The bundle's bytes, exactly as verified.
    pub bytes: &'a [u8],
    /// Where they came from (a file path or a URL), for the statement of limits.
    pub source: &'a str,
    /// What verification found.
    pub verified: &'a BundleReport,
    /// A party's X25519 key, to open sealed contents.
    pub decryption: Option<&'a DecryptionKey>,
    /// What a node said beyond the bundle.
    pub node: Option<&'a NodeFacts>,
    /// When the report is written, Unix ms.
    pub generated_ms: u64,
}

/// What the report says, for `--json` and the terminal.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// The request.
    pub request: Hash,
    /// Its letter number.
    pub letter_no: String,
    /// Status as the bundle's documents show it.
    pub status: String,
    /// SHA-256 of the bundle bytes.
    pub bundle_sha256: Hash,
    /// Documents of the confirmation (enrollments excluded).
    pub documents: usize,
    /// Sealed documents whose contents the report shows, with how they were opened.
    pub opened: Vec<Opened>,
    /// Differences (exceptions, no-record rows, unlisted rows) in the answer in force.
    pub differences: usize,
}

/// One sealed document shown in the report.
#[derive(Debug, Clone, Serialize)]
pub struct Opened {
    /// The document.
    pub document: Hash,
    /// `opening in the bundle` or `decrypted as <label>`.
    pub how: String,
}

/// Who a key is, as the bundle proves it.
struct Identity {
    org: String,
    desc: String,
    /// `None` for a genesis admin key; otherwise the leaf of the enrollment.
    enrolled_at: Option<u64>,
}

/// Build the report of a verified bundle.
pub fn build(input: &Inputs<'_>) -> Result<(String, Summary), ReportError> {
    let bundle: Bundle = vouch_core::canonical::from_json("bundle", input.bytes, BUNDLE_BYTES_MAX)
        .map_err(|e| ReportError::Reread(e.to_string()))?;
    let network = &bundle.genesis.network;
    let mut envelopes = Vec::with_capacity(bundle.entries.len());
    for entry in &bundle.entries {
        let env = Envelope::decode_value(&entry.envelope, network)
            .map_err(|e| ReportError::Reread(e.to_string()))?;
        envelopes.push((entry.leaf_index, env));
    }
    let checkpoint = CosignedCheckpoint::parse_note(bundle.checkpoint.as_bytes())
        .map_err(|e| ReportError::Reread(e.to_string()))?
        .checkpoint;
    let identities = identities(&bundle, &envelopes);
    let docs: Vec<&(u64, Envelope)> = envelopes
        .iter()
        .filter(|(_, e)| !matches!(e.doc_type(), DocType::Enroll | DocType::ClientEnroll))
        .collect();
    let status = status(docs.iter().map(|(_, e)| e));
    let sha = Hash::sha256(input.bytes);
    let contents = open_contents(&bundle, &docs, input.decryption)?;
    let opened: Vec<Opened> =
        contents.iter().map(|(id, c)| Opened { document: *id, how: c.how.clone() }).collect();

    let v = input.verified;
    let mut page = String::with_capacity(64 * 1024);
    page.push_str(&head(&format!("Confirmation report {}", v.letter_no)));
    page.push_str(&format!(
        "<h1>Bank confirmation evidence report <span class=zh>银行函证电子证据核验报告</span></h1>\n\
         <p class=lead>Letter <b>{}</b> from <b>{}</b> to <b>{}</b> &middot; request {}</p>\n",
        text(&v.letter_no),
        text(v.parties.0.as_str()),
        text(v.parties.1.as_str()),
        code(&v.request.to_hex()),
    ));
    page.push_str(&verdict(v, status, docs.len()));
    page.push_str(&network_section(input, &bundle, sha));
    page.push_str(&checkpoint_section(&bundle, &checkpoint, v));
    page.push_str(&documents_section(&docs, &identities, input.node));
    page.push_str(&enrollments_section(&envelopes, &identities));
    let (contents_html, differences) = contents_section(&docs, &contents, input.decryption.is_some());
    page.push_str(&contents_html);
    page.push_str(&limits_section(input, sha, status));
    page.push_str("</body>\n</html>\n");

    let summary = Summary {
        request: v.request,
        letter_no: v.letter_no.clone(),
        status: status.to_string(),
        bundle_sha256: sha,
        documents: docs.len(),
        opened,
        differences,
    };
    Ok((page, summary))
}

/// The status the documents show, by the state machine's transitions (R-STATE rules):
/// each document moves the confirmation on; the last one decides.
fn status<'a>(docs: impl Iterator<Item = &'a Envelope>) -> &'static str {
    let mut status = "unknown";
    for env in docs {
        status = match &env.document {
            Document::Request(_) => "awaiting_authorization",
            Document::Authorization(a) if a.decision == Decision::Authorize => "authorized",
            Document::Authorization(_) => "authorization_refused",
            Document::Return(_) => "returned",
            Document::Response(_) | Document::Correction(_) => "answered",
            Document::Decline(_) => "declined",
            Document::Withdraw(_) => "withdrawn",
            Document::Accept(_) => "accepted",
            _ => status,
        };
    }
    status
}

/// Keys the bundle proves: genesis admin keys, and people and clients enrolled by entries.
fn identities(bundle: &Bundle, envelopes: &[(u64, Envelope)]) -> BTreeMap<PublicKey, Identity> {
    let mut ids: BTreeMap<PublicKey, Identity> = bundle
        .genesis
        .orgs
        .iter()
        .map(|o| {
            (
                o.admin_key,
                Identity { org: o.id.to_string(), desc: "admin key (genesis)".into(), enrolled_at: None },
            )
        })
        .collect();
    for (leaf, env) in envelopes {
        match &env.document {
            Document::Enroll(e) => {
                ids.insert(
                    e.key,
                    Identity {
                        org: env.author.org.to_string(),
                        desc: format!("{} ({}), {}", e.name, e.person, e.title),
                        enrolled_at: Some(*leaf),
                    },
                );
            }
            Document::ClientEnroll(c) => {
                ids.insert(
                    c.key,
                    Identity {
                        org: env.author.org.to_string(),
                        desc: format!("client {}", c.client),
                        enrolled_at: Some(*leaf),
                    },
                );
            }
            _ => {}
        }
    }
    ids
}

/// Opened contents of one sealed document.
struct Contents {
    value: Value,
    how: String,
}

/// Open each sealed document of the confirmation: from the bundle's openings, else with
/// the key given. A key that opens nothing is refused (it is the wrong key).
fn open_contents(
    bundle: &Bundle,
    docs: &[&(u64, Envelope)],
    key: Option<&DecryptionKey>,
) -> Result<BTreeMap<Hash, Contents>, ReportError> {
    let mut out = BTreeMap::new();
    // The key the client passed to the bank opens the letter for the bank.
    let bank_key = docs.iter().find_map(|(_, e)| match &e.document {
        Document::Authorization(a) => a.bank_key,
        _ => None,
    });
    let mut tried = 0;
    for (_, env) in docs {
        let sealed: &Sealed = match &env.document {
            Document::Request(b) => &b.contents,
            Document::Response(b) => &b.contents,
            Document::Correction(b) => &b.contents,
            _ => continue,
        };
        // R-BUN-9 checked every opening against its commitment.
        if let Some(o) = bundle.openings.iter().find(|o| o.document == env.id) {
            out.insert(
                env.id,
                Contents { value: o.opening.contents.clone(), how: "opening in the bundle".into() },
            );
            continue;
        }
        let Some(key) = key else { continue };
        tried += 1;
        let mut candidates: Vec<(String, seal::WrappedKey)> =
            sealed.recipients.iter().map(|r| (format!("recipient {}", r.to), r.key)).collect();
        if let (Document::Request(_), Some(k)) = (&env.document, bank_key) {
            candidates.push(("the bank, with the key in the client's authorization".into(), k));
        }
        for (label, wrapped) in candidates {
            let Ok(content_key) = seal::unwrap_key(&wrapped, &sealed.commitment, key) else { continue };
            if let Ok(opening) = seal::open::<Value>(sealed, &content_key) {
                out.insert(
                    env.id,
                    Contents { value: opening.contents, how: format!("decrypted as {label}") },
                );
                break;
            }
        }
    }
    if key.is_some() && tried > 0 && out.is_empty() {
        return Err(ReportError::KeyOpensNothing { tried });
    }
    Ok(out)
}

const CSS: &str = "\
body{font-family:-apple-system,'Segoe UI','Noto Sans','Noto Sans CJK SC','PingFang SC','Microsoft YaHei',sans-serif;\
font-size:10.5pt;line-height:1.4;color:#111;max-width:60em;margin:1.5em auto;padding:0 1em}\
h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.15em;border-bottom:1px solid #888;margin-top:1.6em}\
h3{font-size:1em;margin-bottom:.3em}.zh{font-weight:normal;color:#444;margin-left:.4em}\
.lead{margin-top:0;color:#333}table{border-collapse:collapse;width:100%;margin:.4em 0 1em}\
th,td{border:1px solid #999;padding:.2em .4em;text-align:left;vertical-align:top}\
th{background:#eee}code{font-family:'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:.85em;word-break:break-all}\
.ok{color:#064;font-weight:bold}.no{color:#a00;font-weight:bold}\
.exception,.exception td{background:#fde2e2}.verdict{border:2px solid #064;padding:.5em .8em;background:#eef8f1}\
.muted{color:#555}.limits li{margin-bottom:.3em}\
@media print{body{margin:0;max-width:none;font-size:9.5pt}h2{page-break-after:avoid}\
tr,.verdict{page-break-inside:avoid}.exception,.exception td{background:#fde2e2 !important;\
-webkit-print-color-adjust:exact;print-color-adjust:exact}}";

fn head(title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        text(title)
    )
}

fn verdict(v: &BundleReport, status: &str, documents: usize) -> String {
    format!(
        "<div class=verdict><p><span class=ok>VERIFIED 已核验</span>: every one of the {documents} \
         documents of this confirmation below is signed by a key the bundle proves belongs to the \
         organization named, and is included in the ledger under a checkpoint cosigned by validators \
         holding {} of {} voting power of the pinned network.</p>\n\
         <p>Status shown by these documents 函证状态: <b>{}</b></p></div>\n",
        v.cosigned_power.0,
        v.cosigned_power.1,
        text(status)
    )
}

fn network_section(input: &Inputs<'_>, bundle: &Bundle, sha: Hash) -> String {
    let g = &bundle.genesis;
    let mut s =
        String::from("<h2>Network and pinned genesis <span class=zh>网络与创世文件</span></h2>\n<table>\n");
    let mut line = |k: &str, v: String| s.push_str(&format!("<tr><th>{k}</th><td>{v}</td></tr>\n"));
    line("Network 网络", code(g.network.as_str()));
    line(
        "Pinned genesis hash 创世哈希",
        format!(
            "{} <span class=ok>matches the bundle's genesis</span>",
            code(&input.verified.genesis.to_hex())
        ),
    );
    line(
        "Members 成员机构",
        g.orgs.iter().map(|o| text(&format!("{} ({})", o.id, o.name))).collect::<Vec<_>>().join("<br>"),
    );
    line("Bundle SHA-256 证据包哈希", code(&sha.to_hex()));
    line("Bundle read from 来源", code(input.source));
    line("Report generated 生成时间", text(&civil::format_ms(input.generated_ms)));
    s.push_str("</table>\n");
    s
}

fn checkpoint_section(
    bundle: &Bundle,
    checkpoint: &vouch_core::checkpoint::Checkpoint,
    v: &BundleReport,
) -> String {
    let mut s = String::from("<h2>Checkpoint <span class=zh>检查点</span></h2>\n<table>\n");
    s.push_str(&format!(
        "<tr><th>Origin</th><td>{}</td></tr>\n<tr><th>Tree size 叶子数</th><td>{}</td></tr>\n\
         <tr><th>Root 根哈希</th><td>{} (hex)<br>{} (base64, as the note spells it)</td></tr>\n</table>\n",
        code(&checkpoint.origin),
        checkpoint.size,
        code(&checkpoint.root.to_hex()),
        code(&checkpoint.root.to_b64()),
    ));
    let total = v.cosigned_power.1;
    // R-CKPT-8: strictly more than two thirds.
    let needed = total.saturating_mul(2) / 3 + 1;
    s.push_str(&format!(
        "<p>Cosigned by validators holding <b>{}</b> of {total} voting power; a quorum needs more than \
         two thirds, at least <b>{needed}</b>. <span class=ok>Quorum verified.</span></p>\n<table>\n",
        v.cosigned_power.0
    ));
    s.push_str(&header(&["Validator 验证节点", "Key id", "Power", "Cosigned 已签署"]));
    for val in bundle.genesis.validators() {
        let id = key_id(&val.name, SIG_TYPE_COSIGNATURE_V1, &val.key);
        let signed = v.cosigners.contains(&val.name);
        s.push_str(&row(&[
            text(&val.name),
            code(&format!("{id:08x}")),
            val.power.to_string(),
            if signed {
                "<span class=ok>yes, verified</span>".into()
            } else {
                "<span class=muted>no</span>".into()
            },
        ]));
    }
    s.push_str("</table>\n");
    s
}

fn signer_cell(signer: &Signer, ids: &BTreeMap<PublicKey, Identity>, leaf: u64) -> String {
    let key = code(&signer.key.to_b64());
    match ids.get(&signer.key) {
        Some(id) if id.org == signer.org.as_str() => {
            let enrolled = match id.enrolled_at {
                None => "<span class=ok>genesis admin key of this org</span>".to_string(),
                Some(at) if at < leaf => {
                    format!("<span class=ok>enrolled for this org at leaf {at}, before this document</span>")
                }
                Some(at) => format!("<span class=no>enrolled at leaf {at}, not before this document</span>"),
            };
            format!("{} &mdash; {}<br>key {key}<br>{enrolled}", text(signer.org.as_str()), text(&id.desc))
        }
        _ => format!(
            "{}<br>key {key}<br><span class=no>not proven by this bundle</span>",
            text(signer.org.as_str())
        ),
    }
}

fn document_details(doc: &Document) -> String {
    let hash = |h: &Hash| code(&h.to_hex());
    match doc {
        Document::Request(r) => format!(
            "form {}, as of {}, client {}, {} working days to answer",
            text(&json_name(&r.form)),
            text(&r.as_of.to_string()),
            text(r.client.as_str()),
            r.response_days
        ),
        Document::Authorization(a) if a.decision == Decision::Authorize => format!(
            "authorized, valid until {}",
            text(&a.valid_until.map(|d| d.to_string()).unwrap_or_else(|| "-".into()))
        ),
        Document::Authorization(a) => {
            format!("<span class=no>refused</span>: {}", text(a.reason.as_deref().unwrap_or("-")))
        }
        Document::Return(r) => format!(
            "returned: {}{}",
            text(&json_name(&r.reason)),
            r.note.as_deref().map(|n| format!(" &mdash; {}", text(n))).unwrap_or_default()
        ),
        Document::Response(r) => format!("conclusion: {}", text(&json_name(&r.conclusion))),
        Document::Correction(c) => format!(
            "conclusion: {}; supersedes {}; reason: {}",
            text(&json_name(&c.conclusion)),
            hash(&c.supersedes),
            text(&c.reason)
        ),
        Document::Decline(d) => format!("declined: {}", text(&d.reason)),
        Document::Withdraw(w) => format!("withdrawn: {}", text(&w.reason)),
        Document::Accept(a) => format!(
            "accepts answer {}{}",
            hash(&a.response),
            a.note.as_deref().map(|n| format!("; note: {}", text(n))).unwrap_or_default()
        ),
        _ => String::new(),
    }
}

/// The JSON name of a serializable enum value (`form1`, `fee_not_paid`), for display.
fn json_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => "?".into(),
    }
}

fn documents_section(
    docs: &[&(u64, Envelope)],
    ids: &BTreeMap<PublicKey, Identity>,
    node: Option<&NodeFacts>,
) -> String {
    let mut s =
        String::from("<h2>Documents, in ledger order <span class=zh>函证文件（按账本顺序）</span></h2>\n");
    s.push_str(
        "<p class=muted>Signed times are as each signer claims them (UTC). Block heights are not part of \
         the bundle; where shown they are what the node reported when the bundle was fetched.</p>\n",
    );
    for (n, (leaf, env)) in docs.iter().enumerate() {
        let block = match node.and_then(|f| f.blocks.get(leaf)) {
            Some((height, ms)) => {
                format!("{height} (node's word; block time {})", text(&civil::format_ms(*ms)))
            }
            None => "<span class=muted>not in the bundle</span>".into(),
        };
        s.push_str(&format!(
            "<h3>{}. {} <span class=zh>{}</span></h3>\n<table>\n",
            n + 1,
            text(env.doc_type().as_str()),
            zh_type(env.doc_type())
        ));
        let mut line = |k: &str, v: String| {
            s.push_str(&format!("<tr><th style=\"width:14em\">{k}</th><td>{v}</td></tr>\n"))
        };
        line("Signed by 签署人", signer_cell(&env.author, ids, *leaf));
        if let Some(checker) = &env.checker {
            line("Checked by 复核人", signer_cell(checker, ids, *leaf));
        }
        line("Signed at 签署时间", text(&civil::format_ms(env.created_ms)));
        line("What it says 内容", document_details(&env.document));
        line("Document hash 文件哈希", code(&env.id.to_hex()));
        line("Leaf index 叶子序号", leaf.to_string());
        line("Block height 区块高度", block);
        line("Signatures 签名", "<span class=ok>verified</span>".into());
        line("Inclusion proof 包含证明", "<span class=ok>verified against the checkpoint root</span>".into());
        s.push_str("</table>\n");
    }
    s
}

/// The enrollments in the bundle: who bound each signer's key to its org, and when.
fn enrollments_section(envelopes: &[(u64, Envelope)], ids: &BTreeMap<PublicKey, Identity>) -> String {
    let mut s = String::from(
        "<h2>Enrollments proving the signers' keys <span class=zh>签署人密钥登记</span></h2>\n<table>\n",
    );
    s.push_str(&header(&[
        "Leaf",
        "Enrolled 登记对象",
        "Key",
        "Enrolled by 登记人",
        "Signed at",
        "Document hash",
    ]));
    for (leaf, env) in envelopes {
        let (who, key) = match &env.document {
            Document::Enroll(e) => (format!("{}, {} ({})", e.name, e.title, e.person), e.key),
            Document::ClientEnroll(c) => (format!("client {}", c.client), c.key),
            _ => continue,
        };
        let by =
            ids.get(&env.author.key).map(|i| format!("{} {}", i.org, i.desc)).unwrap_or_else(|| "?".into());
        s.push_str(&row(&[
            leaf.to_string(),
            format!("{} &mdash; {}", text(env.author.org.as_str()), text(&who)),
            code(&key.to_b64()),
            text(&by),
            text(&civil::format_ms(env.created_ms)),
            code(&env.id.to_hex()),
        ]));
    }
    s.push_str("</table>\n");
    s
}

fn zh_type(t: DocType) -> &'static str {
    match t {
        DocType::Request => "询证函",
        DocType::Authorization => "被审计单位授权",
        DocType::Return => "退回",
        DocType::Response => "回函",
        DocType::Correction => "更正回函",
        DocType::Decline => "拒绝回函",
        DocType::Withdraw => "撤回",
        DocType::Accept => "验收",
        _ => "",
    }
}

/// The items in letter order: JSON name, number, English and Chinese titles.
const ITEMS: &[(&str, &str, &str, &str)] = &[
    ("deposits", "1", "Bank deposits", "银行存款"),
    ("loans", "2", "Bank loans", "银行借款"),
    ("closed_accounts", "3", "Accounts closed in the period", "期间内注销的账户"),
    ("entrusted_loans_as_lender", "4", "Entrusted loans (as lender)", "委托贷款（委托人）"),
    ("entrusted_loans_as_borrower", "5", "Entrusted loans (as borrower)", "委托贷款（借款人）"),
    ("guarantees_given", "6(1)", "Guarantees given", "为其他单位提供的担保"),
    ("guarantees_received", "6(2)", "Guarantees received", "贵行提供的担保"),
    ("acceptance_drafts", "7", "Bank acceptance drafts", "银行承兑汇票"),
    ("discounted_notes", "8", "Discounted notes", "已贴现商业汇票"),
    ("notes_for_collection", "9", "Notes for collection", "托收的商业汇票"),
    ("letters_of_credit", "10", "Letters of credit", "信用证"),
    ("fx_contracts", "11", "FX contracts", "外汇买卖合约"),
    ("custody", "12", "Custody", "托管的证券或产权文件"),
    ("wealth_management", "13", "Wealth management products", "银行理财产品"),
    ("other", "14", "Other", "其他"),
    ("cash_pooling", "附表", "Cash pooling", "资金归集账户"),
];

fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Columns of a set of rows, in first-seen order.
fn columns<'a>(rows: impl Iterator<Item = &'a Value>) -> Vec<String> {
    let mut cols: Vec<String> = Vec::new();
    for r in rows {
        if let Value::Object(map) = r {
            for k in map.keys() {
                if !cols.contains(k) {
                    cols.push(k.clone());
                }
            }
        }
    }
    cols
}

fn rows_table(rows: &[Value], extra: Option<&dyn Fn(usize) -> (String, bool)>) -> String {
    let cols = columns(rows.iter());
    let mut s = String::from("<table>\n<tr><th>#</th>");
    for c in &cols {
        s.push_str(&format!("<th>{}</th>", text(c)));
    }
    if extra.is_some() {
        s.push_str("<th>Bank's answer 银行回复</th>");
    }
    s.push_str("</tr>\n");
    for (i, r) in rows.iter().enumerate() {
        let (answer, exception) = extra.map(|f| f(i)).unwrap_or_default();
        s.push_str(if exception { "<tr class=exception>" } else { "<tr>" });
        s.push_str(&format!("<td>{i}</td>"));
        for c in &cols {
            s.push_str(&format!("<td>{}</td>", text(&r.get(c).map(show).unwrap_or_default())));
        }
        if extra.is_some() {
            s.push_str(&format!("<td>{answer}</td>"));
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</table>\n");
    s
}

/// The bank's answer to request row `i` of an item: HTML, and whether it is a difference.
fn row_answer(answer: Option<&Value>, stated: Option<&Value>, i: usize) -> (String, bool) {
    let rows = answer.and_then(|a| a.get("rows")).and_then(Value::as_array);
    let found =
        rows.and_then(|rs| rs.iter().find(|r| r.get("row").and_then(Value::as_u64) == Some(i as u64)));
    let Some(a) = found else {
        return ("<span class=muted>no answer</span>".into(), false);
    };
    match a.get("answer").and_then(Value::as_str) {
        Some("agreed") => ("<span class=ok>agreed 相符</span>".into(), false),
        Some("exception") => {
            // Only the columns where the bank's row differs from the stated one.
            let bank = a.get("bank").and_then(Value::as_object).map(|m| {
                m.iter()
                    .filter(|(k, v)| stated.and_then(|r| r.get(k.as_str())) != Some(*v))
                    .map(|(k, v)| format!("{}: <b>{}</b>", text(k), text(&show(v))))
                    .collect::<Vec<_>>()
                    .join("<br>")
            });
            (
                format!(
                    "<span class=no>EXCEPTION 不符</span><br>the bank's records differ: {}<br>explanation: {}",
                    bank.unwrap_or_default(),
                    text(&a.get("explanation").map(show).unwrap_or_default())
                ),
                true,
            )
        }
        Some("no_record") => (
            format!(
                "<span class=no>NO RECORD 无此记录</span>{}",
                a.get("explanation").map(|e| format!("<br>{}", text(&show(e)))).unwrap_or_default()
            ),
            true,
        ),
        other => (format!("unknown answer {}", text(other.unwrap_or("-"))), true),
    }
}

fn item_section(number: &str, en: &str, zh: &str, request: &Value, answer: Option<&Value>) -> String {
    let state = request.get("state").and_then(Value::as_str).unwrap_or("");
    let mut s = format!("<h3>{} {} <span class=zh>{}</span></h3>\n", text(number), text(en), text(zh));
    match state {
        "rows" => {
            let rows = request.get("rows").and_then(Value::as_array).cloned().unwrap_or_default();
            let f = |i: usize| row_answer(answer, rows.get(i), i);
            s.push_str(&rows_table(&rows, answer.map(|_| &f as &dyn Fn(usize) -> (String, bool))));
        }
        "none" => s.push_str("<p>The client states it has none (无).</p>\n"),
        "requested" => match request.get("text") {
            // Item 14 states its matters as text.
            Some(t) => s.push_str(&format!("<p>Matters to confirm 函证事项: {}</p>\n", text(&show(t)))),
            None => s.push_str("<p>Left for the bank to fill (form 2).</p>\n"),
        },
        _ => {}
    }
    if let Some(a) = answer {
        match a.get("state").and_then(Value::as_str) {
            Some("filled") => {
                let rows = a.get("rows").and_then(Value::as_array).cloned().unwrap_or_default();
                s.push_str("<p>The bank's rows 银行填列:</p>\n");
                s.push_str(&rows_table(&rows, None));
            }
            Some("none") => s.push_str("<p>The bank holds nothing for this item (无).</p>\n"),
            _ => {}
        }
        if let Some(unlisted) = a.get("unlisted").and_then(Value::as_array).filter(|u| !u.is_empty()) {
            s.push_str(
                "<p class=no>EXCEPTION 不符: rows the bank holds that the client did not list 未列示项目:</p>\n",
            );
            s.push_str(
                &rows_table(unlisted, Some(&|_| (String::new(), true)))
                    .replace("<th>Bank's answer 银行回复</th>", "<th></th>"),
            );
        }
        if let Some(t) = a.get("text") {
            s.push_str(&format!("<p>The bank's statement: {}</p>\n", text(&show(t))));
        }
    } else if !state.is_empty() {
        s.push_str("<p class=muted>No answer to show for this item.</p>\n");
    }
    if let Some(c) = request.get("completeness").and_then(Value::as_str) {
        s.push_str(&format!("<p class=muted>Completeness sentence, signed verbatim: {}</p>\n", text(c)));
    }
    s
}

fn contents_section(
    docs: &[&(u64, Envelope)],
    contents: &BTreeMap<Hash, Contents>,
    key_given: bool,
) -> (String, usize) {
    let mut s = String::from("<h2>Contents <span class=zh>函证内容</span></h2>\n");
    let request = docs.iter().find(|(_, e)| e.doc_type() == DocType::Request);
    let answer =
        docs.iter().rev().find(|(_, e)| matches!(e.doc_type(), DocType::Response | DocType::Correction));
    let req = request.and_then(|(_, e)| contents.get(&e.id));
    let ans = answer.and_then(|(_, e)| contents.get(&e.id));
    if contents.is_empty() {
        s.push_str(if key_given {
            "<p>The key given opens none of the sealed contents.</p>\n"
        } else {
            "<p><b>Not opened.</b> The letter and the bank's answer are sealed; this report shows only \
             their commitments. Pass <code>--decryption-key</code> with a party's X25519 key to include them.</p>\n"
        });
        return (s, 0);
    }
    for (_, env) in docs {
        if let Some(c) = contents.get(&env.id) {
            s.push_str(&format!(
                "<p class=muted>{} {}: {}; checked against its signed commitment.</p>\n",
                text(env.doc_type().as_str()),
                code(&env.id.to_hex()),
                text(&c.how)
            ));
        }
    }
    let Some(req) = req else {
        s.push_str(
            "<p>The letter itself could not be opened with what was given; only the answer is shown.</p>\n",
        );
        if let Some(a) = ans {
            s.push_str(&format!(
                "<pre>{}</pre>\n",
                text(&serde_json::to_string_pretty(&a.value).unwrap_or_default())
            ));
        }
        return (s, 0);
    };
    if let Some(letter) = req.value.get("letter") {
        s.push_str("<table>\n");
        for (k, label) in [
            ("client_name", "Client 被审计单位"),
            ("client_credit_code", "Credit code 统一社会信用代码"),
            ("audit_firm_name", "Audit firm 会计师事务所"),
            ("period_audited", "Period 审计期间"),
        ] {
            s.push_str(&format!(
                "<tr><th style=\"width:14em\">{label}</th><td>{}</td></tr>\n",
                text(&letter.get(k).map(show).unwrap_or_default())
            ));
        }
        s.push_str("</table>\n");
    }
    match (answer, ans) {
        (Some((_, e)), Some(a)) => s.push_str(&format!(
            "<p>Answer in force 有效回函: {} {}, conclusion <b>{}</b>.</p>\n",
            text(e.doc_type().as_str()),
            code(&e.id.to_hex()),
            text(&a.value.get("conclusion").map(show).unwrap_or_default())
        )),
        (Some(_), None) => s.push_str("<p>The answer could not be opened with what was given.</p>\n"),
        (None, _) => s.push_str("<p>No answer yet.</p>\n"),
    }
    let answer_items = ans.and_then(|a| a.value.get("items"));
    let mut not_requested = Vec::new();
    if let Some(items) = req.value.get("items") {
        for (key, number, en, zh) in ITEMS {
            let Some(item) = items.get(*key) else { continue };
            if item.get("state").and_then(Value::as_str) == Some("not_requested") {
                not_requested.push(format!("{number} {en}"));
                continue;
            }
            s.push_str(&item_section(number, en, zh, item, answer_items.and_then(|a| a.get(*key))));
        }
    }
    if let Some(cv) = req.value.get("capital_verification") {
        let as_item = serde_json::json!({ "state": "rows", "rows": cv.get("contributions").cloned().unwrap_or_default() });
        let a = ans.and_then(|a| a.value.get("capital_verification"));
        s.push_str(&item_section("验资", "Capital contributions", "出资", &as_item, a));
    }
    if !not_requested.is_empty() {
        s.push_str(&format!(
            "<p class=muted>Not requested 未函证: {}</p>\n",
            text(&not_requested.join(", "))
        ));
    }
    // The typed comparison, as the auditor's exception list.
    let mut count = 0;
    if let Some(a) = ans {
        let typed = (
            serde_json::from_value::<RequestContents>(req.value.clone()),
            serde_json::from_value::<ResponseContents>(a.value.clone()),
        );
        if let (Ok(r), Ok(a)) = typed {
            let diffs = vouch_core::items::differences(&r, &a);
            count = diffs.len();
            s.push_str(&format!("<h3>Differences 差异汇总: {count}</h3>\n"));
            if !diffs.is_empty() {
                s.push_str("<table>\n");
                s.push_str(&header(&[
                    "Item",
                    "Row",
                    "Column",
                    "Stated 函证列示",
                    "Bank 银行记载",
                    "Explanation 说明",
                ]));
                for d in &diffs {
                    let row_text = match d.row {
                        vouch_core::items::DifferenceRow::Stated(i) => format!("row {i}"),
                        vouch_core::items::DifferenceRow::Unlisted(i) => format!("unlisted {i}"),
                    };
                    s.push_str("<tr class=exception>");
                    for cell in [
                        d.item.name().to_string(),
                        row_text,
                        d.field.clone().unwrap_or_else(|| "(whole row)".into()),
                        d.stated.clone().unwrap_or_default(),
                        d.bank.clone().unwrap_or_default(),
                        d.explanation.clone().unwrap_or_default(),
                    ] {
                        s.push_str(&format!("<td>{}</td>", text(&cell)));
                    }
                    s.push_str("</tr>\n");
                }
                s.push_str("</table>\n");
            }
        }
    }
    (s, count)
}

fn limits_section(input: &Inputs<'_>, sha: Hash, status: &str) -> String {
    let v = input.verified;
    let mut s = String::from(
        "<h2>What this report proves, and what it does not <span class=zh>核验范围与局限</span></h2>\n<ul class=limits>\n",
    );
    let mut li = |t: String| s.push_str(&format!("<li>{t}</li>\n"));
    li(format!(
        "This report was produced by <code>vouch</code> version {} at {} from the evidence bundle {} with \
         SHA-256 {}, verified offline against the pinned genesis hash {}. Keep the bundle file with this \
         report: anyone can verify it again with <code>vouch verify bundle FILE --genesis-hash {}</code>.",
        text(env!("CARGO_PKG_VERSION")),
        text(&civil::format_ms(input.generated_ms)),
        code(input.source),
        code(&sha.to_hex()),
        code(&v.genesis.to_hex()),
        text(&v.genesis.to_hex()),
    ));
    li("<b>It proves</b> that each document listed was signed, with the signature verified, by the key \
        shown; that each such key was a genesis admin key of its organization or was enrolled for that \
        organization by an earlier document in the same ledger; and that each document is in the \
        ledger at the leaf shown, under a checkpoint cosigned by more than two thirds of the validators' \
        power of the network whose genesis hash you pinned. Any change to a document, a proof or the \
        checkpoint would have failed verification."
        .into());
    li(format!(
        "The status <b>{}</b> is what the documents in this bundle show; a document committed after the \
         checkpoint (tree size {}) would not appear here.",
        text(status),
        v.tree_size
    ));
    li("<b>It does not prove</b> that the pinned genesis hash is the right one: check it against the \
        value published out of band (by the regulator). It does not prove that a key was not revoked \
        between its enrollment and a document: revocations are not part of a bundle (<code>vouch verify \
        chain</code> re-checks the whole ledger, revocations included). Signed times are the signers' \
        claims; block heights and block times, where shown, are what a node reported and are not in the \
        bundle. It does not prove that what the bank states is true, only that the bank's enrolled \
        officers signed it. It says nothing about documents of other confirmations."
        .into());
    li("Names and titles are as the organizations enrolled them; the ledger proves who holds each key \
        as enrolled, not a person's identity beyond that."
        .into());
    if input.decryption.is_some() || !v.timeline.is_empty() {
        li("Contents are shown only where they were opened (from an opening in the bundle, or decrypted \
            with the key given), and each opened text was checked against the commitment the signer \
            signed. Sealed contents that were not opened are proven only by their commitment."
            .into());
    }
    if let Some(n) = input.node {
        li(format!(
            "The bundle was fetched from {}; the node is not trusted for anything above except the block \
             heights and times it reported{}.",
            code(&n.node),
            n.status.as_deref().map(|st| format!(" (it reports status {})", text(st))).unwrap_or_default()
        ));
    }
    s.push_str("</ul>\n");
    s
}
