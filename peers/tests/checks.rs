//! Every contender computes the same checks on small sizes (correctness
//! only; speed is for `cargo run --release -p peers`).

use std::sync::Arc;

use peers::contenders::{Contender, find_runtime, run_once};
use peers::workload::{Sizes, Workload, graph_ops};

const TINY: Sizes = Sizes {
    tree_depth: 6,
    ring_len: 50,
    rings: 7,
    graph_nodes: 200,
    graph_steps: 5000,
    levels: 40,
    loops: 2,
};

#[test]
fn every_contender_computes_the_same_checks() {
    let ops = Arc::new(graph_ops(TINY.graph_nodes, TINY.graph_steps));
    for w in Workload::ALL {
        let mut graph_check = None;
        for c in Contender::ALL {
            let path = match c.runtime() {
                None => None,
                Some(rt) => match find_runtime(rt) {
                    Ok((path, _)) => Some(path),
                    Err(e) => {
                        eprintln!("{c} skipped: {e}");
                        continue;
                    }
                },
            };
            let sample = run_once(c, w, TINY, &ops, path.as_deref(), &Vec::new())
                .unwrap_or_else(|e| panic!("{w} on {c}: {e}"));
            let check = sample.outcome.check;
            match TINY.expected_check(w) {
                Some(expected) => assert_eq!(check, expected, "{w} on {c}"),
                None => assert_eq!(*graph_check.get_or_insert(check), check, "{w} on {c}"),
            }
        }
    }
}

#[test]
fn refcount_reports_the_cycles_it_leaks_in_the_graph() {
    let ops = Arc::new(graph_ops(TINY.graph_nodes, TINY.graph_steps));
    let s = run_once(
        Contender::Refcount,
        Workload::Graph,
        TINY,
        &ops,
        None,
        &Vec::new(),
    )
    .unwrap();
    let note = s.outcome.note.unwrap();
    assert!(note.starts_with("leaks "), "{note}");
}

/// CPython 3.14.1's tuple rule changes what generational tracks, never
/// what a workload computes.
#[test]
fn generational_untracking_new_tuples_computes_the_same_checks() {
    let ops = Arc::new(graph_ops(TINY.graph_nodes, TINY.graph_steps));
    let settings = vec![("untrack_new_tuples".to_owned(), "true".to_owned())];
    let mut graph_check = None;
    for w in Workload::ALL {
        let both = [Vec::new(), settings.clone()].map(|s| {
            run_once(Contender::Generational, w, TINY, &ops, None, &s)
                .unwrap_or_else(|e| panic!("{w}: {e}"))
                .outcome
                .check
        });
        assert_eq!(both[0], both[1], "{w}");
        if let Some(expected) = TINY.expected_check(w) {
            assert_eq!(both[1], expected, "{w}");
        } else {
            graph_check.get_or_insert(both[1]);
        }
    }
    assert!(graph_check.is_some());
}
