#!/bin/sh
# Installs the `scoreline` binary from a release archive, without Rust.
#
#   curl -fsSL https://github.com/OWNER/scoreline/releases/latest/download/install.sh | sh
#   sh install.sh [--version v0.1.0] [--to DIR] [--repo OWNER/NAME] [--archive FILE|URL]
#
# It finds the archive for this machine (Linux or macOS, x86_64 or arm64) among the release's
# assets, checks it against the release's SHA-256 checksum file, and puts `scoreline` in DIR
# (default: ~/.local/bin). `--archive` installs a given archive instead (a local file or a URL,
# for testing a build): its checksum is read from the `.sha256` file beside it, or given with
# `--sha256 HEX`. On Windows, download `scoreline-x86_64-pc-windows-msvc.zip` from the
# release page and put `scoreline.exe` on your PATH.
set -eu

repo=${SCORELINE_REPO:-scoreline/scoreline}
version=${SCORELINE_VERSION:-latest}
dir=${SCORELINE_INSTALL_DIR:-"$HOME/.local/bin"}
archive=""
sha256=""

say() { printf '%s\n' "$*" >&2; }
fail() {
    say "error: $1"
    [ $# -gt 1 ] && say "  help: $2"
    exit 1
}

while [ $# -gt 0 ]; do
    case "$1" in
        --version) version=${2:?--version needs a value}; shift 2 ;;
        --to) dir=${2:?--to needs a folder}; shift 2 ;;
        --repo) repo=${2:?--repo needs OWNER/NAME}; shift 2 ;;
        --archive) archive=${2:?--archive needs a file or URL}; shift 2 ;;
        --sha256) sha256=${2:?--sha256 needs a hash}; shift 2 ;;
        -h | --help) sed -n '2,13p' "$0" 2>/dev/null | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) fail "unknown option \`$1\`" "run \`sh install.sh --help\` for the options" ;;
    esac
done

# The release target of this machine, named as the release workflow names its archives.
os=$(uname -s)
arch=$(uname -m)
case "$arch" in
    x86_64 | amd64) arch=x86_64 ;;
    arm64 | aarch64) arch=aarch64 ;;
    *) fail "no release build for the \`$arch\` processor" "build from source: \`cargo install --path crates/cli --locked\`" ;;
esac
case "$os" in
    Linux) target="$arch-unknown-linux-gnu" ;;
    Darwin) target="$arch-apple-darwin" ;;
    MINGW* | MSYS* | CYGWIN*) fail "this script installs on Linux and macOS" "on Windows, download \`scoreline-x86_64-pc-windows-msvc.zip\` from the release page and put \`scoreline.exe\` on your PATH" ;;
    *) fail "no release build for \`$os\`" "build from source: \`cargo install --path crates/cli --locked\`" ;;
esac
name="scoreline-$target"

if [ -z "$archive" ]; then
    case "$version" in
        latest) base="https://github.com/$repo/releases/latest/download" ;;
        v*) base="https://github.com/$repo/releases/download/$version" ;;
        *) base="https://github.com/$repo/releases/download/v$version" ;;
    esac
    archive="$base/$name.tar.gz"
    checksums="$base/$name.sha256"
else
    # A local archive or URL: its checksum file beside it (`NAME.sha256`, as the release
    # workflow writes it), unless `--sha256` gives the hash.
    checksums="${archive%.tar.gz}.sha256"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# Copies a local path, or downloads a URL (http, https or file), to $2.
fetch() {
    case "$1" in
        *://*)
            if command -v curl >/dev/null 2>&1; then
                curl -fsSL --retry 3 -o "$2" "$1"
            elif command -v wget >/dev/null 2>&1; then
                wget -q -O "$2" "$1"
            else
                fail "neither \`curl\` nor \`wget\` is installed" "install one of them, or download \`$1\` yourself and pass \`--archive FILE\`"
            fi
            ;;
        *) cp "$1" "$2" 2>/dev/null ;;
    esac
}

say "downloading $archive"
fetch "$archive" "$tmp/$name.tar.gz" || fail "cannot read or download \`$archive\`" "check the version (\`--version v0.1.0\`) and your connection; the release page lists the archives"
if [ -z "$sha256" ]; then
    fetch "$checksums" "$tmp/checksums" || fail "cannot read or download the checksum file \`$checksums\`" "pass the archive's SHA-256 with \`--sha256 HEX\`"
    # `HASH  NAME` lines: the one for this archive (or the only one).
    sha256=$(awk -v n="$name.tar.gz" '$2 == n || $2 == "*" n { print $1 }' "$tmp/checksums")
    [ -n "$sha256" ] || sha256=$(awk 'NR == 1 { print $1 }' "$tmp/checksums")
fi
if command -v sha256sum >/dev/null 2>&1; then
    actual=$(sha256sum "$tmp/$name.tar.gz" | awk '{ print $1 }')
elif command -v shasum >/dev/null 2>&1; then
    actual=$(shasum -a 256 "$tmp/$name.tar.gz" | awk '{ print $1 }')
else
    fail "neither \`sha256sum\` nor \`shasum\` is installed, so the download cannot be checked" "install coreutils"
fi
expected=$(printf '%s' "$sha256" | tr 'A-F' 'a-f')
[ "$actual" = "$expected" ] || fail "the archive's SHA-256 is $actual, not the $expected of its checksum" "the download is damaged or not the release's: nothing was installed; try again"

mkdir "$tmp/unpacked"
tar -xzf "$tmp/$name.tar.gz" -C "$tmp/unpacked" || fail "cannot unpack \`$archive\`" "the archive is damaged: try again"
[ -f "$tmp/unpacked/scoreline" ] || fail "the archive holds no \`scoreline\` binary" "check that \`$archive\` is a Scoreline release archive"
mkdir -p "$dir" || fail "cannot create the folder \`$dir\`" "pass another folder with \`--to DIR\`"
cp "$tmp/unpacked/scoreline" "$tmp/scoreline.new"
chmod 755 "$tmp/scoreline.new"
mv -f "$tmp/scoreline.new" "$dir/scoreline" || fail "cannot write \`$dir/scoreline\`" "pass a folder you can write to with \`--to DIR\`"

say "installed $("$dir/scoreline" --version) in $dir/scoreline"
case ":$PATH:" in
    *":$dir:"*) ;;
    *) say "note: \`$dir\` is not on your PATH: add \`export PATH=\"$dir:\$PATH\"\` to your shell's profile" ;;
esac
