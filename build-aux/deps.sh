#!/bin/sh
# Installs the Debian packages mod_consent needs to build, test and demo.
# Skips apt entirely when everything is already there, so re-runs are quick.
set -eu

PACKAGES="build-essential autoconf automake libtool pkg-config
  apache2 apache2-dev libapr1-dev libaprutil1-dev
  libpcre2-dev libjansson-dev libssl-dev check
  clang libclang-rt-14-dev cppcheck clang-tidy
  python3 python3-pytest curl"

missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "deps: installing$missing"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
# Debian starts apache2 on install; our tests and demo run their own servers.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet apache2 2>/dev/null; then
  systemctl stop apache2 || true
fi
