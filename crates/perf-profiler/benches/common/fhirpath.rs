//! A tiny path-expression engine, shared by the profiler bench and the overhead example:
//! parse `a.b.c` / `a.b = 'x'` / `a.count() > n` and evaluate it over small resources, as a
//! FHIRPath evaluator does per operation.

use std::collections::HashMap;

#[derive(Clone)]
pub enum Node {
    Str(String),
    Num(f64),
    List(Vec<Self>),
    Obj(HashMap<&'static str, Self>),
}

pub enum Expr {
    Path(Vec<String>),
    Eq(Vec<String>, String),
    CountGt(Vec<String>, f64),
}

pub fn parse(text: &str) -> Expr {
    let path = |s: &str| s.trim().split('.').map(str::to_owned).collect::<Vec<_>>();
    if let Some((l, r)) = text.split_once(" = ") {
        Expr::Eq(path(l), r.trim().trim_matches('\'').to_owned())
    } else if let Some((l, r)) = text.split_once(".count() > ") {
        Expr::CountGt(path(l), r.trim().parse().unwrap_or(0.0))
    } else {
        Expr::Path(path(text))
    }
}

fn walk<'a>(node: &'a Node, path: &[String], out: &mut Vec<&'a Node>) {
    let Some((head, rest)) = path.split_first() else {
        out.push(node);
        return;
    };
    match node {
        Node::Obj(map) => {
            if let Some(child) = map.get(head.as_str()) {
                walk(child, rest, out);
            }
        }
        Node::List(items) => {
            for item in items {
                walk(item, path, out);
            }
        }
        _ => {}
    }
}

pub fn evaluate(expr: &Expr, resource: &Node) -> f64 {
    let mut out = Vec::new();
    match expr {
        Expr::Path(p) => {
            walk(resource, p, &mut out);
            out.iter()
                .map(|n| if let Node::Num(x) = n { *x } else { 1.0 })
                .sum()
        }
        Expr::Eq(p, want) => {
            walk(resource, p, &mut out);
            f64::from(u8::from(
                out.iter().any(|n| matches!(n, Node::Str(s) if s == want)),
            ))
        }
        Expr::CountGt(p, n) => {
            walk(resource, p, &mut out);
            f64::from(u8::from(out.len() as f64 > *n))
        }
    }
}

pub fn patient(i: usize) -> Node {
    let name = |g: &str, f: &str| {
        Node::Obj(HashMap::from([
            (
                "given",
                Node::List(vec![Node::Str(g.into()), Node::Str("M".into())]),
            ),
            ("family", Node::Str(f.into())),
        ]))
    };
    Node::Obj(HashMap::from([
        ("resourceType", Node::Str("Patient".into())),
        (
            "gender",
            Node::Str(
                if i.is_multiple_of(2) {
                    "female"
                } else {
                    "male"
                }
                .into(),
            ),
        ),
        (
            "name",
            Node::List(vec![name("Ada", "Lovelace"), name("Augusta", "King")]),
        ),
        ("age", Node::Num(30.0 + (i % 50) as f64)),
    ]))
}

pub const EXPRESSIONS: [&str; 4] = [
    "name.given",
    "gender = 'female'",
    "name.count() > 1",
    "name.family = 'King'",
];

/// One operation (~0.5 µs here): parse one expression and evaluate it on four resources.
#[inline(never)]
pub fn operation(i: usize, resources: &[Node]) -> f64 {
    let expr = parse(EXPRESSIONS[i % 4]);
    (0..4)
        .map(|k| evaluate(&expr, &resources[(i + k * 7) % resources.len()]))
        .sum()
}
