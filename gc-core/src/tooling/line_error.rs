//! The one error type of a trace line, whether it could not be parsed or
//! could not be run: its line number and what is wrong, written
//! `line N: …` in one line. The parser, the [`Mutator`](crate::tooling::mutator::Mutator)
//! and the [`Replayer`](crate::tooling::replay::Replayer) all report it, so
//! a caller formats every trace error the same way.

use crate::GcError;
use crate::tooling::trace::{Field, Reg, WeakReg};

/// A trace error: the 1-based line and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {kind}")]
pub struct LineError {
    /// The 1-based line number.
    pub line: u32,
    /// What is wrong.
    pub kind: LineErrorKind,
}

/// What is wrong with a trace line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LineErrorKind {
    /// The text is not gctrace v1 (a parse error), in one line.
    #[error("{0}")]
    Syntax(String),
    /// The text could not be read (an I/O error).
    #[error("cannot read the trace: {0}")]
    Unreadable(String),
    /// An operation needs an object and the register is empty.
    #[error("register {0} is empty where an object is needed")]
    EmptyRegister(Reg),
    /// An operation needs a weak reference and the weak register is empty.
    #[error("weak register {0} is empty where a weak reference is needed")]
    EmptyWeakRegister(WeakReg),
    /// The collector refused the operation.
    #[error("{0}")]
    Refused(GcError),
    /// The line ran, but the collector lost events (some since the last
    /// line, the system refused the memory to record them), so the event
    /// stream would have a gap.
    #[error("{0}: the collector's events of this line were lost")]
    EventsLost(GcError),
    /// The collector refused an access to the object in a register.
    #[error("{error} (in {object})")]
    RefusedIn {
        /// Why.
        error: GcError,
        /// The register holding the object.
        object: Reg,
    },
    /// An `expect` did not hold (reported by
    /// [`Mutator::step`](crate::tooling::mutator::Mutator::step); the
    /// replayer writes an `expect_failed` record instead).
    #[error("expect {} {expected} failed: actual {actual}", .field.name())]
    ExpectFailed {
        /// The field.
        field: Field,
        /// What the trace expected.
        expected: u64,
        /// What the collector had.
        actual: u64,
    },
}

impl LineErrorKind {
    /// This error, at `line`.
    pub fn at(self, line: u32) -> LineError {
        LineError { line, kind: self }
    }
}

impl From<GcError> for LineErrorKind {
    fn from(e: GcError) -> Self {
        LineErrorKind::Refused(e)
    }
}
