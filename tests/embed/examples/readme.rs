use gc_any::AnyCollector;
use gc_core::prelude::*;

fn main() -> Result<(), GcError> {
    let mut heap = AnyCollector::from_name("generational", &[("threshold0", "700")])?;
    let kept: Root = heap.scope(|s| {
        let list = s.node(2, 0)?; // a container with two reference slots
        let item = s.atom(b"hello")?; // a leaf holding five payload bytes
        s.set(list, 0, Some(item))?; // every write goes through the strategy
        s.set(list, 1, Some(list))?; // a cycle: list[1] = list
        let first = s.view(list)?.slot(0)?.expect("set above"); // a read, no root
        assert_eq!(first.payload(), b"hello");
        s.root(list) // outlives the scope; every local is released here
    })?;
    drop(kept); // a root releases itself
    assert_eq!(heap.collect(Generation::FULL)?, 1); // the list, as gc.collect() counts
    assert_eq!(heap.outstanding_roots(), 0); // nothing leaked
    assert_eq!(heap.stats().live_objects, 0);
    Ok(())
}
