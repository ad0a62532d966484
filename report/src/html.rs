//! Escape untrusted text for an HTML page, and the few element builders the confirmation
//! report uses.
//!
//! Every string that comes from a bundle (letter numbers, names, reasons, the bank's
//! explanations) is written by someone else and may hold markup; it goes through [`text`]
//! before it reaches the page. Only literal strings of this crate are written unescaped.
//! A hand-written escaper was chosen over a template crate because the report is one
//! function's output and the five characters below are all HTML needs in text and in
//! double-quoted attribute values.

/// `s` with `&`, `<`, `>`, `"` and `'` replaced by character references, so it reads as
/// text both in element content and in a double- or single-quoted attribute.
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters have no business in a report; show where one was.
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// A table row of cells that are already HTML.
pub fn row(cells: &[String]) -> String {
    let mut out = String::from("<tr>");
    for c in cells {
        out.push_str("<td>");
        out.push_str(c);
        out.push_str("</td>");
    }
    out.push_str("</tr>\n");
    out
}

/// A header row from literal (trusted) labels.
pub fn header(labels: &[&str]) -> String {
    let mut out = String::from("<tr>");
    for l in labels {
        out.push_str("<th>");
        out.push_str(l);
        out.push_str("</th>");
    }
    out.push_str("</tr>\n");
    out
}

/// Untrusted text in a `<code>` element.
pub fn code(s: &str) -> String {
    format!("<code>{}</code>", text(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_escaped() {
        assert_eq!(text("<script>alert('x')</script>"), "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
        assert_eq!(text("a & b \"c\""), "a &amp; b &quot;c&quot;");
        assert_eq!(text("&amp;"), "&amp;amp;");
    }

    #[test]
    fn ordinary_text_is_unchanged() {
        assert_eq!(text("王审计, Audit Manager 审计经理"), "王审计, Audit Manager 审计经理");
        assert_eq!(text(""), "");
    }

    #[test]
    fn control_characters_are_replaced() {
        assert_eq!(text("a\u{0}b\u{1b}[31m"), "a\u{fffd}b\u{fffd}[31m");
        assert_eq!(text("line\nnext\ttab"), "line\nnext\ttab");
    }

    #[test]
    fn no_escaped_output_holds_a_raw_angle_bracket_or_quote() {
        // Every ASCII character and a few others, alone and in pairs.
        let chars: Vec<char> = (0u8..128).map(char::from).chain(['\u{2028}', '＜', '中']).collect();
        for a in &chars {
            for b in &chars {
                let escaped = text(&format!("{a}{b}"));
                assert!(!escaped.contains(['<', '>', '"', '\'']), "{a:?}{b:?} -> {escaped:?}");
            }
        }
    }
}
