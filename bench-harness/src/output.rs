//! Standard output that never panics: a closed pipe (`gc-bench … | head`)
//! ends the output quietly instead of aborting; any other failed write
//! (a full disk, `> /dev/full`) is remembered, and [`finish`] turns it
//! into the command's one-line error (exit status 2).

use std::io::{self, BufWriter, Write};
use std::sync::Mutex;

/// The first write error on standard output other than a closed pipe.
static FAILED: Mutex<Option<String>> = Mutex::new(None);

/// Records a failed write to standard output: a closed pipe is not an
/// error (the reader has what it wanted); anything else is, once.
pub fn record_error(e: &io::Error) {
    if e.kind() == io::ErrorKind::BrokenPipe {
        return;
    }
    let mut failed = FAILED.lock().unwrap_or_else(|p| p.into_inner());
    failed.get_or_insert_with(|| format!("cannot write to standard output: {e}"));
}

/// Flushes standard output and says whether every write to it succeeded
/// (a closed pipe counts as success): the check a command's end makes.
pub fn finish() -> Result<(), String> {
    if let Err(e) = io::stdout().flush() {
        record_error(&e);
    }
    match FAILED.lock().unwrap_or_else(|p| p.into_inner()).take() {
        Some(message) => Err(message),
        None => Ok(()),
    }
}

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
        if !self.broken
            && let Err(e) = writeln!(self.inner, "{s}")
        {
            self.fail(&e);
        }
    }

    /// Flushes what is buffered.
    pub fn flush(&mut self) {
        if !self.broken
            && let Err(e) = self.inner.flush()
        {
            self.fail(&e);
        }
    }

    fn fail(&mut self, e: &io::Error) {
        self.broken = true;
        record_error(e);
    }
}

impl Drop for Out {
    fn drop(&mut self) {
        // What a caller left unflushed is flushed (and checked) here, not
        // by `BufWriter`'s drop, which drops its error.
        self.flush();
    }
}
