"""Render the app icon (attache.svg) into what desktops want: hicolor PNGs, a Windows .ico and a
macOS .icns. Qt's QSvgRenderer draws (it ships with the app's own PySide6), Pillow packs.

    uv run python resources/make_icons.py OUT_DIR

OUT_DIR/hicolor/<n>x<n>/apps/<app id>.png and OUT_DIR/hicolor/scalable/apps/<app id>.svg,
OUT_DIR/attache.ico, OUT_DIR/attache.icns.
"""

from __future__ import annotations

import io
import os
import shutil
import sys
from importlib import resources
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PIL import Image
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

from attache.appid import APP_ID

HICOLOR_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICNS_SIZES = (16, 32, 64, 128, 256, 512, 1024)


def render(svg: bytes, size: int) -> Image.Image:
    renderer = QSvgRenderer(QByteArray(svg))
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return Image.open(io.BytesIO(bytes(data.data()))).convert("RGBA")


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(argv[0])
    app = QGuiApplication.instance() or QGuiApplication(["make_icons"])
    source = resources.files("attache.resources") / "attache.svg"
    svg = source.read_bytes()
    for size in HICOLOR_SIZES:
        target = out / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        render(svg, size).save(target)
    scalable = out / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    with resources.as_file(source) as path:
        shutil.copyfile(path, scalable)
    largest = render(svg, 1024)
    largest.save(out / "attache.ico", sizes=[(s, s) for s in ICO_SIZES])
    largest.save(out / "attache.icns", sizes=[(s, s) for s in ICNS_SIZES])
    del app
    print(f"icons in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
