#!/usr/bin/env bash
# Refreshes web/vendor/ from web/package-lock.json: the built files of the pinned npm packages
# that /graphiql loads (copied unmodified, with their licences; scripts and styles also gzipped),
# and web/vendor/manifest.json naming each package's version and lock-file integrity and each
# file's SHA-256. gnlc embeds
# these files in its binary; a test (tests/api/vendored.rs) fails when they, the manifest and the
# lock file disagree. Run it after changing web/package.json (and `npm install --prefix web
# --package-lock-only` to pin the change), then commit web/vendor/.
#
#   web/vendor.sh
set -euo pipefail
web="$(cd "$(dirname "$0")" && pwd)"
vendor="$web/vendor"

# Each package's files, as paths inside the package. graphiql.min.js bundles its own graphql.
files=(
  graphiql/graphiql.min.js
  graphiql/graphiql.min.css
  graphiql/LICENSE
  react/umd/react.production.min.js
  react/LICENSE
  react-dom/umd/react-dom.production.min.js
  react-dom/LICENSE
)

# A clean install of exactly the lock file (npm ci checks every package's integrity), apart
# from web/node_modules, and with no install script run.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$web/package.json" "$web/package-lock.json" "$work/"
npm ci --prefix "$work" --ignore-scripts --no-audit --no-fund --loglevel=error

rm -rf "$vendor"
for file in "${files[@]}"; do
  mkdir -p "$vendor/$(dirname "$file")"
  cp "$work/node_modules/$file" "$vendor/$file"
done
# Scripts and styles also gzipped (-n: no name nor time, so the same file compresses the same),
# for the browsers that accept it: GraphiQL's 3.5 MB script is 0.7 MB so.
for file in "${files[@]}"; do
  case "$file" in
    *.js | *.css) gzip -9 -n -k "$vendor/$file" && files+=("$file.gz") ;;
  esac
done

# The manifest, packages and files in a stable order, so that a refresh diffs cleanly.
(cd "$vendor" && sha256sum "${files[@]}") | node -e '
  const { readFileSync } = require("node:fs");
  const lock = JSON.parse(readFileSync(process.argv[1], "utf8"));
  const packages = new Map();
  for (const line of readFileSync(0, "utf8").trim().split("\n")) {
    const [sha256, path] = line.split(/\s+\*?/);
    const name = path.split("/")[0];
    if (!packages.has(name)) {
      const { version, integrity } = lock.packages[`node_modules/${name}`];
      packages.set(name, { name, version, integrity, files: [] });
    }
    packages.get(name).files.push({ path, sha256 });
  }
  const manifest = {
    about: "Written by web/vendor.sh from web/package-lock.json; do not edit. Paths are relative to web/vendor/.",
    packages: [...packages.values()],
  };
  process.stdout.write(JSON.stringify(manifest, null, 2) + "\n");
' "$web/package-lock.json" > "$vendor/manifest.json"

du -sh "$vendor"
