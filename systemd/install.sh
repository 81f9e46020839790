#!/usr/bin/env bash
# Installs reportd as a systemd service, from a checkout. Run as root:
#   sudo systemd/install.sh
# It builds the static release binary, installs it to /usr/local/bin/reportd, the unit to
# /etc/systemd/system/reportd.service, the sysusers.d and tmpfiles.d entries to /usr/lib (and
# applies them: user and group `reportd`, /var/lib/reportd, /srv/reports), and a starting config in
# /etc/reportd/ (the sample reports and data). Files already in /etc/reportd/ are never overwritten.
# The binary, the unit and the sysusers/tmpfiles entries are replaced on every run (an upgrade);
# local changes to the unit belong in a drop-in (`systemctl edit reportd`).
set -euo pipefail

usage() {
    cat <<'EOF'
usage: install.sh [--root DIR] [--no-build] [--binary PATH] [--scratch-path DIR] [--no-start]

  --root DIR           install into the staging root DIR instead of / (also: DESTDIR=DIR, or
                       --prefix DIR). Nothing outside DIR is touched and systemctl is not called.
                       The starting config's absolute paths (state, output.root) are written
                       under DIR, so `reportd validate --config DIR/etc/reportd/reportd.yaml` and
                       `reportd run` work on the staged tree as it is. No account files
                       (etc/passwd, group, shadow, gshadow) are staged: the next steps printed
                       at the end make the reportd user on the server (systemd-sysusers).
  --no-build           do not build; use --binary (default: the last release build)
  --binary PATH        the reportd binary to install
  --scratch-path DIR   passed to `swift build` (default: .build)
  --no-start           do not start, restart or enable the service (only daemon-reload)
  -h, --help           this text

Without --no-start: a running reportd is restarted (so the new binary runs); a service that is
not running yet is enabled and started.
EOF
}

checkout="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
root="${DESTDIR:-}"
build=yes
binary=""
scratch=""
start=yes

while [ $# -gt 0 ]; do
    case "$1" in
    --root | --prefix)
        [ $# -ge 2 ] || { echo "install.sh: $1 needs a folder" >&2; exit 2; }
        root="$2"
        shift 2
        ;;
    --root=* | --prefix=*) root="${1#*=}"; shift ;;
    --no-build) build=no; shift ;;
    --binary)
        [ $# -ge 2 ] || { echo "install.sh: --binary needs a path" >&2; exit 2; }
        binary="$2"
        shift 2
        ;;
    --binary=*) binary="${1#*=}"; shift ;;
    --scratch-path)
        [ $# -ge 2 ] || { echo "install.sh: --scratch-path needs a folder" >&2; exit 2; }
        scratch="$2"
        shift 2
        ;;
    --scratch-path=*) scratch="${1#*=}"; shift ;;
    --no-start) start=no; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "install.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
done

# The staging root, absolute and without a trailing slash ("" is the real root).
if [ -n "$root" ] && [ "$root" != "/" ]; then
    mkdir -p "$root"
    root="$(cd "$root" && pwd)"
else
    root=""
fi

if [ -z "$root" ] && [ "$(id -u)" -ne 0 ]; then
    echo "install.sh: run as root (sudo $0), or stage into a folder with --root DIR" >&2
    exit 1
fi

say() { printf '%s\n' "$*"; }

# --- The binary ---------------------------------------------------------------------------------
swift_flags=(-c release --static-swift-stdlib --package-path "$checkout")
[ -n "$scratch" ] && swift_flags+=(--scratch-path "$scratch")
if [ "$build" = yes ]; then
    command -v swift >/dev/null || {
        echo "install.sh: swift is not installed; build elsewhere and pass --no-build --binary PATH" >&2
        exit 1
    }
    say "Building the release binary (swift build ${swift_flags[*]})..."
    swift build "${swift_flags[@]}"
fi
if [ -z "$binary" ]; then
    if command -v swift >/dev/null; then
        binary="$(swift build "${swift_flags[@]}" --show-bin-path)/reportd"
    else
        binary="$checkout/.build/release/reportd"
    fi
fi
[ -x "$binary" ] || { echo "install.sh: no reportd binary at $binary (build it, or pass --binary PATH)" >&2; exit 1; }

# --- Files we own: replaced on every install ----------------------------------------------------
# The binary is installed stripped: the static build carries its symbol tables (over 100 MB
# unstripped, about 60 MB without them). Without `strip` (binutils) it is installed as built.
install -D -m 0755 "$binary" "$root/usr/local/bin/reportd"
if command -v strip >/dev/null; then
    strip "$root/usr/local/bin/reportd"
    say "installed $root/usr/local/bin/reportd (from $binary, stripped: $(stat -c %s "$binary") -> $(stat -c %s "$root/usr/local/bin/reportd") bytes)"
else
    say "installed $root/usr/local/bin/reportd (from $binary; not stripped: no strip command, apt-get install binutils)"
fi
install -D -m 0644 "$checkout/systemd/reportd.service" "$root/etc/systemd/system/reportd.service"
say "installed $root/etc/systemd/system/reportd.service"
install -D -m 0644 "$checkout/systemd/reportd.sysusers" "$root/usr/lib/sysusers.d/reportd.conf"
say "installed $root/usr/lib/sysusers.d/reportd.conf"
install -D -m 0644 "$checkout/systemd/reportd.tmpfiles" "$root/usr/lib/tmpfiles.d/reportd.conf"
say "installed $root/usr/lib/tmpfiles.d/reportd.conf"

# --- User, group and folders --------------------------------------------------------------------
if [ -z "$root" ]; then
    command -v systemd-sysusers >/dev/null || { echo "install.sh: systemd-sysusers is missing (apt-get install systemd)" >&2; exit 1; }
    # A bare file name: sysusers/tmpfiles look it up in /etc, /run and /usr/lib under the root, so
    # an administrator's /etc/{sysusers,tmpfiles}.d/reportd.conf takes precedence.
    systemd-sysusers reportd.conf
    say "applied sysusers.d/reportd.conf: system user and group reportd"
    systemd-tmpfiles --create reportd.conf
    say "applied tmpfiles.d/reportd.conf: /var/lib/reportd (0700), /srv/reports (2750), owned by reportd"
else
    # A staging root gets no account files: systemd-sysusers --root would write an etc/passwd,
    # shadow, group and gshadow holding only reportd, and copying the tree onto a server would
    # replace that server's own. The account is made where the tree is installed (the next steps
    # below say how); here the folders get their modes only, no owner.
    install -d -m 0700 "$root/var/lib/reportd"
    install -d -m 2750 "$root/srv/reports"
    say "staging root: created $root/var/lib/reportd and $root/srv/reports without an owner (no account files staged)"
fi

# --- The starting config: only files that are missing -------------------------------------------
kept=()
# copy_missing SRC DEST MODE: installs SRC as DEST unless DEST exists (even as a broken link).
copy_missing() {
    if [ -e "$2" ] || [ -L "$2" ]; then
        kept+=("$2")
    else
        install -D -m "$3" "$1" "$2"
        say "installed $2"
    fi
}

etc="$root/etc/reportd"
install -d -m 0755 "$etc" "$etc/reports.d" "$etc/data" "$etc/plugins.d" "$etc/tests" "$etc/tests/data"

# The sample plugin (the `hhi` calculator) is Python; without python3 neither it nor the report
# that uses it is installed, so that the starting config validates.
with_python=no
if command -v python3 >/dev/null || [ -x "$root/usr/bin/python3" ]; then with_python=yes; fi

for report in "$checkout"/config/reports.d/*.yaml; do
    if [ "$with_python" = no ] && grep -q '^ *calc: *hhi' "$report"; then
        say "skipped $(basename "$report"): it needs python3 for its plugin (install python3, then copy it from config/reports.d/)"
        continue
    fi
    copy_missing "$report" "$etc/reports.d/$(basename "$report")" 0644
done
for file in "$checkout"/config/data/*; do
    copy_missing "$file" "$etc/data/$(basename "$file")" 0644
done
# The sample reports' tests (`reportd test`), for the reports installed above.
for test in "$checkout"/config/tests/*.yaml; do
    [ -e "$etc/reports.d/$(basename "$test")" ] || continue
    copy_missing "$test" "$etc/tests/$(basename "$test")" 0644
done
for file in "$checkout"/config/tests/data/*; do
    copy_missing "$file" "$etc/tests/data/$(basename "$file")" 0644
done
if [ "$with_python" = yes ]; then
    copy_missing "$checkout/config/plugins.d/hhi.py" "$etc/plugins.d/hhi.py" 0755
fi

config_text="$(mktemp)"
trap 'rm -f "$config_text"' EXIT
cat >"$config_text" <<EOF
# reportd daemon config, written by systemd/install.sh. After editing:
#   reportd validate --config /etc/reportd/reportd.yaml && systemctl reload reportd
# Relative paths resolve against this file's folder (/etc/reportd). The service can read
# everything here; it writes only to \`state\` and \`output.root\` (see reportd.service).

# IANA time zone: the default for every report that names none.
timezone: Asia/Ho_Chi_Minh

# Language of every report that names none: Vietnamese words, 4.700.000.000, Vietnamese order.
locale: vi-VN

# Report definitions, one report per *.yaml / *.yml file. Add one, then \`systemctl reload reportd\`.
reports: reports.d

# External calculator plugins (executables; see PLUGINS.md in the source).
plugins: plugins.d
plugin_timeout: 30s

# Last completed slot of each report (the unit's StateDirectory=).
state: $root/var/lib/reportd

output:
  # The shared folder. To move it, also give the service write access there: see the comments
  # at the top of /etc/systemd/system/reportd.service (a ReadWritePaths= drop-in).
  root: $root/srv/reports
  # Runs kept per report; older ones are removed after a successful publish.
  keep: 30
  # CSV that Excel on Windows opens right: a UTF-8 BOM and CRLF line endings, for every report.
  csv: {bom: true, line_endings: crlf}

# On stop, running reports get this long to finish. Keep it below the unit's TimeoutStopSec=45.
shutdown_grace: 30s

# Datasets that reports read, by name. The sample data is illustrative (see data/README.md).
datasets:
  projects:
    format: csv
    path: data/projects.csv
    schema: data/projects.schema.yaml
EOF
copy_missing "$config_text" "$etc/reportd.yaml" 0644

if [ ${#kept[@]} -gt 0 ]; then
    say "kept ${#kept[@]} existing file(s) unchanged:"
    printf '  %s\n' "${kept[@]}"
fi

# --- systemd ------------------------------------------------------------------------------------
started=no
if [ -n "$root" ]; then
    say "staging root $root: systemctl not called"
elif [ ! -d /run/systemd/system ]; then
    say "systemd is not running here: skipped systemctl daemon-reload"
else
    systemctl daemon-reload
    say "ran systemctl daemon-reload"
    if [ "$start" = yes ]; then
        if systemctl is-active --quiet reportd; then
            systemctl restart reportd
            say "restarted reportd (it was running; the new binary runs now)"
        else
            systemctl enable --now reportd || {
                echo "install.sh: reportd did not start; see: journalctl -u reportd -n 50" >&2
                exit 1
            }
            say "enabled and started reportd"
        fi
        started=yes
    fi
fi

if [ -n "$root" ]; then
    cat <<EOF

Staged in $root. To check the staged tree as it is:
  $root/usr/local/bin/reportd validate --config $etc/reportd.yaml
  $root/usr/local/bin/reportd test --config $etc/reportd.yaml
Its reportd.yaml points state and output.root into $root: set them to /var/lib/reportd and
/srv/reports before the tree goes onto a server. Then, on the server, once the files are in place:
  systemd-sysusers reportd.conf                 # the reportd user and group
  systemd-tmpfiles --create reportd.conf        # /var/lib/reportd and /srv/reports, owned by reportd
  systemctl daemon-reload
  reportd validate --config /etc/reportd/reportd.yaml
  systemctl enable --now reportd                # start it now and at every boot
EOF
    exit 0
fi

cat <<EOF

Next steps:
  $root/usr/local/bin/reportd validate --config $etc/reportd.yaml   # check the config and reports
  $root/usr/local/bin/reportd test --config $etc/reportd.yaml       # run the reports' tests in $etc/tests
EOF
if [ "$started" = no ]; then
    say "  systemctl enable --now reportd     # start it now and at every boot"
fi
cat <<EOF
  systemctl status reportd            # state, and the daemon's STATUS line
  journalctl -u reportd -f            # its log
  systemctl reload reportd            # after adding or editing a report in $etc/reports.d
Outputs appear under $root/srv/reports/NAME/ at each report's schedule (index.html lists them);
\`reportd status\` shows each report's last run and next slot.
Colleagues who read them directly: usermod -aG reportd NAME.
EOF
