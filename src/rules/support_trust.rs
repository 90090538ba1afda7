//! Helpers shared by the trust rules.
