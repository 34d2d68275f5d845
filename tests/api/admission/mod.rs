//! Admitting cohorts and withdrawing cities, end to end to a partner's receiver, by topic.

mod admitting;
mod figures;
mod refusals;
mod withdrawal;
