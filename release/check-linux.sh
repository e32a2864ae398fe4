#!/usr/bin/env bash
# Checks the Linux release archive that release/build-linux.sh made: its checksum, that the
# unpacked binary runs `scoreline --version` and the README's sample command, and that
# install.sh installs it (from a path and from a file:// URL) and refuses a damaged archive.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${TARGET:-x86_64-unknown-linux-gnu}
name="scoreline-$target"
archive="dist/$name.tar.gz"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok() { echo "ok    $*"; }
bad() { echo "FAIL  $*" >&2; exit 1; }

[ -f "$archive" ] && [ -f "dist/$name.sha256" ] || bad "no $archive and dist/$name.sha256: run release/build-linux.sh"
(cd dist && sha256sum -c --quiet "$name.sha256") || bad "the checksum does not match"
ok "checksum of $archive"

mkdir "$tmp/unpacked"
tar -xzf "$archive" -C "$tmp/unpacked"
[ "$(cd "$tmp/unpacked" && ls | tr '\n' ' ')" = "README.md scoreline " ] || bad "the archive holds $(ls "$tmp/unpacked")"
out=$("$tmp/unpacked/scoreline" --version)
[ "$out" = "scoreline $version" ] || bad "--version printed \`$out\`"
ok "unpacked binary: $out"

# The README's sample command, in a copy of the sample project (with its plugins).
mkdir -p "$tmp/repo/rulesets"
cp -r rulesets/b2b-leads "$tmp/repo/rulesets/"
cp -r plugins "$tmp/repo/"
rm -rf "$tmp/repo/rulesets/b2b-leads/out"
(cd "$tmp/repo" && "$tmp/unpacked/scoreline" run --project rulesets/b2b-leads) 2> "$tmp/run.txt" || { cat "$tmp/run.txt" >&2; bad "the sample run failed"; }
rows=$(wc -l < "$tmp/repo/rulesets/b2b-leads/out/scores.csv")
[ "$rows" -eq 301 ] || bad "the sample run wrote $rows lines, not 301"
grep -q "^scored 300 contacts" "$tmp/run.txt" || bad "the sample run said: $(cat "$tmp/run.txt")"
ok "sample run: $(head -n 1 "$tmp/run.txt")"
(cd "$tmp/repo" && "$tmp/unpacked/scoreline" test rulesets) > "$tmp/test.txt" || { cat "$tmp/test.txt" >&2; bad "the sample tests failed"; }
ok "sample tests: $(tail -n 1 "$tmp/test.txt")"

# install.sh from a path, then from a file:// URL (as from a download).
sh install.sh --archive "$archive" --to "$tmp/bin" 2> "$tmp/install.txt" || { cat "$tmp/install.txt" >&2; bad "install.sh failed"; }
[ "$("$tmp/bin/scoreline" --version)" = "scoreline $version" ] || bad "the installed binary does not run"
grep -q "installed scoreline $version in $tmp/bin/scoreline" "$tmp/install.txt" || bad "install.sh said: $(cat "$tmp/install.txt")"
ok "install.sh --archive PATH: $(tail -n 1 "$tmp/install.txt")"
if command -v curl >/dev/null 2>&1; then
    sh install.sh --archive "file://$PWD/$archive" --to "$tmp/bin2" 2> "$tmp/install2.txt" || { cat "$tmp/install2.txt" >&2; bad "install.sh from a file:// URL failed"; }
    [ -x "$tmp/bin2/scoreline" ] || bad "install.sh from a URL installed nothing"
    ok "install.sh --archive file://…"
fi

# A damaged archive (one byte changed) beside the genuine checksum file is refused.
mkdir "$tmp/damaged"
cp "dist/$name.sha256" "$tmp/damaged/"
python3 - "$archive" "$tmp/damaged/$name.tar.gz" <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
data[len(data) // 2] ^= 0xFF
open(sys.argv[2], "wb").write(data)
PY
if sh install.sh --archive "$tmp/damaged/$name.tar.gz" --to "$tmp/bin3" 2> "$tmp/install3.txt"; then
    bad "install.sh installed a damaged archive"
fi
grep -q "error: the archive's SHA-256 is" "$tmp/install3.txt" || bad "install.sh said: $(cat "$tmp/install3.txt")"
[ ! -e "$tmp/bin3/scoreline" ] || bad "install.sh left a binary from a damaged archive"
ok "install.sh refuses a damaged archive: $(grep error: "$tmp/install3.txt")"
if sh install.sh --archive "$archive" --sha256 0000 --to "$tmp/bin4" 2> /dev/null; then
    bad "install.sh accepted a wrong --sha256"
fi
ok "install.sh refuses a wrong --sha256"
