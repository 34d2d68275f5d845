//! GraphiQL's vendored files (`web/vendor/`, written by `web/vendor.sh`) are those the lock
//! file pins: the manifest's versions and integrities are the lock file's, each file's SHA-256
//! the manifest's, no file is unlisted, and the binary embeds exactly the files listed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use gnlc::digest::sha256_hex;
use gnlc::http::vendored;
use serde_json::Value;

const REFRESH: &str = "run `web/vendor.sh` and commit web/vendor/";

fn web() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("web")
}

fn json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn manifest() -> Value {
    json(&web().join("vendor/manifest.json"))
}

fn listed_files(manifest: &Value) -> Vec<(String, String)> {
    manifest["packages"]
        .as_array()
        .expect("the manifest's packages")
        .iter()
        .flat_map(|package| package["files"].as_array().expect("a package's files"))
        .map(|file| {
            let path = file["path"].as_str().expect("a file's path");
            let sha256 = file["sha256"].as_str().expect("a file's sha256");
            (path.to_owned(), sha256.to_owned())
        })
        .collect()
}

/// Every file under `dir`, as a path relative to `root`.
fn files_under(root: &Path, dir: &Path, found: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(root, &path, found);
        } else {
            let relative = path.strip_prefix(root).unwrap();
            found.insert(relative.to_string_lossy().replace('\\', "/"));
        }
    }
}

#[test]
fn the_vendored_packages_are_the_lock_files() {
    let lock = json(&web().join("package-lock.json"));
    let manifest = manifest();
    let packages = manifest["packages"].as_array().unwrap();
    let names: BTreeSet<&str> = packages.iter().filter_map(|p| p["name"].as_str()).collect();
    assert_eq!(
        names,
        BTreeSet::from(["graphiql", "react", "react-dom"]),
        "the packages the page loads"
    );
    for package in packages {
        let name = package["name"].as_str().unwrap();
        let locked = &lock["packages"][format!("node_modules/{name}")];
        for field in ["version", "integrity"] {
            assert!(locked[field].is_string(), "the lock file pins {name}");
            assert_eq!(
                package[field], locked[field],
                "{name}'s {field}: the manifest's is not the lock file's: {REFRESH}"
            );
        }
    }
}

#[test]
fn each_vendored_file_is_the_manifests() {
    let vendor = web().join("vendor");
    let listed = listed_files(&manifest());
    for (path, sha256) in &listed {
        let bytes = std::fs::read(vendor.join(path))
            .unwrap_or_else(|e| panic!("web/vendor/{path}: {e}: {REFRESH}"));
        assert_eq!(
            &sha256_hex(&bytes),
            sha256,
            "web/vendor/{path} is not the file the manifest names: {REFRESH}"
        );
    }
    let mut present = BTreeSet::new();
    files_under(&vendor, &vendor, &mut present);
    present.remove("manifest.json");
    let listed: BTreeSet<String> = listed.into_iter().map(|(path, _)| path).collect();
    assert_eq!(
        present, listed,
        "web/vendor/ holds the manifest's files only"
    );
}

#[test]
fn the_binary_embeds_the_manifests_files() {
    let listed: BTreeSet<(String, String)> = listed_files(&manifest()).into_iter().collect();
    let embedded: BTreeSet<(String, String)> = vendored::FILES
        .iter()
        .map(|(path, bytes)| ((*path).to_owned(), sha256_hex(bytes)))
        .collect();
    assert_eq!(
        embedded, listed,
        "gnlc::http::vendored::FILES lists the manifest's files"
    );
}
