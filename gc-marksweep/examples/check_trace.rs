//! Replays a gctrace file on `IncMiniMark` beside the reachability oracle
//! and prints the first discrepancy, if any:
//!
//! ```text
//! cargo run -p gc-marksweep --example check_trace -- FILE [KEY=VALUE]...
//! ```

use gc_core::{Collector, Config};
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let text = std::fs::read_to_string(&args[1]).unwrap();
    let trace = gc_core::tooling::trace::Trace::parse(&text).unwrap();
    let mut config = gc_marksweep::MarkSweepConfig::pypy();
    for kv in &args[2..] {
        let (k, v) = kv.split_once('=').unwrap();
        config.set(k, v).unwrap();
    }
    let heap = gc_marksweep::IncMiniMark::with_config(config).unwrap();
    println!("{:?}", gc_core::tooling::oracle::check_trace(heap, &trace));
}
