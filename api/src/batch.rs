//! Check and prepare a batch of requests (an engagement's account list) all or nothing:
//! every row's problems are found and reported together, row and field named, before any
//! draft is kept.
//!
//! Three passes, each over every row: the row's shape (JSON fields), what can be seen
//! without the ledger (`RequestLetter::problems`, duplicate letter numbers in the batch,
//! the client's enrolment), then composing each and applying them in order to one copy of
//! the committed state (so rows that conflict with each other or with the ledger are
//! caught). Only the last pass seals anything, and only when the first two found nothing.

use crate::Ctx;
use crate::auth::Principal;
use crate::custody::{HeldKeys, Holder, Keystore};
use crate::drafts::{BatchView, keep_batch};
use crate::prepare::{Action, Inputs, prepare, trial};
use crate::problem::{FieldProblem, Kind, Problem};
use crate::view::View;
use std::collections::BTreeMap;
use vouch_core::compose::RequestLetter;

fn row_problem(row: usize, field: impl Into<String>, detail: impl Into<String>) -> FieldProblem {
    FieldProblem { row: Some(row.saturating_add(1)), field: field.into(), detail: detail.into() }
}

fn refuse(errors: Vec<FieldProblem>, stage: &str) -> Problem {
    let rows: std::collections::BTreeSet<_> = errors.iter().filter_map(|e| e.row).collect();
    Problem::new(
        Kind::InvalidDraft,
        format!(
            "{} problems in {} rows ({stage}); nothing was prepared: fix every row listed in `errors` and send the batch again",
            errors.len(),
            rows.len()
        ),
    )
    .with_errors(errors)
}

/// Check every row, then prepare a draft for each, or report every row's problems.
#[allow(clippy::too_many_arguments)]
pub(crate) fn prepare_rows(
    ctx: &Ctx,
    rows: &[serde_json::Value],
    view: &View,
    principal: &Principal,
    holder: &Holder,
    keys: &HeldKeys,
    keystore: &dyn Keystore,
    now_ms: u64,
) -> Result<BatchView, Problem> {
    let genesis = ctx.ledger.genesis();
    let mut errors = Vec::new();
    let mut letters = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        match serde_json::from_value::<RequestLetter>(row.clone()) {
            Ok(letter) => letters.push(Some(letter)),
            Err(e) => {
                let message = e.to_string();
                let field =
                    message.split('`').nth(1).filter(|f| !f.contains(' ')).unwrap_or("row").to_string();
                errors.push(row_problem(i, field, message));
                letters.push(None);
            }
        }
    }
    let mut letter_nos: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, letter) in letters.iter().enumerate() {
        let Some(l) = letter else { continue };
        for (field, detail) in l.problems(genesis) {
            errors.push(row_problem(i, field, detail));
        }
        if let Some(first) = letter_nos.insert(l.letter_no.as_str(), i) {
            errors.push(row_problem(
                i,
                "letter_no",
                format!(
                    "{} is also row {}'s; each letter has its own number",
                    l.letter_no,
                    first.saturating_add(1)
                ),
            ));
        }
        match view.state().clients.get(&(l.bank.clone(), l.client.clone())) {
            Some(c) if c.revoked_ms.is_none() => {}
            Some(_) => {
                errors.push(row_problem(i, "client", format!("{} was revoked at {}", l.client, l.bank)))
            }
            None => {
                errors.push(row_problem(i, "client", format!("{} is not enrolled at {}", l.client, l.bank)))
            }
        }
    }
    if !errors.is_empty() {
        return Err(refuse(errors, "fields"));
    }
    let inputs = Inputs { ledger: ctx.ledger.as_ref(), view, principal, holder, keys, keystore, now_ms };
    let mut state = view.state().clone();
    let mut prepared = Vec::with_capacity(letters.len());
    for (i, letter) in letters.into_iter().enumerate() {
        let Some(letter) = letter else { continue };
        // `prepare` tries each row against the committed state alone; `trial` then applies
        // it after the rows before it, which catches conflicts between rows.
        let outcome = prepare(&inputs, Action::Request(letter), &mut rand_core::OsRng)
            .and_then(|p| trial(&mut state, &p.draft, keys, None, now_ms).map(|()| p));
        match outcome {
            Ok(p) => prepared.push(p),
            Err(problem) => {
                let field = problem.errors.first().map_or_else(|| "row".to_string(), |e| e.field.clone());
                let detail = match &problem.rule {
                    Some(rule) if !problem.detail.contains(rule.as_str()) => {
                        format!("{rule}: {}", problem.detail)
                    }
                    _ => problem.detail.clone(),
                };
                errors.push(row_problem(i, field, detail));
            }
        }
    }
    if !errors.is_empty() {
        return Err(refuse(errors, "against the ledger"));
    }
    keep_batch(ctx, &principal.org, prepared, now_ms)
}
