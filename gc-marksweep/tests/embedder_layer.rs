//! A `Collector` written by an embedder over two marksweep heaps, whose
//! `local_stack` lends heap `a`'s stack until a `release` is forwarded,
//! then heap `b`'s. A child scope's escape takes its kept local off one
//! stack, releases the others (the layer's `release`) and puts the kept
//! one back: on `b`'s stack it would be an address of `a`'s that `b`
//! scans, read after `a` is dropped (a use after free from safe code,
//! found by a review under Miri). The local goes back only onto the stack
//! it came from.

use std::cell::Cell;

use gc_core::embed::{EmbedState, LocalStack, LocalsKey, LocalsMut};
use gc_core::prelude::*;
use gc_core::{Control, ControlOutcome, Event, Handle, NoConfig, Shape, Stats, WeakHandle};
use gc_marksweep::{IncMiniMark, MarkSweepConfig, MsView};

struct TwoHeaps {
    a: IncMiniMark,
    b: IncMiniMark,
    lend_b: Cell<bool>,
    switch_on_release: bool,
    embed: EmbedState<TwoHeaps>,
}

fn small_heap() -> IncMiniMark {
    let config = MarkSweepConfig {
        nursery: 4096,
        ..MarkSweepConfig::default()
    };
    IncMiniMark::with_config(config).unwrap()
}

impl Collector for TwoHeaps {
    const TRAITS: gc_core::Traits = IncMiniMark::TRAITS;
    type Config = NoConfig;
    type View<'a> = MsView<'a>;

    fn with_config(_: NoConfig) -> Result<Self, GcError> {
        Ok(TwoHeaps {
            a: small_heap(),
            b: small_heap(),
            lend_b: Cell::new(false),
            switch_on_release: false,
            embed: EmbedState::try_new()?,
        })
    }
    fn alloc(&mut self, s: Shape) -> Result<Handle, GcError> {
        self.a.alloc(s)
    }
    fn alloc_tuple(&mut self, m: &[Option<Handle>]) -> Result<Handle, GcError> {
        self.a.alloc_tuple(m)
    }
    fn clone_handle(&mut self, h: Handle) -> Result<Handle, GcError> {
        self.a.clone_handle(h)
    }
    fn release(&mut self, h: Handle) -> Result<(), GcError> {
        if self.switch_on_release {
            self.lend_b.set(true);
        }
        self.a.release(h)
    }
    fn slot(&mut self, o: Handle, i: usize) -> Result<Option<Handle>, GcError> {
        self.a.slot(o, i)
    }
    fn set_slot(&mut self, o: Handle, i: usize, v: Option<Handle>) -> Result<(), GcError> {
        self.a.set_slot(o, i, v)
    }
    fn resize(&mut self, o: Handle, s: usize) -> Result<(), GcError> {
        self.a.resize(o, s)
    }
    fn view(&self, o: Handle) -> Result<MsView<'_>, GcError> {
        self.a.view(o)
    }
    fn payload_mut(&mut self, o: Handle) -> Result<&mut [u8], GcError> {
        self.a.payload_mut(o)
    }
    fn set_finalizer(&mut self, o: Handle, f: Finalizer) -> Result<(), GcError> {
        self.a.set_finalizer(o, f)
    }
    fn weak(&mut self, o: Handle, c: bool) -> Result<WeakHandle, GcError> {
        self.a.weak(o, c)
    }
    fn upgrade(&mut self, w: WeakHandle) -> Result<Option<Handle>, GcError> {
        self.a.upgrade(w)
    }
    fn release_weak(&mut self, w: WeakHandle) -> Result<(), GcError> {
        self.a.release_weak(w)
    }
    fn take_saved(&mut self) -> Vec<Handle> {
        self.a.take_saved()
    }
    fn collect(&mut self, g: Generation) -> Result<u64, GcError> {
        self.a.collect(g)
    }
    fn control(&mut self, c: Control) -> Result<ControlOutcome, GcError> {
        self.a.control(c)
    }
    fn stats(&self) -> Stats {
        self.a.stats()
    }
    fn record_events(&mut self, on: bool) {
        self.a.record_events(on)
    }
    fn drain_events(&mut self, out: &mut Vec<Event>) -> Result<(), GcError> {
        self.a.drain_events(out)
    }
    fn root_count(&self) -> usize {
        self.a.root_count()
    }
    fn embed_state(&mut self) -> &mut EmbedState<Self> {
        &mut self.embed
    }
    fn embed_state_ref(&self) -> &EmbedState<Self> {
        &self.embed
    }
    fn local_stack(&mut self, key: LocalsKey) -> LocalsMut<'_> {
        if self.lend_b.get() {
            self.b.local_stack(key)
        } else {
            self.a.local_stack(key)
        }
    }
    fn local_stack_ref(&self, key: LocalsKey) -> &LocalStack {
        if self.lend_b.get() {
            self.b.local_stack_ref(key)
        } else {
            self.a.local_stack_ref(key)
        }
    }
    fn alloc_local(&mut self, s: Shape, key: LocalsKey) -> Result<usize, GcError> {
        self.a.alloc_local(s, key)
    }
}

/// A child scope keeps a local made below a table root of its own (the
/// escape that takes the kept local off the stack), and the release of
/// that root makes the layer lend `b`'s stack.
fn escape_across_a_switch(heap: &mut TwoHeaps) {
    heap.scope(|s| -> Result<(), GcError> {
        let kept = s.child(|c| -> Result<Local<'_>, GcError> {
            let x = c.node(1, 64)?;
            let h = c.heap().a.alloc(Shape::Node {
                slots: 0,
                payload: 8,
            })?;
            c.adopt(h)?;
            c.heap().switch_on_release = true;
            Ok(x)
        })?;
        // It never resolves, on either stack.
        assert!(s.view(kept).is_err());
        Ok(())
    })
    .unwrap();
}

/// The same with the kept local on top (the escape that releases the
/// others below it and moves it down): after the switch, nothing is taken
/// off or moved on `b`'s stack (it panicked on `b`'s empty stack).
fn escape_from_the_top_across_a_switch(heap: &mut TwoHeaps) {
    heap.scope(|s| -> Result<(), GcError> {
        let kept = s.child(|c| -> Result<Local<'_>, GcError> {
            let h = c.heap().a.alloc(Shape::Node {
                slots: 0,
                payload: 8,
            })?;
            c.adopt(h)?;
            let x = c.node(1, 64)?;
            c.heap().switch_on_release = true;
            Ok(x)
        })?;
        assert!(s.view(kept).is_err());
        Ok(())
    })
    .unwrap();
}

#[test]
fn a_top_local_kept_across_a_switch_touches_no_other_stack() {
    let mut heap = TwoHeaps::with_config(NoConfig).unwrap();
    escape_from_the_top_across_a_switch(&mut heap);
    assert_eq!(heap.b.root_count(), 0);
    let TwoHeaps { a, mut b, .. } = heap;
    drop(a);
    b.collect(Generation::FULL).unwrap();
}

#[test]
fn an_escaped_local_never_lands_on_another_heaps_stack() {
    let mut heap = TwoHeaps::with_config(NoConfig).unwrap();
    escape_across_a_switch(&mut heap);
    assert_eq!(heap.b.root_count(), 0, "b roots nothing of its own");
}

#[test]
fn the_other_heap_collects_safely_after_the_first_is_dropped() {
    let mut heap = TwoHeaps::with_config(NoConfig).unwrap();
    escape_across_a_switch(&mut heap);
    let TwoHeaps { a, mut b, .. } = heap;
    drop(a);
    b.collect(Generation::FULL).unwrap();
    b.collect(Generation::FULL).unwrap();
}
