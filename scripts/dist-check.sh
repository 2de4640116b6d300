#!/usr/bin/env bash
# Tests the release artefacts that scripts/dist.sh makes, the portable binary first:
#   - SHA256SUMS matches, and a second dist.sh run writes the same bytes (reproducible);
#   - the tarball holds exactly the files it should; its binary needs no glibc symbol newer
#     than 2.17 and no library outside glibc, is stripped and at most 11 MiB;
#   - that binary runs: --version, `list` on an empty HOME, the demo dashboard under tmux;
#   - the .deb and the .rpm carry the same binary, byte for byte, and the listed files;
#   - the .deb installs with dpkg -i, every file is where it is listed, `man actoken` finds
#     the page, its unit is the one `actoken watch --install` writes for /usr/bin/actoken, and
#     dpkg -r removes all of it (this needs root: CI; elsewhere it says SKIPPED);
#   - the README's tarball commands install a working actoken into an empty HOME;
#   - `cargo package` ships no CI, scripts or fuzzing files, and `cargo publish --dry-run` passes.
#
# usage: scripts/dist-check.sh [--out DIR]   (default target/dist/out; runs dist.sh first)
# .ci/run calls it at its end when ACTOKEN_DIST_CHECK=1 (a cold run builds a fat-LTO release through zig).
set -euo pipefail

die() { printf 'dist-check: FAILED: %s\n' "$*" >&2; exit 1; }
step() { printf '\n== dist-check: %s\n' "$*"; }
ok() { printf 'dist-check: ok: %s\n' "$*"; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
out=$root/target/dist/out
while (($#)); do
    case $1 in
    --out) (($# >= 2)) || die "--out needs a directory"; out=$2; shift 2 ;;
    --out=*) out=${1#--out=}; shift ;;
    -h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) die "unknown argument: $1" ;;
    esac
done
[[ $out == /* ]] || out=$root/$out

export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
export PATH="$CARGO_HOME/bin:$PATH"
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)
name=actoken-$version-x86_64-unknown-linux-gnu
tarball=$name.tar.gz
deb=actoken_${version}-1_amd64.deb
rpm=actoken-${version}-1.x86_64.rpm
work=$(mktemp -d "${TMPDIR:-/tmp}/actoken-dist-check.XXXXXX")
cleanup() {
    if [[ -n ${tmux_socket:-} ]]; then tmux -L "$tmux_socket" kill-server 2>/dev/null || true; fi
    if [[ ${deb_installed:-0} == 1 ]]; then dpkg -r actoken >/dev/null 2>&1 || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

as_root=0
[[ $(id -u) -eq 0 ]] && as_root=1
# Debian tools the checks use, installed when missing and root (CI).
need=()
command -v tmux >/dev/null || need+=(tmux)
command -v objdump >/dev/null || need+=(binutils)
command -v man >/dev/null || need+=(man-db)
command -v rpm >/dev/null || need+=(rpm)
command -v cpio >/dev/null || need+=(cpio)
command -v script >/dev/null || need+=(bsdutils)
if ((${#need[@]})); then
    ((as_root)) || die "missing ${need[*]}: apt-get install ${need[*]}"
    echo "installing: ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

step "scripts/dist.sh --out $out, twice"
rm -rf "$out" "$out.again"
start=$SECONDS
bash scripts/dist.sh --out "$out"
echo "dist-check: dist.sh took $((SECONDS - start)) s"
bash scripts/dist.sh --out "$out.again" >"$work/again.log" 2>&1 \
    || { cat "$work/again.log" >&2; die "the second dist.sh run failed"; }
cmp "$out/SHA256SUMS" "$out.again/SHA256SUMS" \
    || { diff "$out/SHA256SUMS" "$out.again/SHA256SUMS" >&2; die "a second run wrote other bytes: not reproducible"; }
rm -rf "$out.again"
ok "a second run wrote the same bytes"

step "SHA256SUMS"
(cd "$out" && sha256sum -c SHA256SUMS) || die "SHA256SUMS does not match the files"
listed=$(awk '{print $2}' "$out/SHA256SUMS" | sort | tr '\n' ' ')
expected=$(printf '%s\n' "$tarball" "$deb" "$rpm" | sort | tr '\n' ' ')
[[ $listed == "$expected" ]] || die "SHA256SUMS lists [$listed], expected [$expected]"
ok "SHA256SUMS covers $expected"

# The files every artefact carries: man pages are actoken.1 and one per command.
mans=$(cd "$root/target/dist/x86_64-unknown-linux-gnu/release/dist-files/man" && ls)
[[ $mans == *actoken.1.gz* && $mans == *actoken-watch.1.gz* ]] || die "man pages missing: $mans"

step "the tarball"
tar -tzf "$out/$tarball" | sort >"$work/tar.list"
{
    printf '%s/\n' "$name" "$name/man" "$name/man/man1" "$name/completions" "$name/systemd"
    printf '%s\n' "$name/"{actoken,README.md,README.zh-CN.md,LICENSE-MIT,LICENSE-APACHE,THIRD-PARTY} \
        "$name/completions/"{actoken.bash,_actoken,actoken.fish} "$name/systemd/actoken-watch.service"
    for m in $mans; do echo "$name/man/man1/$m"; done
} | sort >"$work/tar.expected"
diff "$work/tar.expected" "$work/tar.list" || die "the tarball's files differ from the list above (< expected, > found)"
tar -xzf "$out/$tarball" -C "$work"
bin=$work/$name/actoken
ok "the tarball holds the $(wc -l <"$work/tar.list") expected entries"

step "the portable binary: glibc, libraries, size"
newest=$(objdump -T "$bin" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1)
echo "objdump -T actoken | grep GLIBC_ | sort -V | tail -1: $newest"
[[ $(printf '%s\n' "$newest" GLIBC_2.17 | sort -V | tail -1) == GLIBC_2.17 ]] \
    || die "the binary needs $newest: newer than glibc 2.17"
needed=$(objdump -p "$bin" | awk '$1 == "NEEDED" {print $2}' | sort | tr '\n' ' ')
echo "NEEDED: $needed"
for lib in $needed; do
    case $lib in
    libc.so.6 | libm.so.6 | libpthread.so.0 | libdl.so.2 | librt.so.1 | ld-linux-x86-64.so.2 | libgcc_s.so.1) ;;
    *) die "the binary needs $lib, which is not part of glibc" ;;
    esac
done
objdump -h "$bin" | grep -q '\.debug_' && die "the binary has debug sections: not stripped"
objdump -t "$bin" 2>/dev/null | grep -q 'no symbols' || die "the binary has a symbol table: not stripped"
size=$(stat -c %s "$bin")
echo "portable binary: $size bytes"
# The plain `cargo build --release` binary is about 10.0 MiB as well (10,508,000 bytes when
# this was written; the portable one 10,522,584): the limit catches a portable build that grows
# apart from it (debug info, static libraries), not ordinary growth of actoken itself.
((size <= 11 * 1024 * 1024)) || die "the binary is $size bytes, over 11 MiB"
ok "glibc $newest at most, libraries: $needed, $size bytes, stripped"

step "the portable binary runs"
[[ $("$bin" --version) == "actoken $version" ]] || die "--version says: $("$bin" --version)"
home=$work/home
mkdir -p "$home"
# An empty HOME, no D-Bus, no config: what a new login node looks like.
listing=$(env -i PATH=/usr/bin:/bin HOME="$home" LANG=C.UTF-8 \
    ACTOKEN_KEYRING_SERVICE="actoken-dist-check-$$" "$bin" list 2>&1) \
    || die "list on an empty HOME failed: $listing"
echo "list: $listing"
grep -q 'No tokens stored yet' <<<"$listing" || die "list on an empty HOME did not say: No tokens stored yet"
ok "--version, list on an empty HOME"

# The demo dashboard in a real terminal: it draws, and q quits with 0.
tmux_socket=actoken-dist-check-$$
tmux -L "$tmux_socket" new-session -d -x 120 -y 32 \
    "env -u DISPLAY -u WAYLAND_DISPLAY ACTOKEN_LANG=en HOME='$home' '$bin' demo; echo EXITED \$?; sleep 60"
wait_screen() { # what, grep pattern, seconds
    local deadline=$((SECONDS + $3))
    until tmux -L "$tmux_socket" capture-pane -p | grep -q -- "$2"; do
        if ((SECONDS > deadline)); then
            tmux -L "$tmux_socket" capture-pane -p >&2
            die "no $1 on the screen after $3 s"
        fi
        sleep 0.2
    done
}
wait_screen "demo dashboard" "xian/carol" 30
wait_screen "demo banner" "DEMO" 5
tmux -L "$tmux_socket" send-keys q
wait_screen "clean exit" "EXITED 0" 15
tmux -L "$tmux_socket" kill-server
tmux_socket=
ok "demo under tmux: the dashboard, then q exits 0"

step "the .deb and .rpm carry that binary and the listed files"
dpkg-deb -c "$out/$deb" | awk '{print $6}' | sed 's|^\./|/|' | sort >"$work/deb.list"
{
    printf '%s\n' /usr/bin/actoken \
        /usr/share/bash-completion/completions/actoken \
        /usr/share/zsh/vendor-completions/_actoken \
        /usr/share/fish/vendor_completions.d/actoken.fish \
        /usr/lib/systemd/user/actoken-watch.service \
        /usr/share/doc/actoken/copyright \
        /usr/share/doc/actoken/README.md \
        /usr/share/doc/actoken/README.zh-CN.md \
        /usr/share/doc/actoken/THIRD-PARTY
    for m in $mans; do echo "/usr/share/man/man1/$m"; done
} | sort >"$work/deb.files"
comm -23 "$work/deb.files" "$work/deb.list" >"$work/deb.missing"
[[ ! -s $work/deb.missing ]] || die "the .deb lacks: $(tr '\n' ' ' <"$work/deb.missing")"
dpkg-deb -c "$out/$deb" | awk '$1 !~ /^d/ {print $6}' | sed 's|^\./|/|' | sort >"$work/deb.regular"
cmp -s "$work/deb.files" "$work/deb.regular" || { diff "$work/deb.files" "$work/deb.regular" >&2; die "the .deb holds other files than listed"; }
fields=$(dpkg-deb -f "$out/$deb" Depends Recommends)
echo "$fields"
grep -qx 'Recommends: gnome-keyring | keepassxc, keyutils' <<<"$fields" || die "the .deb's Recommends is not: gnome-keyring | keepassxc, keyutils"
mkdir "$work/deb"
dpkg-deb -x "$out/$deb" "$work/deb"
cmp "$bin" "$work/deb/usr/bin/actoken" || die "the .deb's binary is not the tarball's"

rpm -qlp "$out/$rpm" 2>/dev/null | sort >"$work/rpm.list"
sed -e 's|/usr/share/zsh/vendor-completions/|/usr/share/zsh/site-functions/|' \
    -e '\|/usr/share/doc/actoken/copyright|d' "$work/deb.files" \
    | cat - <(printf '%s\n' /usr/share/licenses/actoken/LICENSE-MIT /usr/share/licenses/actoken/LICENSE-APACHE) \
    | sort >"$work/rpm.files"
cmp -s "$work/rpm.files" "$work/rpm.list" || { diff "$work/rpm.files" "$work/rpm.list" >&2; die "the .rpm holds other files than listed"; }
rpm -K --nosignature "$out/$rpm" >/dev/null || die "rpm -K: the .rpm's digests do not match"
rpm -qp --recommends "$out/$rpm" 2>/dev/null | tr '\n' ' ' | grep -q '(gnome-keyring or keepassxc) keyutils' \
    || die "the .rpm's Recommends is not (gnome-keyring or keepassxc), keyutils: $(rpm -qp --recommends "$out/$rpm" 2>/dev/null)"
mkdir "$work/rpm"
# rpm2cpio (4.18) exits 1 on this package although it writes the whole archive: the files
# extracted are what is checked (and, as root, a real install below).
rpm2cpio "$out/$rpm" >"$work/rpm.cpio" || true
(cd "$work/rpm" && cpio -idm --quiet <"$work/rpm.cpio")
cmp "$bin" "$work/rpm/usr/bin/actoken" || die "the .rpm's binary is not the tarball's"
if ((as_root)); then
    # Installed with rpm itself into a private root (dependencies are that system's business).
    rpm --root "$work/rpmroot" --initdb
    rpm --root "$work/rpmroot" -i --nodeps "$out/$rpm" 2>/dev/null
    while read -r f; do [[ -f $work/rpmroot$f ]] || die "rpm -i did not install $f"; done <"$work/rpm.files"
    rpm --root "$work/rpmroot" -V --nodeps actoken || die "rpm -V: the installed files differ from the package"
    rpm --root "$work/rpmroot" -e actoken 2>/dev/null
    left=$(find "$work/rpmroot/usr" -type f 2>/dev/null | head -3)
    [[ -z $left ]] || die "rpm -e left $left"
fi
ok "the .deb ($(wc -l <"$work/deb.files") files) and the .rpm ($(wc -l <"$work/rpm.files") files) hold the tarball's binary"

step "the .deb installs, works and removes cleanly"
if ((!as_root)); then
    echo "SKIPPED: dpkg -i needs root (CI runs it)"
elif dpkg -s actoken >/dev/null 2>&1; then
    die "an actoken package is installed already: remove it (dpkg -r actoken) before this check"
else
    grep -rqs '^path-exclude.*/usr/share/man' /etc/dpkg/dpkg.cfg.d/ \
        && die "this dpkg drops man pages (path-exclude in /etc/dpkg/dpkg.cfg.d): man cannot be checked here"
    deb_installed=1
    dpkg -i "$out/$deb" >/dev/null
    while read -r f; do [[ -f $f ]] || die "dpkg -i did not install $f"; done <"$work/deb.files"
    [[ $(/usr/bin/actoken --version) == "actoken $version" ]] || die "/usr/bin/actoken --version"
    page=$(man -w actoken) || die "man -w actoken finds no page"
    [[ $page == /usr/share/man/man1/actoken.1.gz ]] || die "man -w actoken finds $page"
    MANPAGER=cat MANWIDTH=80 man actoken 2>/dev/null | grep -q 'actoken' || die "man actoken shows nothing"
    man -w actoken-watch >/dev/null || die "man -w actoken-watch finds no page"
    bash -c 'source /usr/share/bash-completion/completions/actoken && complete -p actoken' >/dev/null \
        || die "the bash completion does not load"
    # The packaged unit is what `watch --install` writes for /usr/bin/actoken.
    env -i PATH=/usr/bin:/bin HOME="$home" XDG_CONFIG_HOME="$work/config" /usr/bin/actoken watch --install >/dev/null
    cmp "$work/config/systemd/user/actoken-watch.service" /usr/lib/systemd/user/actoken-watch.service \
        || die "the packaged unit differs from what /usr/bin/actoken watch --install writes"
    dpkg -r actoken >/dev/null
    deb_installed=0
    while read -r f; do [[ ! -e $f ]] || die "dpkg -r left $f"; done <"$work/deb.files"
    dpkg -s actoken >/dev/null 2>&1 && die "dpkg -s still knows actoken after dpkg -r"
    ok "dpkg -i put all $(wc -l <"$work/deb.files") files in place, man actoken works, dpkg -r removed them"
fi

step "the README's tarball commands"
# The first sh block after "### The tarball" in README.md, run in an empty HOME beside the
# downloaded files; `actoken doctor` must then find the completions and the man page.
awk '/^### The tarball/ {f = 1} f && /^```sh/ {b = 1; next} b && /^```/ {exit} b' README.md >"$work/readme.sh"
grep -q 'sha256sum -c' "$work/readme.sh" || die "no tarball commands found in README.md"
mkdir -p "$work/download" "$work/readme-home"
cp "$out/$tarball" "$out/SHA256SUMS" "$work/download/"
sed -i "s/^v=[^ ]*/v=$version/" "$work/readme.sh"
(cd "$work/download" && env -i PATH=/usr/bin:/bin HOME="$work/readme-home" bash -euo pipefail "$work/readme.sh") \
    || die "the README's tarball commands failed"
installed=$work/readme-home/.local/bin/actoken
cmp "$bin" "$installed" || die "the README's commands did not install the tarball's binary"
env -i PATH=/usr/bin:/bin HOME="$work/readme-home" ACTOKEN_KEYRING_SERVICE="actoken-dist-check-$$" \
    "$installed" doctor --json >"$work/doctor.json" 2>/dev/null || true
python3 - "$work/doctor.json" "$work/readme-home" <<'PY' || die "doctor does not see what the README installed"
import json, sys
facts = json.load(open(sys.argv[1]))
setup, home = facts["setup"], sys.argv[2]
assert any(p.startswith(home) for p in setup["completions"]), setup
assert str(setup.get("man_page", "")).startswith(home), setup
PY
ok "the README's commands install the binary, completions and man pages where doctor finds them"

step "cargo package"
cargo package --list --allow-dirty --locked >"$work/package.list"
count=$(wc -l <"$work/package.list")
echo "cargo package --list: $count files"
bad=$(grep -E '^(target|fuzz|scripts|\.ci|docs|dist)/|^assets/demo-|\.pending-snap$|\.snap\.new$' "$work/package.list" || true)
[[ -z $bad ]] || die "the crate would ship: $bad"
for f in README.md locales/en.toml locales/zh-CN.toml assets/dashboard.en.svg tests/it/main.rs \
    assets/dist/LICENSE-MIT assets/dist/LICENSE-APACHE; do
    grep -qx "$f" "$work/package.list" || die "the crate lacks $f"
done
cargo publish --dry-run --allow-dirty --locked 2>&1 | tee "$work/publish.log"
# crates.io's own complaints (no repository, homepage or documentation; no licence) are
# warnings, not errors: none may be left but the dry run's own.
warnings=$(grep '^warning' "$work/publish.log" | grep -v 'aborting upload due to dry run' || true)
[[ -z $warnings ]] || die "cargo publish --dry-run warns: $warnings"
ok "cargo package: $count files, no CI/scripts/fuzz/docs; cargo publish --dry-run passed"

echo
echo "dist-check: all checks passed"
