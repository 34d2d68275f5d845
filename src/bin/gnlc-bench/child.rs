//! Servers under test run as child processes of the benchmark (this same binary, in a
//! hidden mode), so that each one's peak memory is its own: read from
//! `/proc/<pid>/status` (`VmHWM`, and `VmRSS` for memory now).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use anyhow::{Context, bail};

/// A running server: its process and port. Killed when dropped.
pub struct Server {
    pub name: String,
    pub port: u16,
    child: Child,
}

impl Server {
    /// Starts this binary with `args` and waits for the `port=N` line it prints.
    pub fn start(name: &str, args: &[String]) -> anyhow::Result<Self> {
        let exe = std::env::current_exe().context("the benchmark's own path")?;
        let mut child = Command::new(exe)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {name}"))?;
        let stdout = child.stdout.take().context("the child's stdout")?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let Some(port) = line.trim().strip_prefix("port=") else {
            let _ = child.kill();
            bail!("{name} did not start: {line:?}");
        };
        Ok(Self {
            name: name.to_owned(),
            port: port.parse()?,
            child,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Peak resident memory so far (`VmHWM`), in MiB.
    pub fn peak_rss_mib(&self) -> anyhow::Result<f64> {
        Ok(self.status_kib("VmHWM")? / 1024.0)
    }

    /// Resident memory now (`VmRSS`), in KiB.
    pub fn rss_kib(&self) -> anyhow::Result<f64> {
        self.status_kib("VmRSS")
    }

    /// A field of `/proc/<pid>/status` given in kB.
    fn status_kib(&self, field: &str) -> anyhow::Result<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        status
            .lines()
            .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .with_context(|| format!("{field} in /proc/<pid>/status"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
