//! The shape of a fingerprint: lists of values collapsed, the tokens written as one line.

use super::lex::Tok;

/// Keywords written with a space before `(`; any other word before `(` is a function call.
const SPACED_BEFORE_PAREN: &[&str] = &[
    "in",
    "values",
    "as",
    "and",
    "or",
    "not",
    "on",
    "from",
    "join",
    "exists",
    "where",
    "select",
    "using",
    "when",
    "then",
    "else",
    "set",
    "returning",
    "into",
    "table",
    "over",
    "filter",
    "within",
    "any",
    "all",
    "some",
    "by",
    "with",
    "is",
    "between",
    "like",
];

pub(crate) fn punct(t: &Tok, s: &str) -> bool {
    matches!(t, Tok::Punct(p) if p == s)
}

fn word(t: &Tok, s: &str) -> bool {
    matches!(t, Tok::Word(w) if w == s)
}

/// The end (index of the closer) of a list of values and commas opened at `open`, if it is one.
fn value_list(tokens: &[Tok], open: usize, close: &str) -> Option<usize> {
    let mut j = open + 1;
    let mut values = 0;
    while j < tokens.len() {
        match &tokens[j] {
            Tok::Value => values += 1,
            t if punct(t, ",") => {}
            t if punct(t, close) => return (values > 0).then_some(j),
            _ => return None,
        }
        j += 1;
    }
    None
}

/// A setting's value is a value even when written as a word: `SET application_name =
/// john_smith`, `SET LOCAL x.y TO 'v'`, `ALTER ROLE r SET search_path = a, b`, `SET TIME
/// ZONE x` — every word, quoted name or value of the list after `=`/`TO` becomes `?`.
/// `UPDATE … SET col = expr` is not a setting: a statement holding `update` is left as is.
pub(crate) fn mask_settings(mut tokens: Vec<Tok>) -> Vec<Tok> {
    let mut update = false;
    let mut i = 0;
    while i < tokens.len() {
        if punct(&tokens[i], ";") {
            update = false;
        } else if word(&tokens[i], "update") {
            update = true;
        }
        if update || !word(&tokens[i], "set") {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        if tokens
            .get(j)
            .is_some_and(|t| word(t, "session") || word(t, "local"))
        {
            j += 1;
        }
        let time_zone = tokens.get(j).is_some_and(|t| word(t, "time"))
            && tokens.get(j + 1).is_some_and(|t| word(t, "zone"));
        if time_zone {
            j += 2;
        } else {
            // The setting's name: words and quoted names joined by `.`.
            while matches!(tokens.get(j), Some(Tok::Word(_) | Tok::Quoted(_)))
                && tokens.get(j + 1).is_some_and(|t| punct(t, "."))
            {
                j += 2;
            }
            let named = matches!(tokens.get(j), Some(Tok::Word(_) | Tok::Quoted(_)));
            let assigned = tokens
                .get(j + 1)
                .is_some_and(|t| punct(t, "=") || word(t, "to"));
            if !(named && assigned) {
                i += 1;
                continue;
            }
            j += 2;
        }
        // The value list: items separated by commas.
        while matches!(
            tokens.get(j),
            Some(Tok::Word(_) | Tok::Quoted(_) | Tok::Value)
        ) {
            tokens[j] = Tok::Value;
            if tokens.get(j + 1).is_some_and(|t| punct(t, ",")) {
                j += 2;
            } else {
                j += 1;
                break;
            }
        }
        i = j;
    }
    tokens
}

/// `IN (?, ?)` → `IN (...)`, `ARRAY[?, ?]` → `ARRAY[...]`, `VALUES (?, ?), (?, ?)` → one row.
pub(crate) fn collapse(tokens: Vec<Tok>) -> Vec<Tok> {
    let mut out: Vec<Tok> = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        let t = &tokens[i];
        let prev = out.last();
        let (open, close) = if punct(t, "(") {
            ("(", ")")
        } else {
            ("[", "]")
        };
        let list = (punct(t, "(") && prev.is_some_and(|p| word(p, "in")))
            || (punct(t, "[") && prev.is_some_and(|p| word(p, "array")));
        if let Some(end) = list.then(|| value_list(&tokens, i, close)).flatten() {
            out.extend([
                Tok::Punct(open.into()),
                Tok::Punct("...".into()),
                Tok::Punct(close.into()),
            ]);
            i = end + 1;
            continue;
        }
        let values = punct(t, "(") && prev.is_some_and(|p| word(p, "values"));
        if let Some(end) = values.then(|| value_list(&tokens, i, ")")).flatten() {
            let row = &tokens[i..=end];
            out.extend_from_slice(row);
            i = end + 1;
            // Further rows of the same shape are the same statement.
            while i < tokens.len()
                && punct(&tokens[i], ",")
                && tokens.get(i + 1..i + 1 + row.len()) == Some(row)
            {
                i += 1 + row.len();
            }
            continue;
        }
        out.push(t.clone());
        i += 1;
    }
    out
}

/// The tokens as one line: single spaces, none inside `f(`, `a.b`, `x::int`, before `,`.
pub(crate) fn render(tokens: &[Tok]) -> String {
    let mut s = String::new();
    let mut prev: Option<&Tok> = None;
    for t in tokens {
        let text = match t {
            Tok::Word(w) | Tok::Quoted(w) | Tok::Punct(w) => w.as_str(),
            Tok::Value => "?",
        };
        let glue = match prev {
            None => true,
            Some(p) => {
                matches!(text, "," | ")" | "]" | "." | "::" | ";" | "...")
                    || punct(p, "(")
                    || punct(p, "[")
                    || punct(p, ".")
                    || punct(p, "::")
                    || ((text == "(" || text == "[")
                        && match p {
                            Tok::Word(w) => !SPACED_BEFORE_PAREN.contains(&w.as_str()),
                            Tok::Quoted(_) => true,
                            _ => false,
                        })
            }
        };
        if !glue {
            s.push(' ');
        }
        s.push_str(text);
        prev = Some(t);
    }
    s
}
