#!/bin/sh
# Build the adapter with Debian's Go against Debian's packaged library (GOPATH
# mode, offline: nothing is downloaded) and run it. The binary goes to
# .build/VERSION/ in this folder (ignored by git), VERSION being the Debian
# package's, and is rebuilt when a Go source is newer.
set -e
pkg=golang-github-gin-contrib-sse-dev
dir=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
ver=$(dpkg-query -W -f '${Version}' "$pkg" 2>/dev/null) || {
  echo "gin-contrib-sse adapter: $pkg is not installed: apt-get install -y golang-go $pkg" >&2
  exit 2
}
bin="$dir/.build/$(printf %s "$ver" | tr -c 'A-Za-z0-9.+-' _)/adapter"
if [ ! -x "$bin" ] || [ -n "$(find "$dir" -maxdepth 1 -name '*.go' -newer "$bin")" ]; then
  mkdir -p "$(dirname "$bin")"
  ( cd "$dir" && GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS= GOPROXY=off \
      go build -ldflags "-X 'main.version=$ver'" -o "$bin.tmp" . ) >&2
  mv "$bin.tmp" "$bin"
fi
exec "$bin" "$@"
