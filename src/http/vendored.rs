//! The built files of GraphiQL and its peers, vendored unmodified in `web/vendor/` by
//! `web/vendor.sh` from `web/package-lock.json`, and embedded in the binary: `cargo run` alone
//! serves GraphiQL, offline. `--web-assets-dir` may point at another copy in the same layout
//! (npm's `node_modules`, or `web/vendor`) to serve instead.

use std::path::Path;

use actix_web::web::Bytes;

/// Each vendored file: its path inside `web/vendor/` (the package's name, then the path npm
/// puts it at inside the package), and its bytes. A test checks these against
/// `web/vendor/manifest.json`.
macro_rules! vendored {
    ($($path:literal),* $(,)?) => {
        &[$((
            $path,
            include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/web/vendor/", $path)),
        )),*]
    };
}

pub const FILES: &[(&str, &[u8])] = vendored![
    "graphiql/graphiql.min.js",
    "graphiql/graphiql.min.js.gz",
    "graphiql/graphiql.min.css",
    "graphiql/graphiql.min.css.gz",
    "graphiql/LICENSE",
    "react/umd/react.production.min.js",
    "react/umd/react.production.min.js.gz",
    "react/LICENSE",
    "react-dom/umd/react-dom.production.min.js",
    "react-dom/umd/react-dom.production.min.js.gz",
    "react-dom/LICENSE",
];

/// The vendored files as served: from `dir` when it holds every one of them (gzipped copies
/// aside), else those embedded in the binary (a partial copy would mix versions).
pub fn files(dir: Option<&Path>) -> Vec<(&'static str, Bytes)> {
    let embedded = || {
        FILES
            .iter()
            .map(|(path, bytes)| (*path, Bytes::from_static(bytes)))
            .collect()
    };
    let Some(dir) = dir else {
        return embedded();
    };
    // npm's packages have no gzipped copies: those of `dir` are not looked for.
    let read: Result<Vec<_>, _> = FILES
        .iter()
        .filter(|(path, _)| !is_gzipped(path))
        .map(|(path, _)| std::fs::read(dir.join(path)).map(|bytes| (*path, Bytes::from(bytes))))
        .collect();
    match read {
        Ok(files) => {
            tracing::info!(dir = %dir.display(), "serving GraphiQL's files from --web-assets-dir");
            files
        }
        Err(error) => {
            tracing::warn!(dir = %dir.display(), %error,
                "--web-assets-dir lacks GraphiQL's files: serving those built in");
            embedded()
        }
    }
}

/// The file name a vendored path is served as (`react.production.min.js`).
pub fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Whether a vendored path is a licence (kept beside the code, served as text).
pub fn is_licence(path: &str) -> bool {
    file_name(path) == "LICENSE"
}

/// Whether a vendored path is the gzipped copy of another (`graphiql.min.js.gz`).
pub fn is_gzipped(path: &str) -> bool {
    path.ends_with(".gz")
}
