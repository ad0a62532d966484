//! Define and validate the confidential contents of a bank confirmation letter and of the
//! bank's answer: the 14 standard items, the cash-pooling schedule and the 验资 letter.
//!
//! These are plaintext types; they are sealed elsewhere (`seal`). The shapes follow the
//! standard 银行询证函 of 财会〔2020〕12号 (CONFIRMATIONS.md §2.3, §8) column for column;
//! `docs/PROTOCOL.md` §9 is the normative description and lists the rules `R-ITEM-n`.
//!
//! # Terminology
//!
//! - *Form*: `form1` (格式一: the auditor states the client's figures and the bank
//!   confirms), `form2` (格式二: the bank fills the figures), `capital_verification` (验资).
//! - *Item*: one of the 14 numbered sections (item 6 is split into 6(1) and 6(2)) or the
//!   附表 cash-pooling schedule. Each is in one *state*: `not_requested` (struck through),
//!   `none` (requested, "无"), `requested` (form 2: the bank fills it) or `rows`.
//! - *Key column*: identifies a row; required in every row.
//! - *Figure column*: a stated value (balance, amount, date, flag); required in form 1 and
//!   in every row the bank writes, absent from form-2 request rows.
//! - *Completeness sentence*: the fixed "除上述列示的…外，本公司并无…" clause closing each
//!   item; it is signed verbatim, so a bank's "相符" also confirms there is nothing else.
//! - *Row index*: the 0-based position of a row in the request; answers refer to rows by
//!   index, and error messages say `row N` for index N.
//! - *Difference*: an `exception`, `no_record` or `unlisted` answer.

use crate::date::Date;
use crate::limits;
use crate::money::{Amount, Currency, FxRate, MoneyError, Quantity, Rate, non_negative};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

/// The schema version every request and response names.
pub const SCHEMA: &str = "cn-bank-confirmation-2020";

/// Why letter or answer contents were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ItemsError {
    /// Unknown schema version.
    #[error("R-ITEM-1: schema {got:?} is not supported: expected {expected:?}")]
    Schema {
        /// The schema seen (truncated).
        got: String,
        /// [`SCHEMA`].
        expected: &'static str,
    },
    /// A text field is empty or too long.
    #[error("R-ITEM-2: {at}: {field} is {got} bytes: expected 1 to {max} bytes")]
    TextLength {
        /// Where.
        at: String,
        /// The field.
        field: &'static str,
        /// Bytes seen.
        got: usize,
        /// The limit.
        max: usize,
    },
    /// A text field contains a control character (line breaks included).
    #[error("R-ITEM-2: {at}: {field} contains a control character: expected printable text")]
    TextControl {
        /// Where.
        at: String,
        /// The field.
        field: &'static str,
    },
    /// The completeness sentence is missing, altered, or present where none exists.
    #[error("R-ITEM-3: {item}: completeness sentence is {got:?}: expected {expected:?}")]
    Completeness {
        /// The item.
        item: &'static str,
        /// The sentence seen (truncated to 64 characters).
        got: Option<String>,
        /// The standard sentence, or none for items without one.
        expected: Option<&'static str>,
    },
    /// A figure column is missing where the form requires it.
    #[error("R-ITEM-4: {at}: {field} is required in {form}")]
    FigureMissing {
        /// Where.
        at: String,
        /// The column.
        field: &'static str,
        /// What requires it (`form 1`, `capital verification`, `a bank row`).
        form: &'static str,
    },
    /// A figure column is filled in a form-2 request row.
    #[error("R-ITEM-5: {at}: {field} is present in a form 2 request: expected it absent (the bank fills it)")]
    FigurePresent {
        /// Where.
        at: String,
        /// The column.
        field: &'static str,
    },
    /// An item state the form does not allow, or an item section the form does not use.
    #[error("R-ITEM-6: {item}: {got} is not allowed in {form}: expected {expected}")]
    State {
        /// The item or section.
        item: &'static str,
        /// What was seen.
        got: &'static str,
        /// The form.
        form: &'static str,
        /// What is allowed.
        expected: &'static str,
    },
    /// An item has more rows than `limits::ITEM_ROWS_MAX`.
    #[error("R-ITEM-7: {item}: {got} rows, over the limit of {max}")]
    TooManyRows {
        /// The item.
        item: &'static str,
        /// Rows seen.
        got: usize,
        /// The limit.
        max: usize,
    },
    /// The document has more rows in all than `limits::DOCUMENT_ROWS_MAX`.
    #[error("R-ITEM-7: {got} rows in all, over the limit of {max}")]
    TooManyRowsTotal {
        /// Rows seen.
        got: usize,
        /// The limit.
        max: usize,
    },
    /// State `rows` (or `filled`, or a capital-verification list) with no rows.
    #[error("R-ITEM-7: {item}: no rows: expected at least one row, or state none")]
    EmptyRows {
        /// The item.
        item: &'static str,
    },
    /// The closed-accounts period is missing, unexpected or reversed.
    #[error("R-ITEM-8: closed-accounts period {got}: expected {expected}")]
    Period {
        /// What was seen.
        got: String,
        /// What is required.
        expected: &'static str,
    },
    /// A closing date outside the closed-accounts period.
    #[error("R-ITEM-8: {at}: closed_on {date} is outside the period {from} to {to}")]
    ClosedOutsidePeriod {
        /// Where.
        at: String,
        /// The closing date.
        date: Date,
        /// Period start.
        from: Date,
        /// Period end.
        to: Date,
    },
    /// A yes/no column's detail text is missing while the flag is true, or present while false.
    #[error(
        "R-ITEM-9: {at}: {detail} is {got} while {flag} is {value}: expected a detail iff {flag} is true"
    )]
    FlagDetail {
        /// Where.
        at: String,
        /// The flag column.
        flag: &'static str,
        /// The detail column.
        detail: &'static str,
        /// `present` or `absent`.
        got: &'static str,
        /// The flag's value.
        value: bool,
    },
    /// Two dates of a row in the wrong order.
    #[error("R-ITEM-10: {at}: {first} {first_date} is after {second} {second_date}")]
    DateOrder {
        /// Where.
        at: String,
        /// The earlier column.
        first: &'static str,
        /// Its date.
        first_date: Date,
        /// The later column.
        second: &'static str,
        /// Its date.
        second_date: Date,
    },
    /// A figure that must be non-negative is negative.
    #[error("R-ITEM-11: {at}: {source}")]
    Money {
        /// Where.
        at: String,
        /// The money rule broken.
        source: MoneyError,
    },
    /// The client's unified social credit code is malformed.
    #[error("R-ITEM-12: client_credit_code {got:?}: {reason}")]
    CreditCode {
        /// The code seen (truncated).
        got: String,
        /// What is wrong, with what was expected.
        reason: String,
    },
    /// A requested item (or the capital-verification section) has no answer.
    #[error("R-ITEM-20: {item} was requested but not answered")]
    Unanswered {
        /// The item.
        item: &'static str,
    },
    /// An answer to an item that was not requested.
    #[error("R-ITEM-21: {item} was answered but not requested")]
    NotRequested {
        /// The item.
        item: &'static str,
    },
    /// An answer refers to a row index outside the request.
    #[error("R-ITEM-22: {item}: answer refers to row {got}: expected an index below {rows}")]
    RowRange {
        /// The item.
        item: &'static str,
        /// Index seen.
        got: u32,
        /// Rows requested.
        rows: usize,
    },
    /// A request row answered more than once.
    #[error("R-ITEM-23: {item}: row {row} is answered more than once")]
    RowTwice {
        /// The item.
        item: &'static str,
        /// The row index.
        row: u32,
    },
    /// A request row without an answer.
    #[error("R-ITEM-24: {item}: row {row} has no answer: expected agreed, exception or no_record")]
    RowUnanswered {
        /// The item.
        item: &'static str,
        /// The row index.
        row: usize,
    },
    /// An answer of the wrong kind for the form.
    #[error("R-ITEM-25: {item}: answer state {got} in {form}: expected {expected}")]
    AnswerKind {
        /// The item.
        item: &'static str,
        /// State seen.
        got: &'static str,
        /// The form.
        form: &'static str,
        /// What the form requires.
        expected: &'static str,
    },
    /// The conclusion disagrees with the row answers.
    #[error("R-ITEM-26: conclusion is {got} with {differences} differences: expected {expected}")]
    Conclusion {
        /// Conclusion seen.
        got: &'static str,
        /// Differences counted.
        differences: usize,
        /// What the rows imply.
        expected: &'static str,
    },
}

// ---------------------------------------------------------------------------------------
// Forms, items and the completeness sentences
// ---------------------------------------------------------------------------------------

/// Which standard letter this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Form {
    /// 银行询证函（格式一）: the auditor states the client's figures; the bank confirms.
    Form1,
    /// 银行询证函（格式二）: blank figures; the bank fills them.
    Form2,
    /// 验资业务银行询证函: capital verification.
    CapitalVerification,
}

impl Form {
    fn name(self) -> &'static str {
        match self {
            Form::Form1 => "form 1",
            Form::Form2 => "form 2",
            Form::CapitalVerification => "capital verification",
        }
    }
}

/// The items of a letter, in letter order, plus the 验资 section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ItemKind {
    /// 1 银行存款.
    Deposits,
    /// 2 银行借款.
    Loans,
    /// 3 期间内注销的银行存款账户.
    ClosedAccounts,
    /// 4 本公司作为委托人的委托贷款.
    EntrustedLoansAsLender,
    /// 5 本公司作为借款人的委托贷款.
    EntrustedLoansAsBorrower,
    /// 6(1) 本公司为其他单位提供的、以贵行为担保受益人的担保.
    GuaranteesGiven,
    /// 6(2) 贵行向本公司提供的担保.
    GuaranteesReceived,
    /// 7 银行承兑汇票.
    AcceptanceDrafts,
    /// 8 已贴现而尚未到期的商业汇票.
    DiscountedNotes,
    /// 9 由贵行托收的商业汇票.
    NotesForCollection,
    /// 10 未履行完毕的不可撤销信用证.
    LettersOfCredit,
    /// 11 未履行完毕的外汇买卖合约.
    FxContracts,
    /// 12 存放于贵行托管的证券或其他产权文件.
    Custody,
    /// 13 由贵行发行的未到期银行理财产品.
    WealthManagement,
    /// 14 其他.
    Other,
    /// 附表 资金归集（资金池或其他资金管理）账户具体信息.
    CashPooling,
    /// The 验资 letter's contributions.
    CapitalVerification,
}

impl ItemKind {
    /// The item's JSON field name.
    pub fn name(self) -> &'static str {
        match self {
            ItemKind::Deposits => "deposits",
            ItemKind::Loans => "loans",
            ItemKind::ClosedAccounts => "closed_accounts",
            ItemKind::EntrustedLoansAsLender => "entrusted_loans_as_lender",
            ItemKind::EntrustedLoansAsBorrower => "entrusted_loans_as_borrower",
            ItemKind::GuaranteesGiven => "guarantees_given",
            ItemKind::GuaranteesReceived => "guarantees_received",
            ItemKind::AcceptanceDrafts => "acceptance_drafts",
            ItemKind::DiscountedNotes => "discounted_notes",
            ItemKind::NotesForCollection => "notes_for_collection",
            ItemKind::LettersOfCredit => "letters_of_credit",
            ItemKind::FxContracts => "fx_contracts",
            ItemKind::Custody => "custody",
            ItemKind::WealthManagement => "wealth_management",
            ItemKind::Other => "other",
            ItemKind::CashPooling => "cash_pooling",
            ItemKind::CapitalVerification => "capital_verification",
        }
    }

    /// The item's completeness sentence; `None` for item 14, the 附表 and 验资.
    pub fn completeness(self) -> Option<&'static str> {
        COMPLETENESS_SENTENCES.iter().find(|(k, _)| *k == self).map(|(_, s)| *s)
    }
}

impl fmt::Display for ItemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The completeness sentence closing each item, signed verbatim (R-ITEM-3).
///
/// English, in order:
/// - 1: Apart from the deposits listed above (including accounts with a zero balance), the
///   company has no other deposits with your bank.
/// - 2: … has no other borrowings from your bank.
/// - 3: … closed no other accounts with your bank during this period.
/// - 4: … has no other entrusted loans through your bank with the company as principal.
/// - 5: … has no other entrusted loans through your bank with the company as borrower.
/// - 6(1): … has no other guarantees with your bank as beneficiary.
/// - 6(2): … has no other guarantees provided by your bank.
/// - 7: … has no other bank acceptance drafts accepted by your bank and not yet paid.
/// - 8: … has no other commercial notes discounted with your bank and not yet due.
/// - 9: … has no other commercial notes held by your bank for collection.
/// - 10: … has no other irrevocable letters of credit issued by your bank and not fully
///   performed.
/// - 11: … has no other foreign-exchange contracts with your bank not fully performed.
/// - 12: … has no other securities or title documents in your bank's custody.
/// - 13: … has bought no other wealth-management products issued by your bank.
pub const COMPLETENESS_SENTENCES: [(ItemKind, &str); 14] = [
    (ItemKind::Deposits, "除上述列示的银行存款（包括余额为零的存款账户）外，本公司并无在贵行的其他存款。"),
    (ItemKind::Loans, "除上述列示的银行借款外，本公司并无自贵行的其他借款。"),
    (ItemKind::ClosedAccounts, "除上述列示的注销账户外，本公司在此期间并未在贵行注销其他账户。"),
    (
        ItemKind::EntrustedLoansAsLender,
        "除上述列示的委托贷款外，本公司并无通过贵行办理的其他以本公司作为委托人的委托贷款。",
    ),
    (
        ItemKind::EntrustedLoansAsBorrower,
        "除上述列示的委托贷款外，本公司并无通过贵行办理的其他以本公司作为借款人的委托贷款。",
    ),
    (ItemKind::GuaranteesGiven, "除上述列示的担保外，本公司并无其他以贵行为担保受益人的担保。"),
    (ItemKind::GuaranteesReceived, "除上述列示的担保外，本公司并无贵行提供的其他担保。"),
    (
        ItemKind::AcceptanceDrafts,
        "除上述列示的银行承兑汇票外，本公司并无由贵行承兑而尚未支付的其他银行承兑汇票。",
    ),
    (ItemKind::DiscountedNotes, "除上述列示的商业汇票外，本公司并无向贵行已贴现而尚未到期的其他商业汇票。"),
    (ItemKind::NotesForCollection, "除上述列示的商业汇票外，本公司并无由贵行托收的其他商业汇票。"),
    (
        ItemKind::LettersOfCredit,
        "除上述列示的不可撤销信用证外，本公司并无由贵行开具的、未履行完毕的其他不可撤销信用证。",
    ),
    (ItemKind::FxContracts, "除上述列示的外汇买卖合约外，本公司并无与贵行之间未履行完毕的其他外汇买卖合约。"),
    (
        ItemKind::Custody,
        "除上述列示的证券或其他产权文件外，本公司并无存放于贵行托管的其他证券或其他产权文件。",
    ),
    (ItemKind::WealthManagement, "除上述列示的银行理财产品外，本公司并未购买其他由贵行发行的理财产品。"),
];

// ---------------------------------------------------------------------------------------
// Row validation context
// ---------------------------------------------------------------------------------------

/// Whether figure columns must be present or absent in the rows being checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Figures {
    /// Form 1, 验资, and every row a bank writes: figures required.
    Required,
    /// A form-2 request row: figures absent (the bank fills them).
    Absent,
}

/// Where a row sits and which rules apply to it.
#[derive(Debug, Clone, Copy)]
pub struct RowCx {
    item: ItemKind,
    index: usize,
    figures: Figures,
    /// The closed-accounts period, for request rows of item 3 only.
    period: Option<Period>,
    /// `""` for request rows, else which part of an answer.
    side: &'static str,
}

impl RowCx {
    fn at(&self) -> String {
        format!("{} {}row {}", self.item, self.side, self.index)
    }

    fn text(&self, field: &'static str, value: &str, max: usize) -> Result<(), ItemsError> {
        check_text(|| self.at(), field, value, max)
    }

    fn opt_text(&self, field: &'static str, value: &Option<String>, max: usize) -> Result<(), ItemsError> {
        value.as_deref().map_or(Ok(()), |v| self.text(field, v, max))
    }

    /// Present in form 1 and bank rows; absent in form-2 request rows.
    fn figure<'a, T>(&self, field: &'static str, value: &'a Option<T>) -> Result<Option<&'a T>, ItemsError> {
        match (self.figures, value) {
            (Figures::Required, None) => Err(ItemsError::FigureMissing {
                at: self.at(),
                field,
                form: if self.side.is_empty() { "form 1" } else { "a bank row" },
            }),
            (Figures::Absent, Some(_)) => Err(ItemsError::FigurePresent { at: self.at(), field }),
            (_, v) => Ok(v.as_ref()),
        }
    }

    fn amount(&self, field: &'static str, value: &Option<Amount>) -> Result<(), ItemsError> {
        match self.figure(field, value)? {
            Some(a) => non_negative(field, a).map_err(|source| ItemsError::Money { at: self.at(), source }),
            None => Ok(()),
        }
    }

    fn flag(
        &self,
        flag: &'static str,
        value: &Option<bool>,
        detail: &'static str,
        text: &Option<String>,
    ) -> Result<(), ItemsError> {
        let set = self.figure(flag, value)?.copied().unwrap_or(false);
        if set != text.is_some() {
            return Err(ItemsError::FlagDetail {
                at: self.at(),
                flag,
                detail,
                got: if text.is_some() { "present" } else { "absent" },
                value: set,
            });
        }
        self.opt_text(detail, text, limits::TEXT_LONG_BYTES_MAX)
    }

    fn order(
        &self,
        first: &'static str,
        a: Option<Date>,
        second: &'static str,
        b: Option<Date>,
    ) -> Result<(), ItemsError> {
        match (a, b) {
            (Some(a), Some(b)) if a > b => {
                Err(ItemsError::DateOrder { at: self.at(), first, first_date: a, second, second_date: b })
            }
            _ => Ok(()),
        }
    }
}

fn check_text(
    at: impl Fn() -> String,
    field: &'static str,
    value: &str,
    max: usize,
) -> Result<(), ItemsError> {
    if value.is_empty() || value.len() > max {
        return Err(ItemsError::TextLength { at: at(), field, got: value.len(), max });
    }
    if value.chars().any(char::is_control) {
        return Err(ItemsError::TextControl { at: at(), field });
    }
    Ok(())
}

const SHORT: usize = limits::TEXT_SHORT_BYTES_MAX;
const LONG: usize = limits::TEXT_LONG_BYTES_MAX;
const ID: usize = limits::ID_BYTES_MAX;

/// A row of one item: its JSON shape and its column rules.
pub trait Row: Serialize + DeserializeOwned + Clone + PartialEq + fmt::Debug {
    /// The item the row belongs to.
    const KIND: ItemKind;
    /// Check the row's columns under `cx` (R-ITEM-2, 4, 5, 8–11).
    fn validate(&self, cx: &RowCx) -> Result<(), ItemsError>;
}

// ---------------------------------------------------------------------------------------
// Row types (one per item)
// ---------------------------------------------------------------------------------------

/// Item 1 银行存款: a deposit account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepositRow {
    /// 账户名称 (key).
    pub account_name: String,
    /// 银行账号 (key).
    pub account_number: String,
    /// 币种 (key).
    pub currency: Currency,
    /// 利率, percent p.a. (optional: not every account bears interest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<Rate>,
    /// 账户类型, e.g. 基本存款账户, 定期 (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_type: Option<String>,
    /// 账户余额 (figure). May be negative (an overdrawn account).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub balance: Option<Amount>,
    /// 是否属于资金归集（资金池或其他资金管理）账户 (figure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cash_pooling: Option<bool>,
    /// Detail of the pooling arrangement; required iff `cash_pooling` is true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cash_pooling_detail: Option<String>,
    /// 起始日期 (optional: time deposits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date: Option<Date>,
    /// 终止日期 (optional: time deposits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_date: Option<Date>,
    /// 是否存在冻结、担保或其他使用限制 (figure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restricted: Option<bool>,
    /// （如是，请注明）: required iff `restricted` is true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restriction_detail: Option<String>,
    /// 备注 (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remarks: Option<String>,
}

impl Row for DepositRow {
    const KIND: ItemKind = ItemKind::Deposits;
    fn validate(&self, cx: &RowCx) -> Result<(), ItemsError> {
        cx.text("account_name", &self.account_name, SHORT)?;
        cx.text("account_number", &self.account_number, ID)?;
        cx.opt_text("account_type", &self.account_type, SHORT)?;
        cx.figure("balance", &self.balance)?;
        cx.flag("cash_pooling", &self.cash_pooling, "cash_pooling_detail", &self.cash_pooling_detail)?;
        cx.flag("restricted", &self.restricted, "restriction_detail", &self.restriction_detail)?;
        cx.order("start_date", self.start_date, "end_date", self.end_date)?;
        cx.opt_text("remarks", &self.remarks, LONG)
    }
}

/// Item 2 银行借款: a loan from the bank.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoanRow {
    /// 借款人名称 (key).
    pub borrower_name: String,
    /// 银行账号/借款账号 (key).
    pub account_number: String,
    /// 币种 (key).
    pub currency: Currency,
    /// 余额 (figure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub balance: Option<Amount>,
    /// 借款日期 (figure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loan_date: Option<Date>,
    /// 到期日期 (figure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<Date>,
    /// 利率, percent p.a. (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<Rate>,
    /// 抵（质）押品/担保人 (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collateral: Option<String>,
    /// 备注 (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remarks: Option<String>,
}

impl Row for LoanRow {
    const KIND: ItemKind = ItemKind::Loans;
    fn validate(&self, cx: &RowCx) -> Result<(), ItemsError> {
        cx.text("borrower_name", &self.borrower_name, SHORT)?;
        cx.text("account_number", &self.account_number, ID)?;
        cx.amount("balance", &self.balance)?;
        cx.figure("loan_date", &self.loan_date)?;
        cx.figure("due_date", &self.due_date)?;
        cx.order("loan_date", self.loan_date, "due_date", self.due_date)?;
        cx.opt_text("collateral", &self.collateral, LONG)?;
        cx.opt_text("remarks", &self.remarks, LONG)
    }
}

/// Item 3 注销的银行存款账户: an account closed during the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClosedAccountRow {
    /// 账户名称 (key).
    pub account_name: String,
    /// 银行账号 (key).
    pub account_number: String,
    /// 币种 (key).
    pub currency: Currency,
    /// 注销账户日 (figure); within the letter's closed-accounts period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_on: Option<Date>,
}

impl Row for ClosedAccountRow {
    const KIND: ItemKind = ItemKind::ClosedAccounts;
    fn validate(&self, cx: &RowCx) -> Result<(), ItemsError> {
        cx.text("account_name", &self.account_name, SHORT)?;
        cx.text("account_number", &self.account_number, ID)?;
        if let (Some(date), Some(p)) = (cx.figure("closed_on", &self.closed_on)?, cx.period)
            && (*date < p.from || *date > p.to)
        {
            return Err(ItemsError::ClosedOutsidePeriod { at: cx.at(), date: *date, from: p.from, to: p.to });
        }
        Ok(())
    }
}

/// Item 4 本公司作为委托人的委托贷款: an entrusted loan the client made through the bank.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntrustedLoanAsLenderRow {
    /// 账户名称 (key).
    pub account_name: String,
    /// 银行结算账号 (key).
    pub settlement_account_number: String,
    /// 资金借入方 (key).
    pub borrower: String,
    /// 币种 (key).
    pub currency: Currency,
    /// 利率, percent p.a. (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<Rate>,
    /// 余额 (figure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub balance: Option<Amount>,
    /// 贷款起止日期: 起息日期 (figure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_date: Option<Date>,
    /// 贷款起止日期: 到期日期 (figure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<Date>,
    /// 备注 (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remarks: Option<String>,
}

impl Row for EntrustedLoanAsLenderRow {
    const KIND: ItemKind = ItemKind::EntrustedLoansAsLender;
    fn validate(&self, cx: &RowCx) -> Result<(), ItemsError> {
        cx.text("account_name", &self.account_name, SHORT)?;
        cx.text("settlement_account_number", &self.settlement_account_number, ID)?;
        cx.text("borrower", &self.borrower, SHORT)?;
        cx.amount("balance", &self.balance)?;
        cx.figure("value_date", &self.value_date)?;
        cx.figure("due_date", &self.due_date)?;
        cx.order("value_date", self.value_date, "due_date", self.due_date)?;
        cx.opt_text("remarks", &self.remarks, LONG)
    }
}

/// Item 5 本公司作为借款人的委托贷款: an entrusted loan the client received through the bank.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntrustedLoanAsBorrowerRow {
    /// 账户名称 (key).
    pub account_name: String,
    /// 银行结算账号 (key).
    pub settlement_account_number: String,
    /// 资金借出方 (key).
    pub lender: String,
    /// 币种 (key).
    pub currency: Currency,
    /// 利率, percent p.a. (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<Rate>,
    /// 余额 (figure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub balance: Option<Amount>,
    /// 贷款起止日期: 起息日期 (figure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_date: Option<Date>,
    /// 贷款起止日期: 到期日期 (figure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<Date>,
    /// 备注 (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remarks: Option<String>,
}

impl Row for EntrustedLoanAsBorrowerRow {
    const KIND: ItemKind = ItemKind::EntrustedLoansAsBorrower;
    fn validate(&self, cx: &RowCx) -> Result<(), ItemsError> {
        cx.text("account_name", &self.account_name, SHORT)?;
        cx.text("settlement_account_number", &self.settlement_account_number, ID)?;
        cx.text("lender", &self.lender, SHORT)?;
        cx.amount("balance", &self.balance)?;
        cx.figure("value_date", &self.value_date)?;
        cx.figure("due_date", &self.due_date)?;
        cx.order("value_date", self.value_date, "due_date", self.due_date)?;
        cx.opt_text("remarks", &self.remarks, LONG)
    }
}

/// Items 6(1) and 6(2): a guarantee (same columns; 6(2)'s 担保余额 is 担保金额 in some sources).
macro_rules! guarantee_row {
    ($(#[$doc:meta])* $ty:ident, $kind:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $ty {
            /// 被担保人 (key).
            pub guaranteed_party: String,
            /// 担保方式 (key), e.g. 保证, 抵押, 质押, 保函, 备用信用证.
            pub guarantee_type: String,
            /// 币种 (key).
            pub currency: Currency,
            /// 担保余额 (figure).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub balance: Option<Amount>,
            /// 担保到期日 (figure).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub due_date: Option<Date>,
            /// 担保合同编号 (key).
            pub contract_number: String,
            /// 备注 (optional).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub remarks: Option<String>,
        }

        impl Row for $ty {
            const KIND: ItemKind = $kind;
            fn validate(&self, cx: &RowCx) -> Result<(), ItemsError> {
                cx.text("guaranteed_party", &self.guaranteed_party, SHORT)?;
                cx.text("guarantee_type", &self.guarantee_type, SHORT)?;
                cx.text("contract_number", &self.contract_number, ID)?;
                cx.amount("balance", &self.balance)?;
                cx.figure("due_date", &self.due_date)?;
                cx.opt_text("remarks", &self.remarks, LONG)
            }
        }
    };
}

guarantee_row!(
    /// Item 6(1): a guarantee the client gave for another party, with the bank as beneficiary.
    GuaranteeGivenRow,
    ItemKind::GuaranteesGiven
);
guarantee_row!(
    /// Item 6(2): a guarantee the bank gave for the client (保函, 备用信用证).
    GuaranteeReceivedRow,
    ItemKind::GuaranteesReceived
);

/// Item 7: a bank acceptance draft the client issued, accepted by the bank and unpaid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcceptanceDraftRow {
    /// 银行承兑汇票号码 (key).
    pub draft_number: String,
    /// 结算账户账号 (key).
    pub settlement_account_number: String,
    /// 币种 (key).
    pub currency: Currency,
    /// 票面金额 (figure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub face_amount: Option<Amount>,
    /// 出票日 (figure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue_date: Option<Date>,
    /// 到期日 (figure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<Date>,
    /// 抵（质）押品 (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collateral: Option<String>,
}

impl Row for AcceptanceDraftRow {
    const KIND: ItemKind = ItemKind::AcceptanceDrafts;
    fn validate(&self, cx: &RowCx) -> Result<(), ItemsError> {
        cx.text("draft_number", &self.draft_number, ID)?;
        cx.text("settlement_account_number", &self.settlement_account_number, ID)?;
        cx.amount("face_amount", &self.face_amount)?;
        cx.figure("issue_date", &self.issue_date)?;
        cx.figure("due_date", &self.due_date)?;
        cx.order("issue_date", self.issue_date, "due_date", self.due_date)?;
        cx.opt_text("collateral", &self.collateral, LONG)
    }
}

/// Item 8: a commercial note the client discounted with the bank, not yet due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiscountedNoteRow {
    /// 商业汇票号码 (key).
    pub note_number: String,
    /// 承兑人名称 (key).
    pub acceptor_name: String,
    /// 币种 (key).
    pub currency: Currency,
    /// 票面金额 (figure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub face_amount: Option<Amount>,
    /// 出票日 (figure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue_date: Option<Date>,
    /// 到期日 (figure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<Date>,
    /// 贴现日 (figure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount_date: Option<Date>,
    /// 贴现率, percent p.a. (figure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount_rate: Option<Rate>,
    /// 贴现净额 (figure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub net_amount: Option<Amount>,
}

impl Row for DiscountedNoteRow {
    const KIND: ItemKind = ItemKind::DiscountedNotes;
    fn validate(&self, cx: &RowCx) -> Result<(), ItemsError> {
        cx.text("note_number", &self.note_number, ID)?;
        cx.text("acceptor_name", &self.acceptor_name, SHORT)?;
        cx.amount("face_amount", &self.face_amount)?;
        cx.figure("issue_date", &self.issue_date)?;
        cx.figure("due_date", &self.due_date)?;
        cx.figure("discount_date", &self.discount_date)?;
        cx.figure("discount_rate", &self.discount_rate)?;
        cx.amount("net_amount", &self.net_amount)?;
        cx.order("issue_date", self.issue_date, "due_date", self.due_date)?;
        cx.order("discount_date", self.discount_date, "due_date", self.due_date)
    }
}

/// Item 9: a commercial note the client holds, sent to the bank for collection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoteForCollectionRow {
    /// 商业汇票号码 (key).
    pub note_number: String,
    /// 承兑人名称 (key).
    pub acceptor_name: String,
    /// 币种 (key).
    pub currency: Currency,
    /// 票面金额 (figure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub face_amount: Option<Amount>,
    /// 出票日 (figure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue_date: Option<Date>,
    /// 到期日 (figure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<Date>,
}

impl Row for NoteForCollectionRow {
    const KIND: ItemKind = ItemKind::NotesForCollection;
    fn validate(&self, cx: &RowCx) -> Result<(), ItemsError> {
        cx.text("note_number", &self.note_number, ID)?;
        cx.text("acceptor_name", &self.acceptor_name, SHORT)?;
        cx.amount("face_amount", &self.face_amount)?;
        cx.figure("issue_date", &self.issue_date)?;
        cx.figure("due_date", &self.due_date)?;
        cx.order("issue_date", self.issue_date, "due_date", self.due_date)
    }
}

/// Item 10: an irrevocable letter of credit the bank issued for the client, not fully performed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LetterOfCreditRow {
    /// 信用证号码 (key).
    pub lc_number: String,
    /// 受益人 (key).
    pub beneficiary: String,
    /// 币种 (key).
    pub currency: Currency,
    /// 信用证金额 (figure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Amount>,
    /// 到期日 (figure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry_date: Option<Date>,
    /// 未使用金额 (figure); at most `amount`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unused_amount: Option<Amount>,
}

impl Row for LetterOfCreditRow {
    const KIND: ItemKind = ItemKind::LettersOfCredit;
    fn validate(&self, cx: &RowCx) -> Result<(), ItemsError> {
        cx.text("lc_number", &self.lc_number, ID)?;
        cx.text("beneficiary", &self.beneficiary, SHORT)?;
        cx.amount("amount", &self.amount)?;
        cx.figure("expiry_date", &self.expiry_date)?;
        cx.amount("unused_amount", &self.unused_amount)
    }
}

/// Item 11: a foreign-exchange contract with the bank, not fully performed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FxContractRow {
    /// 类别 (key), e.g. 远期结汇, 远期售汇, 掉期.
    pub category: String,
    /// 合约号码 (key).
    pub contract_number: String,
    /// 贵行卖出币种 (key).
    pub bank_sells_currency: Currency,
    /// 贵行买入币种 (key).
    pub bank_buys_currency: Currency,
    /// 未履行的合约买卖金额 (figure), in `bank_sells_currency`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Amount>,
    /// 汇率 (figure): units of `bank_buys_currency` per unit of `bank_sells_currency`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange_rate: Option<FxRate>,
    /// 交收日期 (figure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settlement_date: Option<Date>,
}

impl Row for FxContractRow {
    const KIND: ItemKind = ItemKind::FxContracts;
    fn validate(&self, cx: &RowCx) -> Result<(), ItemsError> {
        cx.text("category", &self.category, SHORT)?;
        cx.text("contract_number", &self.contract_number, ID)?;
        cx.amount("amount", &self.amount)?;
        cx.figure("exchange_rate", &self.exchange_rate)?;
        cx.figure("settlement_date", &self.settlement_date)?;
        Ok(())
    }
}

/// Item 12: securities or title documents the bank holds in custody for the client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustodyRow {
    /// 证券或其他产权文件名称 (key).
    pub name: String,
    /// 证券代码或产权文件编号 (key).
    pub code: String,
    /// 数量 (figure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<Quantity>,
    /// 币种 (key).
    pub currency: Currency,
    /// 金额 (figure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Amount>,
}

impl Row for CustodyRow {
    const KIND: ItemKind = ItemKind::Custody;
    fn validate(&self, cx: &RowCx) -> Result<(), ItemsError> {
        cx.text("name", &self.name, SHORT)?;
        cx.text("code", &self.code, ID)?;
        cx.figure("quantity", &self.quantity)?;
        cx.amount("amount", &self.amount)
    }
}

/// Item 13's 产品类型.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductType {
    /// 封闭式.
    Closed,
    /// 开放式.
    Open,
}

/// Item 13: a wealth-management product issued by the bank, held and not yet matured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WealthManagementRow {
    /// 产品名称 (key).
    pub product_name: String,
    /// 产品类型（封闭式/开放式） (key).
    pub product_type: ProductType,
    /// 币种 (key).
    pub currency: Currency,
    /// 持有份额 (figure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shares: Option<Quantity>,
    /// 产品净值 (figure), as the bank reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub net_value: Option<Amount>,
    /// 购买日 (figure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purchase_date: Option<Date>,
    /// 到期日 (optional: open-ended products have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<Date>,
    /// 是否被用于担保或存在其他使用限制 (figure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restricted: Option<bool>,
    /// The restriction; required iff `restricted` is true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restriction_detail: Option<String>,
}

impl Row for WealthManagementRow {
    const KIND: ItemKind = ItemKind::WealthManagement;
    fn validate(&self, cx: &RowCx) -> Result<(), ItemsError> {
        cx.text("product_name", &self.product_name, SHORT)?;
        cx.figure("shares", &self.shares)?;
        cx.amount("net_value", &self.net_value)?;
        cx.figure("purchase_date", &self.purchase_date)?;
        cx.order("purchase_date", self.purchase_date, "due_date", self.due_date)?;
        cx.flag("restricted", &self.restricted, "restriction_detail", &self.restriction_detail)
    }
}

/// 附表: one cash-pooling transfer balance at the as-of date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CashPoolingRow {
    /// 资金提供机构名称（即拨入资金的具体机构） (key).
    pub provider_name: String,
    /// 资金提供机构账号 (key).
    pub provider_account_number: String,
    /// 资金使用机构名称（即向该具体机构拨出资金） (key).
    pub user_name: String,
    /// 资金使用机构账号 (key).
    pub user_account_number: String,
    /// 币种 (key).
    pub currency: Currency,
    /// 截至函证基准日拨入或拨出资金余额 (figure): outflow (拨出) positive, inflow (拨入)
    /// negative.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub balance: Option<Amount>,
    /// 备注 (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remarks: Option<String>,
}

impl Row for CashPoolingRow {
    const KIND: ItemKind = ItemKind::CashPooling;
    fn validate(&self, cx: &RowCx) -> Result<(), ItemsError> {
        cx.text("provider_name", &self.provider_name, SHORT)?;
        cx.text("provider_account_number", &self.provider_account_number, ID)?;
        cx.text("user_name", &self.user_name, SHORT)?;
        cx.text("user_account_number", &self.user_account_number, ID)?;
        cx.figure("balance", &self.balance)?;
        cx.opt_text("remarks", &self.remarks, LONG)
    }
}

/// 验资: one capital contribution paid into the company-in-formation's account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapitalContributionRow {
    /// 投资者/缴款人 (key).
    pub payer: String,
    /// 收款账号 (key): the account the contribution was paid into.
    pub account_number: String,
    /// 币种 (key).
    pub currency: Currency,
    /// 缴款金额 (figure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Amount>,
    /// 缴款日期 (figure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<Date>,
    /// 缴款方式 (key), e.g. 货币资金转账.
    pub method: String,
}

impl Row for CapitalContributionRow {
    const KIND: ItemKind = ItemKind::CapitalVerification;
    fn validate(&self, cx: &RowCx) -> Result<(), ItemsError> {
        cx.text("payer", &self.payer, SHORT)?;
        cx.text("account_number", &self.account_number, ID)?;
        cx.text("method", &self.method, SHORT)?;
        cx.amount("amount", &self.amount)?;
        cx.figure("date", &self.date)?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Items of a request
// ---------------------------------------------------------------------------------------

/// One item of a request, in one of four states. JSON: `{"state":"rows","rows":[…],
/// "completeness":"…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case", deny_unknown_fields)]
pub enum Item<R> {
    /// Not being confirmed (struck through with a slash on paper).
    NotRequested,
    /// Requested, and the client has nothing ("无"). Form 1 and 验资 only.
    None {
        /// The item's completeness sentence, verbatim (absent for the 附表).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        completeness: Option<String>,
    },
    /// Requested, left for the bank to fill. Form 2 only.
    Requested {
        /// The item's completeness sentence, verbatim (absent for the 附表).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        completeness: Option<String>,
    },
    /// Requested, with rows (form 2: key columns only).
    Rows {
        /// The rows, at least one.
        rows: Vec<R>,
        /// The item's completeness sentence, verbatim (absent for the 附表).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        completeness: Option<String>,
    },
}

impl<R: Row> Item<R> {
    /// An item with rows and its standard sentence.
    pub fn rows(rows: Vec<R>) -> Item<R> {
        Item::Rows { rows, completeness: R::KIND.completeness().map(str::to_owned) }
    }

    /// A requested item with nothing to list ("无"), with its standard sentence.
    pub fn none() -> Item<R> {
        Item::None { completeness: R::KIND.completeness().map(str::to_owned) }
    }

    /// A form-2 item left for the bank, with its standard sentence.
    pub fn requested() -> Item<R> {
        Item::Requested { completeness: R::KIND.completeness().map(str::to_owned) }
    }

    /// The stated rows if requested (empty for `none` and `requested`); `None` if not.
    pub fn stated(&self) -> Option<&[R]> {
        match self {
            Item::NotRequested => Option::None,
            Item::None { .. } | Item::Requested { .. } => Some(&[]),
            Item::Rows { rows, .. } => Some(rows),
        }
    }

    fn validate(&self, form: Form, period: Option<Period>, total: &mut usize) -> Result<(), ItemsError> {
        let item = R::KIND.name();
        let (state, completeness) = match self {
            Item::NotRequested => return Ok(()),
            Item::None { completeness } => ("none", completeness),
            Item::Requested { completeness } => ("requested", completeness),
            Item::Rows { completeness, .. } => ("rows", completeness),
        };
        // R-ITEM-6: `none` is the client's statement (forms 1); `requested` leaves it to the bank (form 2).
        let allowed = match form {
            Form::Form2 => state != "none",
            Form::Form1 | Form::CapitalVerification => state != "requested",
        };
        if !allowed {
            let expected = if form == Form::Form2 {
                "not_requested, requested or rows"
            } else {
                "not_requested, none or rows"
            };
            return Err(ItemsError::State { item, got: state, form: form.name(), expected });
        }
        // R-ITEM-3: the standard sentence, verbatim.
        let expected = R::KIND.completeness();
        if completeness.as_deref() != expected {
            return Err(ItemsError::Completeness {
                item,
                got: completeness.as_ref().map(|s| s.chars().take(64).collect()),
                expected,
            });
        }
        if let Item::Rows { rows, .. } = self {
            let figures = if form == Form::Form2 { Figures::Absent } else { Figures::Required };
            check_rows(rows, figures, period, "", total)?;
        }
        Ok(())
    }
}

/// R-ITEM-7 and each row's own rules.
fn check_rows<R: Row>(
    rows: &[R],
    figures: Figures,
    period: Option<Period>,
    side: &'static str,
    total: &mut usize,
) -> Result<(), ItemsError> {
    let item = R::KIND.name();
    if rows.is_empty() {
        return Err(ItemsError::EmptyRows { item });
    }
    if rows.len() > limits::ITEM_ROWS_MAX {
        return Err(ItemsError::TooManyRows { item, got: rows.len(), max: limits::ITEM_ROWS_MAX });
    }
    *total = total.saturating_add(rows.len());
    for (index, row) in rows.iter().enumerate() {
        row.validate(&RowCx { item: R::KIND, index, figures, period, side })?;
    }
    Ok(())
}

/// Item 14 其他: free text. By bank convention "无" here means *not confirmed*, not
/// "nothing else"; the item has no completeness sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case", deny_unknown_fields)]
pub enum OtherItem {
    /// Not being confirmed.
    NotRequested,
    /// Requested; the text states the matters (required in form 1 and 验资, optional in form 2).
    Requested {
        /// The matters to confirm.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        text: Option<String>,
    },
}

/// The 14 items (6 split in two) and the 附表 of a form-1 or form-2 letter. Every item is
/// stated explicitly; a missing field is refused (never leave an item blank).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Items {
    /// 1 银行存款.
    pub deposits: Item<DepositRow>,
    /// 2 银行借款.
    pub loans: Item<LoanRow>,
    /// 3 自\[起\]至\[止\]期间内注销的银行存款账户.
    pub closed_accounts: Item<ClosedAccountRow>,
    /// 4 本公司作为委托人的委托贷款.
    pub entrusted_loans_as_lender: Item<EntrustedLoanAsLenderRow>,
    /// 5 本公司作为借款人的委托贷款.
    pub entrusted_loans_as_borrower: Item<EntrustedLoanAsBorrowerRow>,
    /// 6(1) 本公司为其他单位提供的、以贵行为担保受益人的担保.
    pub guarantees_given: Item<GuaranteeGivenRow>,
    /// 6(2) 贵行向本公司提供的担保.
    pub guarantees_received: Item<GuaranteeReceivedRow>,
    /// 7 本公司为出票人且由贵行承兑而尚未支付的银行承兑汇票.
    pub acceptance_drafts: Item<AcceptanceDraftRow>,
    /// 8 本公司向贵行已贴现而尚未到期的商业汇票.
    pub discounted_notes: Item<DiscountedNoteRow>,
    /// 9 本公司为持票人且由贵行托收的商业汇票.
    pub notes_for_collection: Item<NoteForCollectionRow>,
    /// 10 本公司为申请人、由贵行开具的、未履行完毕的不可撤销信用证.
    pub letters_of_credit: Item<LetterOfCreditRow>,
    /// 11 本公司与贵行之间未履行完毕的外汇买卖合约.
    pub fx_contracts: Item<FxContractRow>,
    /// 12 本公司存放于贵行托管的证券或其他产权文件.
    pub custody: Item<CustodyRow>,
    /// 13 本公司购买的由贵行发行的未到期银行理财产品.
    pub wealth_management: Item<WealthManagementRow>,
    /// 14 其他.
    pub other: OtherItem,
    /// 附表 资金归集（资金池或其他资金管理）账户具体信息.
    pub cash_pooling: Item<CashPoolingRow>,
}

impl Items {
    /// Every item not requested: a starting point for building a letter.
    pub fn not_requested() -> Items {
        Items {
            deposits: Item::NotRequested,
            loans: Item::NotRequested,
            closed_accounts: Item::NotRequested,
            entrusted_loans_as_lender: Item::NotRequested,
            entrusted_loans_as_borrower: Item::NotRequested,
            guarantees_given: Item::NotRequested,
            guarantees_received: Item::NotRequested,
            acceptance_drafts: Item::NotRequested,
            discounted_notes: Item::NotRequested,
            notes_for_collection: Item::NotRequested,
            letters_of_credit: Item::NotRequested,
            fx_contracts: Item::NotRequested,
            custody: Item::NotRequested,
            wealth_management: Item::NotRequested,
            other: OtherItem::NotRequested,
            cash_pooling: Item::NotRequested,
        }
    }

    fn validate(&self, form: Form, period: Option<Period>, total: &mut usize) -> Result<(), ItemsError> {
        self.deposits.validate(form, None, total)?;
        self.loans.validate(form, None, total)?;
        self.closed_accounts.validate(form, period, total)?;
        self.entrusted_loans_as_lender.validate(form, None, total)?;
        self.entrusted_loans_as_borrower.validate(form, None, total)?;
        self.guarantees_given.validate(form, None, total)?;
        self.guarantees_received.validate(form, None, total)?;
        self.acceptance_drafts.validate(form, None, total)?;
        self.discounted_notes.validate(form, None, total)?;
        self.notes_for_collection.validate(form, None, total)?;
        self.letters_of_credit.validate(form, None, total)?;
        self.fx_contracts.validate(form, None, total)?;
        self.custody.validate(form, None, total)?;
        self.wealth_management.validate(form, None, total)?;
        self.cash_pooling.validate(form, None, total)?;
        match (&self.other, form) {
            (OtherItem::NotRequested, _) => Ok(()),
            (OtherItem::Requested { text: Some(t) }, _) => check_text(|| "other".into(), "text", t, LONG),
            (OtherItem::Requested { text: Option::None }, Form::Form2) => Ok(()),
            (OtherItem::Requested { text: Option::None }, _) => {
                Err(ItemsError::FigureMissing { at: "other".into(), field: "text", form: form.name() })
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// The request
// ---------------------------------------------------------------------------------------

/// Where the bank sends its reply (回函地址 and 联系人).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// 联系人.
    pub name: String,
    /// 回函地址.
    pub address: String,
    /// 电话.
    pub phone: String,
    /// 邮编 (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postcode: Option<String>,
    /// 电子邮箱 (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// The letter's body text parameters (CONFIRMATIONS.md §2.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LetterDetails {
    /// The audited company (本公司), as on its specimen seal.
    pub client_name: String,
    /// 统一社会信用代码: 18 characters with a GB 32100-2015 check character.
    pub client_credit_code: String,
    /// 会计师事务所.
    pub audit_firm_name: String,
    /// 年度(或期间), e.g. "2025年度".
    pub period_audited: String,
    /// 审计准则 cited, e.g. "中国注册会计师审计准则".
    pub auditing_standard: String,
    /// 回函地址 and contact.
    pub reply_to: Contact,
    /// 扣费账号 (optional): the account fees may be debited from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee_account: Option<String>,
}

/// A closed date range, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Period {
    /// 起.
    pub from: Date,
    /// 止.
    pub to: Date,
}

/// The 验资 letter's contributions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapitalVerification {
    /// The contributions to confirm, at least one.
    pub contributions: Vec<CapitalContributionRow>,
}

/// The sealed part of a confirmation request.
///
/// The letter number, as-of date (函证基准日) and addressee bank are public envelope
/// fields, not repeated here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestContents {
    /// [`SCHEMA`].
    pub schema: String,
    /// Which standard letter.
    pub form: Form,
    /// The letter's parameters.
    pub letter: LetterDetails,
    /// Item 3's period; present iff item 3 is requested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_accounts_period: Option<Period>,
    /// Items 1–14 and the 附表; present iff the form is `form1` or `form2`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Items>,
    /// The contributions; present iff the form is `capital_verification`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capital_verification: Option<CapitalVerification>,
}

impl RequestContents {
    /// Check every request rule (R-ITEM-1 to R-ITEM-12).
    pub fn validate(&self) -> Result<(), ItemsError> {
        check_schema(&self.schema)?;
        self.letter.validate()?;
        let mut total = 0usize;
        let form = self.form.name();
        match (self.form, &self.items, &self.capital_verification) {
            (Form::Form1 | Form::Form2, Some(items), Option::None) => {
                let requested = !matches!(items.closed_accounts, Item::NotRequested);
                let period = match (requested, self.closed_accounts_period) {
                    (true, Option::None) => {
                        return Err(ItemsError::Period {
                            got: "absent".into(),
                            expected: "a period, since item 3 is requested",
                        });
                    }
                    (false, Some(_)) => {
                        return Err(ItemsError::Period {
                            got: "present".into(),
                            expected: "none, since item 3 is not requested",
                        });
                    }
                    (_, p) => p,
                };
                if let Some(p) = period
                    && p.from > p.to
                {
                    return Err(ItemsError::Period {
                        got: format!("{} to {}", p.from, p.to),
                        expected: "from on or before to",
                    });
                }
                items.validate(self.form, period, &mut total)?;
            }
            (Form::CapitalVerification, Option::None, Some(cv)) => {
                if self.closed_accounts_period.is_some() {
                    return Err(ItemsError::State {
                        item: "closed_accounts_period",
                        got: "present",
                        form,
                        expected: "absent",
                    });
                }
                check_rows(&cv.contributions, Figures::Required, None, "", &mut total)?;
            }
            (Form::CapitalVerification, _, _) => {
                return Err(ItemsError::State {
                    item: "items",
                    got: "a section other than capital_verification",
                    form,
                    expected: "capital_verification only",
                });
            }
            (_, _, _) => {
                return Err(ItemsError::State {
                    item: "capital_verification",
                    got: "a section other than items",
                    form,
                    expected: "items only",
                });
            }
        }
        check_total(total)
    }
}

fn check_total(total: usize) -> Result<(), ItemsError> {
    if total > limits::DOCUMENT_ROWS_MAX {
        return Err(ItemsError::TooManyRowsTotal { got: total, max: limits::DOCUMENT_ROWS_MAX });
    }
    Ok(())
}

fn check_schema(schema: &str) -> Result<(), ItemsError> {
    if schema != SCHEMA {
        return Err(ItemsError::Schema { got: schema.chars().take(64).collect(), expected: SCHEMA });
    }
    Ok(())
}

impl LetterDetails {
    fn validate(&self) -> Result<(), ItemsError> {
        let at = || "letter".to_owned();
        check_text(at, "client_name", &self.client_name, SHORT)?;
        check_credit_code(&self.client_credit_code)?;
        check_text(at, "audit_firm_name", &self.audit_firm_name, SHORT)?;
        check_text(at, "period_audited", &self.period_audited, SHORT)?;
        check_text(at, "auditing_standard", &self.auditing_standard, SHORT)?;
        if let Some(fee) = &self.fee_account {
            check_text(at, "fee_account", fee, ID)?;
        }
        let at = || "letter.reply_to".to_owned();
        let c = &self.reply_to;
        check_text(at, "name", &c.name, SHORT)?;
        check_text(at, "address", &c.address, SHORT)?;
        check_text(at, "phone", &c.phone, ID)?;
        if let Some(p) = &c.postcode {
            check_text(at, "postcode", p, ID)?;
        }
        if let Some(e) = &c.email {
            check_text(at, "email", e, SHORT)?;
        }
        Ok(())
    }
}

/// The 31 characters of a unified social credit code (GB 32100-2015: no I, O, Z, S, V).
const CREDIT_CODE_CHARS: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// R-ITEM-12: 18 characters from `CREDIT_CODE_CHARS`; the last is the check character
/// `c18 = (31 - Σ v(c_i)·3^(i-1) mod 31) mod 31` over the first 17 (GB 32100-2015 §5).
pub fn check_credit_code(code: &str) -> Result<(), ItemsError> {
    let err = |reason: String| ItemsError::CreditCode { got: code.chars().take(32).collect(), reason };
    if code.len() != 18 {
        return Err(err(format!("{} bytes: expected 18 characters", code.len())));
    }
    let mut sum = 0usize;
    let mut weight = 1usize;
    for (i, c) in code.bytes().enumerate() {
        let v = CREDIT_CODE_CHARS.iter().position(|x| *x == c).ok_or_else(|| {
            err(format!("character {} is not allowed: expected digits or A-Y without I, O, S, V, Z", i + 1))
        })?;
        if i < 17 {
            sum += v * weight;
            weight = weight * 3 % 31;
        } else {
            let check = (31 - sum % 31) % 31;
            if v != check {
                let expected = CREDIT_CODE_CHARS.get(check).map_or('?', |b| char::from(*b));
                return Err(err(format!("check character is {}: expected {expected}", char::from(c))));
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The response
// ---------------------------------------------------------------------------------------

/// The bank's overall conclusion (结论).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Conclusion {
    /// 经本行核对，所函证项目与本行记载信息相符。
    Matches,
    /// 经本行核对，存在以下不符之处。
    Differences,
}

/// The bank's answer to one request row. JSON: `{"answer":"agreed","row":0}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "answer", rename_all = "snake_case", deny_unknown_fields)]
pub enum RowAnswer<R> {
    /// The row matches the bank's records.
    Agreed {
        /// Index of the request row.
        row: u32,
    },
    /// The bank's records differ; `bank` is the row as the bank holds it.
    Exception {
        /// Index of the request row.
        row: u32,
        /// The bank's version of the row (all figures present).
        bank: R,
        /// 不符之处: what differs and why.
        explanation: String,
    },
    /// The bank has no such account, loan, note… (a 不符 item).
    NoRecord {
        /// Index of the request row.
        row: u32,
        /// Optional explanation.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        explanation: Option<String>,
    },
}

impl<R> RowAnswer<R> {
    fn row(&self) -> u32 {
        match self {
            RowAnswer::Agreed { row }
            | RowAnswer::Exception { row, .. }
            | RowAnswer::NoRecord { row, .. } => *row,
        }
    }
}

/// The bank's answer to one requested item. JSON: `{"state":"checked","rows":[…]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case", deny_unknown_fields)]
#[serde(bound(deserialize = "R: Deserialize<'de>"))]
pub enum Answer<R> {
    /// Form 1 and 验资: one answer per stated row, plus rows the client did not list.
    Checked {
        /// One answer per request row (none for an item stated as "无").
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        rows: Vec<RowAnswer<R>>,
        /// Rows the bank holds that the client did not list (completeness exceptions).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        unlisted: Vec<R>,
    },
    /// Form 2: the rows as the bank fills them, at least one.
    Filled {
        /// The bank's rows.
        rows: Vec<R>,
    },
    /// Form 2: the bank holds nothing for this item ("无").
    None,
}

/// The bank's text for item 14.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OtherAnswer {
    /// The bank's statement.
    pub text: String,
}

/// Per-item answers; an item is present iff it was requested.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct ItemAnswers {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deposits: Option<Answer<DepositRow>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loans: Option<Answer<LoanRow>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_accounts: Option<Answer<ClosedAccountRow>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entrusted_loans_as_lender: Option<Answer<EntrustedLoanAsLenderRow>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entrusted_loans_as_borrower: Option<Answer<EntrustedLoanAsBorrowerRow>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guarantees_given: Option<Answer<GuaranteeGivenRow>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guarantees_received: Option<Answer<GuaranteeReceivedRow>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acceptance_drafts: Option<Answer<AcceptanceDraftRow>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discounted_notes: Option<Answer<DiscountedNoteRow>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes_for_collection: Option<Answer<NoteForCollectionRow>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub letters_of_credit: Option<Answer<LetterOfCreditRow>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fx_contracts: Option<Answer<FxContractRow>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custody: Option<Answer<CustodyRow>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wealth_management: Option<Answer<WealthManagementRow>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other: Option<OtherAnswer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cash_pooling: Option<Answer<CashPoolingRow>>,
}

/// A bank officer's printed details (their keys are in the envelope).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Officer {
    /// 姓名.
    pub name: String,
    /// 职务/岗位.
    pub position: String,
    /// 电话.
    pub phone: String,
}

/// The sealed part of a bank's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseContents {
    /// [`SCHEMA`].
    pub schema: String,
    /// 结论.
    pub conclusion: Conclusion,
    /// Answers to items 1–14 and the 附表 (forms 1 and 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<ItemAnswers>,
    /// Answer to the contributions (验资).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capital_verification: Option<Answer<CapitalContributionRow>>,
    /// 经办人.
    pub maker: Officer,
    /// 复核人.
    pub checker: Officer,
}

/// Counts while checking an answer.
#[derive(Default)]
struct Tally {
    rows: usize,
    differences: usize,
}

impl<R: Row> Answer<R> {
    fn validate(&self, tally: &mut Tally) -> Result<(), ItemsError> {
        let item = R::KIND.name();
        match self {
            Answer::Checked { rows, unlisted } => {
                if rows.len() > limits::ITEM_ROWS_MAX {
                    return Err(ItemsError::TooManyRows {
                        item,
                        got: rows.len(),
                        max: limits::ITEM_ROWS_MAX,
                    });
                }
                tally.rows = tally.rows.saturating_add(rows.len());
                for (index, answer) in rows.iter().enumerate() {
                    let cx = RowCx {
                        item: R::KIND,
                        index,
                        figures: Figures::Required,
                        period: None,
                        side: "answer ",
                    };
                    match answer {
                        RowAnswer::Agreed { .. } => {}
                        RowAnswer::Exception { bank, explanation, .. } => {
                            tally.differences += 1;
                            bank.validate(&cx)?;
                            cx.text("explanation", explanation, LONG)?;
                        }
                        RowAnswer::NoRecord { explanation, .. } => {
                            tally.differences += 1;
                            cx.opt_text("explanation", explanation, LONG)?;
                        }
                    }
                }
                if !unlisted.is_empty() {
                    tally.differences += unlisted.len();
                    check_rows(unlisted, Figures::Required, None, "unlisted ", &mut tally.rows)?;
                }
                Ok(())
            }
            Answer::Filled { rows } => check_rows(rows, Figures::Required, None, "filled ", &mut tally.rows),
            Answer::None => Ok(()),
        }
    }

    fn state(&self) -> &'static str {
        match self {
            Answer::Checked { .. } => "checked",
            Answer::Filled { .. } => "filled",
            Answer::None => "none",
        }
    }
}

impl ResponseContents {
    /// Check the response on its own (R-ITEM-1, 2, 4, 7, 9–11 on the bank's rows); see
    /// [`check_answer`] for the rules against the request.
    pub fn validate(&self) -> Result<(), ItemsError> {
        self.tally().map(|_| ())
    }

    fn tally(&self) -> Result<Tally, ItemsError> {
        check_schema(&self.schema)?;
        for (at, o) in [("maker", &self.maker), ("checker", &self.checker)] {
            let at = || at.to_owned();
            check_text(at, "name", &o.name, SHORT)?;
            check_text(at, "position", &o.position, SHORT)?;
            check_text(at, "phone", &o.phone, ID)?;
        }
        let mut t = Tally::default();
        if let Some(a) = &self.items {
            macro_rules! each {
                ($($f:ident),*) => { $( if let Some(x) = &a.$f { x.validate(&mut t)?; } )* };
            }
            each!(
                deposits,
                loans,
                closed_accounts,
                entrusted_loans_as_lender,
                entrusted_loans_as_borrower,
                guarantees_given,
                guarantees_received,
                acceptance_drafts,
                discounted_notes,
                notes_for_collection,
                letters_of_credit,
                fx_contracts,
                custody,
                wealth_management,
                cash_pooling
            );
            if let Some(o) = &a.other {
                check_text(|| "other".into(), "text", &o.text, LONG)?;
            }
        }
        if let Some(cv) = &self.capital_verification {
            cv.validate(&mut t)?;
        }
        check_total(t.rows)?;
        Ok(t)
    }
}

/// R-ITEM-20 to R-ITEM-25 for one item.
fn check_item<R: Row>(
    form: Form,
    stated: Option<&[R]>,
    answer: Option<&Answer<R>>,
) -> Result<(), ItemsError> {
    let item = R::KIND.name();
    let (stated, answer) = match (stated, answer) {
        (Option::None, Option::None) => return Ok(()),
        (Option::None, Some(_)) => return Err(ItemsError::NotRequested { item }),
        (Some(_), Option::None) => return Err(ItemsError::Unanswered { item }),
        (Some(s), Some(a)) => (s, a),
    };
    match (form, answer) {
        (Form::Form1 | Form::CapitalVerification, Answer::Checked { rows, .. }) => {
            let mut seen = BTreeSet::new();
            for a in rows {
                let row = a.row();
                if usize::try_from(row).map_or(true, |r| r >= stated.len()) {
                    return Err(ItemsError::RowRange { item, got: row, rows: stated.len() });
                }
                if !seen.insert(row) {
                    return Err(ItemsError::RowTwice { item, row });
                }
            }
            if seen.len() != stated.len() {
                let row = (0..stated.len()).find(|i| u32::try_from(*i).map_or(true, |i| !seen.contains(&i)));
                return Err(ItemsError::RowUnanswered { item, row: row.unwrap_or(0) });
            }
            Ok(())
        }
        (Form::Form2, Answer::Filled { .. } | Answer::None) => Ok(()),
        (form, a) => Err(ItemsError::AnswerKind {
            item,
            got: a.state(),
            form: form.name(),
            expected: if form == Form::Form2 { "filled or none" } else { "checked" },
        }),
    }
}

/// Check that `response` answers `request` exactly (R-ITEM-20 to R-ITEM-26).
///
/// Both are validated first. Every requested item must be answered and no other; form 1
/// and 验资 answer each stated row exactly once by index; form 2 answers each requested
/// item with `filled` rows or `none`. In form 1 and 验资 the conclusion is `matches` iff
/// there is no exception, no_record or unlisted row; in form 2 it is not constrained (the
/// bank states the figures itself, so nothing can differ from a stated figure).
pub fn check_answer(request: &RequestContents, response: &ResponseContents) -> Result<(), ItemsError> {
    request.validate()?;
    let tally = response.tally()?;
    let form = request.form;
    let empty = ItemAnswers::default();
    match (&request.items, &request.capital_verification) {
        (Some(items), _) => {
            if response.capital_verification.is_some() {
                return Err(ItemsError::NotRequested { item: ItemKind::CapitalVerification.name() });
            }
            let a = response.items.as_ref().unwrap_or(&empty);
            check_item(form, items.deposits.stated(), a.deposits.as_ref())?;
            check_item(form, items.loans.stated(), a.loans.as_ref())?;
            check_item(form, items.closed_accounts.stated(), a.closed_accounts.as_ref())?;
            check_item(form, items.entrusted_loans_as_lender.stated(), a.entrusted_loans_as_lender.as_ref())?;
            check_item(
                form,
                items.entrusted_loans_as_borrower.stated(),
                a.entrusted_loans_as_borrower.as_ref(),
            )?;
            check_item(form, items.guarantees_given.stated(), a.guarantees_given.as_ref())?;
            check_item(form, items.guarantees_received.stated(), a.guarantees_received.as_ref())?;
            check_item(form, items.acceptance_drafts.stated(), a.acceptance_drafts.as_ref())?;
            check_item(form, items.discounted_notes.stated(), a.discounted_notes.as_ref())?;
            check_item(form, items.notes_for_collection.stated(), a.notes_for_collection.as_ref())?;
            check_item(form, items.letters_of_credit.stated(), a.letters_of_credit.as_ref())?;
            check_item(form, items.fx_contracts.stated(), a.fx_contracts.as_ref())?;
            check_item(form, items.custody.stated(), a.custody.as_ref())?;
            check_item(form, items.wealth_management.stated(), a.wealth_management.as_ref())?;
            check_item(form, items.cash_pooling.stated(), a.cash_pooling.as_ref())?;
            match (&items.other, &a.other) {
                (OtherItem::NotRequested, Some(_)) => {
                    return Err(ItemsError::NotRequested { item: ItemKind::Other.name() });
                }
                (OtherItem::Requested { .. }, Option::None) => {
                    return Err(ItemsError::Unanswered { item: ItemKind::Other.name() });
                }
                _ => {}
            }
        }
        (Option::None, cv) => {
            if response.items.is_some() {
                return Err(ItemsError::NotRequested { item: "items" });
            }
            check_item(
                form,
                cv.as_ref().map(|c| c.contributions.as_slice()),
                response.capital_verification.as_ref(),
            )?;
        }
    }
    if form != Form::Form2 {
        let (got, expected) = match (response.conclusion, tally.differences) {
            (Conclusion::Matches, 0) | (Conclusion::Differences, 1..) => return Ok(()),
            (Conclusion::Matches, _) => ("matches", "differences"),
            (Conclusion::Differences, _) => ("differences", "matches"),
        };
        return Err(ItemsError::Conclusion { got, differences: tally.differences, expected });
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Differences, for the auditor's exception workflow
// ---------------------------------------------------------------------------------------

/// Which row a difference is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DifferenceRow {
    /// A request row, by index.
    Stated(u32),
    /// The n-th unlisted row of the answer.
    Unlisted(usize),
}

/// One line of the sent-versus-replied comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// The item.
    pub item: ItemKind,
    /// The row.
    pub row: DifferenceRow,
    /// The column that differs; `None` for a whole row (no_record, unlisted).
    pub field: Option<String>,
    /// The value the request stated (JSON text of the column), if any.
    pub stated: Option<String>,
    /// The value the bank gave, if any.
    pub bank: Option<String>,
    /// The bank's explanation, if any.
    pub explanation: Option<String>,
}

impl Serialize for ItemKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

fn columns<R: Serialize>(row: &R) -> std::collections::BTreeMap<String, serde_json::Value> {
    match serde_json::to_value(row) {
        Ok(serde_json::Value::Object(map)) => map.into_iter().collect(),
        _ => std::collections::BTreeMap::new(),
    }
}

fn show(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Whether two column values differ in value (amounts compared numerically).
fn differ(a: Option<&serde_json::Value>, b: Option<&serde_json::Value>) -> bool {
    if let (Some(serde_json::Value::String(x)), Some(serde_json::Value::String(y))) = (a, b)
        && let (Ok(x), Ok(y)) = (Amount::parse(x), Amount::parse(y))
    {
        return !x.value_eq(&y);
    }
    a != b
}

fn item_differences<R: Row>(stated: Option<&[R]>, answer: Option<&Answer<R>>, out: &mut Vec<Difference>) {
    let (Some(stated), Some(Answer::Checked { rows, unlisted })) = (stated, answer) else {
        return;
    };
    let item = R::KIND;
    for a in rows {
        match a {
            RowAnswer::Agreed { .. } => {}
            RowAnswer::NoRecord { row, explanation } => out.push(Difference {
                item,
                row: DifferenceRow::Stated(*row),
                field: None,
                stated: None,
                bank: None,
                explanation: explanation.clone(),
            }),
            RowAnswer::Exception { row, bank, explanation } => {
                let ours =
                    usize::try_from(*row).ok().and_then(|i| stated.get(i)).map(columns).unwrap_or_default();
                let theirs = columns(bank);
                let fields: BTreeSet<&String> = ours.keys().chain(theirs.keys()).collect();
                for f in fields {
                    let (a, b) = (ours.get(f), theirs.get(f));
                    if differ(a, b) {
                        out.push(Difference {
                            item,
                            row: DifferenceRow::Stated(*row),
                            field: Some(f.clone()),
                            stated: a.map(show),
                            bank: b.map(show),
                            explanation: Some(explanation.clone()),
                        });
                    }
                }
            }
        }
    }
    for (i, _) in unlisted.iter().enumerate() {
        out.push(Difference {
            item,
            row: DifferenceRow::Unlisted(i),
            field: None,
            stated: None,
            bank: None,
            explanation: None,
        });
    }
}

/// List every difference between a form-1 or 验资 request and its answer, column by
/// column, in item order. Amounts are compared by value (`100.5` = `100.50`). Call
/// [`check_answer`] first; on a mismatched pair the list is partial.
pub fn differences(request: &RequestContents, response: &ResponseContents) -> Vec<Difference> {
    let mut out = vec![];
    if let (Some(i), Some(a)) = (&request.items, &response.items) {
        item_differences(i.deposits.stated(), a.deposits.as_ref(), &mut out);
        item_differences(i.loans.stated(), a.loans.as_ref(), &mut out);
        item_differences(i.closed_accounts.stated(), a.closed_accounts.as_ref(), &mut out);
        item_differences(
            i.entrusted_loans_as_lender.stated(),
            a.entrusted_loans_as_lender.as_ref(),
            &mut out,
        );
        item_differences(
            i.entrusted_loans_as_borrower.stated(),
            a.entrusted_loans_as_borrower.as_ref(),
            &mut out,
        );
        item_differences(i.guarantees_given.stated(), a.guarantees_given.as_ref(), &mut out);
        item_differences(i.guarantees_received.stated(), a.guarantees_received.as_ref(), &mut out);
        item_differences(i.acceptance_drafts.stated(), a.acceptance_drafts.as_ref(), &mut out);
        item_differences(i.discounted_notes.stated(), a.discounted_notes.as_ref(), &mut out);
        item_differences(i.notes_for_collection.stated(), a.notes_for_collection.as_ref(), &mut out);
        item_differences(i.letters_of_credit.stated(), a.letters_of_credit.as_ref(), &mut out);
        item_differences(i.fx_contracts.stated(), a.fx_contracts.as_ref(), &mut out);
        item_differences(i.custody.stated(), a.custody.as_ref(), &mut out);
        item_differences(i.wealth_management.stated(), a.wealth_management.as_ref(), &mut out);
        item_differences(i.cash_pooling.stated(), a.cash_pooling.as_ref(), &mut out);
    }
    if let (Some(cv), Some(a)) = (&request.capital_verification, &response.capital_verification) {
        item_differences(Some(cv.contributions.as_slice()), Some(a), &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canonical::{from_canonical, to_canonical};
    use proptest::prelude::*;

    const MAX: usize = limits::ENVELOPE_BYTES_MAX;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }
    fn amt(s: &str) -> Amount {
        Amount::parse(s).unwrap()
    }

    fn deposit(number: &str, balance: &str) -> DepositRow {
        DepositRow {
            account_name: "杭州示例科技有限公司".into(),
            account_number: number.into(),
            currency: Currency::CNY,
            rate: Some(Rate::parse("0.2").unwrap()),
            account_type: Some("基本存款账户".into()),
            balance: Some(amt(balance)),
            cash_pooling: Some(false),
            cash_pooling_detail: None,
            start_date: None,
            end_date: None,
            restricted: Some(false),
            restriction_detail: None,
            remarks: None,
        }
    }

    fn loan() -> LoanRow {
        LoanRow {
            borrower_name: "杭州示例科技有限公司".into(),
            account_number: "3301040160000123".into(),
            currency: Currency::CNY,
            balance: Some(amt("5000000.00")),
            loan_date: Some(d("2025-03-20")),
            due_date: Some(d("2026-03-19")),
            rate: Some(Rate::parse("3.45").unwrap()),
            collateral: Some("保证：杭州示例控股有限公司".into()),
            remarks: None,
        }
    }

    fn letter() -> LetterDetails {
        LetterDetails {
            client_name: "杭州示例科技有限公司".into(),
            client_credit_code: "9144030071526726XG".into(),
            audit_firm_name: "示例会计师事务所（特殊普通合伙）".into(),
            period_audited: "2025年度".into(),
            auditing_standard: "中国注册会计师审计准则".into(),
            reply_to: Contact {
                name: "王审计".into(),
                address: "浙江省杭州市西湖区示例路1号".into(),
                phone: "0571-88880000".into(),
                postcode: Some("310000".into()),
                email: None,
            },
            fee_account: Some("1202020209000012345".into()),
        }
    }

    /// A realistic form-1 request: deposits (two accounts, one time deposit pledged),
    /// a loan, closed accounts, item 7 "无", item 14 text, the rest struck through.
    fn form1() -> RequestContents {
        let mut time_deposit = deposit("1202020214000098765", "2000000.00");
        time_deposit.account_type = Some("定期存款".into());
        time_deposit.rate = Some(Rate::parse("1.45").unwrap());
        time_deposit.start_date = Some(d("2025-06-30"));
        time_deposit.end_date = Some(d("2026-06-30"));
        time_deposit.restricted = Some(true);
        time_deposit.restriction_detail = Some("质押，担保本公司银行承兑汇票".into());
        let mut items = Items::not_requested();
        items.deposits = Item::rows(vec![deposit("1202020209000012345", "1234567.89"), time_deposit]);
        items.loans = Item::rows(vec![loan()]);
        items.closed_accounts = Item::rows(vec![ClosedAccountRow {
            account_name: "杭州示例科技有限公司".into(),
            account_number: "1202020209000055555".into(),
            currency: Currency::USD,
            closed_on: Some(d("2025-08-15")),
        }]);
        items.acceptance_drafts = Item::none();
        items.cash_pooling = Item::none();
        items.other = OtherItem::Requested { text: Some("无".into()) };
        RequestContents {
            schema: SCHEMA.into(),
            form: Form::Form1,
            letter: letter(),
            closed_accounts_period: Some(Period { from: d("2025-01-01"), to: d("2025-12-31") }),
            items: Some(items),
            capital_verification: None,
        }
    }

    fn officer(name: &str) -> Officer {
        Officer { name: name.into(), position: "函证中心".into(), phone: "0571-87650000".into() }
    }

    fn agreed(n: u32) -> Vec<RowAnswer<DepositRow>> {
        (0..n).map(|row| RowAnswer::Agreed { row }).collect()
    }

    fn matching_answer() -> ResponseContents {
        ResponseContents {
            schema: SCHEMA.into(),
            conclusion: Conclusion::Matches,
            items: Some(ItemAnswers {
                deposits: Some(Answer::Checked { rows: agreed(2), unlisted: vec![] }),
                loans: Some(Answer::Checked { rows: vec![RowAnswer::Agreed { row: 0 }], unlisted: vec![] }),
                closed_accounts: Some(Answer::Checked {
                    rows: vec![RowAnswer::Agreed { row: 0 }],
                    unlisted: vec![],
                }),
                acceptance_drafts: Some(Answer::Checked { rows: vec![], unlisted: vec![] }),
                cash_pooling: Some(Answer::Checked { rows: vec![], unlisted: vec![] }),
                other: Some(OtherAnswer { text: "无".into() }),
                ..ItemAnswers::default()
            }),
            capital_verification: None,
            maker: officer("李经办"),
            checker: officer("张复核"),
        }
    }

    fn items_mut(r: &mut RequestContents) -> &mut Items {
        r.items.as_mut().unwrap()
    }

    #[test]
    fn form1_roundtrips_canonically() {
        let req = form1();
        req.validate().unwrap();
        let bytes = to_canonical(&req);
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.contains(r#""deposits":{"completeness":"除上述列示的银行存款"#), "{text}");
        assert!(text.contains(r#""entrusted_loans_as_lender":{"state":"not_requested"}"#));
        assert!(text.contains(r#""balance":"1234567.89""#));
        assert!(!text.contains("null"));
        let back: RequestContents = from_canonical("request", &bytes, MAX).unwrap();
        assert_eq!(back, req);

        let resp = matching_answer();
        let bytes = to_canonical(&resp);
        assert!(
            String::from_utf8(bytes.clone()).unwrap().contains(r#""acceptance_drafts":{"state":"checked"}"#)
        );
        assert_eq!(from_canonical::<ResponseContents>("response", &bytes, MAX).unwrap(), resp);
    }

    #[test]
    fn unknown_fields_refused() {
        let text = String::from_utf8(to_canonical(&form1())).unwrap();
        for (from, to) in [
            (r#""account_name":"#, r#""account_nickname":"x","account_name":"#),
            (r#""form":"form1""#, r#""extra":1,"form":"form1""#),
            (r#"{"state":"not_requested"}"#, r#"{"rows":[],"state":"not_requested"}"#),
            (r#""form":"form1""#, r#""form":"form3""#),
            (r#""currency":"CNY""#, r#""currency":"ABC""#),
            (r#""currency":"CNY""#, r#""currency":"cny""#),
            (r#""balance":"1234567.89""#, r#""balance":1234567.89"#),
            (r#""balance":"1234567.89""#, r#""balance":null"#),
        ] {
            let bad = text.replacen(from, to, 1);
            assert_ne!(bad, text);
            assert!(from_canonical::<RequestContents>("request", bad.as_bytes(), MAX).is_err(), "{to}");
        }
        let resp = String::from_utf8(to_canonical(&matching_answer())).unwrap();
        let bad =
            resp.replacen(r#"{"answer":"agreed","row":0}"#, r#"{"answer":"agreed","note":"x","row":0}"#, 1);
        assert!(from_canonical::<ResponseContents>("response", bad.as_bytes(), MAX).is_err());
    }

    #[test]
    fn completeness_sentence_enforced() {
        let mut r = form1();
        items_mut(&mut r).loans = Item::Rows {
            rows: vec![loan()],
            completeness: Some("除上述列示的银行借款外，本公司并无其他借款。".into()),
        };
        assert!(matches!(r.validate(), Err(ItemsError::Completeness { item: "loans", .. })));
        items_mut(&mut r).loans = Item::Rows { rows: vec![loan()], completeness: None };
        assert!(matches!(r.validate(), Err(ItemsError::Completeness { .. })));
        let mut r = form1();
        items_mut(&mut r).cash_pooling = Item::None { completeness: Some("x".into()) };
        assert!(matches!(
            r.validate(),
            Err(ItemsError::Completeness { item: "cash_pooling", expected: None, .. })
        ));
        assert_eq!(COMPLETENESS_SENTENCES.len(), 14);
        assert!(ItemKind::Other.completeness().is_none());
        let msg =
            ItemsError::Completeness { item: "loans", got: None, expected: ItemKind::Loans.completeness() }
                .to_string();
        assert!(msg.starts_with("R-ITEM-3: loans"), "{msg}");
    }

    #[test]
    fn figures_by_form() {
        let mut r = form1();
        if let Item::Rows { rows, .. } = &mut items_mut(&mut r).deposits {
            rows[1].balance = None;
        }
        let e = r.validate().unwrap_err();
        assert_eq!(e.to_string(), "R-ITEM-4: deposits row 1: balance is required in form 1");

        // Form 2: rows carry keys only; figures present are refused.
        let mut r = form1();
        r.form = Form::Form2;
        assert!(matches!(
            r.validate(),
            Err(ItemsError::FigurePresent { .. }) | Err(ItemsError::State { .. })
        ));
        let items = items_mut(&mut r);
        let mut key_only = deposit("1202020209000012345", "0");
        key_only.balance = None;
        key_only.cash_pooling = None;
        key_only.restricted = None;
        items.deposits = Item::rows(vec![key_only.clone()]);
        items.loans = Item::requested();
        items.closed_accounts = Item::requested();
        items.acceptance_drafts = Item::requested();
        items.cash_pooling = Item::requested();
        items.other = OtherItem::Requested { text: None };
        r.validate().unwrap();
        let mut with_balance = key_only.clone();
        with_balance.balance = Some(amt("1"));
        items_mut(&mut r).deposits = Item::rows(vec![with_balance]);
        assert!(matches!(r.validate(), Err(ItemsError::FigurePresent { field: "balance", .. })));
        items_mut(&mut r).deposits = Item::none();
        assert!(matches!(r.validate(), Err(ItemsError::State { got: "none", .. })));
        // `requested` is form 2 only.
        let mut r = form1();
        items_mut(&mut r).loans = Item::requested();
        assert!(matches!(r.validate(), Err(ItemsError::State { got: "requested", .. })));
    }

    #[test]
    fn closed_accounts_period() {
        let mut r = form1();
        r.closed_accounts_period = None;
        assert!(matches!(r.validate(), Err(ItemsError::Period { .. })));
        let mut r = form1();
        r.closed_accounts_period = Some(Period { from: d("2025-12-31"), to: d("2025-01-01") });
        assert!(matches!(r.validate(), Err(ItemsError::Period { .. })));
        let mut r = form1();
        r.closed_accounts_period = Some(Period { from: d("2025-09-01"), to: d("2025-12-31") });
        assert!(matches!(r.validate(), Err(ItemsError::ClosedOutsidePeriod { .. })));
        let mut r = form1();
        items_mut(&mut r).closed_accounts = Item::NotRequested;
        assert!(matches!(r.validate(), Err(ItemsError::Period { .. })), "period without item 3");
        r.closed_accounts_period = None;
        r.validate().unwrap();
    }

    #[test]
    fn row_limits_and_texts() {
        let mut r = form1();
        items_mut(&mut r).deposits = Item::rows(vec![deposit("1", "1"); limits::ITEM_ROWS_MAX + 1]);
        assert!(matches!(r.validate(), Err(ItemsError::TooManyRows { .. })));
        let mut r = form1();
        let items = items_mut(&mut r);
        items.deposits = Item::rows(vec![deposit("1", "1"); limits::ITEM_ROWS_MAX]);
        items.custody = Item::rows(vec![
            CustodyRow {
                name: "国债".into(),
                code: "019547".into(),
                quantity: Some(Quantity::parse("100").unwrap()),
                currency: Currency::CNY,
                amount: Some(amt("10000")),
            };
            limits::ITEM_ROWS_MAX
        ]);
        items.guarantees_given = Item::rows(vec![
            GuaranteeGivenRow {
                guaranteed_party: "子公司".into(),
                guarantee_type: "保证".into(),
                currency: Currency::CNY,
                balance: Some(amt("1")),
                due_date: Some(d("2026-01-01")),
                contract_number: "BZ-1".into(),
                remarks: None,
            };
            limits::ITEM_ROWS_MAX
        ]);
        items.loans = Item::rows(vec![loan(); limits::ITEM_ROWS_MAX]);
        assert!(matches!(r.validate(), Err(ItemsError::TooManyRowsTotal { .. })));
        let mut r = form1();
        items_mut(&mut r).loans =
            Item::Rows { rows: vec![], completeness: ItemKind::Loans.completeness().map(Into::into) };
        assert!(matches!(r.validate(), Err(ItemsError::EmptyRows { .. })));
        let mut r = form1();
        r.letter.client_name = "x".repeat(limits::TEXT_SHORT_BYTES_MAX + 1);
        assert!(matches!(r.validate(), Err(ItemsError::TextLength { .. })));
        r.letter.client_name = String::new();
        assert!(matches!(r.validate(), Err(ItemsError::TextLength { .. })));
        r.letter.client_name = "a\nb".into();
        assert!(matches!(r.validate(), Err(ItemsError::TextControl { .. })));
        let mut r = form1();
        r.schema = "cn-bank-confirmation-2024".into();
        assert!(matches!(r.validate(), Err(ItemsError::Schema { .. })));
    }

    #[test]
    fn flags_need_details() {
        let mut r = form1();
        if let Item::Rows { rows, .. } = &mut items_mut(&mut r).deposits {
            rows[1].restriction_detail = None;
        }
        assert!(matches!(r.validate(), Err(ItemsError::FlagDetail { flag: "restricted", value: true, .. })));
        let mut r = form1();
        if let Item::Rows { rows, .. } = &mut items_mut(&mut r).deposits {
            rows[0].cash_pooling_detail = Some("归集".into());
        }
        assert!(matches!(
            r.validate(),
            Err(ItemsError::FlagDetail { flag: "cash_pooling", value: false, .. })
        ));
        let mut r = form1();
        if let Item::Rows { rows, .. } = &mut items_mut(&mut r).deposits {
            rows[1].start_date = Some(d("2026-07-01"));
        }
        assert!(matches!(r.validate(), Err(ItemsError::DateOrder { .. })));
        let mut r = form1();
        if let Item::Rows { rows, .. } = &mut items_mut(&mut r).loans {
            rows[0].balance = Some(amt("-1"));
        }
        assert!(matches!(r.validate(), Err(ItemsError::Money { .. })));
        // Cash-pooling balances are signed: inflow negative.
        let mut r = form1();
        items_mut(&mut r).cash_pooling = Item::rows(vec![CashPoolingRow {
            provider_name: "杭州示例控股有限公司".into(),
            provider_account_number: "1202020209000099999".into(),
            user_name: "杭州示例科技有限公司".into(),
            user_account_number: "1202020209000012345".into(),
            currency: Currency::CNY,
            balance: Some(amt("-3000000.00")),
            remarks: None,
        }]);
        r.validate().unwrap();
    }

    #[test]
    fn credit_codes() {
        for good in ["9144030071526726XG", "91350100M000100Y43"] {
            check_credit_code(good).unwrap();
        }
        for bad in [
            "9144030071526726XH",
            "9144030071526726X",
            "9144030071526726XGG",
            "9144030071526726xg",
            "91440300715267I6XG",
        ] {
            assert!(check_credit_code(bad).is_err(), "{bad}");
        }
        let mut r = form1();
        r.letter.client_credit_code = "911100001000015830".into();
        assert!(matches!(r.validate(), Err(ItemsError::CreditCode { .. })));
    }

    #[test]
    fn capital_verification_section() {
        let row = CapitalContributionRow {
            payer: "张三".into(),
            account_number: "1202020209000077777".into(),
            currency: Currency::CNY,
            amount: Some(amt("1000000")),
            date: Some(d("2026-01-05")),
            method: "货币资金转账".into(),
        };
        let req = RequestContents {
            schema: SCHEMA.into(),
            form: Form::CapitalVerification,
            letter: letter(),
            closed_accounts_period: None,
            items: None,
            capital_verification: Some(CapitalVerification { contributions: vec![row.clone()] }),
        };
        req.validate().unwrap();
        let mut bad = req.clone();
        bad.items = Some(Items::not_requested());
        assert!(matches!(bad.validate(), Err(ItemsError::State { .. })));
        let mut bad = form1();
        bad.capital_verification = req.capital_verification.clone();
        assert!(matches!(bad.validate(), Err(ItemsError::State { .. })));

        let mut resp = matching_answer();
        resp.items = None;
        resp.capital_verification =
            Some(Answer::Checked { rows: vec![RowAnswer::Agreed { row: 0 }], unlisted: vec![] });
        check_answer(&req, &resp).unwrap();
        let mut other = row;
        other.amount = Some(amt("900000"));
        resp.capital_verification = Some(Answer::Checked {
            rows: vec![RowAnswer::Exception { row: 0, bank: other, explanation: "实缴90万元".into() }],
            unlisted: vec![],
        });
        assert!(matches!(check_answer(&req, &resp), Err(ItemsError::Conclusion { .. })));
        resp.conclusion = Conclusion::Differences;
        check_answer(&req, &resp).unwrap();
        let diffs = differences(&req, &resp);
        assert_eq!(diffs.len(), 1);
        assert_eq!(diffs[0].field.as_deref(), Some("amount"));
        assert_eq!(diffs[0].stated.as_deref(), Some("1000000"));
        assert_eq!(diffs[0].bank.as_deref(), Some("900000"));
    }

    #[test]
    fn check_answer_accepts_and_refuses() {
        let req = form1();
        check_answer(&req, &matching_answer()).unwrap();
        assert!(differences(&req, &matching_answer()).is_empty());

        let with = |f: &dyn Fn(&mut ItemAnswers)| {
            let mut r = matching_answer();
            f(r.items.as_mut().unwrap());
            r
        };
        // R-ITEM-20 / 21.
        let r = with(&|a| a.loans = None);
        assert_eq!(check_answer(&req, &r), Err(ItemsError::Unanswered { item: "loans" }));
        let r = with(&|a| a.custody = Some(Answer::Checked { rows: vec![], unlisted: vec![] }));
        assert_eq!(check_answer(&req, &r), Err(ItemsError::NotRequested { item: "custody" }));
        let r = with(&|a| a.other = None);
        assert_eq!(check_answer(&req, &r), Err(ItemsError::Unanswered { item: "other" }));
        // R-ITEM-22 / 23 / 24.
        let r = with(&|a| a.deposits = Some(Answer::Checked { rows: agreed(3), unlisted: vec![] }));
        assert!(matches!(check_answer(&req, &r), Err(ItemsError::RowRange { got: 2, rows: 2, .. })));
        let r = with(&|a| {
            a.deposits = Some(Answer::Checked {
                rows: vec![RowAnswer::Agreed { row: 0 }, RowAnswer::Agreed { row: 0 }],
                unlisted: vec![],
            })
        });
        assert!(matches!(check_answer(&req, &r), Err(ItemsError::RowTwice { row: 0, .. })));
        let r = with(&|a| a.deposits = Some(Answer::Checked { rows: agreed(1), unlisted: vec![] }));
        assert!(matches!(check_answer(&req, &r), Err(ItemsError::RowUnanswered { row: 1, .. })));
        // R-ITEM-25: filled is form 2 only.
        let r = with(&|a| a.acceptance_drafts = Some(Answer::None));
        assert!(matches!(check_answer(&req, &r), Err(ItemsError::AnswerKind { .. })));
        // R-ITEM-26: an unlisted account (completeness exception) needs `differences`.
        let r = with(&|a| {
            a.deposits = Some(Answer::Checked {
                rows: agreed(2),
                unlisted: vec![deposit("1202020209000066666", "0.00")],
            })
        });
        assert!(matches!(check_answer(&req, &r), Err(ItemsError::Conclusion { differences: 1, .. })));
        let mut r = r;
        r.conclusion = Conclusion::Differences;
        check_answer(&req, &r).unwrap();
        assert_eq!(differences(&req, &r)[0].row, DifferenceRow::Unlisted(0));
        // An exception: the bank's balance differs; the spelling-only difference in the
        // rate (0.2 vs 0.20) is not reported.
        let mut bank = deposit("1202020209000012345", "1234000.00");
        bank.rate = Some(Rate::parse("0.20").unwrap());
        let mut r = with(&|a| {
            a.deposits = Some(Answer::Checked {
                rows: vec![
                    RowAnswer::Exception { row: 0, bank: bank.clone(), explanation: "余额不符".into() },
                    RowAnswer::NoRecord { row: 1, explanation: None },
                ],
                unlisted: vec![],
            })
        });
        assert!(matches!(check_answer(&req, &r), Err(ItemsError::Conclusion { differences: 2, .. })));
        r.conclusion = Conclusion::Differences;
        check_answer(&req, &r).unwrap();
        let diffs = differences(&req, &r);
        assert_eq!(diffs.len(), 2, "{diffs:?}");
        assert_eq!(diffs[0].field.as_deref(), Some("balance"));
        assert_eq!(diffs[1].row, DifferenceRow::Stated(1));
        // A bank row must carry its figures.
        let mut incomplete = bank.clone();
        incomplete.balance = None;
        let r = with(&|a| {
            a.deposits = Some(Answer::Checked {
                rows: vec![
                    RowAnswer::Exception { row: 0, bank: incomplete.clone(), explanation: "x".into() },
                    RowAnswer::Agreed { row: 1 },
                ],
                unlisted: vec![],
            })
        });
        assert!(matches!(check_answer(&req, &r), Err(ItemsError::FigureMissing { .. })));
        // A matches conclusion with no differences but a missing maker name is refused.
        let mut r = matching_answer();
        r.maker.name = String::new();
        assert!(matches!(check_answer(&req, &r), Err(ItemsError::TextLength { .. })));
    }

    #[test]
    fn check_answer_form2() {
        let mut req = form1();
        req.form = Form::Form2;
        let items = items_mut(&mut req);
        items.deposits = Item::requested();
        items.loans = Item::requested();
        items.closed_accounts = Item::requested();
        items.acceptance_drafts = Item::requested();
        items.cash_pooling = Item::requested();
        req.validate().unwrap();
        let mut resp = matching_answer();
        let a = resp.items.as_mut().unwrap();
        a.deposits = Some(Answer::Filled { rows: vec![deposit("1202020209000012345", "1234567.89")] });
        a.loans = Some(Answer::Filled { rows: vec![loan()] });
        a.closed_accounts = Some(Answer::None);
        a.acceptance_drafts = Some(Answer::None);
        a.cash_pooling = Some(Answer::None);
        check_answer(&req, &resp).unwrap();
        resp.items.as_mut().unwrap().loans = Some(Answer::Checked { rows: vec![], unlisted: vec![] });
        assert!(matches!(check_answer(&req, &resp), Err(ItemsError::AnswerKind { .. })));
        resp.items.as_mut().unwrap().loans = Some(Answer::Filled { rows: vec![] });
        assert!(matches!(check_answer(&req, &resp), Err(ItemsError::EmptyRows { .. })));
    }

    fn arb_text() -> impl Strategy<Value = String> {
        "[a-zA-Z0-9 银行存款账户有限公司]{1,40}"
    }
    fn arb_amount() -> impl Strategy<Value = Amount> {
        (0u64..1_000_000_000_000, proptest::option::of("[0-9]{1,2}")).prop_map(|(i, f)| match f {
            Some(f) => amt(&format!("{i}.{f}")),
            None => amt(&i.to_string()),
        })
    }
    fn arb_date() -> impl Strategy<Value = Date> {
        (2000u32..2040, 1u32..13, 1u32..29).prop_map(|(y, m, dd)| d(&format!("{y:04}-{m:02}-{dd:02}")))
    }
    fn arb_deposit() -> impl Strategy<Value = DepositRow> {
        (
            arb_text(),
            "[0-9]{8,30}",
            proptest::sample::select(CURRENCY_SAMPLE.to_vec()),
            proptest::option::of(
                (0u32..1000).prop_map(|r| Rate::parse(&format!("{}.{:02}", r / 100, r % 100)).unwrap()),
            ),
            arb_amount(),
            proptest::option::of(arb_text()),
            proptest::option::of(arb_text()),
            arb_date(),
        )
            .prop_map(|(name, number, cur, rate, balance, pooled, restriction, start)| DepositRow {
                account_name: name,
                account_number: number,
                currency: Currency::parse(cur).unwrap(),
                rate,
                account_type: None,
                balance: Some(balance),
                cash_pooling: Some(pooled.is_some()),
                cash_pooling_detail: pooled,
                start_date: Some(start),
                end_date: None,
                restricted: Some(restriction.is_some()),
                restriction_detail: restriction,
                remarks: None,
            })
    }
    const CURRENCY_SAMPLE: [&str; 6] = ["CNY", "USD", "EUR", "HKD", "JPY", "GBP"];

    proptest! {
        #[test]
        fn generated_rows_roundtrip(rows in proptest::collection::vec(arb_deposit(), 1..20)) {
            let mut r = form1();
            items_mut(&mut r).deposits = Item::rows(rows);
            r.validate().unwrap();
            let bytes = to_canonical(&r);
            let back: RequestContents = from_canonical("request", &bytes, MAX).unwrap();
            prop_assert_eq!(&back, &r);
            back.validate().unwrap();
        }
    }
}

/// A client's identity, sealed in its enrollment for the bank and, by policy, the
/// regulators (`documents::ClientEnroll::identity`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientIdentity {
    /// Legal name (e.g. `上海示例实业有限公司`).
    pub name: String,
    /// Unified social credit code (统一社会信用代码), 18 characters with its check character.
    pub credit_code: String,
}

impl ClientIdentity {
    /// Check the name's length (R-ITEM-2) and the credit code.
    pub fn validate(&self) -> Result<(), ItemsError> {
        if self.name.is_empty() || self.name.len() > crate::limits::TEXT_SHORT_BYTES_MAX {
            return Err(ItemsError::TextLength {
                at: "client identity".into(),
                field: "name",
                got: self.name.len(),
                max: crate::limits::TEXT_SHORT_BYTES_MAX,
            });
        }
        check_credit_code(&self.credit_code)
    }
}
