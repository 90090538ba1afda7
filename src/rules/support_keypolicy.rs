//! Helpers shared by the keypolicy rules.
