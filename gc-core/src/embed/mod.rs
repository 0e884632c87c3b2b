//! The embedding API: scopes of local roots, roots that release
//! themselves, reads without roots, and finalizers that run the embedder's
//! code. The [crate docs](crate) are the guide; this module holds the
//! pieces.
//!
//! Two kinds of root, as in V8 and JNI:
//!
//! - [`Local`]: made inside a [`Scope`], `Copy`, released with every other
//!   local of its scope when the scope ends. The compiler keeps a local
//!   from leaving its scope.
//! - [`Root`] (and [`WeakRoot`]): owned, kept in the embedder's own
//!   structures, released when dropped.
//!
//! Reads go through views ([`ObjectView`]) that borrow the heap and make no
//! root at all.
//!
//! Finalizers run the embedder's code: a [`Finalize`] hook, or one
//! installed with [`Embedding::on_finalize_with`] that also gets the
//! embedder's own state, [lent](lend) around the operations that may
//! finalize.

mod lend;
mod locals;
mod root;
mod scope;
mod shared;
mod state;
mod view;

pub use lend::{lend, with_lent};
pub use locals::{Held, LocalStack, LocalsKey, LocalsMut};
pub use root::{Root, WeakRoot};
pub(crate) use scope::hook_for;
pub use scope::{Embedding, Finalize, Local, Scope, report_leaks};
pub(crate) use state::push_root_on;
pub use state::{
    EmbedState, FinalizeHook, NestedHook, finish, push_root, release_dropped, run_hook_now,
};
pub use view::ObjectView;
