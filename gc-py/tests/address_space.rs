//! gc-py under a cap on its address space (`ulimit -v`): the evaluator's
//! 1 GiB stack cannot be reserved, so it starts on a smaller one, which
//! holds fewer levels (1,250 on the smallest, 64 MiB, against 20,000 on
//! 1 GiB) — a deep recursion within them runs, one beyond them is not
//! supported (exit 2) whatever `sys.setrecursionlimit` said, never a
//! stack overflow. Before, gc-py refused to start under any cap below
//! about 1.1 GB.
#![cfg(unix)]

use std::process::Command;

/// The cap, in KiB: room for the binary and a 64 MiB stack, not for a
/// 256 MiB one.
const CAP_KIB: u32 = 250_000;

const PROGRAM: &str = "import sys
print(sys.getrecursionlimit())
sys.setrecursionlimit(100000)
print(sys.getrecursionlimit())
def f(n):
    if n == 0:
        return 0
    return f(n - 1) + 1
print(f(1240))
print(f(5000))
";

/// gc-py on `collector` runs `file` under a cap of `cap_kib` KiB on its
/// address space.
fn capped(cap_kib: u32, collector: &str, file: &std::path::Path) -> std::process::Output {
    Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v {cap_kib} && exec \"$0\" --collector {collector} \"$1\""
        ))
        .arg(env!("CARGO_BIN_EXE_gc-py"))
        .arg(file)
        .output()
        .unwrap()
}

#[test]
fn a_capped_address_space_runs_on_a_smaller_stack_that_holds_fewer_levels() {
    let dir = std::env::temp_dir().join(format!("gc-py-address-space-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("deep.py");
    std::fs::write(&file, PROGRAM).unwrap();
    for collector in ["refcount", "generational", "marksweep"] {
        let out = capped(CAP_KIB, collector, &file);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stdout, "1000\n100000\n1240\n", "{collector}: {stderr}");
        assert_eq!(out.status.code(), Some(2), "{collector}: {stderr}");
        assert!(
            stderr.ends_with(
                "deep.py:8: recursion deeper than 1250 levels (what the evaluator's stack holds) is not supported\n"
            ),
            "{collector}: {stderr}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A program that allocates until the cap: whichever allocation the
/// system refuses (an object of the heap, a string, a vector of the
/// evaluator's), the program ends with a `MemoryError` (exit 1), never
/// the allocator's abort (exit 134). The allocator's reserve serves a
/// small refused request and the next statement raises. Before it, 10 or
/// 11 of the 11 caps from 100,000 to 200,000 KiB aborted on refcount and
/// generational.
#[test]
fn refused_memory_anywhere_is_a_memory_error() {
    let dir = std::env::temp_dir().join(format!("gc-py-refused-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // A list of lists and strings; a dict (whose hash index grows too:
    // it aborted at 200,000 and 600,000 KiB, found by a bad-input trial).
    let programs = [
        "l = []\ni = 0\nwhile True:\n    l.append([i, \"x\" * (i % 3000)])\n    i += 1\n",
        "d = {}\ni = 0\nwhile True:\n    d[i] = str(i)\n    i += 1\n",
    ];
    let file = dir.join("grow.py");
    for (program, collector) in programs
        .iter()
        .flat_map(|p| ["refcount", "generational", "marksweep"].map(|c| (p, c)))
    {
        std::fs::write(&file, program).unwrap();
        for cap in (100_000..=200_000).step_by(20_000) {
            let out = capped(cap, collector, &file);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{collector} at {cap}: {stderr}");
            assert!(
                stderr.ends_with("MemoryError: out of memory: the system refused the allocation\n")
                    || stderr.starts_with("cannot start the evaluator thread"),
                "{collector} at {cap}: {stderr}"
            );
            assert_eq!(
                stderr.matches("MemoryError").count(),
                1,
                "{collector} at {cap}: {stderr}"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A large program under a cap: the parser's allocations cannot fail
/// softly, so gc-py asks for the parser's room first (320 bytes a token,
/// 8 a byte of source). Each run either parses (and stops at the
/// unsupported last line: exit 2) or is CPython's bare `MemoryError` (exit
/// 1), never the allocator's abort (exit 134), which the runs at 100,000
/// and 500,000 KiB ended in before. (Each run takes a fraction of a
/// second: before glibc was told to keep one arena, a run under a cap took
/// seconds.)
#[test]
fn a_program_too_large_to_parse_under_a_cap_is_a_memory_error() {
    let dir = std::env::temp_dir().join(format!("gc-py-parse-cap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // 1.2 MB: a name on every line (the most parser memory per byte),
    // then a construct gc-py refuses once parsed.
    let mut program = "a\n".repeat(600_000);
    program.push_str("y = [i for i in range(3)]\n");
    let file = dir.join("large.py");
    std::fs::write(&file, program).unwrap();
    let (mut parsed, mut refused) = (0, 0);
    for cap in (100_000..=900_000).step_by(100_000) {
        let out = capped(cap, "generational", &file);
        let stderr = String::from_utf8_lossy(&out.stderr);
        match out.status.code() {
            Some(2) if stderr.ends_with(":600001: list comprehension is not supported\n") => {
                parsed += 1
            }
            Some(1) if stderr == "MemoryError\n" => refused += 1,
            Some(1) if stderr.starts_with("gc-py: cannot start the evaluator thread") => {}
            _ => panic!("at {cap} KiB: {:?}: {stderr}", out.status),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    // Both outcomes occur in the range (each cap's is printed on failure).
    assert!(
        parsed > 0 && refused > 0,
        "parsed {parsed}, refused {refused}"
    );
}
