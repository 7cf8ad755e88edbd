//! The field checks of one record: required, unique, allowed values, ranges, patterns and
//! references, each turning a captured value into a violation or nothing.

use super::plan::{Check, ID_SLOT, Op, Plan};
use super::scan::{Captured, Kind};
use super::tally::{Finding, Loc, RefSeen, Tally, hash, present};

impl Tally {
    pub(crate) fn check(&mut self, plan: &Plan, check: &Check, line: &[u8], at: Loc) {
        let captured = self.slots[usize::from(check.slot)];
        let value_of = |c: &Captured| {
            plan.show_values
                .then(|| String::from_utf8_lossy(c.raw(line)).into_owned())
        };
        let problem: Option<(String, Option<String>)> = match &check.op {
            Op::Required => (!present(captured.as_ref())).then(|| ("missing".to_owned(), None)),
            Op::Unique { .. } if usize::from(check.slot) == ID_SLOT => None,
            _ if !present(captured.as_ref()) => None,
            Op::Unique { set } => {
                let c = captured.unwrap_or(Captured {
                    start: 0,
                    end: 0,
                    kind: Kind::Null,
                    escaped: false,
                    empty: true,
                });
                let h = hash(c.raw(line));
                let text = plan
                    .show_values
                    .then(|| String::from_utf8_lossy(c.raw(line)));
                self.sighting(plan, *set, h, at, text.as_deref());
                None
            }
            Op::Allowed(allowed) => captured.and_then(|c| match c.text(line) {
                Some(text) if allowed.iter().any(|a| *a == *text) => None,
                Some(_) => Some(("not an allowed value".to_owned(), value_of(&c))),
                None => Some(("expected a string".to_owned(), value_of(&c))),
            }),
            Op::Range { min, max } => captured.and_then(|c| {
                let number = (c.kind == Kind::Number)
                    .then(|| std::str::from_utf8(c.raw(line)).ok()?.parse::<f64>().ok())
                    .flatten();
                match number {
                    Some(x) if x >= *min && x <= *max => None,
                    Some(_) => Some(("out of range".to_owned(), value_of(&c))),
                    None => Some(("expected a number".to_owned(), value_of(&c))),
                }
            }),
            Op::Pattern(re) => captured.and_then(|c| match c.text(line) {
                Some(text) if re.is_match(&text) => None,
                Some(_) => Some(("does not match the pattern".to_owned(), value_of(&c))),
                None => Some(("expected a string".to_owned(), value_of(&c))),
            }),
            Op::References { targets, refs } => {
                captured.and_then(|c| self.reference(plan, targets, *refs, &c, line, at))
            }
        };
        if let Some((message, value)) = problem {
            self.rules[check.rule].add(plan.locations, || Finding {
                loc: at,
                column: None,
                message,
                value,
                first: None,
                dup: None,
            });
        }
    }

    fn reference(
        &mut self,
        plan: &Plan,
        targets: &[usize],
        refs: usize,
        c: &Captured,
        line: &[u8],
        at: Loc,
    ) -> Option<(String, Option<String>)> {
        let value = || {
            plan.show_values
                .then(|| String::from_utf8_lossy(c.raw(line)).into_owned())
        };
        let Some(text) = c.text(line) else {
            return Some((
                "expected a reference string, like \"Patient/123\"".to_owned(),
                value(),
            ));
        };
        let trimmed = match text.find("/_history/") {
            Some(i) => &text[..i],
            None => &text,
        };
        let mut parts = trimmed.rsplitn(3, '/');
        let (Some(id), Some(ty)) = (parts.next(), parts.next()) else {
            return Some(("not a Type/id reference".to_owned(), value()));
        };
        if !targets.iter().any(|&t| plan.types[t].name == ty) {
            return Some((format!("references a {ty}, not an allowed type"), value()));
        }
        self.key.clear();
        self.key.extend_from_slice(ty.as_bytes());
        self.key.push(b'/');
        self.key.extend_from_slice(id.as_bytes());
        let h = hash(&self.key);
        let keep = plan.show_values;
        self.refs[refs]
            .entry(h)
            .and_modify(|r| {
                r.count += 1;
                if at < r.first {
                    r.first = at;
                    if keep {
                        r.text = Some(trimmed.into());
                    }
                }
            })
            .or_insert_with(|| RefSeen {
                count: 1,
                first: at,
                text: keep.then(|| trimmed.into()),
            });
        None
    }
}
