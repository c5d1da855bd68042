#!/usr/bin/env bash
# Debian packages the test suite needs: Chromium for the browser tests (Playwright drives it and
# never downloads a browser of its own), fonts for non-Latin names, gettext for the catalogue test.
set -euo pipefail
missing=()
command -v chromium >/dev/null || missing+=(chromium fonts-noto-core fonts-noto-cjk)
command -v msgfmt >/dev/null || missing+=(gettext)
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
