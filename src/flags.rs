//! Groups of settings read from flags (clap `Args`) without the `GNLC_*` environment: a
//! group's defaults are what it parses to from an empty command line, so each default is
//! written once, on its flag.

use clap::{Args, Command, FromArgMatches};

/// `command` without its environment fallbacks, nor its subcommands'.
pub fn without_env(command: Command) -> Command {
    command
        .mut_args(|arg| arg.env(None))
        .mut_subcommands(without_env)
}

/// A group of settings as `flags` set them, every other one at its flag's default.
pub fn parse<T: Args + FromArgMatches>(flags: &[&str]) -> Result<T, clap::Error> {
    let command = without_env(T::augment_args(Command::new("gnlc")));
    let matches =
        command.try_get_matches_from(std::iter::once("gnlc").chain(flags.iter().copied()))?;
    T::from_arg_matches(&matches)
}

/// A group of settings at its flags' defaults.
pub fn defaults<T: Args + FromArgMatches>() -> T {
    parse(&[]).expect("every flag's default parses")
}
