#!/usr/bin/env bash
# Builds the Debian package reportd_VERSION_ARCH.deb from a checkout:
#   packaging/build-deb.sh [--output DIR] [--no-build] [--binary PATH] [--scratch-path DIR]
# 1. the static release binary: swift build -c release --static-swift-stdlib;
# 2. the manual page, from the binary's own help: swift-argument-parser's generate-manual tool
#    (built from the argument-parser checkout SwiftPM already fetched; no network);
# 3. a copy of the files the package needs in a temporary folder, with debian/changelog written
#    for the version; then dpkg-buildpackage -b -us -uc there (debhelper 13: debian/rules).
# The checkout is not changed except for SwiftPM's build folder. The package lands in DIR (default:
# the checkout's root); install it with `apt install ./reportd_VERSION_ARCH.deb`.
#
# The version is reportd's own (`reportd --version`, ReportdVersion.current in
# Sources/ReportState/RunResult.swift): that constant is the one place it is written. The
# environment variable REPORTD_DEB_VERSION overrides the package's version (e.g. 0.7.0+test1 to
# test an upgrade); `build-deb.sh --print-version` prints the version it would use.
#
# Needs: swift, dpkg-dev, debhelper (13 or later), binutils (strip):
#   apt-get install --no-install-recommends dpkg-dev debhelper binutils
set -euo pipefail

checkout="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

usage() {
    cat <<'EOF'
usage: build-deb.sh [--output DIR] [--no-build] [--binary PATH] [--scratch-path DIR] [--print-version]

  --output DIR         where the .deb goes (default: the checkout's root)
  --no-build           do not run swift build; use --binary (default: the last release build)
  --binary PATH        the reportd binary to package (with --no-build)
  --scratch-path DIR   passed to swift build (default: .build)
  --print-version      print the package version and exit
  -h, --help           this text

REPORTD_DEB_VERSION=V overrides the version (it must be a Debian version, e.g. 0.7.0+test1).
EOF
}

output="$checkout"
build=yes
binary=""
scratch="$checkout/.build"
print_version=no
while [ $# -gt 0 ]; do
    case "$1" in
    --output)
        [ $# -ge 2 ] || { echo "build-deb.sh: --output needs a folder" >&2; exit 2; }
        output="$2"
        shift 2
        ;;
    --no-build) build=no; shift ;;
    --binary)
        [ $# -ge 2 ] || { echo "build-deb.sh: --binary needs a path" >&2; exit 2; }
        binary="$2"
        shift 2
        ;;
    --scratch-path)
        [ $# -ge 2 ] || { echo "build-deb.sh: --scratch-path needs a folder" >&2; exit 2; }
        scratch="$2"
        shift 2
        ;;
    --print-version) print_version=yes; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "build-deb.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
done

# --- The version: reportd's own, from its one definition ----------------------------------------
version_file="$checkout/Sources/ReportState/RunResult.swift"
reportd_version="$(sed -n 's/^ *public static let current = "\([^"]*\)".*/\1/p' "$version_file")"
if [ "$(printf '%s\n' "$reportd_version" | grep -c .)" -ne 1 ]; then
    echo "build-deb.sh: expected one 'public static let current = \"X.Y.Z\"' in $version_file" >&2
    exit 1
fi
version="${REPORTD_DEB_VERSION:-$reportd_version}"
# A native package's version: digits first, then letters, digits and . + ~ (no '-': no revision).
if ! [[ "$version" =~ ^[0-9][A-Za-z0-9.+~]*$ ]]; then
    echo "build-deb.sh: '$version' is not a Debian native version (e.g. 0.7.0 or 0.7.0+test1)" >&2
    exit 2
fi
if [ "$print_version" = yes ]; then
    printf '%s\n' "$version"
    exit 0
fi

missing=()
for tool in dpkg-buildpackage dh strip; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "build-deb.sh: missing ${missing[*]}: apt-get install --no-install-recommends dpkg-dev debhelper binutils" >&2
    exit 1
fi
mkdir -p "$output"
output="$(cd "$output" && pwd)"

say() { printf 'build-deb.sh: %s\n' "$*"; }

# --- 1. The binary -----------------------------------------------------------------------------
swift_flags=(-c release --static-swift-stdlib --package-path "$checkout" --scratch-path "$scratch")
if [ "$build" = yes ]; then
    command -v swift >/dev/null || {
        echo "build-deb.sh: swift is not installed; build elsewhere and pass --no-build --binary PATH" >&2
        exit 1
    }
    say "swift build ${swift_flags[*]} --product reportd"
    swift build "${swift_flags[@]}" --product reportd
fi
if [ -z "$binary" ]; then
    binary="$scratch/release/reportd"
fi
[ -x "$binary" ] || { echo "build-deb.sh: no reportd binary at $binary" >&2; exit 1; }
binary_version="$("$binary" --version)"
if [ "$binary_version" != "$reportd_version" ]; then
    echo "build-deb.sh: $binary says it is $binary_version, the source says $reportd_version: rebuild it" >&2
    exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
tree="$work/reportd-$version"
mkdir -p "$tree/build"

# --- 2. The manual page ------------------------------------------------------------------------
# The changelog's date is the last commit's (so two builds of one commit are the same); the page
# carries it too.
if epoch="$(git -C "$checkout" log -1 --format=%ct 2>/dev/null)" && [ -n "$epoch" ]; then
    :
else
    epoch="$(date +%s)"
fi
export SOURCE_DATE_EPOCH="$epoch"

parser="$scratch/checkouts/swift-argument-parser"
[ -f "$parser/Package.swift" ] || {
    echo "build-deb.sh: no swift-argument-parser checkout in $scratch/checkouts (run swift build once)" >&2
    exit 1
}
manual_tool="$scratch/generate-manual/debug/generate-manual"
if [ ! -x "$manual_tool" ]; then
    say "building swift-argument-parser's generate-manual (once)"
    swift build --package-path "$parser" --scratch-path "$scratch/generate-manual" --product generate-manual
fi
"$manual_tool" "$binary" --date "$(date -u -d "@$epoch" +%F)" --section 1 --output-directory "$tree/build"
[ -s "$tree/build/reportd.1" ] || { echo "build-deb.sh: generate-manual wrote no reportd.1" >&2; exit 1; }

# --- 3. The package ----------------------------------------------------------------------------
cp "$binary" "$tree/build/reportd"
cp -R "$checkout/debian" "$checkout/packaging" "$checkout/systemd" "$checkout/config" "$tree/"
cp "$checkout/README.md" "$checkout/PLUGINS.md" "$tree/"
cat >"$tree/debian/changelog" <<EOF
reportd ($version) unstable; urgency=medium

  * reportd $version (the project's CHANGELOG.md lists what changed).

 -- reportd maintainers <maintainers@reportd.example>  $(date -u -R -d "@$epoch")
EOF

say "dpkg-buildpackage -b -us -uc (reportd $version)"
(cd "$tree" && dpkg-buildpackage -b -us -uc)

arch="$(dpkg-architecture -qDEB_HOST_ARCH)"
deb="reportd_${version}_${arch}.deb"
mv "$work/$deb" "$output/$deb"
say "built $output/$deb ($(stat -c %s "$output/$deb") bytes)"
