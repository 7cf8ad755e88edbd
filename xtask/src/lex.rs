//! A small Rust tokenizer for tidy checks: identifiers, punctuation and literals with
//! their line numbers; comments (doc comments too) are dropped, so nothing in them is
//! mistaken for code.

/// One token of Rust source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tok {
    /// An identifier or keyword (`r#` stripped from raw identifiers).
    Ident(String),
    /// A lifetime or label, `'a` (kept apart so it is never an identifier).
    Lifetime,
    /// A string literal's raw text between the quotes (escapes not processed).
    Str(String),
    /// Any other literal: numbers, chars, byte chars.
    Lit,
    /// `::`
    PathSep,
    /// `->`
    Arrow,
    /// Any other punctuation character.
    Punct(char),
}

/// A token and the 1-based line it starts on.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub(crate) tok: Tok,
    pub(crate) line: usize,
}

impl Token {
    /// Whether this is the identifier `name`.
    pub(crate) fn is_ident(&self, name: &str) -> bool {
        matches!(&self.tok, Tok::Ident(s) if s == name)
    }

    /// The identifier's text, if this is one.
    pub(crate) fn ident(&self) -> Option<&str> {
        match &self.tok {
            Tok::Ident(s) => Some(s),
            _ => None,
        }
    }

    /// Whether this is the punctuation `c`.
    pub(crate) fn is_punct(&self, c: char) -> bool {
        self.tok == Tok::Punct(c)
    }
}

/// Splits `src` into tokens, skipping whitespace and comments (nested block comments
/// included). Malformed input (an unclosed string) ends the token stream, never panics.
pub(crate) fn tokenize(src: &str) -> Vec<Token> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let mut line = 1;
    while i < chars.len() {
        let c = chars[i];
        let start_line = line;
        let next = chars.get(i + 1).copied();
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            i = skip_block_comment(&chars, i, &mut line);
        } else if let Some((end, text)) = string_literal(&chars, i, &mut line) {
            i = end;
            out.push(Token {
                tok: Tok::Str(text),
                line: start_line,
            });
        } else if c == '\'' {
            let (end, tok) = quote(&chars, i);
            i = end;
            out.push(Token {
                tok,
                line: start_line,
            });
        } else if c == '_' || c.is_alphabetic() {
            if c == 'r' && next == Some('#') {
                i += 2;
            }
            let from = i;
            while i < chars.len() && (chars[i] == '_' || chars[i].is_alphanumeric()) {
                i += 1;
            }
            out.push(Token {
                tok: Tok::Ident(chars[from..i].iter().collect()),
                line: start_line,
            });
        } else if c.is_ascii_digit() {
            while i < chars.len() && (chars[i] == '_' || chars[i].is_alphanumeric()) {
                i += 1;
            }
            // A fraction, but not a range (`0..n`) or a method call (`1.max(x)`).
            if chars.get(i) == Some(&'.') && chars.get(i + 1).is_some_and(char::is_ascii_digit) {
                i += 1;
                while i < chars.len() && (chars[i] == '_' || chars[i].is_alphanumeric()) {
                    i += 1;
                }
            }
            out.push(Token {
                tok: Tok::Lit,
                line: start_line,
            });
        } else {
            let tok = match (c, next) {
                (':', Some(':')) => Tok::PathSep,
                ('-', Some('>')) => Tok::Arrow,
                _ => Tok::Punct(c),
            };
            i += if matches!(tok, Tok::Punct(_)) { 1 } else { 2 };
            out.push(Token {
                tok,
                line: start_line,
            });
        }
    }
    out
}

const ITEM_KEYWORDS: &[&str] = &[
    "fn",
    "struct",
    "enum",
    "trait",
    "type",
    "const",
    "static",
    "union",
    "mod",
    "impl",
    "use",
    "extern",
    "unsafe",
    "async",
    "macro_rules",
];

/// `#[cfg(test)]`, `#[cfg(all(test, …))]`: test-only, unless negated.
pub(crate) fn is_test_cfg(attr: &[Token]) -> bool {
    attr.first().is_some_and(|t| t.is_ident("cfg"))
        && attr.iter().any(|t| t.is_ident("test"))
        && !attr.iter().any(|t| t.is_ident("not"))
}

/// The index of the bracket closing the one at `open` (or the end of input).
pub(crate) fn matching(toks: &[Token], open: usize) -> usize {
    let mut nest = 0usize;
    for (j, t) in toks.iter().enumerate().skip(open) {
        match t.tok {
            Tok::Punct('(' | '[' | '{') => nest += 1,
            Tok::Punct(')' | ']' | '}') => {
                nest = nest.saturating_sub(1);
                if nest == 0 {
                    return j;
                }
            }
            _ => {}
        }
    }
    toks.len().saturating_sub(1)
}

/// The index after the item, field, arm or statement starting at `i` (whose attributes
/// said it is test-only).
pub(crate) fn skip_item(toks: &[Token], i: usize) -> usize {
    let mut j = i;
    if toks.get(j).is_some_and(|t| t.is_ident("pub")) {
        j += 1;
        if toks.get(j).is_some_and(|t| t.is_punct('(')) {
            j = matching(toks, j) + 1;
        }
    }
    let item = toks
        .get(j)
        .and_then(Token::ident)
        .is_some_and(|k| ITEM_KEYWORDS.contains(&k));
    while j < toks.len() {
        match toks[j].tok {
            Tok::Punct('(' | '[') => j = matching(toks, j),
            Tok::Punct('{') => {
                let end = matching(toks, j) + 1;
                // `static X: T = T { … };` goes on to its `;`; a block item ends here.
                return if toks.get(end).is_some_and(|t| t.is_punct(';')) {
                    end + 1
                } else {
                    end
                };
            }
            Tok::Punct(';') => return j + 1,
            Tok::Punct(',') if !item => return j + 1,
            Tok::Punct(')' | ']' | '}') => return j,
            _ => {}
        }
        j += 1;
    }
    j
}

/// The tokens outside `#[cfg(test)]` items (a whole file under `#![cfg(test)]` gives
/// none).
pub(crate) fn non_test(toks: &[Token]) -> Vec<Token> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let inner = toks.get(i + 1).is_some_and(|t| t.is_punct('!'));
        let open = i + 1 + usize::from(inner);
        if toks[i].is_punct('#') && toks.get(open).is_some_and(|t| t.is_punct('[')) {
            let close = matching(toks, open);
            if is_test_cfg(&toks[open + 1..close.max(open + 1)]) {
                if inner {
                    return Vec::new();
                }
                let mut j = close + 1;
                // Later attributes and a visibility belong to the same item.
                while toks.get(j).is_some_and(|t| t.is_punct('#')) {
                    j = matching(toks, j + 1) + 1;
                }
                i = skip_item(toks, j);
                continue;
            }
        }
        out.push(toks[i].clone());
        i += 1;
    }
    out
}

fn skip_block_comment(chars: &[char], mut i: usize, line: &mut usize) -> usize {
    let mut depth = 0usize;
    while i < chars.len() {
        match (chars[i], chars.get(i + 1).copied()) {
            ('/', Some('*')) => {
                depth += 1;
                i += 2;
            }
            ('*', Some('/')) => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return i;
                }
            }
            (c, _) => {
                if c == '\n' {
                    *line += 1;
                }
                i += 1;
            }
        }
    }
    i
}

/// A string literal starting at `i` (`"…"`, `b"…"`, `c"…"`, `r#"…"#`, `br"…"`), as the
/// index after it and its raw text.
fn string_literal(chars: &[char], i: usize, line: &mut usize) -> Option<(usize, String)> {
    let mut j = i;
    if matches!(chars[j], 'b' | 'c') {
        j += 1;
    }
    let raw = chars.get(j) == Some(&'r');
    if raw {
        j += 1;
    }
    let mut hashes = 0;
    while raw && chars.get(j) == Some(&'#') {
        hashes += 1;
        j += 1;
    }
    if chars.get(j) != Some(&'"') {
        return None;
    }
    j += 1;
    let from = j;
    while j < chars.len() {
        match chars[j] {
            '\\' if !raw => j += 2,
            '"' if chars[j + 1..]
                .iter()
                .take(hashes)
                .filter(|c| **c == '#')
                .count()
                == hashes =>
            {
                let text = chars[from..j].iter().collect();
                count_lines(&chars[from..j], line);
                return Some((j + 1 + hashes, text));
            }
            _ => j += 1,
        }
    }
    count_lines(&chars[from.min(chars.len())..], line);
    Some((chars.len(), String::new()))
}

fn count_lines(chars: &[char], line: &mut usize) {
    *line += chars.iter().filter(|c| **c == '\n').count();
}

/// A char literal (`'a'`, `'\n'`, `'\u{1F600}'`) or a lifetime (`'a`) at `i`.
fn quote(chars: &[char], i: usize) -> (usize, Tok) {
    if chars.get(i + 1) == Some(&'\\') {
        let mut j = i + 2;
        while j < chars.len() && chars[j] != '\'' && chars[j] != '\n' {
            j += 1;
        }
        return (j + 1, Tok::Lit);
    }
    if chars.get(i + 2) == Some(&'\'') {
        return (i + 3, Tok::Lit);
    }
    let mut j = i + 1;
    while j < chars.len() && (chars[j] == '_' || chars[j].is_alphanumeric()) {
        j += 1;
    }
    (j, Tok::Lifetime)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idents(src: &str) -> Vec<String> {
        tokenize(src)
            .into_iter()
            .filter_map(|t| t.ident().map(str::to_owned))
            .collect()
    }

    #[test]
    fn comments_and_strings_hide_their_contents() {
        let src = "/// crate::a\n//! crate::b\n/* crate::c /* nested */ crate::d */\n\
                   let s = \"crate::e \\\" crate::f\"; let r = r#\"crate::g\"#; x";
        assert_eq!(idents(src), ["let", "s", "let", "r", "x"]);
    }

    #[test]
    fn lines_count_through_comments_and_strings() {
        let toks = tokenize("a\n/* \n */ \"\n\" b\n'\\n' c 'x' d 'life e");
        let lines: Vec<(String, usize)> = toks
            .iter()
            .filter_map(|t| t.ident().map(|s| (s.to_owned(), t.line)))
            .collect();
        let want = [("a", 1), ("b", 4), ("c", 5), ("d", 5), ("e", 5)];
        assert_eq!(lines.len(), want.len());
        for ((got, line), (name, want_line)) in lines.iter().zip(want) {
            assert_eq!((got.as_str(), *line), (name, want_line));
        }
    }

    #[test]
    fn path_separators_raw_idents_and_arrows() {
        let toks = tokenize("r#type::x -> y 1..2 1.5");
        assert!(toks[0].is_ident("type"));
        assert_eq!(toks[1].tok, Tok::PathSep);
        assert_eq!(toks[3].tok, Tok::Arrow);
        assert_eq!(toks[5].tok, Tok::Lit);
        assert!(toks[6].is_punct('.') && toks[7].is_punct('.'));
        assert_eq!(toks.last().map(|t| t.tok.clone()), Some(Tok::Lit));
    }
}
