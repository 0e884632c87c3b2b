//! Standard output that never panics: a closed pipe (`gc-bench … | head`)
//! ends the output quietly instead of aborting.

use std::io::{self, BufWriter, Write};

/// Buffered standard output that stops writing after the first error.
#[derive(Debug)]
pub struct Out {
    inner: BufWriter<io::Stdout>,
    broken: bool,
}

impl Out {
    /// Standard output.
    pub fn stdout() -> Self {
        Out {
            inner: BufWriter::new(io::stdout()),
            broken: false,
        }
    }

    /// Writes one line.
    pub fn line(&mut self, s: &str) {
        if !self.broken && writeln!(self.inner, "{s}").is_err() {
            self.broken = true;
        }
    }

    /// Flushes what is buffered.
    pub fn flush(&mut self) {
        if !self.broken && self.inner.flush().is_err() {
            self.broken = true;
        }
    }
}
