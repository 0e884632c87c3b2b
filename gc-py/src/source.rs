//! Positions in the program's source, and the error for a construct
//! outside the subset: the bottom layer, used by the checker and the
//! evaluator alike.

/// Byte offset → line number.
#[derive(Debug)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    /// The index of `source`.
    pub fn new(source: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(source.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    /// The 1-based line of byte `offset`.
    pub fn line(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }

    /// The 1-based column of byte `offset`.
    pub fn column(&self, offset: usize) -> usize {
        let l = self.line(offset);
        offset - self.starts[l - 1] + 1
    }
}

/// A construct outside the subset.
#[derive(Debug)]
pub struct Unsupported {
    /// Its line.
    pub line: usize,
    /// What it is.
    pub what: String,
}
