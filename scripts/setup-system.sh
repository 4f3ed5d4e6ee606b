#!/usr/bin/env bash
# Installs the Debian packages rathaus needs: redis-server (broker, tracker store), espeak-ng and sox
# (test speech), ffmpeg (media decoding), chromium (browser tests). Safe to run twice: does nothing
# when everything is there.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

packages=(redis-server espeak-ng sox ffmpeg chromium)
missing=()
for pkg in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "missing Debian packages: ${missing[*]}; run as root or install them: apt-get install ${missing[*]}"
    SUDO="sudo"
fi
log "installing Debian packages: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
