//! The `run_complete` built-in: a run still live (its `.active` lock held by another
//! process), crashed (not finished while nobody holds its lock) or aborted holds partial
//! data, so judging it would pass a half-done run.

use steadfast_core::{LockState, RunDir, RunManifest, RunState};

use crate::Severity;
use crate::report::RuleResult;

/// How validation treats a run that is not complete.
///
/// ```
/// use steadfast_validation::Incomplete;
/// assert_eq!(Incomplete::default(), Incomplete::Fail);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Incomplete {
    /// `run_complete` fails (exit code 1) for a live, crashed or aborted run. The default.
    #[default]
    Fail,
    /// Judge partial data on purpose (`validate-run --allow-incomplete`): `run_complete`
    /// only warns.
    Warn,
    /// The caller holds the run's lock and is finishing it (`Run::finish` validating its own
    /// run): there is no `run_complete` rule.
    Finishing,
    /// The caller took the run's lock to record this validation (`validate-run`): the held
    /// lock is the caller's, not a live run's; `run_complete` judges `run.json`'s state and
    /// fails as [`Fail`](Self::Fail) does.
    Recording,
    /// As [`Recording`](Self::Recording), judging partial data on purpose: `run_complete`
    /// only warns.
    RecordingPartial,
}

/// The `run_complete` rule for `run`, or `None` when the caller is finishing the run.
pub(crate) fn run_complete(
    run: &RunDir,
    manifest: &RunManifest,
    incomplete: Incomplete,
) -> Option<RuleResult> {
    let severity = match incomplete {
        Incomplete::Fail | Incomplete::Recording => Severity::Fail,
        Incomplete::Warn | Incomplete::RecordingPartial => Severity::Warn,
        Incomplete::Finishing => return None,
    };
    let held_by_caller = matches!(
        incomplete,
        Incomplete::Recording | Incomplete::RecordingPartial
    );
    let state = match manifest.state {
        RunState::Running => "running",
        RunState::Finished => "finished",
        RunState::Aborted => "aborted",
    };
    let hint = match incomplete {
        Incomplete::Warn | Incomplete::RecordingPartial => {
            "judged as partial data (--allow-incomplete)"
        }
        _ => {
            "validate it once it has finished, or pass --allow-incomplete to judge partial data on purpose"
        }
    };
    let lock = match run.lock_state() {
        // The caller's own lock: nobody else's process is in the run.
        Ok(LockState::Active) if held_by_caller => Ok(LockState::Unlocked),
        other => other,
    };
    let (observed, problem) = match lock {
        Ok(LockState::Active) => (
            format!("{state}, live"),
            Some("another process holds its .active lock: the run is still going".to_owned()),
        ),
        Ok(LockState::Unlocked | LockState::Stale) => match manifest.state {
            RunState::Finished => (state.to_owned(), None),
            RunState::Running => (
                "running, no live process".to_owned(),
                Some(
                    "run.json says running but no process holds its .active lock: the run crashed or was killed before it finished"
                        .to_owned(),
                ),
            ),
            RunState::Aborted => (
                state.to_owned(),
                Some("run.json says aborted: the run ended without finishing".to_owned()),
            ),
        },
        Err(e) => (
            format!("{state}, lock unreadable"),
            Some(format!("its lock cannot be probed ({e})")),
        ),
    };
    let result = RuleResult::judge("run_complete", "run_complete", severity, problem.is_none())
        .observed(None, observed)
        .expected("finished, not live");
    Some(match problem {
        None => result.message("run.json says finished and no process holds its .active lock"),
        Some(problem) => result.message(format!("{problem}; {hint}")),
    })
}
