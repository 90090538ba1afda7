//! The fuzz targets' bodies. `checks.rs` is also compiled into the main crate's
//! `tests/fuzz_regressions.rs` (by `#[path]`), so a regression input runs exactly the code the
//! fuzzer ran; it may therefore use only `ekm_check`, `serde_json` and `std`.

pub mod checks;
