#!/bin/sh
# Builds the Debian package libapache2-mod-consent (debian/) from the files
# git tracks in this tree, in a temporary copy, so that a tree configured
# for development is neither used nor touched. Leaves the .deb (and its
# .changes, .buildinfo and -dbgsym) in OUTDIR, default build/deb/, and prints
# the .deb's path last.
#   sh build-aux/deb.sh [OUTDIR]
# DEB_BUILD_OPTIONS passes through (nocheck skips the unit tests).
set -eu
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=${1:-$ROOT/build/deb}

git rev-parse --is-inside-work-tree >/dev/null 2>&1 || {
  echo "deb.sh: needs a git checkout; in an unpacked clean tree run dpkg-buildpackage -us -uc -b" >&2
  exit 2
}
VERSION=$(dpkg-parsechangelog -S Version)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mc-deb-XXXXXX")
trap 'rm -rf "$WORK"' EXIT INT TERM
SRC=$WORK/libapache2-mod-consent-$VERSION
mkdir "$SRC"
# tracked and new (not ignored) files as they are in the work tree, less
# those deleted there
git ls-files -z --cached --others --exclude-standard --deduplicate |
  tar --null --files-from=- --ignore-failed-read --warning=no-failed-read -cf - |
  tar -C "$SRC" -xf -

(cd "$SRC" && dpkg-buildpackage -us -uc -b -J"$(nproc)") >"$WORK/build.log" 2>&1 || {
  tail -60 "$WORK/build.log" >&2
  echo "deb.sh: dpkg-buildpackage failed" >&2
  exit 1
}
mkdir -p "$OUT"
rm -f "$OUT"/libapache2-mod-consent*_*
mv "$WORK"/libapache2-mod-consent*_* "$OUT"/
cp "$WORK/build.log" "$OUT/build.log"
ls "$OUT"/libapache2-mod-consent_"$VERSION"_*.deb
