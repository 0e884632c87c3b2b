//! Writing files atomically: into a temporary file in the same folder,
//! then renamed over the destination, so a reader (or a crash) never sees a
//! half-written file. The temporary file is removed on any error, and on
//! SIGINT, SIGTERM or SIGHUP (see `interrupt_cleanup`).

use std::io::Write;
use std::path::{Path, PathBuf};

use interrupt_cleanup::TempFile;

/// Writes `bytes` to `path` atomically.
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    write_with(path, |w| w.write_all(bytes))
}

/// Streams into `path` atomically: `fill` writes through a buffered
/// writer; on any error the temporary file is removed.
///
/// A symbolic link is followed: the file written (temporary file and
/// rename) is the link's final target, in the target's folder. A path
/// that exists and is neither a regular file nor a folder (a character
/// device, a FIFO, a socket) is written through directly, as standard
/// output would be, never replaced.
pub fn write_with(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), String> {
    let result = (|| {
        let Some(target) = final_target(path)? else {
            // An open file of this process (`/dev/stdout`, `/dev/fd/N`):
            // written where it stands, appended as the shell's `>>` would.
            let mut w =
                std::io::BufWriter::new(std::fs::OpenOptions::new().append(true).open(path)?);
            fill(&mut w)?;
            return w.flush();
        };
        if let Ok(m) = std::fs::metadata(&target)
            && !m.is_file()
            && !m.is_dir()
        {
            let mut w =
                std::io::BufWriter::new(std::fs::OpenOptions::new().write(true).open(&target)?);
            fill(&mut w)?;
            return w.flush();
        }
        let mut w = std::io::BufWriter::new(temp_file(&target)?);
        fill(&mut w)?;
        let f = w.into_inner().map_err(|e| e.into_error())?;
        f.as_file().sync_all()?;
        f.persist(&target).map(drop)
    })();
    result.map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// `path` with its symbolic links followed, as far as they lead (the last
/// one may name a file that does not exist yet). A relative link is
/// relative to the folder of the link. `None` for a link into `/proc`
/// (`/dev/stdout` is `/proc/self/fd/1`): an open file of a process, whose
/// link text (`pipe:[…]`, or the path of a file opened with `>>`) is no
/// place to put a new file.
fn final_target(path: &Path) -> std::io::Result<Option<PathBuf>> {
    let mut p = path.to_path_buf();
    // As the kernel's limit (ELOOP after 40 links).
    for _ in 0..40 {
        if p.starts_with("/proc") {
            return Ok(None);
        }
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let link = std::fs::read_link(&p)?;
                p = match p.parent() {
                    Some(dir) => dir.join(link),
                    None => link,
                };
            }
            _ => return Ok(Some(p)),
        }
    }
    Err(std::io::Error::other("too many levels of symbolic links"))
}

/// Whether `output` names the same existing regular file as `input`
/// (the same device and inode, through any links): writing it would
/// replace the input.
pub fn same_file(input: &Path, output: &Path) -> bool {
    same_entry(input, output, std::fs::Metadata::is_file)
}

/// Whether the folders `a` and `b` are one (the same device and inode,
/// through any links).
pub fn same_dir(a: &Path, b: &Path) -> bool {
    same_entry(a, b, std::fs::Metadata::is_dir)
}

/// Whether `a` and `b` both exist, are of `kind`, and are one.
fn same_entry(a: &Path, b: &Path, kind: fn(&std::fs::Metadata) -> bool) -> bool {
    let (Ok(ma), Ok(mb)) = (std::fs::metadata(a), std::fs::metadata(b)) else {
        return false;
    };
    if !kind(&ma) || !kind(&mb) {
        return false;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        ma.dev() == mb.dev() && ma.ino() == mb.ino()
    }
    #[cfg(not(unix))]
    {
        std::fs::canonicalize(a).ok() == std::fs::canonicalize(b).ok()
    }
}

/// Writes a set of files into `dir` as one: every file goes to a temporary
/// name first, and only when all are written are they renamed into place;
/// on any error the temporary files are removed and no destination file
/// has changed. A destination that is a folder is refused before anything
/// is written; a rename that still fails (a race, permissions) takes back
/// the files this call had created (those it replaced stay replaced).
pub fn write_all(dir: &Path, files: &[(&str, &[u8])]) -> Result<(), String> {
    let fail = |path: &Path, e: std::io::Error| format!("cannot write {}: {e}", path.display());
    for (name, _) in files {
        let path = dir.join(name);
        if std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir()) {
            return Err(fail(&path, std::io::ErrorKind::IsADirectory.into()));
        }
    }
    let mut written: Vec<(TempFile, PathBuf)> = Vec::new();
    for (name, bytes) in files {
        let path = dir.join(name);
        let result = (|| {
            let mut f = temp_file(&path)?;
            f.write_all(bytes)?;
            f.as_file().sync_all()?;
            Ok::<_, std::io::Error>(f)
        })();
        match result {
            Ok(f) => written.push((f, path)),
            Err(e) => return Err(fail(&path, e)),
        }
    }
    let mut created: Vec<PathBuf> = Vec::new();
    for (f, path) in written {
        let new = std::fs::symlink_metadata(&path).is_err();
        if let Err(e) = f.persist(&path) {
            for p in &created {
                let _ = std::fs::remove_file(p);
            }
            return Err(fail(&path, e));
        }
        if new {
            created.push(path);
        }
    }
    Ok(())
}

/// A temporary file beside `path`, `.NAME.tmpXXXXXX`, with the permissions
/// a new file gets.
fn temp_file(path: &Path) -> std::io::Result<TempFile> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let prefix = format!(".{name}.tmp");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix);
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    interrupt_cleanup::file_in(&builder, dir)
}

/// An output folder, from [`prepare_dir`]. A folder the command made is
/// removed if it is interrupted (SIGINT, SIGTERM, SIGHUP) while this lives,
/// and when this is dropped if it is still empty: a command that fails
/// before its files are written leaves no folder of its own behind.
#[derive(Debug)]
pub struct OutDir {
    made: Option<PathBuf>,
    _new: interrupt_cleanup::NewDir,
}

impl Drop for OutDir {
    fn drop(&mut self) {
        if let Some(dir) = &self.made {
            // Only an empty folder goes: the outputs, once written, stay.
            let _ = std::fs::remove_dir(dir);
        }
    }
}

/// Creates `dir` (and its parents) and checks it can be written, before a
/// long run rather than after it. Keep the answer until the outputs are
/// written (see [`OutDir`]).
pub fn prepare_dir(dir: &Path) -> Result<OutDir, String> {
    let new = interrupt_cleanup::new_dir(dir)
        .map_err(|e| format!("cannot create output folder {}: {e}", dir.display()))?;
    let out = OutDir {
        made: new.made().then(|| dir.to_path_buf()),
        _new: new,
    };
    let probe = dir.join(format!(".gc-bench-probe{}", std::process::id()));
    std::fs::write(&probe, b"")
        .map_err(|e| format!("cannot write to output folder {}: {e}", dir.display()))?;
    let _ = std::fs::remove_file(probe);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_no_file() {
        let dir = std::env::temp_dir().join(format!("gc-bench-atomic-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("out.txt");
        let e = write_with(&path, |w| {
            w.write_all(b"half")?;
            Err(std::io::Error::other("boom"))
        })
        .unwrap_err();
        assert!(e.contains("boom"));
        assert!(std::fs::read_dir(&dir).unwrap().next().is_none());
        write(&path, b"whole").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"whole");
        // A set with one unwritable member changes nothing.
        let e = write_all(&dir, &[("a.txt", b"new"), ("no/such/b.txt", b"new")]).unwrap_err();
        assert!(e.contains("no/such/b.txt"), "{e}");
        assert!(!dir.join("a.txt").exists());
        // A destination that is a folder: refused before any file is
        // renamed (found by a bad-input trial: the files before it in the
        // list were already in place).
        std::fs::create_dir(dir.join("sub")).unwrap();
        let e = write_all(&dir, &[("a.txt", b"new"), ("sub", b"new")]).unwrap_err();
        assert!(e.contains("sub"), "{e}");
        assert!(!dir.join("a.txt").exists());
        std::fs::remove_dir(dir.join("sub")).unwrap();
        write_all(&dir, &[("a.txt", b"a"), ("out.txt", b"b")]).unwrap();
        assert_eq!(std::fs::read(dir.join("out.txt")).unwrap(), b"b");
        let names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
