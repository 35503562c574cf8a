#!/usr/bin/env bash
# Install what nianbao needs on a fresh Debian machine (idempotent; quick when all is there).
# Debian: Chromium + a CJK font (JS listings, browser test, screenshots), antiword and LibreOffice
# (.doc attachments), redis-server (distributed crawling), nginx (crawl benchmark).
set -euo pipefail
cd "$(dirname "$0")/.."
APT_PACKAGES=(chromium fonts-wqy-microhei redis-server antiword libreoffice-writer-nogui nginx libgl1 libglib2.0-0)  # libGL: opencv-python (OCR)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! python3 -c "import nianbao, parsers, scrapy, trafilatura, datasette, pytest, playwright" 2>/dev/null \
   || [ pyproject.toml -nt .setup-done ]; then
  echo "setup: installing Python packages (pip install -e '.[test]')" >&2
  python3 -m pip install -q --disable-pip-version-check -e '.[test]'
  touch .setup-done
fi
