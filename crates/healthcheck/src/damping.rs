//! Damping against flapping: N consecutive failures before `fail`, M passes before `pass`.

use steadfast_core::{Status, Timestamp};

use crate::{CheckOutput, Registration};

#[derive(Debug, Default)]
pub(crate) struct State {
    pub(crate) last: Option<Observed>,
    /// The damped status.
    pub(crate) reported: Option<Status>,
    pub(crate) fails: u32,
    pub(crate) passes: u32,
    /// The status last announced to subscribers (`fail` once the result was too old).
    pub(crate) announced: Option<Status>,
}

#[derive(Debug, Clone)]
pub(crate) struct Observed {
    pub(crate) output: CheckOutput,
    pub(crate) time: Timestamp,
}

/// Damping: a raw failure becomes `fail` after `fail_after` in a row; once failing, `pass`
/// comes back after `pass_after` passes in a row. Warnings pass through.
pub(crate) fn record(state: &mut State, reg: &Registration, output: CheckOutput) {
    match output.status {
        Status::Fail => {
            state.fails += 1;
            state.passes = 0;
        }
        _ => {
            state.passes += 1;
            state.fails = 0;
        }
    }
    let previous = state.reported;
    state.reported = Some(match (output.status, previous) {
        (Status::Fail, _) if state.fails >= reg.fail_after => Status::Fail,
        (Status::Fail, Some(p)) => p,
        (Status::Fail, None) => Status::Fail,
        (s, Some(Status::Fail)) if state.passes < reg.pass_after => {
            let _ = s;
            Status::Fail
        }
        (s, _) => s,
    });
    state.last = Some(Observed {
        output,
        time: Timestamp::now(),
    });
}
