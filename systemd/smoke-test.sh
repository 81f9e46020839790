#!/usr/bin/env bash
# Smoke test of the real unit under a real systemd (not run in CI: it needs root, and it creates a
# cgroup and namespaces on the machine). Run as root from a checkout:
#   sudo systemd/smoke-test.sh [--binary PATH] [--keep]
#
# How: a private PID, mount and cgroup namespace (unshare) whose PID 1 is /lib/systemd/systemd
# (container=other). Its root file system is an overlay: the machine's / read-only underneath, and
# a tmpfs on top that receives every write. install.sh runs in it as on a server (no --root), so
# the unit, user, folders and config are the ones a real install makes; nothing on the machine
# changes but a temporary cgroup (removed at the end) and a folder in /tmp.
# What install.sh needs (systemd/, config/ and the binary) is copied into the namespace's root, in
# $staged: the namespace's systemd empties /tmp at boot (tmpfiles.d/tmp.conf), which took a
# checkout under /tmp away from the install and uninstall runs; a copy works from any checkout, on
# any file system.
# Then: systemctl start -> active (running); a reload that adds two reports (one of them using
# the Python plugin) -> still active, same PID, and their outputs appear in /srv/reports; the
# watchdog is fed; systemctl stop -> the daemon exits 0 and the unit deactivates successfully.
set -euo pipefail

checkout="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
path_env="PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# Inside the namespace: the copy of the checkout's systemd/ and config/, and the binary.
staged=/usr/local/src/reportd-smoke

# ---------------------------------------------------------------------------------------------
# Stage 2: PID 1 of the new namespaces. Builds the root, installs reportd, becomes systemd.
# ---------------------------------------------------------------------------------------------
if [ "${1:-}" = "--pid1" ]; then
    work="$2"
    binary="$3"
    mount --make-rprivate /
    top="$work/root"
    mount -t tmpfs -o mode=0755 reportd-smoke "$top"
    mkdir "$top/upper" "$top/work" "$top/merged"
    mount -t overlay overlay -o "lowerdir=/,upperdir=$top/upper,workdir=$top/work" "$top/merged"
    m="$top/merged"
    mount -t proc proc "$m/proc"
    # /sys read-only (as in any container: udev and friends stay off), with a cgroup2 tree of
    # its own on top: the cgroup namespace makes its root the cgroup made for this test.
    mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$m/sys"
    mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 "$m/sys/fs/cgroup"
    # A minimal /dev; /dev/console is the FIFO the outer script reads into console.log.
    mount -t tmpfs -o mode=0755,nosuid tmpfs "$m/dev"
    for node in null zero full random urandom tty; do
        touch "$m/dev/$node"
        mount --bind "/dev/$node" "$m/dev/$node"
    done
    touch "$m/dev/console"
    mount --bind "$work/console" "$m/dev/console"
    mkdir "$m/dev/pts" "$m/dev/shm"
    mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$m/dev/pts"
    ln -s pts/ptmx "$m/dev/ptmx"
    mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$m/dev/shm"
    ln -s /proc/self/fd "$m/dev/fd"
    mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs "$m/run"

    # The files install.sh and uninstall.sh read, copied into the new root's upper layer (a tmpfs):
    # out of /tmp, which the namespace's systemd empties at boot.
    mkdir -p "$m$staged"
    cp -RL "$checkout/systemd" "$checkout/config" "$m$staged/"
    cp -L "$binary" "$m$staged/reportd"

    # Install as on a server. No systemd runs yet, so install.sh skips systemctl.
    chroot "$m" env -i "$path_env" bash "$staged/systemd/install.sh" --no-build --binary "$staged/reportd" --no-start \
        >"$work/install.log" 2>&1 || { echo "install.sh failed:" >&2; cat "$work/install.log" >&2; exit 1; }

    # pivot_root rather than chroot: a chrooted process may not create user namespaces
    # (PrivateUsers=), and systemd must see a proper root.
    cd "$m"
    mkdir -p .smoke-oldroot
    pivot_root . .smoke-oldroot
    exec chroot . /bin/sh -c "umount -l /.smoke-oldroot && rmdir /.smoke-oldroot &&
        exec env -i container=other $path_env /lib/systemd/systemd --unit=basic.target"
fi

# ---------------------------------------------------------------------------------------------
# Stage 1: the test.
# ---------------------------------------------------------------------------------------------
usage() {
    cat <<'EOF'
usage: smoke-test.sh [--binary PATH] [--keep]
  --binary PATH  the reportd binary to test (default: build the static release binary into
                 .build-smoke/ of the checkout)
  --keep         keep the work folder in /tmp (install.log, journal.txt: reportd's journal,
                 journal-all.txt: the whole boot of the namespace's systemd)
EOF
}
binary=""
keep=no
while [ $# -gt 0 ]; do
    case "$1" in
    --binary)
        [ $# -ge 2 ] || { usage >&2; exit 2; }
        binary="$2"
        shift 2
        ;;
    --keep) keep=yes; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
    esac
done

[ "$(id -u)" -eq 0 ] || { echo "smoke-test.sh: needs root (namespaces, mounts, a cgroup)" >&2; exit 1; }
[ -x /lib/systemd/systemd ] || { echo "smoke-test.sh: no /lib/systemd/systemd: apt-get install -y systemd" >&2; exit 1; }
for tool in unshare nsenter pivot_root; do
    command -v "$tool" >/dev/null || { echo "smoke-test.sh: $tool is missing (util-linux)" >&2; exit 1; }
done

if [ -z "$binary" ]; then
    echo "== building the static release binary (.build-smoke)"
    swift build -c release --static-swift-stdlib --package-path "$checkout" --scratch-path "$checkout/.build-smoke"
    binary="$checkout/.build-smoke/release/reportd"
fi
binary="$(readlink -f "$binary")"
[ -x "$binary" ] || { echo "smoke-test.sh: no binary at $binary" >&2; exit 1; }
# The checkout and the binary may be anywhere (/tmp, another file system): stage 2 copies what
# the namespace needs into its own root before systemd starts.

work="$(mktemp -d /tmp/reportd-smoke.XXXXXX)"
mkdir "$work/root"
mkfifo "$work/console"

# A cgroup v2 for the namespace, below the machine's cgroup2 mount (hybrid or unified hosts).
if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then cgroot=/sys/fs/cgroup; else cgroot=/sys/fs/cgroup/unified; fi
[ "$(stat -fc %T "$cgroot" 2>/dev/null)" = cgroup2fs ] || { echo "smoke-test.sh: no cgroup2 mount at $cgroot" >&2; exit 1; }
cgroup="$cgroot/reportd-smoke.$$"
mkdir "$cgroup"

unshare_pid=""
console_pid=""
pid1=""
cleanup() {
    local status=$?
    set +e
    if [ -n "$pid1" ] && kill -0 "$pid1" 2>/dev/null; then
        kill -KILL "$pid1" 2>/dev/null # PID 1 of the namespace: takes every process in it along
    fi
    [ -n "$unshare_pid" ] && wait "$unshare_pid" 2>/dev/null
    [ -n "$console_pid" ] && kill "$console_pid" 2>/dev/null
    # Child cgroups that systemd made, deepest first, then ours.
    [ -d "$cgroup" ] && find "$cgroup" -depth -type d -exec rmdir {} + 2>/dev/null
    [ -d "$cgroup" ] && echo "note: could not remove $cgroup" >&2
    if [ "$keep" = yes ] || [ "$status" -ne 0 ]; then
        echo "work folder kept: $work"
    else
        rm -rf "$work"
    fi
    exit "$status"
}
trap cleanup EXIT

# The console: a FIFO read into console.log (held open read-write so it never sees EOF).
exec 3<>"$work/console"
cat <&3 >"$work/console.log" &
console_pid=$!

echo "== starting systemd as PID 1 of a private PID/mount/cgroup namespace (work folder $work)"
(
    echo "$BASHPID" >"$cgroup/cgroup.procs"
    exec unshare --pid --fork --mount --cgroup --propagation private -- \
        bash "$checkout/systemd/smoke-test.sh" --pid1 "$work" "$binary" </dev/null >"$work/pid1.log" 2>&1
) &
unshare_pid=$!

for _ in $(seq 100); do
    pid1="$(awk '{print $1}' "/proc/$unshare_pid/task/$unshare_pid/children" 2>/dev/null)" || true
    [ -n "$pid1" ] && [ "$(readlink "/proc/$pid1/exe" 2>/dev/null)" = /usr/lib/systemd/systemd ] && break
    kill -0 "$unshare_pid" 2>/dev/null || { echo "FAIL: the namespace setup exited:"; cat "$work/pid1.log"; exit 1; }
    sleep 0.2
done
[ "$(readlink "/proc/$pid1/exe" 2>/dev/null)" = /usr/lib/systemd/systemd ] || {
    echo "FAIL: systemd did not start as PID 1"; cat "$work/pid1.log"; exit 1
}
echo "   systemd is PID 1 (pid $pid1 outside); install.sh said:"
sed 's/^/     | /' "$work/install.log"

# Runs a command inside the namespace's root, as its processes see it.
inside() { nsenter --target "$pid1" --mount --pid --root --wd -- env -i "$path_env" "$@"; }

failures=0
check() { # check DESCRIPTION COMMAND...
    local what="$1"
    shift
    if "$@"; then echo "ok   $what"; else echo "FAIL $what"; failures=$((failures + 1)); fi
}

echo "== waiting for boot (basic.target)"
for _ in $(seq 100); do
    inside test -S /run/systemd/private && break
    sleep 0.2
done
state="$(timeout 120 nsenter --target "$pid1" --mount --pid --root --wd -- env -i "$path_env" \
    systemctl is-system-running --wait 2>&1)" || true
echo "   system state: $state"
case "$state" in
running | degraded) ;;
*)
    echo "FAIL: systemd did not finish booting; its journal:"
    inside journalctl --no-pager -b 2>&1 | tail -n 60
    exit 1
    ;;
esac
if [ "$state" = degraded ]; then inside systemctl --failed --no-legend | sed 's/^/   failed unit (not ours): /'; fi

echo "== systemctl start reportd"
inside systemctl start reportd || true
status_text="$(inside systemctl status --no-pager reportd 2>&1)" || true
printf '%s\n' "$status_text" | sed 's/^/   | /'
check "reportd is active (running)" grep -q 'Active: active (running)' <<<"$status_text"
main_pid="$(inside systemctl show -P MainPID reportd)"
# When the watchdog was armed (at start-up); every WATCHDOG=1 moves it.
watchdog_armed="$(inside systemctl show -P WatchdogTimestampMonotonic reportd)"
check "the daemon runs as user reportd" test "$(inside ps -o user= -p "$main_pid" 2>/dev/null | tr -d ' ')" = reportd

echo "== adding two reports that run every 30 s (one uses the Python plugin), then systemctl reload"
inside sh -c 'sed -e "s/^name: .*/name: smoke-by-year/" -e "s/^schedule: .*/schedule: \"every 30s\"/" \
        /etc/reportd/reports.d/funding-by-year.yaml >/etc/reportd/reports.d/smoke-by-year.yaml &&
    sed -e "s/^name: .*/name: smoke-plugin/" -e "s/^schedule: .*/schedule: \"every 30s\"/" \
        /etc/reportd/reports.d/concentration-by-program.yaml >/etc/reportd/reports.d/smoke-plugin.yaml'
check "systemctl reload reportd succeeds" inside systemctl reload reportd
check "still active after the reload" inside systemctl is-active --quiet reportd
check "same main PID after the reload" test "$(inside systemctl show -P MainPID reportd)" = "$main_pid"
inside systemctl status --no-pager reportd 2>/dev/null | grep -E 'Active:|Status:' | sed 's/^/   | /' || true

echo "== waiting (up to 100 s) for the new reports' outputs in /srv/reports"
for _ in $(seq 100); do
    if inside test -s /srv/reports/smoke-by-year/latest.json && inside test -s /srv/reports/smoke-plugin/latest.json; then
        break
    fi
    sleep 1
done
check "smoke-by-year published" inside test -s /srv/reports/smoke-by-year/latest.json
check "smoke-plugin published (Python plugin under the hardening)" inside test -s /srv/reports/smoke-plugin/latest.json
inside ls -l /srv/reports /srv/reports/smoke-plugin | sed 's/^/   | /' || true
check "outputs owned by reportd:reportd" \
    test "$(inside stat -c %U:%G /srv/reports/smoke-by-year/latest.json 2>/dev/null)" = reportd:reportd
check "outputs group-readable only (0640)" \
    test "$(inside stat -c %a /srv/reports/smoke-by-year/latest.json 2>/dev/null)" = 640
check "report folders 2750 (setgid kept under RestrictSUIDSGID=yes)" \
    test "$(inside stat -c %a /srv/reports/smoke-by-year 2>/dev/null)" = 2750
check "the state is private (folder 0700, files 0600, locks/ 0700)" \
    test "$(inside stat -c %a /var/lib/reportd /var/lib/reportd/smoke-by-year.json /var/lib/reportd/locks 2>/dev/null \
        | tr '\n' ' ')" = "700 600 700 "

echo "== waiting (up to 45 s from the start) for a watchdog keep-alive (WatchdogSec=60: one every 30 s)"
for _ in $(seq 45); do
    [ "$(inside systemctl show -P WatchdogTimestampMonotonic reportd)" != "$watchdog_armed" ] && break
    sleep 1
done
watchdog_last="$(inside systemctl show -P WatchdogTimestampMonotonic reportd)"
check "the daemon fed the watchdog (WatchdogTimestampMonotonic $watchdog_armed -> $watchdog_last)" \
    test "$watchdog_last" != "$watchdog_armed"
check "still the same main PID (no restarts)" test "$(inside systemctl show -P MainPID reportd)" = "$main_pid"

echo "== systemctl stop reportd"
check "systemctl stop reportd succeeds" inside systemctl stop reportd
check "inactive after the stop (not failed)" test "$(inside systemctl show -P ActiveState reportd)" = inactive
inside journalctl --no-pager -o short-monotonic -u reportd >"$work/journal.txt" 2>&1 || true
check "the unit deactivated successfully" grep -q 'reportd.service: Deactivated successfully' "$work/journal.txt"
check "no failure logged by systemd" bash -c "! grep -Eq 'Failed with result|status=[1-9]|code=killed|code=dumped|Watchdog timeout' '$work/journal.txt'"
check "the journal has syslog priorities from the daemon (no raw <N> prefixes)" \
    bash -c "! grep -Eq 'reportd\\[[0-9]+\\]: <[0-7]>' '$work/journal.txt'"
check "'stopped' was logged at priority notice" \
    grep -qx stopped <<<"$(inside journalctl --no-pager -o cat -u reportd -p notice..notice 2>&1)"
inside journalctl --no-pager -b >"$work/journal-all.txt" 2>&1 || true
echo "   journal of reportd.service:"
sed 's/^/   | /' "$work/journal.txt"

echo "== install.sh again, now with systemd running (an upgrade: daemon-reload, enable --now)"
inside sh -c 'printf "# edited\n" >>/etc/reportd/reportd.yaml'
before="$(inside sha256sum /etc/reportd/reportd.yaml)"
if inside bash "$staged/systemd/install.sh" --no-build --binary "$staged/reportd" >"$work/install2.log" 2>&1; then
    echo "ok   install.sh succeeded"
else
    echo "FAIL install.sh (second run):"
    failures=$((failures + 1))
fi
sed 's/^/   | /' "$work/install2.log"
check "the edited reportd.yaml was kept" test "$(inside sha256sum /etc/reportd/reportd.yaml)" = "$before"
check "reportd is enabled" inside systemctl is-enabled --quiet reportd
check "reportd is active again" inside systemctl is-active --quiet reportd

echo "== uninstall.sh"
if inside bash "$staged/systemd/uninstall.sh" >"$work/uninstall.log" 2>&1; then
    echo "ok   uninstall.sh succeeded"
else
    echo "FAIL uninstall.sh:"
    failures=$((failures + 1))
fi
sed 's/^/   | /' "$work/uninstall.log"
check "reportd is stopped" bash -c "! nsenter --target $pid1 --mount --pid --root --wd -- systemctl is-active --quiet reportd"
check "the unit is gone" bash -c "! nsenter --target $pid1 --mount --pid --root --wd -- test -e /etc/systemd/system/reportd.service"
check "the binary is gone" bash -c "! nsenter --target $pid1 --mount --pid --root --wd -- test -e /usr/local/bin/reportd"
check "config, state and outputs are kept" \
    inside test -s /etc/reportd/reportd.yaml -a -d /var/lib/reportd -a -s /srv/reports/smoke-by-year/latest.json

echo "== shutting the namespace's systemd down"
inside systemctl --no-block poweroff >/dev/null 2>&1 || true
for _ in $(seq 30); do kill -0 "$unshare_pid" 2>/dev/null || break; sleep 1; done

if [ "$failures" -eq 0 ]; then
    echo "PASS: reportd started, reloaded, published and stopped cleanly under systemd $(/lib/systemd/systemd --version | awk 'NR==1{print $2}')"
else
    echo "FAIL: $failures check(s) failed"
    exit 1
fi
