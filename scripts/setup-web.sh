#!/usr/bin/env bash
# Vendors the live viewer's HLS player, hls.js, from the npm registry into channels/web/static/vendor/
# (ignored by git): the page loads it from our own origin, never from a CDN. The version is pinned here;
# the tarball is kept in the cache, so a second run is offline and takes no time.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$RATHAUS_ROOT"

HLS_JS_VERSION="1.7.4"
target="channels/web/static/vendor"
[ -f "$target/hls.min.js" ] && grep -q "$HLS_JS_VERSION" "$target/hls.version" 2>/dev/null && exit 0

command -v npm >/dev/null 2>&1 || die "npm is needed once to fetch hls.js $HLS_JS_VERSION; apt-get install npm"
cache="$RATHAUS_CACHE/npm"
mkdir -p "$cache" "$target"
tarball="$cache/hls.js-$HLS_JS_VERSION.tgz"
if [ ! -f "$tarball" ]; then
    log "fetching hls.js $HLS_JS_VERSION from the npm registry"
    (cd "$cache" && npm pack --silent "hls.js@$HLS_JS_VERSION" >/dev/null)
fi
unpacked="$(mktemp -d)"
trap 'rm -rf "$unpacked"' EXIT
tar -xzf "$tarball" -C "$unpacked" package/dist/hls.min.js package/LICENSE
cp "$unpacked/package/dist/hls.min.js" "$target/hls.min.js"
cp "$unpacked/package/LICENSE" "$target/hls.LICENSE"
echo "$HLS_JS_VERSION" > "$target/hls.version"
log "hls.js $HLS_JS_VERSION vendored into $target"
