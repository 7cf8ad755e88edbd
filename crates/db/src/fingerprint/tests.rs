//! The fingerprint against hostile SQL: every way a value can be written must come out as
//! `?`, and statements differing only in values must share one fingerprint.

use super::fingerprint;

fn text(sql: &str) -> String {
    fingerprint(sql).text().to_owned()
}

/// No part of `secret` survives in `sql`'s fingerprint (in any case: words are lowercased).
fn hides(sql: &str, secret: &str) {
    let t = text(sql).to_lowercase();
    assert!(
        !t.contains(&secret.to_lowercase()),
        "{secret:?} leaked: {t:?} from {sql:?}"
    );
}

#[test]
fn literals_and_parameters_become_placeholders() {
    let cases = [
        ("SELECT 1", "select ?"),
        (
            "select * from t where a = 'x' and b = 42",
            "select * from t where a = ? and b = ?",
        ),
        ("SELECT $1, $22::int", "select ?, ?::int"),
        ("select 1.5e-3, .5, 0x1F, 1_000", "select ?, ?, ?, ?"),
        ("select E'it\\'s', e'x'", "select ?, ?"),
        ("select B'1010', X'ff', N'nat'", "select ?, ?, ?"),
        ("select U&'d\\0061t'", "select ?"),
        (
            "select $$dollar ' quoted$$, $tag$ a $$ b $tag$",
            "select ?, ?",
        ),
        ("select 'it''s'", "select ?"),
        ("select 'C:\\dir', 2", "select ?, ?"),
        (
            "select interval '1 day', date '2020-01-01'",
            "select interval ?, date ?",
        ),
        ("select '{\"a\":1}'::jsonb -> 'a'", "select ?::jsonb -> ?"),
    ];
    for (sql, want) in cases {
        assert_eq!(text(sql), want, "{sql}");
    }
}

#[test]
fn negative_numbers_are_values_and_minus_stays_an_operator() {
    assert_eq!(text("select -5"), "select ?");
    assert_eq!(
        text("select * from t where a = -5"),
        "select * from t where a = ?"
    );
    assert_eq!(
        text("select * from t where a=-5"),
        text("select * from t where a = 7")
    );
    assert_eq!(text("select f(-1, +2)"), "select f(?, ?)");
    assert_eq!(text("select a - 5 from t"), "select a - ? from t");
    assert_eq!(text("select (a) - 5 from t"), "select (a) - ? from t");
    assert_eq!(text("select a-5, a - -5"), "select a - ?, a - ?");
}

#[test]
fn comments_go_and_whitespace_and_case_are_normalised() {
    let a = fingerprint("SELECT  name\n\tFROM Patient -- 'PATIENT-SECRET-4711'\nWHERE id = 1;");
    let b = fingerprint(
        "/* caller: etl /* nested 987654321 */ */ select name from patient where id=$1",
    );
    assert_eq!(a, b);
    assert_eq!(a.text(), "select name from patient where id = ?");
    assert_eq!(
        text("select 1 /* unterminated 'PATIENT-SECRET-4711'"),
        "select ?"
    );
}

#[test]
fn quoted_identifiers_are_kept_as_written() {
    assert_eq!(
        text(r#"select "Weird""Col""", x from "Patient" where "Id" = 5"#),
        r#"select "Weird""Col""", x from "Patient" where "Id" = ?"#
    );
    // An unclosed one may be anything: swallowed.
    assert_eq!(text(r#"select "PATIENT-SECRET-4711"#), "select ?");
}

#[test]
fn quoted_identifiers_that_look_like_values_are_values() {
    assert_eq!(
        text(r#"select * from t where mrn = "MRN-4711""#),
        "select * from t where mrn = ?"
    );
    for sql in [
        r#"select "John Smith""#,
        r#"select "19700101""#,
        r#"select "x1234y""#,
        r#"select "a-b""#,
        "select \"a\u{1b}[2Jb\"",
    ] {
        assert_eq!(text(sql), "select ?", "{sql}");
    }
    let long = format!("select \"{}\"", "n".repeat(64));
    assert_eq!(text(&long), "select ?");
    let name = format!("select \"{}\"", "n".repeat(63));
    assert_eq!(text(&name), name);
}

#[test]
fn a_setting_value_is_a_value_even_as_a_word() {
    let cases = [
        (
            "set application_name = john_smith",
            "set application_name = ?",
        ),
        ("SET LOCAL my.patient TO John", "set local my.patient to ?"),
        (
            "set session x = 'a'; select 1",
            "set session x = ?; select ?",
        ),
        (
            r#"set search_path to a, "B", c"#,
            "set search_path to ?, ?, ?",
        ),
        ("SET TIME ZONE Europe", "set time zone ?"),
        (
            "alter role etl set work_mem = smith",
            "alter role etl set work_mem = ?",
        ),
        // Not a setting: the columns of an update stay.
        (
            "update t set a = b, c = 5 where d = e",
            "update t set a = b, c = ? where d = e",
        ),
        (
            "insert into t values (1) on conflict (k) do update set a = excluded.a",
            "insert into t values (?) on conflict(k) do update set a = excluded.a",
        ),
    ];
    for (sql, want) in cases {
        assert_eq!(text(sql), want, "{sql}");
    }
}

#[test]
fn lists_collapse_so_their_length_is_not_a_new_statement() {
    let short = fingerprint("select * from t where id in (1, 2)");
    let long = fingerprint("select * from t where id IN ($1,$2,$3,$4, 'x')");
    assert_eq!(short, long);
    assert_eq!(short.text(), "select * from t where id in (...)");
    assert_eq!(
        text("select * from t where id = any(array[1,2,3])"),
        "select * from t where id = any (array[...])"
    );
    assert_eq!(
        text("insert into t (a, b) values (1, 'x'), (2, 'y'), ($1, $2)"),
        "insert into t(a, b) values (?, ?)"
    );
    assert_eq!(
        text("select * from t where id in (select id from u)"),
        "select * from t where id in (select id from u)"
    );
}

#[test]
fn pg_stat_statements_text_and_client_text_share_a_fingerprint() {
    assert_eq!(
        fingerprint(
            "SELECT count(*) FROM patient WHERE mrn = 'PATIENT-SECRET-4711' AND age > 987654321"
        ),
        fingerprint("SELECT count(*) FROM patient WHERE mrn = $1 AND age > $2")
    );
    assert_eq!(
        fingerprint("select * from t where id in (1, 2, 3)"),
        fingerprint("select * from t where id in ($1, $2, $3)")
    );
}

#[test]
fn no_value_survives_hostile_writing() {
    let s = "PATIENT-SECRET-4711";
    for sql in [
        "select 'PATIENT-SECRET-4711'",
        "select E'PATIENT-SECRET-4711\\' or 1=1'",
        "select 'a''PATIENT-SECRET-4711'",
        "select $q$PATIENT-SECRET-4711$q$",
        "select $$PATIENT-SECRET-4711",
        "select 'PATIENT-SECRET-4711",
        "select e'\\'PATIENT-SECRET-4711'",
        "select U&'PATIENT-SECRET-4711'",
        "select x'PATIENT-SECRET-4711'",
        "select 1 -- PATIENT-SECRET-4711",
        "select /* PATIENT-SECRET-4711 */ 1",
        // A `--` comment ends at `\r` too: the string after it is a string.
        "select 1 --x\r, 'a\nPATIENT-SECRET-4711', 2",
        "select 5 --c\r || 'v\nPATIENT-SECRET-4711', 2",
        "select 1 --x\r\n'PATIENT-SECRET-4711'",
        // standard_conforming_strings off reads \' as an escaped quote, on as a closing one.
        "select 'it\\'s PATIENT-SECRET-4711', 1",
        "select 'a\\', 'PATIENT-SECRET-4711'",
    ] {
        hides(sql, s);
        hides(sql, "secret");
    }
    // The reviewer's two: PostgreSQL ends a `--` comment at `\r`.
    assert_eq!(text("select 1 --x\r, 'a\nJohn Smith', 2"), "select ?, ?, ?");
    assert_eq!(text("select 5 --c\r || 'v\nSmith', 2"), "select ? || ?, ?");
    for sql in [
        "select 987654321",
        "select -987654321",
        "select 9876.54321e+2",
        "select $987654321",
    ] {
        hides(sql, "987654321");
        hides(sql, "98765");
    }
}

#[test]
fn strange_input_never_panics() {
    for sql in [
        "",
        " ",
        ";",
        "$",
        "$$",
        "$a",
        "'",
        "\"",
        "/*",
        "--",
        "E'\\",
        "u&",
        "1e",
        "1e+",
        "::",
        ".",
        "..5",
        "é 'ü' \u{202e}",
        "select\0'x'",
        "$1$2",
        "a$b$c",
        "$tag$x$ta",
    ] {
        let _ = fingerprint(sql);
    }
    assert_eq!(text(""), "");
    assert_eq!(text("select 1;;"), "select ?");
}

#[test]
fn ids_are_stable_and_long_texts_are_cut() {
    // Pinned: the id is part of files written by older runs.
    assert_eq!(
        fingerprint("select ?").id(),
        xxhash_rust::xxh3::xxh3_64(b"select ?")
    );
    let wide = format!(
        "select {}",
        (0..2000)
            .map(|i| format!("c{i}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let f = fingerprint(&wide);
    assert!(f.text().chars().count() <= super::MAX_TEXT + 1 && f.text().ends_with('…'));
    assert_ne!(f, fingerprint(&format!("{wide}, d")));
}
