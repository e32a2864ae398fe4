#!/usr/bin/env bash
# Builds the Linux release archive exactly as .github/workflows/release.yml does on its
# x86_64 Linux runner (taiki-e/upload-rust-binary-action): `cargo build --release --locked
# -p scoreline-cli`, the binary stripped, then dist/scoreline-TARGET.tar.gz (`scoreline` and
# README.md at the archive's root) and dist/scoreline-TARGET.sha256 (`HASH  NAME`, as
# `sha256sum` writes it).
#
#   release/build-linux.sh            # CARGO=... to build through another cargo (a wrapper)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo=${CARGO:-cargo}
target=${TARGET:-x86_64-unknown-linux-gnu}
target_dir=${CARGO_TARGET_DIR:-target}

$cargo build --release --locked -p scoreline-cli
binary="$target_dir/release/scoreline"
[ -x "$binary" ] || { echo "error: no binary at $binary" >&2; exit 1; }

archive="scoreline-$target.tar.gz"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp "$binary" "$stage/scoreline"
if command -v strip >/dev/null 2>&1; then strip "$stage/scoreline"; fi
cp README.md "$stage/"
mkdir -p dist
# Sorted names, fixed owner and time: the same binary gives the same archive.
(cd "$stage" && tar --sort=name --owner=0 --group=0 --numeric-owner --mtime='@0' \
  -cf - *) | gzip -n > "dist/$archive"
(cd dist && sha256sum "$archive" > "scoreline-$target.sha256")
echo "dist/$archive"
cat "dist/scoreline-$target.sha256"
