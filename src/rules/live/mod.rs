//! Live: do the calls really work against AWS? `sts:AssumeRole` with the ExternalId, an
//! Encrypt/Decrypt round trip as the role, and that a missing or wrong ExternalId is refused.
//! Only run with `--live`.
//!
//! - EKM501 `live-assume-failed`
//! - EKM502 `live-round-trip-failed`
//! - EKM503 `live-external-id-not-enforced`

pub(super) mod ekm501_live_assume_failed;
pub(super) mod ekm502_live_round_trip_failed;
pub(super) mod ekm503_live_external_id_not_enforced;
