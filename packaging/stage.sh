#!/usr/bin/env bash
# Lays out the files of the reportd Debian package under a folder, as they are installed:
#   packaging/stage.sh --binary PATH [--manual FILE] ROOT
# debian/rules calls it with ROOT=debian/tmp (the package is then built from that tree), and the
# packaging test (PackagingTests) calls it on a temporary folder to check the layout and run the
# installed config. It copies from the checkout; it builds nothing and changes nothing outside ROOT.
#
#   usr/bin/reportd                              the binary (as given: debian/rules strips it)
#   usr/lib/systemd/system/reportd.service       systemd/reportd.service, binary path /usr/bin/reportd
#   usr/lib/sysusers.d/reportd.conf              systemd/reportd.sysusers
#   usr/lib/tmpfiles.d/reportd.conf              systemd/reportd.tmpfiles
#   etc/reportd/reportd.yaml                     packaging/reportd.yaml (conffile)
#   etc/reportd/reports.d/*.yaml                 the sample reports that need no plugin (conffiles)
#   etc/reportd/tests/*.yaml, tests/data/*       their tests and the tests' fixture (conffiles)
#   etc/reportd/plugins.d/README.md              where an administrator's plugins go (conffile)
#   usr/share/reportd/data/*                     the sample dataset the config reads
#   usr/share/doc/reportd/                       README.md, PLUGINS.md, README.Debian, and
#     examples/{plugins.d,reports.d,tests}/      the sample plugin with the report that uses it
#   usr/share/man/man1/reportd.1                 with --manual
#
# A sample report that uses a plugin (a `calc:` named after a file in config/plugins.d) goes to the
# examples, not to /etc/reportd: the sample plugin is Python, and the package does not depend on
# Python (README.Debian says how to turn it on). The installed config validates and runs without it.
set -euo pipefail

usage() {
    echo "usage: stage.sh --binary PATH [--manual FILE] ROOT" >&2
}

checkout="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
binary=""
manual=""
root=""
while [ $# -gt 0 ]; do
    case "$1" in
    --binary)
        [ $# -ge 2 ] || { usage; exit 2; }
        binary="$2"
        shift 2
        ;;
    --manual)
        [ $# -ge 2 ] || { usage; exit 2; }
        manual="$2"
        shift 2
        ;;
    -h | --help) usage; exit 0 ;;
    -*) echo "stage.sh: unknown option '$1'" >&2; usage; exit 2 ;;
    *)
        [ -z "$root" ] || { echo "stage.sh: one ROOT only" >&2; exit 2; }
        root="$1"
        shift
        ;;
    esac
done
if [ -z "$root" ] || [ -z "$binary" ]; then usage; exit 2; fi
[ -x "$binary" ] || { echo "stage.sh: no executable at $binary" >&2; exit 1; }

# The unit as installed: the script install's unit names /usr/local/bin/reportd (and says it is
# installed by install.sh); the package's binary is /usr/bin/reportd.
unit_text="$(sed \
    -e 's|/usr/local/bin/reportd|/usr/bin/reportd|g' \
    -e 's|^# Installed by systemd/install.sh to /etc/systemd/system/reportd.service; then$|# Installed by the reportd package (enabled and started on install); then|' \
    "$checkout/systemd/reportd.service")"
if grep -q '/usr/local' <<<"$unit_text"; then
    echo "stage.sh: systemd/reportd.service still names /usr/local after the rewrite" >&2
    exit 1
fi

install -D -m 0755 "$binary" "$root/usr/bin/reportd"
install -d -m 0755 "$root/usr/lib/systemd/system"
printf '%s\n' "$unit_text" >"$root/usr/lib/systemd/system/reportd.service"
chmod 0644 "$root/usr/lib/systemd/system/reportd.service"
install -D -m 0644 "$checkout/systemd/reportd.sysusers" "$root/usr/lib/sysusers.d/reportd.conf"
install -D -m 0644 "$checkout/systemd/reportd.tmpfiles" "$root/usr/lib/tmpfiles.d/reportd.conf"

# --- /etc/reportd: conffiles --------------------------------------------------------------------
etc="$root/etc/reportd"
examples="$root/usr/share/doc/reportd/examples"
install -D -m 0644 "$checkout/packaging/reportd.yaml" "$etc/reportd.yaml"
install -D -m 0644 "$checkout/packaging/plugins.d-README.md" "$etc/plugins.d/README.md"

# uses_plugin FILE: true when the report names a calculator of a sample plugin.
uses_plugin() {
    local plugin name
    for plugin in "$checkout"/config/plugins.d/*; do
        [ -f "$plugin" ] || continue
        name="$(basename "$plugin")"
        name="${name%.*}"
        if grep -Eq "^[[:space:]-]*calc:[[:space:]]*[\"']?${name}[\"']?[[:space:]]*(#.*)?$" "$1"; then
            return 0
        fi
    done
    return 1
}

for report in "$checkout"/config/reports.d/*.yaml; do
    name="$(basename "$report")"
    if uses_plugin "$report"; then
        install -D -m 0644 "$report" "$examples/reports.d/$name"
        [ ! -f "$checkout/config/tests/$name" ] || install -D -m 0644 "$checkout/config/tests/$name" "$examples/tests/$name"
    else
        install -D -m 0644 "$report" "$etc/reports.d/$name"
        [ ! -f "$checkout/config/tests/$name" ] || install -D -m 0644 "$checkout/config/tests/$name" "$etc/tests/$name"
    fi
done
for fixture in "$checkout"/config/tests/data/*; do
    install -D -m 0644 "$fixture" "$etc/tests/data/$(basename "$fixture")"
done

# --- /usr/share: the sample dataset (read by the installed config), documentation ---------------
for file in "$checkout"/config/data/*; do
    install -D -m 0644 "$file" "$root/usr/share/reportd/data/$(basename "$file")"
done
# The examples are documentation, not run from there (Debian policy: nothing may need
# /usr/share/doc to work; minimal images drop it): mode 0644 even for the plugin.
for plugin in "$checkout"/config/plugins.d/*; do
    [ -f "$plugin" ] || continue
    install -D -m 0644 "$plugin" "$examples/plugins.d/$(basename "$plugin")"
done
doc="$root/usr/share/doc/reportd"
install -D -m 0644 "$checkout/README.md" "$doc/README.md"
install -D -m 0644 "$checkout/PLUGINS.md" "$doc/PLUGINS.md"
install -D -m 0644 "$checkout/packaging/README.Debian" "$doc/README.Debian"

if [ -n "$manual" ]; then
    install -D -m 0644 "$manual" "$root/usr/share/man/man1/reportd.1"
fi
