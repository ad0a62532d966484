//! Parse and compare money amounts, rates, quantities and currency codes as exact decimals.
//!
//! Figures in a confirmation are legal statements: `100.50` must never become
//! `100.49999999`. Every figure therefore travels as a JSON *string* in one spelling
//! (no exponent, no `+`, no leading zeros, no trailing `.`), and is compared through a
//! scaled `i128`, never a float (`docs/PROTOCOL.md` §9 §Value formats).
//!
//! # Terminology
//!
//! - *Amount*: a signed decimal with at most 18 integer and 6 fraction digits, in the
//!   currency stated beside it. `-0` in any spelling is refused.
//! - *Rate*: a non-negative interest rate in percent per annum (`"3.45"` is 3.45 %).
//! - *Quantity*: a non-negative count of securities or product shares.
//! - *FX rate*: a non-negative exchange rate (units of one currency per unit of another).
//! - *Currency*: an ISO 4217 alphabetic code from [`CURRENCY_CODES`].
//! - *Value*: the number a spelling denotes: `100.5` and `100.50` differ in spelling and
//!   have equal value.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::cmp::Ordering;
use std::fmt;

/// Why a figure or currency code was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Not a decimal in the one accepted spelling for its kind.
    #[error(
        "R-MONEY-1: {kind} {got:?} is not a valid spelling: expected {expected} (digits only, no exponent, \
         no '+', no leading zeros, no trailing '.')"
    )]
    Spelling {
        /// Amount, rate, quantity or FX rate.
        kind: &'static str,
        /// The text seen (truncated to 32 characters).
        got: String,
        /// The pattern required.
        expected: &'static str,
    },
    /// A negative zero such as `-0` or `-0.00`.
    #[error("R-MONEY-2: amount {got:?} is a negative zero: expected no sign on zero")]
    NegativeZero {
        /// The text seen.
        got: String,
    },
    /// A negative amount where the column must be non-negative.
    #[error("R-MONEY-3: {field}: amount {got} is negative: expected zero or more")]
    Negative {
        /// The column checked.
        field: &'static str,
        /// The amount seen.
        got: String,
    },
    /// Not an ISO 4217 code in the active list.
    #[error("R-MONEY-4: currency {got:?} is not an active ISO 4217 alphabetic code: expected e.g. \"CNY\"")]
    Currency {
        /// The text seen (truncated to 8 characters).
        got: String,
    },
}

/// Most integer digits in any figure: 10^18 exceeds any real balance in any currency.
const INT_DIGITS_MAX: usize = 18;
/// Most fraction digits in an amount: enough for every ISO 4217 minor unit (at most 4).
const AMOUNT_FRAC_DIGITS_MAX: u32 = 6;
/// Most fraction digits in a rate, quantity or FX rate.
const RATIO_FRAC_DIGITS_MAX: u32 = 8;

/// A decimal's parts after checking its spelling.
struct Parsed {
    negative: bool,
    /// The value times 10^scale.
    scaled: i128,
    /// Whether the value is zero.
    zero: bool,
}

/// Parse `^-?(0|[1-9][0-9]{0,17})(\.[0-9]{1,frac_max})?$` (the sign only if `signed`).
fn parse_decimal(text: &str, signed: bool, frac_max: u32, scale: u32) -> Option<Parsed> {
    let len_max = 1 + INT_DIGITS_MAX + 1 + usize::try_from(frac_max).ok()?;
    if text.len() > len_max {
        return None;
    }
    let (negative, rest) = match text.strip_prefix('-') {
        Some(r) if signed => (true, r),
        Some(_) => return None,
        None => (false, text),
    };
    let (int, frac) = match rest.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (rest, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || int.len() > INT_DIGITS_MAX || (int.len() > 1 && int.starts_with('0')) {
        return None;
    }
    let frac = frac.unwrap_or("");
    let frac_len = u32::try_from(frac.len()).ok()?;
    if (rest.contains('.') && !digits(frac)) || frac_len > frac_max {
        return None;
    }
    let int_value: i128 = int.parse().ok()?;
    let frac_value: i128 = if frac.is_empty() { 0 } else { frac.parse().ok()? };
    let magnitude = int_value
        .checked_mul(10i128.checked_pow(scale)?)?
        .checked_add(frac_value.checked_mul(10i128.checked_pow(scale.checked_sub(frac_len)?)?)?)?;
    let zero = magnitude == 0;
    Some(Parsed { negative, scaled: if negative { -magnitude } else { magnitude }, zero })
}

fn truncate(text: &str, chars: usize) -> String {
    text.chars().take(chars).collect()
}

macro_rules! string_serde {
    ($ty:ident) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                $ty::parse(&text).map_err(D::Error::custom)
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $ty {
            type Err = MoneyError;
            fn from_str(text: &str) -> Result<Self, MoneyError> {
                $ty::parse(text)
            }
        }
    };
}

/// A money amount: `^-?(0|[1-9][0-9]{0,17})(\.[0-9]{1,6})?$`, no negative zero.
///
/// Equality (`==`) is equality of spelling, which is what is signed; use
/// [`Amount::value_eq`] and [`Amount::cmp_value`] to compare values.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Amount {
    text: String,
    /// The value in millionths.
    micros: i128,
}

impl Amount {
    /// The pattern an amount must match.
    pub const PATTERN: &'static str = r"^-?(0|[1-9][0-9]{0,17})(\.[0-9]{1,6})?$";

    /// Parse an amount in its one accepted spelling.
    pub fn parse(text: &str) -> Result<Amount, MoneyError> {
        let p =
            parse_decimal(text, true, AMOUNT_FRAC_DIGITS_MAX, AMOUNT_FRAC_DIGITS_MAX).ok_or_else(|| {
                MoneyError::Spelling { kind: "amount", got: truncate(text, 32), expected: Self::PATTERN }
            })?;
        if p.negative && p.zero {
            return Err(MoneyError::NegativeZero { got: text.to_owned() });
        }
        Ok(Amount { text: text.to_owned(), micros: p.scaled })
    }

    /// The spelling, exactly as parsed.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the two amounts denote the same number (`100.5` equals `100.50`).
    pub fn value_eq(&self, other: &Amount) -> bool {
        self.micros == other.micros
    }

    /// Compare values, ignoring spelling.
    pub fn cmp_value(&self, other: &Amount) -> Ordering {
        self.micros.cmp(&other.micros)
    }

    /// Below zero.
    pub fn is_negative(&self) -> bool {
        self.micros < 0
    }

    /// The value in millionths of the currency unit.
    pub fn micros(&self) -> i128 {
        self.micros
    }
}

/// Require a non-negative amount in the column `field` (R-MONEY-3).
pub fn non_negative(field: &'static str, amount: &Amount) -> Result<(), MoneyError> {
    if amount.is_negative() {
        return Err(MoneyError::Negative { field, got: amount.text.clone() });
    }
    Ok(())
}

impl fmt::Debug for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Amount({})", self.text)
    }
}

string_serde!(Amount);

macro_rules! ratio_type {
    ($(#[$doc:meta])* $ty:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash)]
        pub struct $ty {
            text: String,
            /// The value times 10^8.
            scaled: i128,
        }

        impl $ty {
            /// The pattern it must match.
            pub const PATTERN: &'static str = r"^(0|[1-9][0-9]{0,17})(\.[0-9]{1,8})?$";

            /// Parse the one accepted spelling.
            pub fn parse(text: &str) -> Result<$ty, MoneyError> {
                let p = parse_decimal(text, false, RATIO_FRAC_DIGITS_MAX, RATIO_FRAC_DIGITS_MAX).ok_or_else(
                    || MoneyError::Spelling { kind: $kind, got: truncate(text, 32), expected: Self::PATTERN },
                )?;
                Ok($ty { text: text.to_owned(), scaled: p.scaled })
            }

            /// The spelling, exactly as parsed.
            pub fn as_str(&self) -> &str {
                &self.text
            }

            /// Whether the two denote the same number.
            pub fn value_eq(&self, other: &$ty) -> bool {
                self.scaled == other.scaled
            }

            /// Compare values, ignoring spelling.
            pub fn cmp_value(&self, other: &$ty) -> Ordering {
                self.scaled.cmp(&other.scaled)
            }
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($ty), self.text)
            }
        }

        string_serde!($ty);
    };
}

ratio_type!(
    /// An interest or discount rate in percent per annum, non-negative, up to 8 fraction
    /// digits: `"3.45"` is 3.45 % p.a.
    Rate,
    "rate"
);
ratio_type!(
    /// A non-negative quantity of securities or product shares, up to 8 fraction digits.
    Quantity,
    "quantity"
);
ratio_type!(
    /// A non-negative exchange rate, up to 8 fraction digits (item 11's 汇率).
    FxRate,
    "fx rate"
);

/// An ISO 4217 alphabetic currency code from [`CURRENCY_CODES`]. In JSON: the code.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Currency(&'static str);

impl Currency {
    /// Renminbi.
    pub const CNY: Currency = Currency("CNY");
    /// US dollar.
    pub const USD: Currency = Currency("USD");

    /// Parse an upper-case code from the active list (binary search).
    pub fn parse(text: &str) -> Result<Currency, MoneyError> {
        CURRENCY_CODES
            .binary_search(&text)
            .ok()
            .and_then(|i| CURRENCY_CODES.get(i))
            .map(|c| Currency(c))
            .ok_or_else(|| MoneyError::Currency { got: truncate(text, 8) })
    }

    /// The three-letter code.
    pub fn as_str(&self) -> &'static str {
        self.0
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Currency({})", self.0)
    }
}

string_serde!(Currency);

/// The accepted ISO 4217 alphabetic codes, sorted (checked by a test).
///
/// ISO 4217 List One as maintained by SIX, as of 2025: national currencies, fund codes
/// (BOV, CHE, CHW, CLF, COU, MXV, USN, UYI, UYW), precious metals (XAU, XAG, XPT, XPD —
/// Chinese banks hold gold accounts), XDR, XSU, XUA and the bond-market units XBA–XBD.
/// Left out: `XTS` (testing) and `XXX` (no currency), and codes withdrawn before 2025
/// (HRK, SLL, ZWL, CUC, VEF, MRO, STD, BYR). ANG and BGN stay: they were in use at the
/// 2025 balance-sheet date, which later letters still confirm. Changing this list is a
/// protocol change.
pub const CURRENCY_CODES: [&str; 177] = [
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN", "BHD",
    "BIF", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHE", "CHF",
    "CHW", "CLF", "CLP", "CNY", "COP", "COU", "CRC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP",
    "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL",
    "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF",
    "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD",
    "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK",
    "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF",
    "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL",
    "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "USN", "UYI", "UYU",
    "UYW", "UZS", "VED", "VES", "VND", "VUV", "WST", "XAF", "XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XCD",
    "XCG", "XDR", "XOF", "XPD", "XPF", "XPT", "XSU", "XUA", "YER", "ZAR", "ZMW", "ZWG",
];

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn amount_spellings() {
        for good in ["0", "0.5", "100", "100.50", "-1", "-0.01", "999999999999999999.999999", "12.000000"] {
            assert_eq!(Amount::parse(good).unwrap().as_str(), good);
        }
        for bad in [
            "",
            "1e3",
            "+1",
            "01",
            "1.",
            ".5",
            "1.1234567",
            "1234567890123456789",
            "-",
            "- 1",
            " 1",
            "1 ",
            "1,000",
            "１",
            "0x10",
            "NaN",
            "--1",
            "1.-1",
            "00",
            "-01",
        ] {
            assert!(matches!(Amount::parse(bad), Err(MoneyError::Spelling { .. })), "{bad}");
        }
        for bad in ["-0", "-0.00", "-0.000000"] {
            assert!(matches!(Amount::parse(bad), Err(MoneyError::NegativeZero { .. })), "{bad}");
        }
    }

    #[test]
    fn amount_values() {
        let a = Amount::parse("100.5").unwrap();
        let b = Amount::parse("100.50").unwrap();
        assert!(a.value_eq(&b));
        assert_ne!(a, b, "spelling differs");
        assert_eq!(a.cmp_value(&b), Ordering::Equal);
        assert_eq!(
            Amount::parse("-3").unwrap().cmp_value(&Amount::parse("2.999999").unwrap()),
            Ordering::Less
        );
        assert_eq!(Amount::parse("0.000001").unwrap().micros(), 1);
        assert!(non_negative("balance", &Amount::parse("-1").unwrap()).is_err());
        assert!(non_negative("balance", &Amount::parse("0").unwrap()).is_ok());
        let json = serde_json::to_string(&b).unwrap();
        assert_eq!(json, r#""100.50""#);
        assert_eq!(serde_json::from_str::<Amount>(&json).unwrap(), b);
        assert!(serde_json::from_str::<Amount>("100.5").is_err(), "a JSON number is refused");
    }

    #[test]
    fn ratio_spellings() {
        assert!(Rate::parse("3.45").unwrap().value_eq(&Rate::parse("3.450").unwrap()));
        assert!(Rate::parse("0.12345678").is_ok());
        for bad in ["-1", "0.123456789", "1e2", "3.45%", "01.5"] {
            assert!(Rate::parse(bad).is_err(), "{bad}");
            assert!(Quantity::parse(bad).is_err(), "{bad}");
        }
        assert!(Quantity::parse("1000000.5").is_ok());
        assert!(FxRate::parse("7.1234").is_ok());
    }

    #[test]
    fn currencies() {
        assert!(CURRENCY_CODES.windows(2).all(|w| w[0] < w[1]), "sorted, no duplicates");
        assert!(CURRENCY_CODES.iter().all(|c| c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase())));
        for good in ["CNY", "USD", "EUR", "HKD", "JPY", "GBP", "AED", "ZWG", "XAU"] {
            assert_eq!(Currency::parse(good).unwrap().as_str(), good);
        }
        for bad in ["ABC", "cny", "CN", "CNYY", "", "RMB", "HRK", "XTS", "XXX"] {
            assert!(matches!(Currency::parse(bad), Err(MoneyError::Currency { .. })), "{bad}");
        }
        assert_eq!(serde_json::to_string(&Currency::CNY).unwrap(), r#""CNY""#);
        assert!(serde_json::from_str::<Currency>(r#""cny""#).is_err());
    }

    proptest! {
        #[test]
        fn amount_display_parse_identity(
            neg in any::<bool>(),
            int in prop_oneof![Just(0u64), 1u64..=999_999_999_999_999_999u64],
            frac in proptest::option::of("[0-9]{1,6}"),
        ) {
            let mut text = String::new();
            if neg && (int != 0 || frac.as_deref().is_some_and(|f| f.bytes().any(|b| b != b'0'))) {
                text.push('-');
            }
            text.push_str(&int.to_string());
            if let Some(f) = &frac {
                text.push('.');
                text.push_str(f);
            }
            let a = Amount::parse(&text).unwrap();
            prop_assert_eq!(a.to_string(), text.clone());
            prop_assert_eq!(Amount::parse(&a.to_string()).unwrap(), a);
        }

        #[test]
        fn rate_display_parse_identity(int in 0u64..1000, frac in proptest::option::of("[0-9]{1,8}")) {
            let text = match &frac { Some(f) => format!("{int}.{f}"), None => int.to_string() };
            let r = Rate::parse(&text).unwrap();
            prop_assert_eq!(r.to_string(), text);
        }
    }
}
