//! The `gnlc` binary as a person runs it, by topic, and the ways the tests run it.

mod cohort_files;
mod commands;
mod serving;

use std::process::Command;

fn gnlc() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gnlc"));
    for (key, _) in std::env::vars() {
        if key.starts_with("GNLC_") {
            command.env_remove(key);
        }
    }
    command
}

/// `gnlc` with a fresh SQLite database in a temporary folder.
fn gnlc_in(dir: &std::path::Path) -> Command {
    let mut command = gnlc();
    command
        .current_dir(dir)
        .env("GNLC_DATABASE_URL", "sqlite://gnlc.sqlite3?mode=rwc");
    command
}

fn run(command: &mut Command) -> (bool, String, String) {
    let output = command.output().expect("gnlc runs");
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
    (
        output.status.success(),
        text(output.stdout),
        text(output.stderr),
    )
}
