//! End-to-end tests of Vouch: see `tests/`.
