//! Speak the console's two languages: the message catalogue (English and Simplified
//! Chinese), choosing a language for a request, and formatting dates and amounts.
//!
//! # Terminology
//!
//! - *Key*: a message's name, `area.what` (`nav.sign_in`). Every user-visible string of
//!   the console is looked up by key with [`Lang::t`]; a test checks that every key has
//!   both languages and that every key is used.
//! - *Language*: `en` or `zh` (Simplified Chinese), from the `vouch_lang` cookie the switch
//!   sets, else the browser's `Accept-Language`, else English.

use super::catalogue::CATALOGUE;
use super::session::{LANG_COOKIE, cookie};
use axum::http::{HeaderMap, header};

/// A language the console speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// Simplified Chinese.
    Zh,
}

impl Lang {
    /// Both languages, in the order the switch lists them.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Zh];

    /// The value of the `vouch_lang` cookie and of `/lang?set=`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }

    /// The BCP 47 tag for `<html lang>`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh-Hans",
        }
    }

    /// The language's own name, for the switch.
    pub fn own_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Zh => "简体中文",
        }
    }

    /// Parse a cookie or switch value.
    pub fn parse(code: &str) -> Option<Lang> {
        match code {
            "en" => Some(Lang::En),
            "zh" => Some(Lang::Zh),
            _ => None,
        }
    }

    /// The request's language: the cookie, else `Accept-Language`, else English.
    pub fn of(headers: &HeaderMap) -> Lang {
        if let Some(lang) = cookie(headers, LANG_COOKIE).and_then(Lang::parse) {
            return lang;
        }
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(Lang::negotiate)
            .unwrap_or(Lang::En)
    }

    /// The preferred of English and Chinese in an `Accept-Language` value (highest
    /// quality, first on a tie), if it names either.
    pub fn negotiate(accept: &str) -> Option<Lang> {
        let mut best: Option<(u32, Lang)> = None;
        for part in accept.split(',').take(32) {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let quality = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            // Thousandths, so that qualities compare as integers.
            let quality = (quality.clamp(0.0, 1.0) * 1000.0) as u32;
            let lang = if tag == "zh" || tag.starts_with("zh-") {
                Lang::Zh
            } else if tag == "en" || tag.starts_with("en-") {
                Lang::En
            } else {
                continue;
            };
            if quality > 0 && best.is_none_or(|(q, _)| quality > q) {
                best = Some((quality, lang));
            }
        }
        best.map(|(_, lang)| lang)
    }

    /// The message `key` in this language. An unknown key shows as itself (the
    /// catalogue test makes sure none is).
    pub fn t(self, key: &'static str) -> &'static str {
        match CATALOGUE.iter().find(|(k, _, _)| *k == key) {
            Some((_, en, zh)) => match self {
                Lang::En => en,
                Lang::Zh => zh,
            },
            None => key,
        }
    }
}

/// Unix milliseconds as the network's civil date and time, `YYYY-MM-DD HH:MM`.
pub fn date_time(unix_ms: u64, utc_offset_minutes: i16) -> String {
    let date = vouch_core::date::Date::from_unix_ms(unix_ms, utc_offset_minutes);
    let local_s = i128::from(unix_ms / 1000) + i128::from(utc_offset_minutes) * 60;
    let day_s = local_s.rem_euclid(86_400);
    format!("{date} {:02}:{:02}", day_s / 3600, (day_s % 3600) / 60)
}

/// Unix milliseconds as the network's civil date, `YYYY-MM-DD`.
pub fn date(unix_ms: u64, utc_offset_minutes: i16) -> String {
    vouch_core::date::Date::from_unix_ms(unix_ms, utc_offset_minutes).to_string()
}

/// Digits after the decimal point that `currency` (ISO 4217) is quoted with.
pub fn minor_digits(currency: &str) -> usize {
    match currency {
        "JPY" | "KRW" | "VND" | "CLP" | "ISK" | "UGX" | "XAF" | "XOF" | "PYG" | "RWF" => 0,
        "BHD" | "KWD" | "OMR" | "JOD" | "IQD" | "LYD" | "TND" => 3,
        _ => 2,
    }
}

/// An amount as the protocol spells it (`-1234567.5`) for reading: thousands separators
/// and at least the currency's minor digits (`-1,234,567.50 CNY`). Digits beyond those are
/// kept, never rounded: a confirmed figure is shown as signed. Text that is not a plain
/// decimal is shown as it is.
pub fn amount(text: &str, currency: &str) -> String {
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let plain = !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit());
    if !plain {
        return format!("{text} {currency}").trim_end().to_string();
    }
    let mut grouped = String::with_capacity(int.len() + int.len() / 3);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let mut frac = frac.to_string();
    while frac.len() < minor_digits(currency) {
        frac.push('0');
    }
    let number = if frac.is_empty() { grouped } else { format!("{grouped}.{frac}") };
    format!("{sign}{number} {currency}").trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// The console's sources, where keys are used.
    const SOURCES: &[(&str, &str)] = &[
        ("mod.rs", include_str!("mod.rs")),
        ("layout.rs", include_str!("layout.rs")),
        ("public.rs", include_str!("public.rs")),
        ("worklists.rs", include_str!("worklists.rs")),
        ("confirmation.rs", include_str!("confirmation.rs")),
        ("signing.rs", include_str!("signing.rs")),
        ("respond.rs", include_str!("respond.rs")),
        ("request.rs", include_str!("request.rs")),
        ("batch.rs", include_str!("batch.rs")),
        ("regulator.rs", include_str!("regulator.rs")),
    ];

    /// Every `.t("key")` in the sources, and every `"error.…"` literal (error pages take
    /// their title's key as an argument).
    fn used_keys() -> BTreeSet<String> {
        let mut keys = BTreeSet::new();
        for (_, text) in SOURCES {
            for piece in text.split(".t(\"").skip(1) {
                if let Some((key, _)) = piece.split_once('"') {
                    keys.insert(key.to_string());
                }
            }
            for piece in text.split("\"error.").skip(1) {
                if let Some((rest, _)) = piece.split_once('"') {
                    keys.insert(format!("error.{rest}"));
                }
            }
        }
        keys
    }

    #[test]
    fn every_key_has_both_languages_once() {
        let mut seen = BTreeSet::new();
        for (key, en, zh) in CATALOGUE {
            assert!(seen.insert(*key), "key {key} is listed twice");
            assert!(!en.trim().is_empty(), "{key}: no English");
            assert!(!zh.trim().is_empty(), "{key}: no Chinese");
            assert!(!zh.is_ascii() || en == zh, "{key}: the Chinese text {zh:?} is not Chinese");
        }
    }

    #[test]
    fn every_used_key_is_listed_and_every_listed_key_is_used() {
        let used = used_keys();
        let listed: BTreeSet<String> = CATALOGUE.iter().map(|(k, _, _)| k.to_string()).collect();
        let missing: Vec<_> = used.difference(&listed).collect();
        let unused: Vec<_> = listed.difference(&used).collect();
        assert!(missing.is_empty(), "keys used but not in the catalogue: {missing:?}");
        assert!(unused.is_empty(), "keys in the catalogue that no page uses: {unused:?}");
    }

    #[test]
    fn the_language_is_the_preferred_of_the_two() {
        assert_eq!(Lang::negotiate("zh-CN,zh;q=0.9,en;q=0.8"), Some(Lang::Zh));
        assert_eq!(Lang::negotiate("en-US,en;q=0.9,zh-CN;q=0.8"), Some(Lang::En));
        assert_eq!(Lang::negotiate("fr, zh;q=0.5, en;q=0.4"), Some(Lang::Zh));
        assert_eq!(Lang::negotiate("de, fr"), None);
        assert_eq!(Lang::negotiate("zh;q=0, en;q=0.1"), Some(Lang::En));
        assert_eq!(Lang::negotiate(";;;q=abc,,"), None);
    }

    #[test]
    fn amounts_keep_every_digit_and_group_thousands() {
        assert_eq!(amount("1234567.5", "CNY"), "1,234,567.50 CNY");
        assert_eq!(amount("-1000", "USD"), "-1,000.00 USD");
        assert_eq!(amount("0.125", "CNY"), "0.125 CNY");
        assert_eq!(amount("100", "JPY"), "100 JPY");
        assert_eq!(amount("12.5", "KWD"), "12.500 KWD");
        assert_eq!(amount("999", "CNY"), "999.00 CNY");
        assert_eq!(amount("1e5", "CNY"), "1e5 CNY");
    }

    #[test]
    fn times_are_iso_in_the_network_zone() {
        // 2026-06-30T16:30:00Z is 2026-07-01 00:30 in China (UTC+8).
        let ms = 1_782_837_000_000;
        assert_eq!(date_time(ms, 480), "2026-07-01 00:30");
        assert_eq!(date_time(ms, 0), "2026-06-30 16:30");
        assert_eq!(date(ms, 480), "2026-07-01");
    }
}
