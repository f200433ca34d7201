#!/usr/bin/env sh
# Put Attaché in the desktop's menus for this user: the desktop file (so "Open with" offers it),
# the AppStream metainfo, the hicolor icons, and ~/.local/bin/attache. Run it from the bundle
# (dist/attache/install.sh) or from a checkout after packaging/build.sh; nothing needs root.
#   install.sh              install (again: it overwrites)
#   install.sh --uninstall  remove what install.sh put there (your settings and data stay)
set -eu

APP_ID=io.github.attache.Attache
here=$(cd "$(dirname "$0")" && pwd)
if [ -x "$here/attache" ] && [ -d "$here/share" ]; then
  bundle=$here
else
  bundle=$(cd "$here/../dist/attache" 2>/dev/null && pwd) || { echo "install.sh: no bundle; run packaging/build.sh first" >&2; exit 1; }
fi

data_home=${XDG_DATA_HOME:-$HOME/.local/share}
bin_home=${XDG_BIN_HOME:-$HOME/.local/bin}
desktop_file=$data_home/applications/$APP_ID.desktop
metainfo_file=$data_home/metainfo/$APP_ID.metainfo.xml
launcher=$bin_home/attache

refresh() {
  # caches some desktops read; missing tools are fine
  command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$data_home/applications" || true
  command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$data_home/icons/hicolor" || true
}

icons() {  # the icon files the bundle ships, relative to share/icons
  (cd "$bundle/share/icons" && find hicolor -type f -name "$APP_ID.*")
}

if [ "${1:-}" = "--uninstall" ]; then
  rm -f "$desktop_file" "$metainfo_file"
  for icon in $(icons); do rm -f "$data_home/icons/$icon"; done
  if [ -L "$launcher" ] && [ "$(readlink "$launcher")" = "$bundle/attache" ]; then rm -f "$launcher"; fi
  refresh
  echo "Attaché removed from the menus (the bundle in $bundle and your data stay; delete them by hand)"
  exit 0
fi
if [ $# -gt 0 ]; then
  echo "usage: install.sh [--uninstall]" >&2
  exit 2
fi

mkdir -p "$data_home/applications" "$data_home/metainfo" "$bin_home"
# the desktop file starts this bundle's binary, wherever it was unpacked
sed -e "s|^Exec=attache |Exec=\"$bundle/attache\" |" -e "s|^TryExec=attache\$|TryExec=$bundle/attache|" \
  "$bundle/share/applications/$APP_ID.desktop" >"$desktop_file"
cp "$bundle/share/metainfo/$APP_ID.metainfo.xml" "$metainfo_file"
for icon in $(icons); do
  mkdir -p "$(dirname "$data_home/icons/$icon")"
  cp "$bundle/share/icons/$icon" "$data_home/icons/$icon"
done
ln -sfn "$bundle/attache" "$launcher"
refresh
echo "Attaché installed for $(id -un): $desktop_file, icons in $data_home/icons/hicolor, $launcher"
