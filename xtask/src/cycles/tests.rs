//! Tests of the module-cycle check on small synthetic crates.

use super::check;

/// Writes `files` (path under `crates/demo/src`, text) and returns the problems found.
fn problems(files: &[(&str, &str)]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join("crates/demo/src").join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let mut out = Vec::new();
    check(dir.path(), &mut out);
    out
}

#[test]
fn two_modules_using_each_other_are_a_cycle() {
    let found = problems(&[
        ("lib.rs", "//! Root.\nmod a;\nmod b;\n"),
        ("a.rs", "//! A.\nuse crate::b::B;\npub(crate) struct A;\n"),
        (
            "b.rs",
            "//! B.\npub(crate) struct B;\nfn f() -> crate::a::A { todo!() }\n",
        ),
    ]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0].contains("modules a, b depend on each other"),
        "{}",
        found[0]
    );
    assert!(
        found[0].contains("crates/demo/src/a.rs:2 uses b"),
        "{}",
        found[0]
    );
    assert!(
        found[0].contains("crates/demo/src/b.rs:3 uses a"),
        "{}",
        found[0]
    );
}

#[test]
fn edges_one_way_are_no_cycle() {
    let found = problems(&[
        ("lib.rs", "//! Root.\nmod a;\nmod b;\nmod c;\n"),
        ("a.rs", "//! A.\nuse crate::{b::B, c::{C, D}};\n"),
        ("b.rs", "//! B.\nuse crate::c::C;\npub(crate) struct B;\n"),
        (
            "c.rs",
            "//! C.\npub(crate) struct C;\npub(crate) struct D;\n",
        ),
    ]);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn a_longer_cycle_through_a_use_tree_is_one_problem() {
    let found = problems(&[
        ("lib.rs", "//! Root.\nmod a;\nmod b;\nmod c;\n"),
        (
            "a.rs",
            "//! A.\nuse crate::{b::B, c::C};\npub(crate) struct A;\n",
        ),
        ("b.rs", "//! B.\npub(crate) struct B;\n"),
        (
            "c.rs",
            "//! C.\npub(crate) struct C;\n\nfn f() {\n    let _ = crate::a::A;\n}\n",
        ),
    ]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(found[0].contains("modules a, c depend"), "{}", found[0]);
    assert!(found[0].contains("c.rs:5 uses a"), "{}", found[0]);
}

#[test]
fn test_modules_comments_and_strings_do_not_count() {
    let found = problems(&[
        (
            "lib.rs",
            "//! Root.\nmod a;\nmod b;\n#[cfg(test)]\nmod c;\n",
        ),
        ("a.rs", "//! A.\nuse crate::b::B;\npub(crate) struct A;\n"),
        (
            "b.rs",
            "//! B, not crate::a::A.\n/// See [`crate::a::A`].\npub(crate) struct B;\n\
             // crate::a::A\nconst S: &str = \"crate::a::A\";\n\
             #[cfg(test)]\nmod tests {\n    use crate::a::A;\n}\n\
             #[cfg(test)]\nfn helper() -> crate::a::A { crate::a::A }\n",
        ),
        (
            "c.rs",
            "//! Test-only module.\nuse crate::a::A;\nuse crate::b::B;\n",
        ),
        ("a/tests.rs", "//! Not declared; no edges of note.\n"),
    ]);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn super_to_a_sibling_is_an_edge_to_the_sibling() {
    let found = problems(&[
        ("lib.rs", "//! Root.\nmod p;\n"),
        (
            "p/mod.rs",
            "//! Parent.\nmod b;\nmod c;\npub(crate) use b::B;\n",
        ),
        ("p/b.rs", "//! B.\npub(crate) struct B(super::c::C);\n"),
        (
            "p/c.rs",
            "//! C.\npub(crate) struct C;\nfn f(_: super::b::B) {}\n",
        ),
    ]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0].contains("modules p::b, p::c depend"),
        "{}",
        found[0]
    );
}

#[test]
fn super_to_a_parent_counts_only_for_items_defined_there() {
    // `super::B` is `p::b::B` re-exported by the parent: an edge to `b`, not to `p`.
    let reexport = problems(&[
        ("lib.rs", "//! Root.\nmod p;\n"),
        (
            "p/mod.rs",
            "//! Parent.\nmod b;\nmod c;\npub(crate) use self::b::B;\nfn f(_: c::C) {}\n",
        ),
        ("p/b.rs", "//! B.\npub(crate) struct B;\n"),
        ("p/c.rs", "//! C.\npub(crate) struct C(super::B);\n"),
    ]);
    assert!(reexport.is_empty(), "{reexport:#?}");
    // `super::P` is defined in the parent, which uses the child: a cycle.
    let defined = problems(&[
        ("lib.rs", "//! Root.\nmod p;\n"),
        (
            "p.rs",
            "//! Parent.\nmod c;\npub(crate) struct P;\nfn f(_: c::C) {}\n",
        ),
        ("p/c.rs", "//! C.\nuse super::*;\npub(crate) struct C(P);\n"),
    ]);
    assert_eq!(defined.len(), 1, "{defined:#?}");
    assert!(
        defined[0].contains("modules p, p::c depend"),
        "{}",
        defined[0]
    );
    assert!(defined[0].contains("p/c.rs:2 uses p"), "{}", defined[0]);
    assert!(defined[0].contains("p.rs:4 uses p::c"), "{}", defined[0]);
}

#[test]
fn root_reexports_do_not_count() {
    let found = problems(&[
        (
            "lib.rs",
            "//! Root.\nmod a;\nmod b;\npub use a::A;\npub use b::B;\n",
        ),
        ("a.rs", "//! A.\npub struct A(crate::B);\n"),
        ("b.rs", "//! B.\npub struct B;\nfn f(_: crate::A) {}\n"),
    ]);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn inline_modules_resolve_super_from_where_they_sit() {
    let found = problems(&[
        ("lib.rs", "//! Root.\nmod a;\nmod b;\n"),
        (
            "a.rs",
            "//! A.\npub(crate) struct A;\nmod inner {\n    use super::super::b::B;\n}\n",
        ),
        (
            "b.rs",
            "//! B.\npub(crate) struct B;\nuse crate::a::inner;\n",
        ),
    ]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(found[0].contains("a.rs:4 uses b"), "{}", found[0]);
}

#[test]
fn path_attributes_are_problems_and_followed() {
    let found = problems(&[
        ("lib.rs", "//! Root.\nmod a;\n"),
        (
            "a.rs",
            "//! A.\n#[path = \"other.rs\"]\nmod hidden;\npub(crate) struct A;\nfn f(_: hidden::H) {}\n",
        ),
        (
            "other.rs",
            "//! Really `a::hidden`.\npub(crate) struct H(super::A);\n",
        ),
    ]);
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(
        found[0].contains("a.rs:3: `#[path = \"other.rs\"]` on `mod hidden`"),
        "{}",
        found[0]
    );
    assert!(
        found[1].contains("modules a, a::hidden depend"),
        "{}",
        found[1]
    );
}

#[test]
fn a_reexport_is_no_dependency_unless_its_file_uses_the_name() {
    let listed = problems(&[
        ("lib.rs", "//! Root.\nmod p;\n"),
        (
            "p/mod.rs",
            "//! Parent.\nmod b;\npub use b::B;\npub trait T {}\n",
        ),
        ("p/b.rs", "//! B.\npub struct B;\nimpl super::T for B {}\n"),
    ]);
    assert!(listed.is_empty(), "{listed:#?}");
    let used = problems(&[
        ("lib.rs", "//! Root.\nmod p;\n"),
        (
            "p/mod.rs",
            "//! Parent.\nmod b;\npub use b::B;\npub trait T {}\nfn f(_: B) {}\n",
        ),
        ("p/b.rs", "//! B.\npub struct B;\nimpl super::T for B {}\n"),
    ]);
    assert_eq!(used.len(), 1, "{used:#?}");
    assert!(used[0].contains("p/mod.rs:3 uses p::b"), "{}", used[0]);
}
