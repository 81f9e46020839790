#!/usr/bin/env bash
# Tests the Debian package end to end. Run as root, from a checkout:
#   sudo packaging/test-deb.sh [--no-build] [--mirror URL] [--keep]
# 1. builds reportd_VERSION_ARCH.deb with packaging/build-deb.sh, and the same tree again as
#    VERSION+test1 (REPORTD_DEB_VERSION, the "rebuilt, higher version" an upgrade installs);
# 2. inspects it: dpkg-deb --info / --contents, its conffiles, the stripped binary, its
#    dependencies (tzdata, nothing of Swift), the maintainer scripts debhelper wrote;
# 3. runs lintian on it (no error, no warning beyond debian/reportd.lintian-overrides);
# 4. makes a clean Debian 12 with `debootstrap --variant=minbase bookworm` and there: installs the
#    package with apt (user, folders, enabled unit), runs `reportd validate`, `reportd test` and
#    `reportd run` (as the reportd user) on the installed config, edits conffiles, upgrades to
#    VERSION+test1 and then to a VERSION+test2 whose conffiles changed (--force-confold: the
#    edits stay, the package's new text lands beside them as .dpkg-dist), removes (config, state
#    and outputs stay), purges (config and state go, outputs stay).
# Every check prints PASS or FAIL; the summary at the end counts them, and the exit status is 1 if
# any failed. Takes a few minutes (debootstrap downloads about 40 MB; apt about 30 MB more).
#
#   --no-build     package the last release build instead of running swift build
#   --mirror URL   the Debian mirror for debootstrap and apt (default: the first Debian mirror
#                  in this machine's apt sources, else http://deb.debian.org/debian)
#   --keep         keep the work folder (the packages, the chroot) and print where it is
#
# Needs: debootstrap, lintian, dpkg-dev, debhelper, binutils, and swift unless --no-build:
#   apt-get install --no-install-recommends debootstrap lintian dpkg-dev debhelper binutils
set -euo pipefail

checkout="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_flags=()
mirror=""
keep=no
while [ $# -gt 0 ]; do
    case "$1" in
    --no-build) build_flags+=(--no-build); shift ;;
    --mirror)
        [ $# -ge 2 ] || { echo "test-deb.sh: --mirror needs a URL" >&2; exit 2; }
        mirror="$2"
        shift 2
        ;;
    --keep) keep=yes; shift ;;
    -h | --help) sed -n '2,26p' "$0"; exit 0 ;;
    *) echo "test-deb.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
done

[ "$(id -u)" -eq 0 ] || { echo "test-deb.sh: run as root (debootstrap and chroot need it)" >&2; exit 1; }
for tool in debootstrap lintian dpkg-deb readelf; do
    command -v "$tool" >/dev/null || {
        echo "test-deb.sh: $tool is missing: apt-get install --no-install-recommends debootstrap lintian dpkg-dev debhelper binutils" >&2
        exit 1
    }
done

if [ -z "$mirror" ]; then
    # deb822 sources (URIs: lines), then one-line sources; the first Debian archive that is not
    # the security one.
    mirror="$(
        {
            cat /etc/apt/sources.list.d/*.sources 2>/dev/null | sed -n 's/^URIs:[[:space:]]*//p' | tr ' ' '\n'
            cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]\+\).*/\2/p'
        } | grep -E '/debian/?$' | grep -v security | head -n 1
    )" || true
    mirror="${mirror:-http://deb.debian.org/debian}"
fi

work="$(mktemp -d /tmp/reportd-test-deb.XXXXXX)"
chroot_dir="$work/bookworm"
cleanup() {
    if mountpoint -q "$chroot_dir/proc" 2>/dev/null; then umount "$chroot_dir/proc" || true; fi
    if [ "$keep" = yes ]; then
        echo "test-deb.sh: kept $work"
    elif ! mountpoint -q "$chroot_dir/proc" 2>/dev/null; then
        rm -rf --one-file-system "$work"
    fi
}
trap cleanup EXIT

passed=0
failed=0
failures=()
pass() { passed=$((passed + 1)); printf 'PASS  %s\n' "$1"; }
fail() { failed=$((failed + 1)); failures+=("$1"); printf 'FAIL  %s\n' "$1"; }
# check WHAT COMMAND...: runs the command quietly; PASS or FAIL with its output.
check() {
    local what="$1" out
    shift
    if out="$("$@" 2>&1)"; then pass "$what"; else fail "$what"; printf '%s\n' "$out" | sed 's/^/      /' | tail -n 20; fi
}
section() { printf '\n== %s ==\n' "$*"; }
started=$SECONDS

# --- 1. Build ----------------------------------------------------------------------------------
section "build"
version="$(bash "$checkout/packaging/build-deb.sh" --print-version)"
arch="$(dpkg --print-architecture)"
t0=$SECONDS
bash "$checkout/packaging/build-deb.sh" "${build_flags[@]}" --output "$work" >"$work/build.log" 2>&1 \
    || { tail -n 40 "$work/build.log"; echo "test-deb.sh: build-deb.sh failed (log above)" >&2; exit 1; }
echo "built reportd_${version}_$arch.deb in $((SECONDS - t0)) s"
t0=$SECONDS
REPORTD_DEB_VERSION="$version+test1" bash "$checkout/packaging/build-deb.sh" --no-build --output "$work" \
    >"$work/build-test1.log" 2>&1 \
    || { tail -n 40 "$work/build-test1.log"; echo "test-deb.sh: the +test1 build failed" >&2; exit 1; }
echo "built reportd_${version}+test1_$arch.deb in $((SECONDS - t0)) s (no swift build)"
deb="$work/reportd_${version}_$arch.deb"
deb1="$work/reportd_${version}+test1_$arch.deb"

# The +test2 package: +test1 repacked with a changed reportd.yaml (which the test edits too) and a
# changed report (which it does not edit), to see dpkg's conffile handling take both paths.
repack="$work/repack"
dpkg-deb -R "$deb1" "$repack"
sed -i "s/^Version: .*/Version: $version+test2/" "$repack/DEBIAN/control"
printf '# changed in %s+test2\n' "$version" >>"$repack/etc/reportd/reportd.yaml"
printf '# changed in %s+test2\n' "$version" >>"$repack/etc/reportd/reports.d/support-by-activity.yaml"
(cd "$repack" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum >DEBIAN/md5sums)
deb2="$work/reportd_${version}+test2_$arch.deb"
dpkg-deb --root-owner-group -b "$repack" "$deb2" >/dev/null

# --- 2. Inspect --------------------------------------------------------------------------------
section "inspect $(basename "$deb")"
dpkg-deb --info "$deb" | sed -n '/^ Package:/,$p'
dpkg-deb --contents "$deb" >"$work/contents.txt"
echo "($(wc -l <"$work/contents.txt") entries; $(stat -c %s "$deb") bytes)"
control="$work/control"
dpkg-deb --control "$deb" "$control"
echo "conffiles:"
sed 's/^/  /' "$control/conffiles"
listed() { grep -Eq " \./$1\$" "$work/contents.txt"; }
check "/usr/bin/reportd in the package" listed "usr/bin/reportd"
check "unit in /usr/lib/systemd/system" listed "usr/lib/systemd/system/reportd.service"
check "nothing in /lib/systemd or /etc/systemd" bash -c "! grep -Eq ' \./(lib/systemd|etc/systemd)/' '$work/contents.txt'"
check "sysusers.d and tmpfiles.d entries" bash -c "grep -q ' ./usr/lib/sysusers.d/reportd.conf$' '$work/contents.txt' && grep -q ' ./usr/lib/tmpfiles.d/reportd.conf$' '$work/contents.txt'"
check "gzipped manual page" listed "usr/share/man/man1/reportd.1.gz"
check "README, README.Debian, copyright, examples" bash -c "for f in README.md.gz README.Debian copyright examples/plugins.d/hhi.py; do grep -q \" ./usr/share/doc/reportd/\$f\$\" '$work/contents.txt' || exit 1; done"
check "sample dataset in /usr/share/reportd/data" listed "usr/share/reportd/data/projects.csv"
check "every file under /etc is a conffile" bash -c "diff <(grep -E '^-' '$work/contents.txt' | awk '{print \$6}' | sed -n 's|^\./etc/|/etc/|p' | sort) <(sort '$control/conffiles')"
check "reportd.yaml, the sample reports and their tests are conffiles" bash -c "grep -qx /etc/reportd/reportd.yaml '$control/conffiles' && [ \$(grep -c '^/etc/reportd/reports.d/' '$control/conffiles') -ge 5 ] && grep -q '^/etc/reportd/tests/.*\.yaml$' '$control/conffiles'"
depends="$(dpkg-deb --field "$deb" Depends)"
echo "Depends: $depends"
depends_has() { grep -q "$1" <<<"$depends"; }
depends_lacks() { ! grep -qi "$1" <<<"$depends"; }
check "Depends names tzdata" depends_has tzdata
check "Depends names libc6 (from shlibs)" depends_has libc6
check "Depends names nothing of Swift" depends_lacks swift
mkdir -p "$work/unpacked"
dpkg-deb -x "$deb" "$work/unpacked"
check "the binary is stripped (no .symtab)" bash -c "! readelf -S '$work/unpacked/usr/bin/reportd' | grep -q '\.symtab'"
check "the binary needs no Swift library" bash -c "! readelf -d '$work/unpacked/usr/bin/reportd' | grep NEEDED | grep -Eqi 'swift|Foundation|dispatch|icu'"
check "the binary's version is the package's" test "$("$work/unpacked/usr/bin/reportd" --version)" = "$version"
echo "$work/unpacked/usr/bin/reportd: $(stat -c %s "$work/unpacked/usr/bin/reportd") bytes; NEEDED: $(readelf -d "$work/unpacked/usr/bin/reportd" | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p' | tr '\n' ' ')"
check "postinst: systemd-sysusers before systemd-tmpfiles" bash -c "awk '/systemd-sysusers/{u=NR} /systemd-tmpfiles/{t=NR} END{exit !(u && t && u < t)}' '$control/postinst'"
check "postinst: enables the unit, restarts it on upgrade" bash -c "grep -q 'deb-systemd-helper.*enable' '$control/postinst' && grep -q '_dh_action=restart' '$control/postinst'"
check "prerm: stops the unit on removal" bash -c "grep -q 'deb-systemd-invoke stop' '$control/prerm'"
check "postrm purge: removes /etc/reportd and /var/lib/reportd, never /srv/reports" bash -c "grep -q 'rm -rf /etc/reportd /var/lib/reportd' '$control/postrm' && ! grep -q 'srv' <(grep -v '^#' '$control/postrm')"

# --- 3. lintian --------------------------------------------------------------------------------
section "lintian $(basename "$deb")"
# The gate: errors and warnings fail; informational tags (I:) are printed, not counted. Then the
# overridden tags, each with the comment that says why (debian/reportd.lintian-overrides).
lintian_out="$(lintian --fail-on error,warning --display-info --tag-display-limit 0 "$deb" 2>&1)" \
    && lintian_rc=0 || lintian_rc=$?
printf '%s\n' "${lintian_out:-(no output)}"
echo "overridden:"
lintian --show-overrides --tag-display-limit 0 "$deb" 2>/dev/null | grep -E '^(N|O): ' | sed 's/^/  /' || true
lintian_clean() { [ "$lintian_rc" -eq 0 ] && ! grep -E '^[EW]: ' <<<"$lintian_out"; }
check "lintian: no error, no warning (overrides aside)" lintian_clean

# --- 4. A clean Debian 12 ----------------------------------------------------------------------
section "debootstrap --variant=minbase bookworm ($mirror)"
t0=$SECONDS
debootstrap --variant=minbase bookworm "$chroot_dir" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -n 30 "$work/debootstrap.log"; echo "test-deb.sh: debootstrap failed" >&2; exit 1; }
echo "debootstrap: $((SECONDS - t0)) s"
mount -t proc proc "$chroot_dir/proc"
cp "$deb" "$deb1" "$deb2" "$chroot_dir/tmp/"
in_chroot() {
    chroot "$chroot_dir" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
        DEBIAN_FRONTEND=noninteractive "$@"
}
as_reportd() { in_chroot runuser -u reportd -- "$@"; }
on() { in_chroot bash -c "$1"; }
apt_quiet() { in_chroot apt-get -q -y -o Dpkg::Use-Pty=0 "$@" >>"$work/apt.log" 2>&1; }

section "install $(basename "$deb")"
check "no python3 in the chroot (the installed config must not need it)" on "! command -v python3"
t0=$SECONDS
check "apt-get update" apt_quiet update
check "apt-get install ./$(basename "$deb")" apt_quiet install "/tmp/$(basename "$deb")"
# shellcheck disable=SC2016 # dpkg-query's own ${Package}
echo "install: $((SECONDS - t0)) s; with: $(in_chroot dpkg-query -W -f='${Package} ${Version}, ' systemd tzdata 2>/dev/null)"
check "installed, version $version" on "dpkg-query -W -f='\${Status} \${Version}' reportd | grep -qx 'install ok installed $version'"
check "system user and group reportd" on "getent passwd reportd | grep -q ':/var/lib/reportd:/usr/sbin/nologin$' && getent group reportd"
check "/var/lib/reportd 0700 reportd:reportd" on "[ \"\$(stat -c '%a %U %G' /var/lib/reportd)\" = '700 reportd reportd' ]"
check "/srv/reports 2750 reportd:reportd" on "[ \"\$(stat -c '%a %U %G' /srv/reports)\" = '2750 reportd reportd' ]"
check "unit enabled (multi-user.target.wants)" on "[ -L /etc/systemd/system/multi-user.target.wants/reportd.service ]"
check "systemctl is-enabled reportd" on "systemctl is-enabled reportd | grep -qx enabled"
check "man page installed" on "[ -s /usr/share/man/man1/reportd.1.gz ]"
check "reportd validate (the installed config)" in_chroot reportd validate --config /etc/reportd/reportd.yaml
check "reportd test (the sample reports' tests)" in_chroot reportd test --config /etc/reportd/reportd.yaml
check "reportd run, as the reportd user" as_reportd reportd run --config /etc/reportd/reportd.yaml
check "outputs in /srv/reports, owned by reportd" on "[ -s /srv/reports/index.html ] && [ \"\$(stat -c %U /srv/reports/funding-by-program)\" = reportd ] && ls /srv/reports/funding-by-program/latest.*"
check "state in /var/lib/reportd" on "ls /var/lib/reportd | grep -q ."
on "ls -A /srv/reports | sed 's/^/      outputs: /'"

section "upgrade to $version+test1 (edited conffiles, --force-confold)"
on "echo '# edited by the administrator' >>/etc/reportd/reportd.yaml; sed -i 's/^title: .*/title: \"Edited title\"/' /etc/reportd/reports.d/funding-by-program.yaml"
check "apt-get install ./$(basename "$deb1")" apt_quiet install -o Dpkg::Options::=--force-confold "/tmp/$(basename "$deb1")"
check "upgraded to $version+test1" on "dpkg-query -W -f='\${Version}' reportd | grep -qx '$version+test1'"
check "edited reportd.yaml kept" on "grep -qx '# edited by the administrator' /etc/reportd/reportd.yaml"
check "edited report kept" on "grep -qx 'title: \"Edited title\"' /etc/reportd/reports.d/funding-by-program.yaml"
check "state and outputs still there" on "ls /var/lib/reportd | grep -q . && [ -s /srv/reports/index.html ]"
check "reportd validate after the upgrade" in_chroot reportd validate --config /etc/reportd/reportd.yaml

section "upgrade to $version+test2 (its reportd.yaml and one report changed too)"
check "apt-get install ./$(basename "$deb2")" apt_quiet install -o Dpkg::Options::=--force-confold "/tmp/$(basename "$deb2")"
check "upgraded to $version+test2" on "dpkg-query -W -f='\${Version}' reportd | grep -qx '$version+test2'"
check "edited reportd.yaml kept over the package's new one" on "grep -qx '# edited by the administrator' /etc/reportd/reportd.yaml && ! grep -q 'changed in' /etc/reportd/reportd.yaml"
check "the package's new reportd.yaml beside it (.dpkg-dist)" on "grep -q 'changed in $version+test2' /etc/reportd/reportd.yaml.dpkg-dist"
check "an unedited report takes the package's new text" on "grep -q 'changed in $version+test2' /etc/reportd/reports.d/support-by-activity.yaml"
check "edited report still kept" on "grep -qx 'title: \"Edited title\"' /etc/reportd/reports.d/funding-by-program.yaml"
check "reportd run after the upgrade" as_reportd reportd run --config /etc/reportd/reportd.yaml

section "remove"
check "apt-get remove reportd" apt_quiet remove reportd
check "binary gone, package in config-files state" on "[ ! -e /usr/bin/reportd ] && dpkg-query -W -f='\${Status}' reportd | grep -qx 'deinstall ok config-files'"
check "unit and its enablement gone" on "[ ! -e /usr/lib/systemd/system/reportd.service ] && [ ! -e /etc/systemd/system/multi-user.target.wants/reportd.service ]"
check "config kept in /etc/reportd" on "grep -qx '# edited by the administrator' /etc/reportd/reportd.yaml"
check "state kept in /var/lib/reportd" on "ls /var/lib/reportd | grep -q ."
check "outputs kept in /srv/reports" on "[ -s /srv/reports/index.html ] && ls /srv/reports/funding-by-program/latest.*"

section "purge"
check "apt-get purge reportd" apt_quiet purge reportd
check "package gone from dpkg's database" on "! dpkg-query -W reportd 2>/dev/null | grep -q ."
check "/etc/reportd gone" on "[ ! -e /etc/reportd ]"
check "/var/lib/reportd gone" on "[ ! -e /var/lib/reportd ]"
check "outputs kept in /srv/reports" on "[ -s /srv/reports/index.html ] && ls /srv/reports/funding-by-program/latest.*"
check "the reportd user kept (it owns /srv/reports)" on "getent passwd reportd && [ \"\$(stat -c %U /srv/reports)\" = reportd ]"

section "summary"
echo "reportd $version on Debian 12 (minbase) from $mirror: $passed passed, $failed failed, $((SECONDS - started)) s"
if [ "$failed" -gt 0 ]; then
    printf '  failed: %s\n' "${failures[@]}"
    echo "  (apt's log: $work/apt.log; rerun with --keep to keep it)"
    exit 1
fi
