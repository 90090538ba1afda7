#![no_main]
//! Fuzz target `json_parse`: see `ekm_check_fuzz::checks::json_parse` for what it feeds and asserts.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| ekm_check_fuzz::checks::json_parse(data));
