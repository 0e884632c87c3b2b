//! Unit tests that need the crate's insides.
