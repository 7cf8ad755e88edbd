//! One module file, read for the cycle check: the paths it names (`use` trees, `crate::`,
//! `super::`, `self::` and child-module paths), the items it defines, its imports and
//! its `mod` declarations. `#[cfg(test)]` items are skipped whole.

use std::collections::{HashMap, HashSet};

use crate::lex::{Tok, Token, is_test_cfg, matching, skip_item, tokenize};

/// A path as written, before it is resolved against the file's module path.
#[derive(Debug, Clone)]
pub(super) struct Ref {
    /// Inline modules (`mod inner { … }`) the path sits in, outermost first.
    pub(super) scope: Vec<String>,
    /// The segments as written: `crate`, `super`, `self` or a child module first.
    pub(super) segs: Vec<String>,
    /// A glob import (`use a::*`).
    pub(super) glob: bool,
    /// For a leaf of a `pub use` (a re-export), the name it brings in (`*` for a glob):
    /// the re-export alone is no dependency, only a use of that name in the file.
    pub(super) reexport: Option<String>,
    pub(super) line: usize,
}

/// A `mod name;` or `mod name { … }` declaration.
#[derive(Debug, Clone)]
pub(super) struct ModDecl {
    pub(super) scope: Vec<String>,
    pub(super) name: String,
    pub(super) line: usize,
    /// Under `#[cfg(test)]`.
    pub(super) test: bool,
    /// The value of a `#[path = "…"]` attribute.
    pub(super) path: Option<String>,
}

/// What the cycle check needs from one file.
#[derive(Debug, Default)]
pub(super) struct Scanned {
    pub(super) refs: Vec<Ref>,
    /// Items defined here, as inline-module scope + name.
    pub(super) items: HashSet<Vec<String>>,
    /// Names brought in by `use`, as scope + name, with the path they stand for.
    pub(super) imports: HashMap<Vec<String>, Ref>,
    pub(super) mods: Vec<ModDecl>,
    /// Every identifier of non-test code (to see what a `use super::*` picks up).
    pub(super) idents: HashSet<String>,
}

/// Reads one file's source.
pub(super) fn scan(src: &str) -> Scanned {
    let toks = tokenize(src);
    let mut out = Scanned::default();
    let mut scope: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let (mut pending_test, mut pending_path) = (false, None);
    // The item being read was declared `pub` (any visibility but private).
    let mut public = false;
    let mut i = 0;
    while i < toks.len() {
        let t = &toks[i];
        let names: Vec<String> = scope.iter().map(|(n, _)| n.clone()).collect();
        let at_module_level = depth == scope.last().map_or(0, |s| s.1);
        if t.is_punct('#') && next_is_attribute(&toks, i) {
            let inner = toks.get(i + 1).is_some_and(|t| t.is_punct('!'));
            let open = i + 1 + usize::from(inner);
            let close = matching(&toks, open);
            let attr = &toks[(open + 1).min(close)..close];
            let test = is_test_cfg(attr);
            if inner && test && depth == 0 {
                return Scanned::default();
            }
            pending_test |= test;
            if attr.first().is_some_and(|t| t.is_ident("path")) {
                pending_path = attr.iter().find_map(|t| match &t.tok {
                    Tok::Str(s) => Some(s.clone()),
                    _ => None,
                });
            }
            i = close + 1;
            continue;
        }
        if t.is_ident("pub") {
            public = true;
            i += 1;
            if toks.get(i).is_some_and(|t| t.is_punct('(')) {
                i = matching(&toks, i) + 1;
            }
            continue;
        }
        if pending_test {
            if let Some(name) = mod_name(&toks, i) {
                out.mods.push(ModDecl {
                    scope: names,
                    name,
                    line: t.line,
                    test: true,
                    path: pending_path.take(),
                });
            }
            (pending_test, pending_path) = (false, None);
            i = skip_item(&toks, i);
            continue;
        }
        let path_attr = pending_path.take();
        let is_public = std::mem::take(&mut public);
        if let Some(name) = t.ident() {
            out.idents.insert(name.to_owned());
        }
        match &t.tok {
            Tok::Punct('{') => depth += 1,
            Tok::Punct('}') => {
                depth = depth.saturating_sub(1);
                if scope.last().is_some_and(|s| depth < s.1) {
                    scope.pop();
                }
            }
            Tok::Ident(kw) if kw == "mod" && at_module_level => {
                if let Some(name) = toks.get(i + 1).and_then(Token::ident) {
                    let inline = toks.get(i + 2).is_some_and(|t| t.is_punct('{'));
                    let mut key = names.clone();
                    key.push(name.to_owned());
                    out.items.insert(key);
                    out.mods.push(ModDecl {
                        scope: names,
                        name: name.to_owned(),
                        line: t.line,
                        test: false,
                        path: path_attr,
                    });
                    if inline {
                        depth += 1;
                        scope.push((name.to_owned(), depth));
                        i += 3;
                        continue;
                    }
                }
            }
            Tok::Ident(kw) if kw == "use" && !toks.get(i + 1).is_some_and(|t| t.is_punct('<')) => {
                let reexport = is_public && at_module_level;
                i = use_decl(&toks, i + 1, &names, (at_module_level, reexport), &mut out);
                continue;
            }
            Tok::Ident(kw) if at_module_level && is_definition(kw) => {
                let at = i + 1 + usize::from(kw == "macro_rules");
                if let Some(name) = toks.get(at).and_then(Token::ident) {
                    let mut key = names.clone();
                    key.push(name.to_owned());
                    out.items.insert(key);
                }
            }
            _ => {
                if let Some(end) = path_ref(&toks, i, &names, &mut out) {
                    i = end;
                    continue;
                }
            }
        }
        i += 1;
    }
    out
}

/// Whether `#` at `i` opens an attribute (`#[…]` or `#![…]`).
fn next_is_attribute(toks: &[Token], i: usize) -> bool {
    let at = i + 1 + usize::from(toks.get(i + 1).is_some_and(|t| t.is_punct('!')));
    toks.get(at).is_some_and(|t| t.is_punct('['))
}

fn is_definition(kw: &str) -> bool {
    matches!(
        kw,
        "fn" | "struct" | "enum" | "trait" | "type" | "const" | "static" | "union" | "macro_rules"
    )
}

/// The name of `mod name` at `i`, if that is what starts there.
fn mod_name(toks: &[Token], i: usize) -> Option<String> {
    if !toks[i].is_ident("mod") {
        return None;
    }
    toks.get(i + 1).and_then(Token::ident).map(str::to_owned)
}

/// A path starting at `i` with `crate`, `$crate`, `super`, `self` or an identifier
/// followed by `::`: records it and returns the index after it.
fn path_ref(toks: &[Token], i: usize, scope: &[String], out: &mut Scanned) -> Option<usize> {
    let first = toks[i].ident()?;
    if toks.get(i + 1)?.tok != Tok::PathSep {
        return None;
    }
    let prev = i.checked_sub(1).map(|p| &toks[p]);
    if prev.is_some_and(|p| p.tok == Tok::PathSep || p.is_punct('.')) {
        return None;
    }
    let mut segs = vec![first.to_owned()];
    let mut j = i + 1;
    while toks.get(j).is_some_and(|t| t.tok == Tok::PathSep) {
        let Some(seg) = toks.get(j + 1).and_then(Token::ident) else {
            break;
        };
        out.idents.insert(seg.to_owned());
        segs.push(seg.to_owned());
        j += 2;
    }
    out.refs.push(Ref {
        scope: scope.to_vec(),
        segs,
        glob: false,
        reexport: None,
        line: toks[i].line,
    });
    Some(j)
}

/// A `use` tree from `i` to its `;`; records each leaf (and, at module level, the name
/// it brings in) and returns the index after the `;`.
fn use_decl(
    toks: &[Token],
    i: usize,
    scope: &[String],
    (module_level, reexport): (bool, bool),
    out: &mut Scanned,
) -> usize {
    let mut leaves = Vec::new();
    let end = use_tree(toks, i, Vec::new(), &mut leaves);
    for (mut segs, alias, glob, line) in leaves {
        if segs.last().is_some_and(|s| s == "self") {
            segs.pop();
        }
        let Some(last) = segs.last().cloned() else {
            continue;
        };
        let name = if glob {
            "*".to_owned()
        } else {
            alias.unwrap_or(last)
        };
        let r = Ref {
            scope: scope.to_vec(),
            segs,
            glob,
            reexport: reexport.then(|| name.clone()),
            line,
        };
        if module_level && !glob {
            let mut key = scope.to_vec();
            key.push(name);
            out.imports.insert(key, r.clone());
        }
        out.refs.push(r);
    }
    toks[end.min(toks.len())..]
        .iter()
        .position(|t| t.is_punct(';'))
        .map_or(toks.len(), |p| end + p + 1)
}

type Leaf = (Vec<String>, Option<String>, bool, usize);

/// One use tree (`a::b`, `a::{b, c::*}`, `a as b`) after `prefix`; returns where it ends.
fn use_tree(
    toks: &[Token],
    mut i: usize,
    mut prefix: Vec<String>,
    leaves: &mut Vec<Leaf>,
) -> usize {
    if prefix.is_empty() && toks.get(i).is_some_and(|t| t.tok == Tok::PathSep) {
        prefix.push("::".to_owned());
        i += 1;
    }
    if toks.get(i).is_some_and(|t| t.is_punct('$')) {
        i += 1;
    }
    while let Some(t) = toks.get(i) {
        match &t.tok {
            Tok::Punct('{') => {
                i += 1;
                while toks.get(i).is_some_and(|t| !t.is_punct('}')) {
                    i = use_tree(toks, i, prefix.clone(), leaves);
                    if toks.get(i).is_some_and(|t| t.is_punct(',')) {
                        i += 1;
                    }
                }
                return i + 1;
            }
            Tok::Punct('*') => {
                leaves.push((prefix, None, true, t.line));
                return i + 1;
            }
            Tok::Ident(seg) => {
                prefix.push(seg.clone());
                i += 1;
                if toks.get(i).is_some_and(|t| t.tok == Tok::PathSep) {
                    i += 1;
                    continue;
                }
                let alias = toks
                    .get(i)
                    .filter(|t| t.is_ident("as"))
                    .and_then(|_| toks.get(i + 1)?.ident().map(str::to_owned));
                if alias.is_some() {
                    i += 2;
                }
                leaves.push((prefix, alias, false, t.line));
                return i;
            }
            _ => return i,
        }
    }
    i
}
