//! Control characters in text that came from a trace file. Names, keys and messages are the
//! file's bytes, so an ESC or CR in them could move the cursor, recolour or rewrite a user's
//! terminal, or break an export's markup. The exports replace them; the text report and
//! stderr show them as visible escapes.

use std::borrow::Cow;

/// C0 controls (U+0000–U+001F), DEL and C1 controls (U+0080–U+009F).
pub fn is_control(c: char) -> bool {
    c.is_control()
}

/// Characters that reorder the text around them (bidirectional embeddings, overrides and
/// isolates) or break a line without being controls: quoted from an input, they would make a
/// message read other than it is, or span lines.
fn is_bidi_or_separator(c: char) -> bool {
    matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` safe to print on a terminal and on one line: tab, line feed and carriage return as
/// `\t`, `\n`, `\r`, every other control character, bidirectional override and line
/// separator as `\u{1b}`; borrowed when there is none. Backslashes are kept, so escaping twice
/// changes nothing.
pub fn terminal(s: &str) -> Cow<'_, str> {
    let special = |c: char| is_control(c) || is_bidi_or_separator(c);
    if !s.chars().any(special) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if special(c) => out.extend(c.escape_unicode()),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Appends `s` in double quotes, each character of `table` replaced by its escape and every
/// other C0 control by what `control` writes: the quoted strings of DOT and JSON differ only
/// in those two.
pub fn push_quoted(
    out: &mut String,
    s: &str,
    table: &[(char, &str)],
    control: impl Fn(&mut String, char),
) {
    out.push('"');
    for c in s.chars() {
        // Every escaped character is a quote, a backslash or a C0 control.
        if c >= ' ' && c != '"' && c != '\\' {
            out.push(c);
            continue;
        }
        match table.iter().find(|&&(k, _)| k == c) {
            Some((_, escaped)) => out.push_str(escaped),
            None => control(out, c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_become_visible() {
        assert_eq!(terminal("order-svc"), "order-svc");
        assert!(matches!(terminal("通知服务"), Cow::Borrowed(_)));
        assert_eq!(terminal("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(terminal("x\ry\n\t"), "x\\ry\\n\\t");
        assert_eq!(terminal("\u{7f}\u{9b}\u{0}"), "\\u{7f}\\u{9b}\\u{0}");
        // Not controls: the replacement character, NBSP, emoji.
        assert_eq!(terminal("\u{fffd}\u{a0}🙂"), "\u{fffd}\u{a0}🙂");
    }
}
