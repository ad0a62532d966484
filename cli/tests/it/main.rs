//! End-to-end tests of the `vouch` binary: each runs the built binary on files made with
//! the core testkit (and, for node URLs, a tiny in-test HTTP node), and checks the exit
//! code, what is printed, and that bad input never panics.

mod bad_input;
mod bundle;
mod chain;
mod consistency;
mod docs;
mod documents;
mod evidence;
mod genesis;
mod keys;
mod monitor;
mod support;
