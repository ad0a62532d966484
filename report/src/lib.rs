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
//! Every string from the bundle is untrusted and goes through `html::text`.
//!
//! The CLI writes it (`vouch evidence export`, `vouch evidence report`) and the node's
//! console serves it; both give it bytes they verified first.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)
)]

mod contents;
mod html;

use crate::html::{code, header, row, text};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use vouch_core::bundle::{Bundle, BundleReport};
use vouch_core::checkpoint::CosignedCheckpoint;
use vouch_core::documents::{Decision, DocType, Document};
use vouch_core::encoding::Hash;
use vouch_core::envelope::{Envelope, Signer};
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
    // In ledger order, as the report lists them.
    let opened: Vec<Opened> = docs
        .iter()
        .filter_map(|(_, e)| contents.get(&e.id).map(|c| Opened { document: e.id, how: c.how.clone() }))
        .collect();

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
    let (contents_html, differences) = contents::section(&docs, &contents, input.decryption.is_some());
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
    /// The plaintext contents (request or response), as JSON.
    value: Value,
    /// How they were opened, for the report.
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
    line("Report generated 生成时间", text(&format_ms(input.generated_ms)));
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
                format!("{height} (node's word; block time {})", text(&format_ms(*ms)))
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
        line("Signed at 签署时间", text(&format_ms(env.created_ms)));
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
            text(&format_ms(env.created_ms)),
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
        text(&format_ms(input.generated_ms)),
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

/// `2026-11-23T01:00:00Z` (with `.123` when there are milliseconds): Unix milliseconds as
/// RFC 3339 UTC. Dates go through `vouch_core::date::Date`, the protocol's calendar.
pub fn format_ms(unix_ms: u64) -> String {
    const DAY_MS: u64 = 86_400_000;
    let date = vouch_core::date::Date::from_unix_ms(unix_ms, 0);
    let in_day = unix_ms % DAY_MS;
    let (h, m, s, ms) = (in_day / 3_600_000, in_day / 60_000 % 60, in_day / 1000 % 60, in_day % 1000);
    if ms == 0 {
        format!("{date}T{h:02}:{m:02}:{s:02}Z")
    } else {
        format!("{date}T{h:02}:{m:02}:{s:02}.{ms:03}Z")
    }
}
