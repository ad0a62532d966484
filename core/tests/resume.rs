//! `ChainVerifier::resumable` and `resume`: a verifier resumed at any height of a demo
//! ledger goes on exactly as the one that verified every block, and a resume point that
//! does not fit the header it is resumed at is refused, naming what differs.

use vouch_core::encoding::Hash;
use vouch_core::testkit::demo_ledger;
use vouch_core::verify::{ChainVerifier, ResumeError};

#[test]
fn a_verifier_resumed_at_any_height_goes_on_as_the_one_that_verified_every_block() {
    let (l, _) = demo_ledger(7).unwrap();
    let genesis = &l.net.genesis;
    assert!(l.blocks.len() >= 5, "the demo ledger is too short to mean anything");
    let mut full = ChainVerifier::new(genesis);
    for (k, block) in l.blocks.iter().enumerate() {
        full.push(block).unwrap();
        let mut resumed = ChainVerifier::resume(genesis, full.resumable(), &block.header).unwrap();
        assert_eq!(resumed.summary(), full.summary(), "at height {}", k + 1);
        assert_eq!(resumed.state(), full.state(), "at height {}", k + 1);
        assert_eq!(resumed.next_min_time_ms(), full.next_min_time_ms());
        for later in &l.blocks[k + 1..] {
            resumed.push(later).unwrap();
        }
        assert_eq!(resumed.summary(), l.verifier.summary(), "resumed at height {}", k + 1);
        assert_eq!(resumed.state(), l.verifier.state(), "resumed at height {}", k + 1);
    }
}

#[test]
fn a_resume_point_that_does_not_fit_its_header_is_refused() {
    let (l, _) = demo_ledger(8).unwrap();
    let genesis = &l.net.genesis;
    let last = l.blocks.last().unwrap();
    let below = &l.blocks[l.blocks.len() - 2];
    let point = l.verifier.resumable();
    assert!(point.leaves.len() >= 2);

    let wrong_height = ChainVerifier::resume(genesis, point.clone(), &below.header).unwrap_err();
    assert!(matches!(wrong_height, ResumeError::Height { .. }), "{wrong_height}");

    let mut short = point.clone();
    short.leaves.pop();
    let e = ChainVerifier::resume(genesis, short, &last.header).unwrap_err();
    assert!(matches!(e, ResumeError::Log { .. }), "{e}");

    let mut other = point.clone();
    other.leaves[0] = Hash([7; 32]);
    let e = ChainVerifier::resume(genesis, other, &last.header).unwrap_err();
    assert!(matches!(e, ResumeError::Log { .. }), "{e}");

    let mut header = last.header.clone();
    header.validators = Hash([1; 32]);
    let e = ChainVerifier::resume(genesis, point, &header).unwrap_err();
    assert!(matches!(e, ResumeError::Header { .. }), "{e}");
}
