//! Tidy check: module dependencies inside a crate form a tree. For each `crates/*/src`,
//! every module file is a node (`foo.rs`, `foo/mod.rs` → `foo`; `foo/bar.rs` →
//! `foo::bar`; the crate root is not a node, so re-exports there do not count) and every
//! path one file names into another module is an edge: `use` trees, `crate::a::…`,
//! `super::…`, `self::…` and `child::…`. A path is resolved to the module that defines
//! what it names, following `use` re-exports, so `super::sibling::X` and `super::X`
//! re-exported from a sibling are edges to the sibling; a path to an ancestor counts
//! only when it names an item defined in the ancestor's own file. A `pub use`
//! re-export is a module's table of contents, not a dependency, unless the file's own
//! code uses the name too. `#[cfg(test)]` items and test-only module files are left
//! out. Every strongly connected component of more than one module is a problem, and
//! so is any `#[path]` attribute.

mod scan;
#[cfg(test)]
mod tests;

use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};

use walkdir::WalkDir;

use scan::{Ref, Scanned, scan};

type ModPath = Vec<String>;

/// Re-exports followed before a path is taken to end where it is.
const MAX_HOPS: usize = 8;

struct File {
    abs: PathBuf,
    /// Relative to the workspace root, for messages.
    rel: String,
    /// `None` for the crate root (`lib.rs`, `main.rs`).
    module: Option<ModPath>,
    scanned: Scanned,
    test: bool,
}

/// One reference from a module file to another module.
struct Edge {
    from: usize,
    to: usize,
    line: usize,
}

/// Checks every crate under `root/crates`.
pub(crate) fn check(root: &Path, problems: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(root.join("crates")) else {
        return;
    };
    let mut sources: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path().join("src"))
        .filter(|p| p.is_dir())
        .collect();
    sources.sort();
    for src in sources {
        check_crate(root, &src, problems);
    }
}

fn check_crate(root: &Path, src: &Path, problems: &mut Vec<String>) {
    let mut files = load(root, src, problems);
    apply_declarations(&mut files, problems);
    let graph = Graph::new(&files);
    let src_rel = src.strip_prefix(root).unwrap_or(src).display().to_string();
    for component in graph.cycles() {
        problems.push(graph.describe(&src_rel, &component));
    }
}

fn load(root: &Path, src: &Path, problems: &mut Vec<String>) -> Vec<File> {
    let mut files = Vec::new();
    let entries = WalkDir::new(src).sort_by_file_name().into_iter();
    for entry in entries.filter_map(Result::ok) {
        let abs = entry.into_path();
        if abs.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let rel = abs
            .strip_prefix(root)
            .unwrap_or(&abs)
            .to_string_lossy()
            .replace('\\', "/");
        let Ok(text) = std::fs::read_to_string(&abs) else {
            problems.push(format!("{rel}: not UTF-8"));
            continue;
        };
        let module = layout_module(abs.strip_prefix(src).unwrap_or(&abs));
        files.push(File {
            abs,
            rel,
            module,
            scanned: scan(&text),
            test: false,
        });
    }
    files
}

/// The module path a file's place under `src/` gives it.
fn layout_module(rel: &Path) -> Option<ModPath> {
    let mut parts: ModPath = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let last = parts.pop()?;
    let stem = last.strip_suffix(".rs").unwrap_or(&last);
    if parts.is_empty() && (stem == "lib" || stem == "main") {
        return None;
    }
    if stem != "mod" {
        parts.push(stem.to_owned());
    }
    Some(parts)
}

/// Applies `mod` declarations: `#[path]` (a problem, but followed so the graph is
/// right) and `#[cfg(test)]` (the file and its children leave the graph).
fn apply_declarations(files: &mut [File], problems: &mut Vec<String>) {
    let mut test_modules: Vec<ModPath> = Vec::new();
    for i in 0..files.len() {
        let base = files[i].module.clone().unwrap_or_default();
        let dir = files[i]
            .abs
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        for decl in files[i].scanned.mods.clone() {
            let mut child = base.clone();
            child.extend(decl.scope.iter().cloned());
            child.push(decl.name.clone());
            if let Some(path) = &decl.path {
                problems.push(format!(
                    "{}:{}: `#[path = \"{path}\"]` on `mod {}`; move the file to where its \
                     module path puts it (`#[path]` hides the module tree)",
                    files[i].rel, decl.line, decl.name
                ));
                let target = normalize(&dir.join(path));
                if let Some(file) = files.iter_mut().find(|f| f.abs == target) {
                    file.module = Some(child.clone());
                }
            }
            if decl.test {
                test_modules.push(child);
            }
        }
    }
    for file in files.iter_mut() {
        file.test = file
            .module
            .as_ref()
            .is_some_and(|m| test_modules.iter().any(|t| m.starts_with(t)));
    }
}

/// `a/./b/../c` → `a/c`, without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

struct Graph<'a> {
    files: &'a [File],
    nodes: HashMap<ModPath, usize>,
    edges: Vec<Edge>,
}

impl<'a> Graph<'a> {
    fn new(files: &'a [File]) -> Self {
        let nodes = files
            .iter()
            .enumerate()
            .filter(|(_, f)| !f.test)
            .filter_map(|(i, f)| Some((f.module.clone()?, i)))
            .collect();
        let mut graph = Graph {
            files,
            nodes,
            edges: Vec::new(),
        };
        let mut edges = Vec::new();
        for &from in graph.nodes.values() {
            let scanned = &files[from].scanned;
            for r in &scanned.refs {
                if r.reexport
                    .as_ref()
                    .is_some_and(|name| !scanned.idents.contains(name))
                {
                    continue;
                }
                let Some(abs) = graph.absolute(from, r) else {
                    continue;
                };
                let to = if r.glob {
                    graph.glob_target(from, &abs)
                } else {
                    graph.target(from, &abs, 0)
                };
                if let Some(to) = to.filter(|&to| to != from) {
                    edges.push(Edge {
                        from,
                        to,
                        line: r.line,
                    });
                }
            }
        }
        edges.sort_by_key(|e| (e.from, e.line, e.to));
        graph.edges = edges;
        graph
    }

    /// The crate-absolute path `r` names from file `at`, if it starts inside the crate.
    fn absolute(&self, at: usize, r: &Ref) -> Option<ModPath> {
        let file = &self.files[at];
        let mut base = file.module.clone().unwrap_or_default();
        base.extend(r.scope.iter().cloned());
        let first = r.segs.first()?.as_str();
        match first {
            "crate" => Some(r.segs[1..].to_vec()),
            "super" => {
                let ups = r.segs.iter().take_while(|s| *s == "super").count();
                base.truncate(base.len().checked_sub(ups)?);
                base.extend(r.segs[ups..].iter().cloned());
                Some(base)
            }
            "self" => {
                base.extend(r.segs[1..].iter().cloned());
                Some(base)
            }
            name => {
                let child = file
                    .scanned
                    .mods
                    .iter()
                    .any(|d| d.scope == r.scope && d.name == name);
                child.then(|| {
                    base.extend(r.segs.iter().cloned());
                    base
                })
            }
        }
    }

    /// The module file that defines what `abs` names, seen from file `from`.
    fn target(&self, from: usize, abs: &[String], hops: usize) -> Option<usize> {
        let (len, node) = (1..=abs.len())
            .rev()
            .find_map(|k| self.nodes.get(&abs[..k]).map(|&n| (k, n)))?;
        let ancestor = self.is_ancestor(node, from);
        let Some(name) = abs.get(len) else {
            return (!ancestor).then_some(node);
        };
        let key = vec![name.clone()];
        let scanned = &self.files[node].scanned;
        if scanned.items.contains(&key) {
            return Some(node);
        }
        if let Some(import) = scanned.imports.get(&key).filter(|_| hops < MAX_HOPS)
            && let Some(mut next) = self.absolute(node, import)
        {
            next.extend(abs[len + 1..].iter().cloned());
            if let Some(found) = self.target(from, &next, hops + 1) {
                return Some(found);
            }
        }
        (!ancestor).then_some(node)
    }

    /// `use a::*`: an ancestor counts when the file uses a name the ancestor defines.
    fn glob_target(&self, from: usize, abs: &[String]) -> Option<usize> {
        let &node = self.nodes.get(abs)?;
        if !self.is_ancestor(node, from) {
            return Some(node);
        }
        let defined = &self.files[node].scanned.items;
        let used = &self.files[from].scanned.idents;
        used.iter()
            .any(|name| defined.contains(&vec![name.clone()]))
            .then_some(node)
    }

    fn is_ancestor(&self, node: usize, of: usize) -> bool {
        let (Some(a), Some(b)) = (&self.files[node].module, &self.files[of].module) else {
            return false;
        };
        b.len() > a.len() && b.starts_with(a)
    }

    /// Strongly connected components with more than one module, each sorted by file.
    fn cycles(&self) -> Vec<Vec<usize>> {
        let mut out: Vec<Vec<usize>> = Vec::new();
        let mut seen = HashSet::new();
        let mut nodes: Vec<usize> = self.nodes.values().copied().collect();
        nodes.sort_by_key(|&n| &self.files[n].rel);
        let reach: HashMap<usize, HashSet<usize>> =
            nodes.iter().map(|&n| (n, self.reachable(n))).collect();
        for &n in &nodes {
            if seen.contains(&n) {
                continue;
            }
            let component: Vec<usize> = nodes
                .iter()
                .copied()
                .filter(|&m| m == n || (reach[&n].contains(&m) && reach[&m].contains(&n)))
                .collect();
            seen.extend(component.iter().copied());
            if component.len() > 1 {
                out.push(component);
            }
        }
        out
    }

    fn reachable(&self, start: usize) -> HashSet<usize> {
        let mut seen = HashSet::new();
        let mut stack = vec![start];
        while let Some(n) = stack.pop() {
            for e in self.edges.iter().filter(|e| e.from == n) {
                if seen.insert(e.to) {
                    stack.push(e.to);
                }
            }
        }
        seen
    }

    fn describe(&self, src: &str, component: &[usize]) -> String {
        let name = |n: usize| self.files[n].module.clone().unwrap_or_default().join("::");
        let names: Vec<String> = component.iter().map(|&n| name(n)).collect();
        let mut text = format!(
            "{src}: modules {} depend on each other in a cycle; move what they share into a \
             module of its own so dependencies point one way:",
            names.join(", ")
        );
        for &n in component {
            if let Some(e) = self
                .edges
                .iter()
                .find(|e| e.from == n && component.contains(&e.to))
            {
                text.push_str(&format!(
                    "\n    {}:{} uses {}",
                    self.files[n].rel,
                    e.line,
                    name(e.to)
                ));
            }
        }
        text
    }
}
