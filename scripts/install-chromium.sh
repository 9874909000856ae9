#!/usr/bin/env bash
# Installs Debian's headless Chromium, ChromeDriver and an emoji font (cards use emoji, as Teams shows them)
# for the card-renderer browser tests and previews; a no-op when present.
set -euo pipefail

if [[ -x /usr/bin/chromium && -x /usr/bin/chromedriver && -d /usr/share/fonts/truetype/noto ]]; then
  echo "install-chromium: chromium, chromedriver and the emoji font already present, nothing to do"
  exit 0
fi

SUDO=""
if [[ "$(id -u)" -ne 0 ]]; then
  SUDO="sudo"
fi

export DEBIAN_FRONTEND=noninteractive
start=$SECONDS
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-noto-color-emoji >/dev/null
echo "install-chromium: installed chromium, chromium-driver and fonts-noto-color-emoji in $((SECONDS - start)) s"
