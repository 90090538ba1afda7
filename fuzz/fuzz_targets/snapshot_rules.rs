#![no_main]
//! Fuzz target `snapshot_rules`: see `ekm_check_fuzz::checks::snapshot_rules` for what it feeds and asserts.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| ekm_check_fuzz::checks::snapshot_rules(data));
