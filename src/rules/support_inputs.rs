//! Helpers shared by the inputs rules.
