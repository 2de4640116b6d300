#!/usr/bin/env bash
# Builds actoken's release artefacts for x86_64 Linux into DIR (default dist/):
#
#   actoken-VERSION-x86_64-unknown-linux-gnu.tar.gz  the portable binary (glibc 2.17 or later),
#                                  man pages, bash/zsh/fish completions, the systemd user unit,
#                                  READMEs, licences and the list of crates inside
#   actoken_VERSION-1_amd64.deb    the same files in Debian's places (/usr/bin, /usr/share/...)
#   actoken-VERSION-1.x86_64.rpm   the same for RHEL/Rocky/Alma 8+, Kylin V10, openEuler, Fedora
#   SHA256SUMS                     over the three
#
# The binary is linked by zig against glibc 2.17's symbols (cargo-zigbuild), the oldest glibc
# still on login nodes (CentOS 7); the packages carry that same binary, not a rebuild.
# scripts/dist-check.sh tests what this script made.
#
# Needs a Rust toolchain and python3; installs its pinned tools when missing, from the
# registries only: ziglang and cargo-zigbuild (PyPI, into a private virtualenv), cargo-deb and
# cargo-generate-rpm (crates.io, `cargo install --locked` into a private root), all under
# $ACTOKEN_DIST_TOOLS (default ~/.cache/actoken-dist). The build has its own target directory
# (target/dist), so the normal build cache stays as it is.
#
# Reproducible: the same commit gives the same bytes, wherever it is checked out. Tools and
# crates are pinned (--locked), times are the last commit's (SOURCE_DATE_EPOCH), build paths
# are remapped, and archives carry no names, owners or times of the machine.
set -euo pipefail

die() { printf 'dist: %s\n' "$*" >&2; exit 1; }
step() { printf '\n== dist: %s\n' "$*"; }

ZIGLANG_VERSION=0.15.2
CARGO_ZIGBUILD_VERSION=0.24.1
CARGO_DEB_VERSION=3.8.0
CARGO_GENERATE_RPM_VERSION=0.21.1
TARGET=x86_64-unknown-linux-gnu
GLIBC=2.17

usage() {
    sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
    echo "usage: scripts/dist.sh [--out DIR]"
}

out=dist
while (($#)); do
    case $1 in
    --out) (($# >= 2)) || die "--out needs a directory"; out=$2; shift 2 ;;
    --out=*) out=${1#--out=}; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown argument: $1 (usage: scripts/dist.sh [--out DIR])" ;;
    esac
done

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
[[ $out == /* ]] || out=$root/$out
mkdir -p "$out"
# The default output directory lives in the checkout: keep git from offering it.
[[ $out != "$root/dist" ]] || printf '*\n' >"$out/.gitignore"

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)
[[ -n $version ]] || die "no version in Cargo.toml"
name=actoken-$version-$TARGET

export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
export PATH="$CARGO_HOME/bin:$PATH"
command -v cargo >/dev/null || die "cargo not found: install Rust (rustup) first"
command -v python3 >/dev/null || die "python3 not found (zig and cargo-zigbuild come from PyPI)"

# The time every file and archive carries: the last commit's (or Cargo.toml's outside git).
if [[ -z ${SOURCE_DATE_EPOCH:-} ]]; then
    SOURCE_DATE_EPOCH=$(git -C "$root" log -1 --format=%ct 2>/dev/null || stat -c %Y Cargo.toml)
fi
export SOURCE_DATE_EPOCH

step "tools (ziglang $ZIGLANG_VERSION, cargo-zigbuild $CARGO_ZIGBUILD_VERSION, cargo-deb $CARGO_DEB_VERSION, cargo-generate-rpm $CARGO_GENERATE_RPM_VERSION)"
tools=${ACTOKEN_DIST_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/actoken-dist}
venv=$tools/venv-zig-$ZIGLANG_VERSION-zigbuild-$CARGO_ZIGBUILD_VERSION
if ! "$venv/bin/cargo-zigbuild" --version >/dev/null 2>&1 \
    || ! "$venv/bin/python" -m ziglang version >/dev/null 2>&1; then
    rm -rf "$venv"
    python3 -m venv "$venv" || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        "ziglang==$ZIGLANG_VERSION" "cargo-zigbuild==$CARGO_ZIGBUILD_VERSION" \
        || die "cannot install ziglang and cargo-zigbuild from PyPI"
fi
# cargo-deb and cargo-generate-rpm at the pinned versions: from PATH or ~/.cargo/bin when those
# are the pinned ones, else installed from crates.io into a root of our own.
cargo_tool() { # crate version -> path of its binary
    local dir
    for dir in "$(dirname "$(command -v "$1" 2>/dev/null || echo /nonexistent/x)")" "$tools/cargo/bin"; do
        if [[ $("$dir/$1" --version 2>/dev/null) == "$1 $2" ]]; then
            echo "$dir/$1"
            return
        fi
    done
    cargo install --locked --quiet --root "$tools/cargo" --version "$2" "$1" >&2 \
        || die "cannot install $1 $2 from crates.io"
    echo "$tools/cargo/bin/$1"
}
cargo_deb=$(cargo_tool cargo-deb "$CARGO_DEB_VERSION")
cargo_rpm=$(cargo_tool cargo-generate-rpm "$CARGO_GENERATE_RPM_VERSION")
# The virtualenv's python3 first: cargo-zigbuild runs zig as `python3 -m ziglang`.
export PATH="$venv/bin:$PATH"
echo "zig $(python3 -m ziglang version), $(cargo-zigbuild --version), $("$cargo_deb" --version) ($cargo_deb), $("$cargo_rpm" --version) ($cargo_rpm)"

step "portable binary: cargo zigbuild --release --target $TARGET.$GLIBC"
export CARGO_TARGET_DIR=$root/target/dist
# Where the build ran does not end up in the binary (panic locations of dependencies).
export CARGO_ENCODED_RUSTFLAGS="--remap-path-prefix=$root=/actoken"$'\x1f'"--remap-path-prefix=$CARGO_HOME=/cargo"
# The product build: default features only, never `testing` (scripts/check-product-build.sh).
# Without SOURCE_DATE_EPOCH: no C code here uses __DATE__, and the cc crate rebuilds aws-lc
# (five minutes) whenever that variable changes, i.e. at every commit.
env -u SOURCE_DATE_EPOCH cargo zigbuild --release --locked --target "$TARGET.$GLIBC" --bin actoken
release=$CARGO_TARGET_DIR/$TARGET/release
bin=$release/actoken
[[ -x $bin ]] || die "the build left no $bin"

step "man pages, completions, crate list"
gen=$release/dist-files
rm -rf "$gen"
mkdir -p "$gen/man" "$gen/completions"
# A bare environment: clap prints the values of set variables (ACTOKEN_STORE=...) in --help.
clean_env=(env -i PATH=/usr/bin:/bin HOME="$gen" LANG=C.UTF-8)
"${clean_env[@]}" "$bin" manpage --dir "$gen/man" >/dev/null
[[ -f $gen/man/actoken.1 ]] || die "actoken manpage --dir wrote no actoken.1"
gzip -9n "$gen"/man/*.1
"${clean_env[@]}" "$bin" completions bash >"$gen/completions/actoken.bash"
"${clean_env[@]}" "$bin" completions zsh >"$gen/completions/_actoken"
"${clean_env[@]}" "$bin" completions fish >"$gen/completions/actoken.fish"
{
    echo "Crates compiled into actoken $version (name version licence), from Cargo.lock:"
    echo
    cargo tree --locked --target "$TARGET" -e normal,no-proc-macro --prefix none \
        --format '{p} {l}' | sed 's/ (\*)$//' | grep -v '^actoken ' | LC_ALL=C sort -u
} >"$gen/THIRD-PARTY"

# Every file the packages take, in one place and dated at the last commit: rpm keeps a file's
# own time when it is older than SOURCE_DATE_EPOCH, which differs from checkout to checkout.
install -m 755 "$bin" "$gen/actoken"
install -m 644 README.md README.zh-CN.md assets/dist/LICENSE-MIT assets/dist/LICENSE-APACHE \
    assets/dist/actoken-watch.service "$gen/"
find "$gen" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

step "$name.tar.gz"
stage=$CARGO_TARGET_DIR/stage
rm -rf "$stage"
dir=$stage/$name
mkdir -p "$dir/man/man1" "$dir/completions" "$dir/systemd"
cp -p "$gen"/{actoken,README.md,README.zh-CN.md,LICENSE-MIT,LICENSE-APACHE,THIRD-PARTY} "$dir/"
cp -p "$gen"/man/*.1.gz "$dir/man/man1/"
cp -p "$gen"/completions/* "$dir/completions/"
# The packaged unit runs /usr/bin/actoken; the tarball's runs the copy the README puts in
# ~/.local/bin (`actoken watch --install` writes one for wherever the binary is).
sed 's|^ExecStart="/usr/bin/actoken" watch$|ExecStart=%h/.local/bin/actoken watch|' \
    "$gen/actoken-watch.service" >"$dir/systemd/actoken-watch.service"
grep -q '^ExecStart=%h/.local/bin/actoken watch$' "$dir/systemd/actoken-watch.service" \
    || die "assets/dist/actoken-watch.service has no ExecStart=\"/usr/bin/actoken\" watch line"
chmod 644 "$dir/systemd/actoken-watch.service"
tar --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner \
    --mode=u+rwX,go+rX,go-w --format=gnu -C "$stage" -cf - "$name" | gzip -9n >"$out/$name.tar.gz"

step "deb"
rm -rf "$CARGO_TARGET_DIR/debian"
"$cargo_deb" deb --no-build --no-strip --target "$TARGET" --output "$CARGO_TARGET_DIR/debian/"
deb=$(cd "$CARGO_TARGET_DIR/debian" && ls ./*.deb)
deb=${deb#./}
cp "$CARGO_TARGET_DIR/debian/$deb" "$out/$deb"

step "rpm"
rm -rf "$CARGO_TARGET_DIR/generate-rpm"
mkdir -p "$CARGO_TARGET_DIR/generate-rpm"
"$cargo_rpm" generate-rpm --target "$TARGET" --target-dir "$CARGO_TARGET_DIR" \
    --payload-compress xz -o "$CARGO_TARGET_DIR/generate-rpm/"
rpm=$(cd "$CARGO_TARGET_DIR/generate-rpm" && ls ./*.rpm)
rpm=${rpm#./}
cp "$CARGO_TARGET_DIR/generate-rpm/$rpm" "$out/$rpm"

step "SHA256SUMS"
(cd "$out" && sha256sum -- "$name.tar.gz" "$deb" "$rpm" >SHA256SUMS && cat SHA256SUMS)
echo "dist: wrote $out/{$name.tar.gz,$deb,$rpm,SHA256SUMS}"
