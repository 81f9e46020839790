#!/usr/bin/env bash
# Removes what systemd/install.sh installed: the binary, the unit and the sysusers.d/tmpfiles.d
# entries, after stopping and disabling the service. Run as root:
#   sudo systemd/uninstall.sh
# Data is kept: /etc/reportd (config, reports, datasets), /var/lib/reportd (state), /srv/reports
# (the published outputs), the reportd user and group that own them, and any drop-ins in
# /etc/systemd/system/reportd.service.d/. The script prints how to remove those by hand.
set -euo pipefail

usage() {
    cat <<'EOF'
usage: uninstall.sh [--root DIR]

  --root DIR   remove from the staging root DIR (as made by install.sh --root DIR; also DESTDIR=DIR)
               instead of /; systemctl is not called.
EOF
}

root="${DESTDIR:-}"
while [ $# -gt 0 ]; do
    case "$1" in
    --root | --prefix)
        [ $# -ge 2 ] || { echo "uninstall.sh: $1 needs a folder" >&2; exit 2; }
        root="$2"
        shift 2
        ;;
    --root=* | --prefix=*) root="${1#*=}"; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "uninstall.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
done
if [ -n "$root" ] && [ "$root" != "/" ]; then
    root="$(cd "$root" && pwd)"
else
    root=""
fi
if [ -z "$root" ] && [ "$(id -u)" -ne 0 ]; then
    echo "uninstall.sh: run as root (sudo $0)" >&2
    exit 1
fi

say() { printf '%s\n' "$*"; }

unit="$root/etc/systemd/system/reportd.service"
systemd_up=no
if [ -z "$root" ] && [ -d /run/systemd/system ]; then systemd_up=yes; fi

if [ "$systemd_up" = yes ]; then
    if systemctl is-active --quiet reportd; then
        systemctl stop reportd
        say "stopped reportd"
    fi
    if systemctl is-enabled --quiet reportd 2>/dev/null; then
        systemctl disable reportd
        say "disabled reportd"
    fi
elif [ -z "$root" ]; then
    say "systemd is not running here: nothing to stop or disable"
fi

for file in \
    "$root/usr/local/bin/reportd" \
    "$unit" \
    "$root/usr/lib/sysusers.d/reportd.conf" \
    "$root/usr/lib/tmpfiles.d/reportd.conf"; do
    if [ -e "$file" ] || [ -L "$file" ]; then
        rm -f "$file"
        say "removed $file"
    else
        say "already gone: $file"
    fi
done

if [ "$systemd_up" = yes ]; then
    systemctl daemon-reload
    systemctl reset-failed reportd 2>/dev/null || true
    say "ran systemctl daemon-reload"
fi

cat <<EOF

Kept (your data; remove by hand when you no longer need it):
  $root/etc/reportd        config, reports, datasets, plugins
  $root/var/lib/reportd    state: the last completed slot of each report
  $root/srv/reports        published outputs (or wherever output.root pointed)
  the reportd user and group, which own them (userdel reportd; groupdel reportd)
EOF
if [ -d "$unit.d" ]; then
    say "  $unit.d    your drop-ins (systemctl edit)"
fi
