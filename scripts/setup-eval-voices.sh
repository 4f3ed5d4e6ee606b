#!/usr/bin/env bash
# Evaluation tooling only (never needed to run rathaus): the natural-sounding German voices that
# data/eval/asr/generate.py --set debate renders multi-speaker council-debate clips with.
#   - MBROLA diphone voices (Debian contrib/non-free: mbrola, mbrola-de6 male, mbrola-de7 female),
#     driven through espeak-ng as voices mb-de6 / mb-de7;
#   - SVOX Pico (Debian non-free: libttspico-utils, pico2wave -l de-DE).
# Their licences are not free software (MBROLA voices: non-commercial use; Pico: non-free), which is why
# they stay out of `make setup` and out of any image. Enables contrib/non-free in an apt sources file of
# its own (/etc/apt/sources.list.d/rathaus-eval-voices.sources). Safe to run twice.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

packages=(mbrola mbrola-de6 mbrola-de7 libttspico-utils)
missing=()
for pkg in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && { log "evaluation voices installed: ${packages[*]}"; exit 0; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "run as root, or install: apt-get install ${missing[*]} (Debian contrib/non-free)"
    SUDO="sudo"
fi
codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")"
sources=/etc/apt/sources.list.d/rathaus-eval-voices.sources
if [ ! -f "$sources" ]; then
    log "enabling Debian contrib/non-free for $codename in $sources (evaluation voices only)"
    printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: %s\nComponents: contrib non-free\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
        "$codename" | $SUDO tee "$sources" >/dev/null
fi
log "installing evaluation voices: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
log "evaluation voices installed: ${packages[*]}"
