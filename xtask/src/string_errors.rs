//! Tidy check: no `String` as an error in a library's public API. A `pub fn` returning
//! `Result<_, String>`, a `pub` field holding one, and `type Err = String;` (a `FromStr`
//! whose error says nothing a caller can match on) are problems in `crates/*/src` of
//! every crate with a `lib.rs`; `#[cfg(test)]` code is left out. The fix is a variant of
//! the crate's error enum that says what went wrong.

use std::path::Path;

use walkdir::WalkDir;

use crate::lex::{Tok, Token, non_test, tokenize};

/// Checks every library crate under `root/crates`.
pub(crate) fn check(root: &Path, problems: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(root.join("crates")) else {
        return;
    };
    let mut sources: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path().join("src"))
        .filter(|src| src.join("lib.rs").is_file())
        .collect();
    sources.sort();
    for src in sources {
        let files = WalkDir::new(&src).sort_by_file_name().into_iter();
        for path in files
            .filter_map(Result::ok)
            .map(walkdir::DirEntry::into_path)
        {
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let rel = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            for (line, what) in string_errors(&text) {
                problems.push(format!(
                    "{rel}:{line}: {what} has `String` for its error; use a variant of the \
                     crate's error enum that says what went wrong"
                ));
            }
        }
    }
}

/// Each `String` error in the public API of `src`: its line and what it is.
fn string_errors(src: &str) -> Vec<(usize, String)> {
    let toks = non_test(&tokenize(src));
    let mut out = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        let at = |k: usize| toks.get(i + k);
        if t.is_ident("type")
            && at(1).is_some_and(|t| t.is_ident("Err"))
            && at(2).is_some_and(|t| t.is_punct('='))
            && at(3).is_some_and(|t| t.is_ident("String"))
            && at(4).is_some_and(|t| t.is_punct(';'))
        {
            out.push((t.line, "`type Err = String`".to_owned()));
        }
        // `pub`, not `pub(crate)` or `pub(super)`.
        if !t.is_ident("pub") || at(1).is_some_and(|t| t.is_punct('(')) {
            continue;
        }
        let mut j = i + 1;
        while toks
            .get(j)
            .is_some_and(|t| t.is_ident("const") || t.is_ident("async") || t.is_ident("unsafe"))
        {
            j += 1;
        }
        if toks.get(j).is_some_and(|t| t.is_ident("fn")) {
            let name = toks.get(j + 1).and_then(Token::ident).unwrap_or("?");
            if return_type(&toks, j).is_some_and(has_string_error) {
                out.push((t.line, format!("`pub fn {name}`")));
            }
        } else if let (Some(name), Some(colon)) = (at(1).and_then(Token::ident), at(2)) {
            // A public field: `pub name: Type,`.
            if colon.is_punct(':') {
                let end = type_end(&toks, i + 3);
                if has_string_error(&toks[i + 3..end]) {
                    out.push((t.line, format!("public field `{name}`")));
                }
            }
        }
    }
    out
}

/// The tokens of the return type of the `fn` at `at`, if it has one.
fn return_type(toks: &[Token], at: usize) -> Option<&[Token]> {
    let mut nest = 0usize;
    let mut start = None;
    for (k, t) in toks.iter().enumerate().skip(at) {
        match t.tok {
            Tok::Punct('(' | '[') => nest += 1,
            Tok::Punct(')' | ']') => nest = nest.saturating_sub(1),
            Tok::Arrow if nest == 0 => start = Some(k + 1),
            Tok::Punct('{' | ';') if nest == 0 => return start.map(|s| &toks[s..k]),
            Tok::Ident(ref w) if nest == 0 && w == "where" => return start.map(|s| &toks[s..k]),
            _ => {}
        }
    }
    None
}

/// Where a field's type ends: at a `,` or `}` outside its brackets.
fn type_end(toks: &[Token], from: usize) -> usize {
    let mut nest = 0usize;
    for (k, t) in toks.iter().enumerate().skip(from) {
        match t.tok {
            Tok::Punct('(' | '[' | '<') => nest += 1,
            Tok::Punct(')' | ']' | '>') if nest > 0 => nest -= 1,
            Tok::Punct(',' | '}' | ';' | '=') if nest == 0 => return k,
            _ => {}
        }
    }
    toks.len()
}

/// Whether `ty` holds a `Result<…, String>` anywhere.
fn has_string_error(ty: &[Token]) -> bool {
    ty.iter().enumerate().any(|(k, t)| {
        if !t.is_ident("Result") || !ty.get(k + 1).is_some_and(|t| t.is_punct('<')) {
            return false;
        }
        // The last argument at depth 1 of `Result<…>`.
        let mut depth = 0usize;
        let mut last_arg = k + 2;
        for (m, t) in ty.iter().enumerate().skip(k + 1) {
            match t.tok {
                Tok::Punct('<' | '(' | '[') => depth += 1,
                Tok::Punct(',') if depth == 1 => last_arg = m + 1,
                Tok::Punct('>' | ')' | ']') => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        let arg = &ty[last_arg..m];
                        return arg.last().is_some_and(|t| t.is_ident("String"))
                            && last_arg != k + 2;
                    }
                }
                _ => {}
            }
        }
        false
    })
}

#[cfg(test)]
mod tests {
    use super::{check, string_errors};

    fn found(src: &str) -> Vec<String> {
        string_errors(src)
            .into_iter()
            .map(|(l, w)| format!("{l}: {w}"))
            .collect()
    }

    #[test]
    fn public_string_errors_are_found() {
        let src = "pub fn a() -> Result<(), String> { todo!() }\n\
                   pub fn b(x: u8)\n    -> Option<Result<Vec<u8>, std::string::String>>\n{ todo!() }\n\
                   impl FromStr for X {\n    type Err = String;\n}\n\
                   pub struct R {\n    pub exported: Option<Result<(), String>>,\n}\n";
        assert_eq!(
            found(src),
            [
                "1: `pub fn a`",
                "2: `pub fn b`",
                "6: `type Err = String`",
                "9: public field `exported`"
            ]
        );
    }

    #[test]
    fn private_typed_and_test_code_is_not() {
        let src = "pub(crate) fn a() -> Result<(), String> { todo!() }\n\
                   fn b() -> Result<(), String> { todo!() }\n\
                   pub fn c() -> Result<String, Error> { todo!() }\n\
                   pub fn d() -> io::Result<String> { todo!() }\n\
                   pub fn e(f: impl Fn() -> Result<(), String>) -> u8 { 0 }\n\
                   pub struct R { pub(crate) x: Result<(), String>, pub y: Vec<String> }\n\
                   // pub fn f() -> Result<(), String>\n\
                   #[cfg(test)]\nmod tests {\n    pub fn g() -> Result<(), String> { todo!() }\n    type Err = String;\n}\n";
        assert!(found(src).is_empty(), "{:?}", found(src));
    }

    #[test]
    fn libraries_are_checked_binaries_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let src = "//! A parser.\nimpl FromStr for X {\n    type Err = String;\n}\n";
        for path in [
            "crates/lib/src/lib.rs",
            "crates/lib/src/a/b.rs",
            "crates/bin/src/main.rs",
        ] {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, src).unwrap();
        }
        let mut problems = Vec::new();
        check(dir.path(), &mut problems);
        assert_eq!(problems.len(), 2, "{problems:#?}");
        assert!(problems[0].starts_with("crates/lib/src/a/b.rs:3: `type Err = String`"));
        assert!(problems[1].starts_with("crates/lib/src/lib.rs:3: `type Err = String`"));
    }
}
