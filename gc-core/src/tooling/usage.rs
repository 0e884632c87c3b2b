//! A command-line usage error in one line, for the workspace's programs
//! (`gc-bench`, `gc-py`, `peers`): clap renders one over several lines (the
//! error, a usage line, a pointer to `--help`); a script reading standard
//! error wants the error alone.

/// The error of `rendered` (a clap usage error as rendered) in one line:
/// its lines trimmed and joined by spaces, without the `Usage:` line, the
/// "For more information" line or the leading `error: `.
///
/// ```
/// use gc_core::tooling::usage::one_line;
///
/// let rendered = "error: unexpected argument '--bogus' found\n\n\
///                 Usage: peers [OPTIONS]\n\nFor more information, try '--help'.\n";
/// assert_eq!(one_line(rendered), "unexpected argument '--bogus' found");
/// ```
pub fn one_line(rendered: &str) -> String {
    let parts: Vec<&str> = rendered
        .lines()
        .map(str::trim)
        .filter(|l| {
            !l.is_empty() && !l.starts_with("For more information") && !l.starts_with("Usage:")
        })
        .collect();
    let line = parts.join(" ");
    match line.strip_prefix("error: ") {
        Some(rest) => rest.to_owned(),
        None => line,
    }
}
