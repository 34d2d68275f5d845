//! A Node.js script of `tests/browser/` run by a test and taken through its steps: it prints a
//! line when it waits for the test, the test answers on its stdin, and it ends with a JSON
//! report on stdout.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{ChildStdin, Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::mpsc;

use crate::helpers::ChildProcess;

/// How long a test waits for the script's next line (GraphiQL's first load in chromium, on a
/// busy machine, is the slowest).
const PATIENCE: Duration = Duration::from_secs(60);

pub struct NodeScript {
    _process: ChildProcess,
    stdin: ChildStdin,
    lines: mpsc::UnboundedReceiver<String>,
    /// What it printed so far, to show when it fails.
    printed: Vec<String>,
}

impl NodeScript {
    /// Starts `node tests/browser/SCRIPT ARGS…`, with `env`; its stderr is the test's.
    /// `package` is an npm package it needs, to say what to install when it is missing.
    pub fn start(script: &str, package: &str, args: &[&str], env: &[(&str, &str)]) -> NodeScript {
        let browser = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
        assert!(
            browser.join("node_modules").join(package).is_dir(),
            "{script} needs its npm packages: `npm ci --prefix tests/browser`"
        );
        let mut child = Command::new("node")
            .arg(browser.join(script))
            .args(args)
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{script} needs `node` (Node.js 20 or later) on PATH: {e}"));
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let (sender, lines) = mpsc::unbounded_channel();
        std::thread::spawn(move || {
            for line in stdout.lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        NodeScript {
            _process: ChildProcess(child),
            stdin,
            lines,
            printed: Vec::new(),
        }
    }

    /// The script's next line; `None` once it has ended.
    async fn line(&mut self) -> Option<String> {
        let line = tokio::time::timeout(PATIENCE, self.lines.recv())
            .await
            .unwrap_or_else(|_| panic!("the script is silent; it printed {:?}", self.printed));
        if let Some(line) = &line {
            self.printed.push(line.clone());
        }
        line
    }

    /// Waits for the script to print `expected`.
    pub async fn expect(&mut self, expected: &str) {
        if self.line().await.as_deref() != Some(expected) {
            // Its report, to say why.
            while self.line().await.is_some() {}
            panic!(
                "the script did not print {expected:?}; it printed:\n{}",
                self.printed.join("\n")
            );
        }
    }

    /// Tells the script what the test did: one JSON line on its stdin.
    pub fn tell(&mut self, what: Value) {
        writeln!(self.stdin, "{what}").expect("the script reads its stdin");
    }

    /// The script's report: the JSON of the rest of what it prints.
    pub async fn report(&mut self) -> Value {
        let first = self.printed.len();
        while self.line().await.is_some() {}
        let text = self.printed[first..].join("\n");
        serde_json::from_str(&text).unwrap_or_else(|e| {
            panic!(
                "the script's JSON report: {e}; it printed:\n{}",
                self.printed.join("\n")
            )
        })
    }
}
