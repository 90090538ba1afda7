#![no_main]
//! Fuzz target `eval_request`: see `ekm_check_fuzz::checks::eval_request` for what it feeds and asserts.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| ekm_check_fuzz::checks::eval_request(data));
