//! Who may do what: anonymous readers, partners, admins; bad tokens change nothing.

mod accounts;
mod tokens;
