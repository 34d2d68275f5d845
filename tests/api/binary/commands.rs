//! `gnlc`'s commands as a person runs them: `gnlc schema`, tokens, a missing PostgreSQL
//! database, their help and their errors, and the README's commands.

use super::{gnlc, gnlc_in, run};
use crate::helpers::missing_postgres_database;

#[test]
fn schema_graphql_is_what_gnlc_schema_prints() {
    let output = gnlc().arg("schema").output().expect("gnlc runs");
    assert!(output.status.success());
    let printed = String::from_utf8(output.stdout).unwrap();
    let committed = include_str!("../../../schema.graphql");
    assert!(
        printed == committed,
        "schema.graphql is stale: regenerate it with `cargo run -- schema > schema.graphql`"
    );
    assert_eq!(printed, gnlc::graphql::sdl());
}

#[test]
fn tokens_are_created_listed_and_revoked_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, token, said) =
        run(gnlc_in(dir.path()).args(["token", "create", "--role", "partner", "--name", "Lisbon"]));
    assert!(ok, "{said}");
    let token = token.trim();
    assert!(token.starts_with("gnlc_") && token.len() > 40, "{token}");
    assert!(said.contains("shown only now"), "{said}");
    let (ok, listing, _) = run(gnlc_in(dir.path()).args(["token", "list"]));
    assert!(ok);
    assert!(
        listing.contains("partner") && listing.contains(&token[..12]) && listing.contains("Lisbon")
    );
    assert!(!listing.contains(token), "the token itself is never listed");
    let (ok, revoked, _) = run(gnlc_in(dir.path()).args(["token", "revoke", &token[..12]]));
    assert!(ok && revoked.starts_with("revoked token 1"), "{revoked}");
    let (ok, _, said) = run(gnlc_in(dir.path()).args(["token", "revoke", "gnlc_nothing"]));
    assert!(!ok && said.contains("no token matches"), "{said}");
    let (ok, _, said) =
        run(gnlc_in(dir.path()).args(["token", "create", "--role", "owner", "--name", "X"]));
    assert!(!ok && said.contains("invalid value 'owner'"), "{said}");
}

#[test]
fn user_errors_are_one_line_without_a_backtrace() {
    let dir = tempfile::tempdir().unwrap();
    let failures: [&[&str]; 4] = [
        &["token", "revoke", "gnlc_nothing"],
        &[
            "admit",
            "--file",
            "no-such-file.csv",
            "--year",
            "2026",
            "--announced-on",
            "2026-09-01",
        ],
        &["--port", "0", "--cors-origins", "not an origin"],
        &["migrate", "--database-url", "nosuchdb://here"],
    ];
    for args in failures {
        let (ok, _, said) = run(gnlc_in(dir.path())
            .args(args)
            .env("RUST_BACKTRACE", "1")
            .env("RUST_LIB_BACKTRACE", "1"));
        assert!(!ok, "gnlc {args:?} failed");
        let lines: Vec<_> = said
            .lines()
            .filter(|line| !line.trim().is_empty())
            .collect();
        assert!(
            lines.len() == 1 && lines[0].starts_with("error: "),
            "gnlc {args:?} says one line:\n{said}"
        );
    }
    let (_, _, said) = run(gnlc_in(dir.path())
        .args(["token", "revoke", "gnlc_nothing"])
        .env("RUST_BACKTRACE", "1"));
    assert!(said.contains("no token matches"), "{said}");
}

#[test]
fn each_command_lists_its_own_flags() {
    let help = |args: &[&str]| {
        let (ok, said, errors) = run(gnlc().args(args).arg("--help"));
        assert!(ok, "{errors}");
        said
    };
    for serving in [help(&[]), help(&["serve"])] {
        for flag in [
            "--cors-origins",
            "--port",
            "--database-url",
            "--webhook-timeout",
            "--worker",
        ] {
            assert!(serving.contains(flag), "{flag} missing:\n{serving}");
        }
    }
    let worker = help(&["worker"]);
    assert!(worker.contains("--database-url") && worker.contains("--webhook-timeout"));
    for (args, flags) in [
        (&["admit"][..], &["--file", "--database-url"][..]),
        (&["token", "create"][..], &["--role", "--database-url"][..]),
        (
            &["worker"][..],
            &["--webhook-timeout", "--database-url"][..],
        ),
        (&["migrate"][..], &["--database-url"][..]),
    ] {
        let said = help(args);
        for flag in flags {
            assert!(
                said.contains(flag),
                "gnlc {args:?}: {flag} missing:\n{said}"
            );
        }
        for flag in ["--cors-origins", "--port", "--max-query-cost", "--worker "] {
            assert!(!said.contains(flag), "gnlc {args:?} lists {flag}:\n{said}");
        }
    }
    assert!(!help(&["admit"]).contains("--webhook-timeout"));
    assert!(!help(&["schema"]).contains("--database-url"));
}

#[test]
fn a_missing_postgresql_database_is_created() {
    let database = missing_postgres_database();
    let (ok, _, log) = run(gnlc()
        .args(["migrate", "--database-url", &database.url])
        .env("GNLC_LOG", "info"));
    assert!(ok, "{log}");
    assert!(log.contains("did not exist: created it"), "{log}");
    let (ok, listing, errors) =
        run(gnlc().args(["token", "list", "--database-url", &database.url]));
    assert!(ok && listing.starts_with("  id"), "{errors}");
    // Once there, it is used as it is.
    let (ok, _, log) = run(gnlc().args(["migrate", "--database-url", &database.url]));
    assert!(ok && !log.contains("created it"), "{log}");
}

/// A new user copies the README's commands into a shell right after cloning: none may
/// need `gnlc` on `PATH` (it is not there until `cargo install --path .`).
#[test]
fn the_readme_commands_run_from_a_fresh_clone() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let mut in_shell_block = false;
    let mut commands = 0;
    for line in readme.lines() {
        if line.starts_with("```") {
            in_shell_block = line == "```sh";
            continue;
        }
        if !in_shell_block || line.starts_with(' ') || line.trim().is_empty() {
            continue;
        }
        commands += 1;
        let program = line.split_whitespace().next().unwrap_or_default();
        // A script of the repository's own (`web/vendor.sh`) is there from the start.
        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(program);
        assert!(
            ["cargo", "curl", "npm"].contains(&program)
                || (program.contains('/') && script.is_file()),
            "a README command a fresh clone cannot run as written: {line}"
        );
    }
    assert!(commands >= 5, "the README's shell commands were found");
}
