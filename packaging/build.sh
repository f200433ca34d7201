#!/usr/bin/env bash
# Build the one-folder bundle dist/attache/ (run from anywhere; needs uv):
#   dist/attache/attache            the app and command line (no Python needed)
#   dist/attache/share/             the desktop file, AppStream metainfo and hicolor icons
#   dist/attache/install.sh         installs those into your XDG folders (--uninstall removes them)
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)

PYINSTALLER_VERSION=${PYINSTALLER_VERSION:-6.22.3}
APP_ID=io.github.attache.Attache

echo "== icons"
rm -rf build/icons
uv run python resources/make_icons.py build/icons

echo "== pyinstaller $PYINSTALLER_VERSION"
uv run --with "pyinstaller==$PYINSTALLER_VERSION" pyinstaller --noconfirm --log-level WARN \
  --distpath dist --workpath build/pyinstaller packaging/attache.spec

echo "== desktop files"
share=dist/attache/share
mkdir -p "$share/applications" "$share/metainfo" "$share/icons"
cp "packaging/$APP_ID.desktop" "$share/applications/"
cp "packaging/$APP_ID.metainfo.xml" "$share/metainfo/"
cp -r build/icons/hicolor "$share/icons/"
cp packaging/install.sh dist/attache/install.sh
chmod +x dist/attache/install.sh

echo "== built dist/attache in $(( $(date +%s) - started )) s, $(du -sh dist/attache | cut -f1)"
