//! The console's settings: how long a session lasts, and whether its cookie is marked
//! `Secure` when gnlc itself does not terminate TLS.

use std::time::Duration;

use clap::Args;

use crate::webhooks::schedule::parse_duration;

#[derive(Debug, Clone, PartialEq, Eq, Args)]
#[command(next_help_heading = "Console")]
pub struct ConsoleSettings {
    /// How long a console session lasts after signing in (`ms`, `s`, `m`, `h`, `d`).
    #[arg(long = "console-session-ttl", env = "GNLC_CONSOLE_SESSION_TTL", default_value = "12h",
          value_parser = session_ttl)]
    pub session_ttl: Duration,
    /// Mark the session cookie `Secure` on every answer: set it when gnlc is reached over
    /// HTTPS through a proxy (gnlc does not believe `X-Forwarded-Proto`).
    #[arg(long = "console-secure-cookie", env = "GNLC_CONSOLE_SECURE_COOKIE",
          default_value_t = false, action = clap::ArgAction::Set)]
    pub secure_cookie: bool,
}

impl Default for ConsoleSettings {
    /// The flags' defaults.
    fn default() -> Self {
        crate::flags::defaults()
    }
}

/// A session's lifetime: at least a second.
fn session_ttl(text: &str) -> Result<Duration, String> {
    let ttl = parse_duration(text).map_err(|e| e.to_string())?;
    if ttl < Duration::from_secs(1) {
        return Err("a session lasts at least 1s".into());
    }
    Ok(ttl)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flags;

    #[test]
    fn the_defaults_are_the_documented_ones_and_flags_parse() {
        assert_eq!(
            ConsoleSettings::default(),
            ConsoleSettings {
                session_ttl: Duration::from_secs(12 * 3600),
                secure_cookie: false,
            }
        );
        let set = flags::parse::<ConsoleSettings>(&[
            "--console-session-ttl",
            "30m",
            "--console-secure-cookie",
            "true",
        ])
        .unwrap();
        assert_eq!(set.session_ttl, Duration::from_secs(1800));
        assert!(set.secure_cookie);
        assert!(flags::parse::<ConsoleSettings>(&["--console-session-ttl", "0s"]).is_err());
    }
}
