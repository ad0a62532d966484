//! `vouchd-faults`: `vouchd` with the fault-injection points of `vouch_node::faults`
//! compiled in, for the reliability campaign only (`cargo build -p vouch-node --features
//! fault-injection --bin vouchd-faults`). The command line is `vouchd`'s.

#[path = "../main.rs"]
mod vouchd;

fn main() -> std::process::ExitCode {
    vouchd::main()
}
