//! `gc-bench replay FILE --collector NAME [--events jsonl [--detail]] [--config KEY=VALUE]…`
//! exactly as `gctrace.md` specifies: exit 0 when every `expect` held, 1
//! when one failed, 2 for a bad trace or bad arguments.
//!
//! `--detail` (with `--events jsonl`) is this program's one extension of the
//! spec's output: each collect line of a collector that reports memory
//! counters (`marksweep`) ends with a `detail` object
//! ([`CollectDetail`](gc_core::CollectDetail)). Without it the output is the
//! spec's, byte for byte; with it, the lines of collectors that report no
//! counters are unchanged too.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use gc_core::Inspect;
use gc_core::tooling::line_error::{LineError, LineErrorKind};
use gc_core::tooling::replay::{Record, Replayer, replay_lines};
use gc_core::tooling::reserve;
use gc_core::tooling::trace::{Line, Lines, Trace};

use bench_harness::collectors::{CollectorName, WithCollector, dispatch, parse_pair};
use bench_harness::output::Out;

/// Arguments of `replay`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The gctrace file; `-` reads standard input.
    pub file: PathBuf,
    /// The collector to replay it on.
    #[arg(long, value_enum)]
    pub collector: CollectorName,
    /// Write every event as one JSON object per line on standard output.
    #[arg(long, value_enum)]
    pub events: Option<EventFormat>,
    /// Not in the spec: end every collect event with a `detail` object of
    /// memory counters (bytes promoted, old generation and its peak, page
    /// allocator reserved and used, large objects), from collectors that
    /// report them (marksweep); other collectors' lines are unchanged.
    #[arg(long, requires = "events")]
    pub detail: bool,
    /// A collector setting, KEY=VALUE (repeatable).
    #[arg(long = "config", value_name = "KEY=VALUE", value_parser = parse_pair)]
    pub config: Vec<(String, String)>,
}

/// Event output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum EventFormat {
    /// One JSON object per line.
    Jsonl,
}

/// Opens FILE, or standard input for `-`, to be read as a stream.
pub fn open_source(file: &Path) -> Result<Box<dyn BufRead>, String> {
    if file.as_os_str() == "-" {
        return Ok(Box::new(io::stdin().lock()));
    }
    let f = File::open(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    Ok(Box::new(BufReader::new(f)))
}

/// Reads the trace in FILE, or standard input for `-`, into memory as a
/// stream: the reader's limits (a line's length, UTF-8) hold as it goes,
/// so an input that never ends (`/dev/zero`) is an error at its first
/// long line, and memory the system refuses is an error, not an abort.
/// Every byte read is also written to `copy`, when given. `Err`: the file
/// could not be opened or copied (a whole message); `Ok(Err)`: what is
/// wrong with the trace, for the caller to place.
pub fn read_trace(
    file: &Path,
    copy: Option<&mut dyn Write>,
) -> Result<Result<Trace, LineError>, String> {
    let input = open_source(file)?;
    let Some(copy) = copy else {
        return Ok(Trace::read(input));
    };
    let mut tee = Tee {
        input,
        copy,
        failed: None,
    };
    let read = Trace::read(BufReader::new(&mut tee));
    match tee.failed {
        Some(e) => Err(format!("cannot copy the trace {}: {e}", file.display())),
        None => Ok(read),
    }
}

/// A reader that writes what it reads to `copy`; a failed write ends the
/// reading (the error is kept in `failed`).
struct Tee<'a, R> {
    input: R,
    copy: &'a mut dyn Write,
    failed: Option<io::Error>,
}

impl<R: Read> Read for Tee<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.input.read(buf)?;
        if let Err(e) = self.copy.write_all(&buf[..n]) {
            let kind = e.kind();
            self.failed = Some(e);
            return Err(io::Error::new(kind, "the copy failed"));
        }
        Ok(n)
    }
}

/// The trace's lines, ended by an out-of-memory error for the line being
/// run or read when the system refused memory (the allocator's reserve
/// served that request: nothing more is asked of the system).
struct UntilRefused<I> {
    lines: I,
    last: u32,
    done: bool,
}

impl<I: Iterator<Item = Result<Line, LineError>>> Iterator for UntilRefused<I> {
    type Item = Result<Line, LineError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let refused = |line: u32| {
            Some(Err(
                LineErrorKind::Refused(gc_core::config::refused()).at(line.max(1))
            ))
        };
        if reserve::given_back() {
            // While the last line ran.
            self.done = true;
            return refused(self.last);
        }
        let item = self.lines.next();
        if reserve::given_back() {
            // While this one was read.
            self.done = true;
            return refused(match &item {
                Some(Ok(line)) => line.number,
                _ => self.last.saturating_add(1),
            });
        }
        if let Some(Ok(line)) = &item {
            self.last = line.number;
        }
        item
    }
}

struct Replay {
    trace: UntilRefused<Lines<Box<dyn BufRead>>>,
    events: bool,
    detail: bool,
}

impl WithCollector for Replay {
    type Output = Result<i32, String>;

    fn run<C: Inspect>(self, config: C::Config) -> Self::Output {
        let collector = C::with_config(config).map_err(|e| e.to_string())?;
        let mut out = Out::stdout();
        let mut failures = Vec::new();
        let replayer = Replayer::new(collector).with_detail(self.detail);
        let outcome = replay_lines(self.trace, replayer, |record| {
            if self.events {
                out.line(&record.to_json());
            } else if let Record::ExpectFailed {
                line,
                field,
                expected,
                actual,
            } = record
            {
                failures.push(format!(
                    "line {line}: expect {field} {expected} failed: actual {actual}"
                ));
            }
        });
        // As in the event stream, no summary follows a trace error.
        if !self.events && outcome.error.is_none() {
            let s = &outcome.summary;
            let c = &s.collections;
            out.line(&format!(
                "{}: {} ops, {} allocated, {} freed, {} live ({} bytes, peak {}), collections {}/{}/{}, gc {:.3} ms (max pause {:.3} ms), wall {:.3} ms, {} ignored controls",
                s.collector,
                s.ops,
                s.allocated,
                s.freed,
                s.live_objects,
                s.live_bytes,
                s.peak_live_bytes,
                c.g0,
                c.g1,
                c.g2,
                s.gc_time_ns as f64 / 1e6,
                s.max_pause_ns as f64 / 1e6,
                s.wall_ns as f64 / 1e6,
                s.ignored_controls,
            ));
        }
        for f in &failures {
            out.line(f);
        }
        out.flush();
        if let Some(error) = &outcome.error {
            return Err(error.to_string());
        }
        Ok(outcome.exit_code())
    }
}

/// Runs the subcommand; `Err` is a one-line message for exit status 2.
pub fn main(args: Args) -> Result<i32, String> {
    let trace = UntilRefused {
        lines: Lines::new(open_source(&args.file)?),
        last: 0,
        done: false,
    };
    dispatch(
        args.collector,
        &args.config,
        Replay {
            trace,
            events: args.events.is_some(),
            detail: args.detail,
        },
    )?
}
