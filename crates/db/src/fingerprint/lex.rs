//! The lexer of [`fingerprint`](super::fingerprint()): SQL text to tokens with every value
//! already a [`Tok::Value`], after PostgreSQL's `scan.l`.

/// One token of the normalised statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tok {
    /// A keyword or unquoted identifier, lowercased.
    Word(String),
    /// A quoted identifier, as written (quotes included).
    Quoted(String),
    /// A value: literal or parameter.
    Value,
    /// Punctuation or an operator.
    Punct(String),
}

/// Words after which a `-` or `+` is a sign, not an operator (others: identifiers).
const SIGN_AFTER: &[&str] = &[
    "select",
    "where",
    "and",
    "or",
    "not",
    "then",
    "else",
    "when",
    "case",
    "values",
    "set",
    "in",
    "is",
    "between",
    "like",
    "ilike",
    "limit",
    "offset",
    "by",
    "on",
    "having",
    "returning",
    "as",
    "return",
    "array",
    "interval",
    "distinct",
    "all",
    "any",
    "some",
];

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || !c.is_ascii()
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$' || !c.is_ascii()
}

const OPERATOR_CHARS: &str = "+-*/<>=~!@#%^&|`?";

/// The tokens of `sql`, values already replaced.
pub(crate) fn lex(sql: &str) -> Vec<Tok> {
    let chars: Vec<char> = sql.chars().collect();
    let n = chars.len();
    let mut out = Vec::new();
    let mut i = 0;
    while i < n {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c.is_whitespace() || c.is_control() {
            i += 1;
        } else if c == '-' && next == Some('-') {
            // scan.l: `--` runs to a newline or a carriage return, whichever comes first.
            while i < n && chars[i] != '\n' && chars[i] != '\r' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            i = skip_block_comment(&chars, i);
        } else if c == '\'' {
            i = skip_plain_string(&chars, i);
            out.push(Tok::Value);
        } else if c == '"' {
            let start = i;
            i += 1;
            let mut closed = false;
            while i < n {
                if chars[i] == '"' {
                    if chars.get(i + 1) == Some(&'"') {
                        i += 2;
                        continue;
                    }
                    closed = true;
                    i += 1;
                    break;
                }
                i += 1;
            }
            // An unclosed quoted identifier may be anything: never shown; nor one that does
            // not look like a name (a value written in double quotes by mistake).
            let quoted: String = chars[start..i].iter().collect();
            out.push(if closed && looks_like_a_name(&quoted) {
                Tok::Quoted(quoted)
            } else {
                Tok::Value
            });
        } else if c == '$' && next.is_some_and(|d| d.is_ascii_digit()) {
            i += 1;
            while i < n && chars[i].is_ascii_digit() {
                i += 1;
            }
            out.push(Tok::Value);
        } else if c == '$' {
            match dollar_tag(&chars, i) {
                Some(tag_len) => {
                    i = skip_dollar_quoted(&chars, i, tag_len);
                    out.push(Tok::Value);
                }
                None => {
                    out.push(Tok::Punct("$".into()));
                    i += 1;
                }
            }
        } else if c.is_ascii_digit() || (c == '.' && next.is_some_and(|d| d.is_ascii_digit())) {
            i = skip_number(&chars, i);
            fold_sign(&mut out);
            out.push(Tok::Value);
        } else if is_ident_start(c) {
            let start = i;
            while i < n && is_ident_char(chars[i]) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect::<String>().to_lowercase();
            let at = chars.get(i).copied();
            let after = chars.get(i + 1).copied();
            if at == Some('\'') && matches!(word.as_str(), "e" | "b" | "x" | "n") {
                i = if word == "e" {
                    skip_string(&chars, i, true)
                } else {
                    skip_plain_string(&chars, i)
                };
                out.push(Tok::Value);
            } else if word == "u" && at == Some('&') && after == Some('\'') {
                i = skip_plain_string(&chars, i + 1);
                out.push(Tok::Value);
            } else {
                out.push(Tok::Word(word));
            }
        } else if c == ':' && next == Some(':') {
            out.push(Tok::Punct("::".into()));
            i += 2;
        } else if OPERATOR_CHARS.contains(c) {
            // PostgreSQL's rule: the longest run of operator characters (a comment start
            // ends it), minus trailing `+`/`-` unless it holds one of `~!@#%^&|\`?`.
            let start = i;
            let mut end = i;
            while end < n
                && OPERATOR_CHARS.contains(chars[end])
                && !(end > start && chars[end] == '-' && chars.get(end + 1) == Some(&'-'))
                && !(end > start && chars[end] == '/' && chars.get(end + 1) == Some(&'*'))
            {
                end += 1;
            }
            let special = chars[start..end].iter().any(|c| "~!@#%^&|`?".contains(*c));
            while end - start > 1 && !special && matches!(chars[end - 1], '+' | '-') {
                end -= 1;
            }
            out.push(Tok::Punct(chars[start..end].iter().collect()));
            i = end;
        } else {
            out.push(Tok::Punct(c.to_string()));
            i += 1;
        }
    }
    while out.last() == Some(&Tok::Punct(";".into())) {
        out.pop();
    }
    out
}

/// Whether a quoted identifier (quotes included) reads as a name: at most 63 bytes inside
/// (PostgreSQL's `NAMEDATALEN - 1`), no `-`, whitespace or control character, no run of
/// four digits — else it is likely a value in double quotes (`"MRN-4711"`), shown as `?`.
fn looks_like_a_name(quoted: &str) -> bool {
    let inner = quoted
        .strip_prefix('"')
        .and_then(|q| q.strip_suffix('"'))
        .unwrap_or_default();
    let mut digits = 0;
    for c in inner.chars() {
        if c == '-' || c.is_whitespace() || c.is_control() {
            return false;
        }
        digits = if c.is_ascii_digit() { digits + 1 } else { 0 };
        if digits >= 4 {
            return false;
        }
    }
    inner.len() <= 63
}

/// A nested `/* */` comment starting at `i`; the index after it (or the end).
fn skip_block_comment(chars: &[char], mut i: usize) -> usize {
    let mut depth = 0usize;
    while i < chars.len() {
        if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
            depth += 1;
            i += 2;
        } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    i
}

/// A `'…'` string whose opening quote is at `i` (`''` doubled; `\` escapes when
/// `backslash`); the index after it, or the end when it never closes.
fn skip_string(chars: &[char], mut i: usize, backslash: bool) -> usize {
    i += 1;
    while i < chars.len() {
        match chars[i] {
            '\\' if backslash => i += 2,
            '\'' if chars.get(i + 1) == Some(&'\'') => i += 2,
            '\'' => return i + 1,
            _ => i += 1,
        }
    }
    chars.len()
}

/// A plain `'…'` string at `i`. Whether a backslash escapes its quote depends on the
/// server's `standard_conforming_strings`, which the text does not say: where the two
/// readings end the string in different places, the rest of the statement is swallowed, so
/// neither reading can put a value outside a string.
fn skip_plain_string(chars: &[char], i: usize) -> usize {
    let standard = skip_string(chars, i, false);
    if chars[i..standard].contains(&'\\') && skip_string(chars, i, true) != standard {
        return chars.len();
    }
    standard
}

/// The length of a dollar-quote tag (`$$`, `$tag$`) at `i`, if one starts there.
fn dollar_tag(chars: &[char], i: usize) -> Option<usize> {
    let mut j = i + 1;
    if chars.get(j).is_some_and(|&c| is_ident_start(c)) {
        while chars.get(j).is_some_and(|&c| is_ident_char(c) && c != '$') {
            j += 1;
        }
    }
    (chars.get(j) == Some(&'$')).then_some(j + 1 - i)
}

/// A dollar-quoted string at `i` with a tag `tag_len` long; the index after its closing tag.
fn skip_dollar_quoted(chars: &[char], i: usize, tag_len: usize) -> usize {
    let tag = &chars[i..i + tag_len];
    let mut j = i + tag_len;
    while j + tag_len <= chars.len() {
        if &chars[j..j + tag_len] == tag {
            return j + tag_len;
        }
        j += 1;
    }
    chars.len()
}

/// A numeric literal at `i` (decimal, exponent, `0x`/`0o`/`0b`, `_` separators).
fn skip_number(chars: &[char], mut i: usize) -> usize {
    while i < chars.len() {
        let c = chars[i];
        if (c == 'e' || c == 'E')
            && matches!(chars.get(i + 1), Some('+' | '-'))
            && chars.get(i + 2).is_some_and(char::is_ascii_digit)
        {
            i += 3;
        } else if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
            i += 1;
        } else {
            break;
        }
    }
    i
}

/// A sign before a number is part of the value: `= -5`, `(-5`, `select -5`.
fn fold_sign(out: &mut Vec<Tok>) {
    let Some(Tok::Punct(p)) = out.last() else {
        return;
    };
    if p != "-" && p != "+" {
        return;
    }
    let is_sign = match out.len().checked_sub(2).map(|k| &out[k]) {
        None => true,
        Some(Tok::Punct(q)) => q != ")" && q != "]",
        Some(Tok::Word(w)) => SIGN_AFTER.contains(&w.as_str()),
        Some(Tok::Value | Tok::Quoted(_)) => false,
    };
    if is_sign {
        out.pop();
    }
}
