//! Where our strategies' binary-trees time goes: the same program through
//! the embedding API (`Scope::child_tuple` per node, as the peers bench
//! and the gc-core guide write it) and through the raw handle API (`alloc_tuple`,
//! `release`), views for the checks in both, medians of 5 interleaved runs.
//!
//! `cargo run --release -p peers --example api_cost [-- DEPTH]` (default 16).

use std::time::Instant;

use gc_core::prelude::*;
use gc_core::{Handle, NullCollector};
use peers::workload::tree_plan;

fn tree_scoped<'s, C: Collector>(s: &mut Scope<'s, C>, depth: u32) -> Result<Local<'s>, GcError> {
    if depth == 0 {
        return s.tuple(&[None, None]);
    }
    s.child_tuple(|s| {
        Ok([
            Some(tree_scoped(s, depth - 1)?),
            Some(tree_scoped(s, depth - 1)?),
        ])
    })
}

fn tree_raw<C: Collector>(heap: &mut C, depth: u32) -> Result<Handle, GcError> {
    if depth == 0 {
        return heap.alloc_tuple(&[None, None]);
    }
    let left = tree_raw(heap, depth - 1)?;
    let right = tree_raw(heap, depth - 1)?;
    let t = heap.alloc_tuple(&[Some(left), Some(right)])?;
    heap.release(left)?;
    heap.release(right)?;
    Ok(t)
}

fn check<'a, V: ObjectView<'a>>(t: V) -> Result<u64, GcError> {
    Ok(match (t.slot(0)?, t.slot(1)?) {
        (Some(l), Some(r)) => 1 + check(l)? + check(r)?,
        _ => 1,
    })
}

fn scoped<C: Collector>(heap: &mut C, n: u32) -> Result<u64, GcError> {
    let (stretch, long_lived, rounds) = tree_plan(n);
    heap.scope(|s| {
        let mut total = s.scope(|s| {
            let t = tree_scoped(s, stretch)?;
            check(s.view(t)?)
        })?;
        let long = tree_scoped(s, long_lived)?;
        for (d, k) in rounds {
            for _ in 0..k {
                total += s.scope(|s| {
                    let t = tree_scoped(s, d)?;
                    check(s.view(t)?)
                })?;
            }
        }
        Ok(total + check(s.view(long)?)?)
    })
}

fn raw<C: Collector>(heap: &mut C, n: u32) -> Result<u64, GcError> {
    let (stretch, long_lived, rounds) = tree_plan(n);
    let one = |heap: &mut C, d| -> Result<u64, GcError> {
        let t = tree_raw(heap, d)?;
        let c = check(heap.view(t)?)?;
        heap.release(t)?;
        Ok(c)
    };
    let mut total = one(heap, stretch)?;
    let long = tree_raw(heap, long_lived)?;
    for (d, k) in rounds {
        for _ in 0..k {
            total += one(heap, d)?;
        }
    }
    total += check(heap.view(long)?)?;
    heap.release(long)?;
    Ok(total)
}

type Run = fn(u32) -> Result<u64, GcError>;

fn main() -> Result<(), GcError> {
    let n: u32 = std::env::args()
        .nth(1)
        .map_or(16, |a| a.parse().expect("DEPTH: a number"));
    let cells: [(&str, &str, Run); 8] = [
        ("null", "raw", |n| {
            raw(&mut NullCollector::new_default()?, n)
        }),
        ("null", "scoped", |n| {
            scoped(&mut NullCollector::new_default()?, n)
        }),
        ("refcount", "raw", |n| {
            raw(&mut gc_refcount::RefCount::new_default()?, n)
        }),
        ("refcount", "scoped", |n| {
            scoped(&mut gc_refcount::RefCount::new_default()?, n)
        }),
        ("generational", "raw", |n| {
            raw(&mut gc_generational::Generational::new_default()?, n)
        }),
        ("generational", "scoped", |n| {
            scoped(&mut gc_generational::Generational::new_default()?, n)
        }),
        ("marksweep", "raw", |n| {
            raw(&mut gc_marksweep::IncMiniMark::new_default()?, n)
        }),
        ("marksweep", "scoped", |n| {
            scoped(&mut gc_marksweep::IncMiniMark::new_default()?, n)
        }),
    ];
    let mut times = vec![Vec::new(); cells.len()];
    for _ in 0..5 {
        for (k, (_, _, f)) in cells.iter().enumerate() {
            let started = Instant::now();
            let total = f(n)?;
            times[k].push(started.elapsed().as_secs_f64() * 1e3);
            assert_eq!(total, peers::workload::binary_trees_nodes(n));
        }
    }
    println!("binary_trees depth {n}: median of 5 (ms)");
    for (k, (strategy, api, _)) in cells.iter().enumerate() {
        println!(
            "{strategy:>12} {api:>6} {:>8.1}",
            peers::report::median(&times[k])
        );
    }
    Ok(())
}
