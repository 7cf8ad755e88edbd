//! What every page shares: escaping, the document head, status badges, and numbers and
//! durations written compactly.

use std::fmt::Write as _;

use steadfast_core::Status;

use crate::style::STYLE;

/// Escapes text for HTML content and attribute values: core's one markup escaper.
pub(crate) fn esc(s: &str) -> String {
    steadfast_core::escape_markup(s).into_owned()
}

/// A status as a coloured badge that also says it in words.
pub(crate) fn badge(status: Option<Status>) -> String {
    match status {
        Some(Status::Pass) => r#"<span class="badge pass">PASS</span>"#.to_owned(),
        Some(Status::Warn) => r#"<span class="badge warn">WARN</span>"#.to_owned(),
        Some(Status::Fail) => r#"<span class="badge fail">FAIL</span>"#.to_owned(),
        None => r#"<span class="badge none">UNKNOWN</span>"#.to_owned(),
    }
}

/// A duration in core's one compact form ([`HumanDuration::approx`](steadfast_core::HumanDuration::approx)):
/// µs and ns below a millisecond; nothing at all is `0s`, never a misleading `0ms`.
pub(crate) fn ms(d: std::time::Duration) -> String {
    if d.is_zero() {
        return "0s".to_owned();
    }
    steadfast_core::HumanDuration::new(d).approx()
}

/// Nanoseconds as [`ms`] writes them.
pub(crate) fn ns(n: u64) -> String {
    ms(std::time::Duration::from_nanos(n))
}

/// A number compactly: whole numbers without a fraction.
pub(crate) fn num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        format!("{x:.3}")
    }
}

/// `+12.5%`, marked when a rise is bad (`higher_is_worse`) and above 10%.
pub(crate) fn delta(a: f64, b: f64, higher_is_worse: bool) -> String {
    if a == 0.0 {
        return if b == 0.0 {
            "—".to_owned()
        } else {
            "new".to_owned()
        };
    }
    let pct = (b - a) / a * 100.0;
    let worse = if higher_is_worse {
        pct > 10.0
    } else {
        pct < -10.0
    };
    let better = if higher_is_worse {
        pct < -10.0
    } else {
        pct > 10.0
    };
    if worse {
        format!("<span class=\"regression\">{pct:+.1}% ▲ regression</span>")
    } else if better {
        format!("<span class=\"improvement\">{pct:+.1}% improvement</span>")
    } else {
        format!("{pct:+.1}%")
    }
}

/// The document's start, up to and including `<body>`: title and inline stylesheet.
pub(crate) fn head(out: &mut String, title: &str) {
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        esc(title)
    );
}

#[cfg(test)]
mod tests {
    #[test]
    fn escaping_covers_markup_and_attributes() {
        assert_eq!(
            super::esc(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
    }

    #[test]
    fn numbers_and_durations_are_compact() {
        assert_eq!(super::num(1000.0), "1000");
        assert_eq!(super::num(0.5), "0.500");
        assert_eq!(super::ns(250_000_000), "250ms");
        assert_eq!(super::ms(std::time::Duration::from_secs(180)), "3m 00s");
        assert_eq!(super::ns(29_400), "29.4µs");
        assert_eq!(super::ns(700), "700ns");
        assert_eq!(super::ns(0), "0s");
    }
}
