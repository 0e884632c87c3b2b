//! The order in which `list.clear()` and `dict.clear()` drop what they
//! held, on the strategies whose finalizers run when a count reaches zero
//! (on marksweep they run in a later collection, in its own order).

mod common;

use common::*;

/// CPython 3.11.7 prints `c b a` then `a b c`: `_list_clear` drops a
/// list's items last first, `PyDict_Clear` a dict's entries first to
/// last.
const PROGRAM: &str = "\
class N:
    def __init__(self, name):
        self.name = name

    def __del__(self):
        print(self.name)


items = [N('a'), N('b'), N('c')]
items.clear()
d = {'x': N('a'), 'y': N('b'), 'z': N('c')}
d.clear()
print(len(items), len(d))
";

#[test]
fn a_list_clears_last_first_and_a_dict_first_to_last() {
    let dir = std::env::temp_dir().join(format!("gc-py-clear-order-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(dir.join("order.py"), PROGRAM).expect("write program");
    for strategy in ["refcount", "generational"] {
        let run = run_in(
            &dir,
            &[env!("CARGO_BIN_EXE_gc-py"), "--collector", strategy],
            "order.py",
        );
        assert_eq!(
            (run.stdout.as_str(), run.code),
            ("c\nb\na\na\nb\nc\n0 0\n", 0),
            "{strategy}: {}",
            run.stderr
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
