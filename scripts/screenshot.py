"""Render the main window on the demo sandbox to docs/screenshot.png (offscreen, no display needed).

    uv run python scripts/screenshot.py [--out docs/screenshot.png] [--scale 2] [--palette dark]

It starts the awork sandbox in-process, opens the window on it, picks a task that has files,
attaches three more through the transfer engine so the Transfers panel has something to show,
and saves what the window draws.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshot.png")
    parser.add_argument("--scale", type=float, default=2.0, help="device pixel ratio to render at (default 2)")
    parser.add_argument("--size", default="1360x840", help="window size in logical pixels")
    parser.add_argument("--palette", choices=("light", "dark"), help="force a palette (default: the system's)")
    args = parser.parse_args(argv)
    if args.palette:
        os.environ["ATTACHE_PALETTE"] = args.palette

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["QT_SCALE_FACTOR"] = str(args.scale)
    home = tempfile.TemporaryDirectory(prefix="attache-screenshot-")
    os.environ["ATTACHE_HOME"] = home.name  # never the user's own settings or queue

    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from attache.app.connections import start_sandbox
    from attache.core.models import EntityKind
    from attache.ui import tasks
    from attache.ui.app import configure_application
    from attache.ui.main_window import MainWindow

    app = QApplication([sys.argv[0]])
    configure_application(app)

    def spin(ms: int) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def wait_until(condition, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise SystemExit("timed out waiting for the window")
            spin(30)

    width, height = (int(part) for part in args.size.split("x"))
    window = MainWindow(restore=False)
    window.resize(width, height)
    window.show()
    window.open_connection(start_sandbox())
    wait_until(lambda: window.backend is not None and window.list_model.rowCount() > 0)

    # a task that already has files, shown among its project's tasks
    from attache.core.models import EntityRef

    window.show_kind(EntityKind.TASK)
    wait_until(lambda: window.list_model.rowCount() > 0 and not window.list_model.loading)
    files = window.detail.files_model
    backend = window.backend
    chosen = None
    for row in range(min(window.list_model.rowCount(), 80)):
        task = window.list_model.entity(row)
        if len(backend.list_files(task.ref)) >= 2 and task.parent_id(EntityKind.PROJECT):
            chosen = task
            break
    if chosen is not None:
        project = backend.get_entity(EntityRef(EntityKind.PROJECT, chosen.parent_id(EntityKind.PROJECT)))
        window.show_kind(EntityKind.TASK, project)
        wait_until(lambda: window.list_model.row_of(chosen.id) >= 0)
        window.select_entity(chosen.id)
    wait_until(
        lambda: (
            window.detail.entity is not None and not files.loading and files.rowCount() > 0
            if chosen is not None
            else window.detail.entity is not None
        )
    )
    entity = window.detail.entity

    # a few uploads through the engine, so the Transfers panel shows real jobs
    samples = Path(home.name) / "samples"
    samples.mkdir()
    paths = []
    for name, size in (("Kick-off notes.pdf", 420_000), ("Wireframes v3.png", 0), ("Budget 2025.xlsx", 96_000)):
        path = samples / name
        path.write_bytes(_wireframe_png() if name.endswith(".png") else os.urandom(size))
        paths.append(path)
    before = files.rowCount()
    window.queue.attach(entity.ref, f"Task “{entity.name}”", paths)
    wait_until(lambda: len(window.queue.jobs()) == 3 and all(j.finished_state for j in window.queue.jobs()))
    wait_until(lambda: files.rowCount() >= before + 3)
    window.transfers.model.tick()
    window.transfers_dock.show()
    window.resizeDocks([window.transfers_dock], [170], Qt.Orientation.Vertical)
    window.list_view.setFocus()
    window.message_bar.dismiss()
    window.status.clearMessage()
    spin(1200)  # avatars and counts land
    window.list_view.scrollTo(window.list_view.currentIndex())
    spin(300)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    image = window.grab()
    if not image.save(str(args.out)):
        raise SystemExit(f"could not write {args.out}")
    print(f"{args.out} ({image.width()}×{image.height()} px)")
    window._quitting = True
    window.close()
    tasks.shutdown()
    home.cleanup()
    return 0


def _wireframe_png() -> bytes:
    """A picture worth a thumbnail: a page wireframe in the demo's colours."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (1600, 1000), "#f4f6fb")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 1600, 110), fill="#4f6bed")
    draw.rectangle((90, 190, 930, 640), fill="#dfe6fb", outline="#4f6bed", width=6)
    for row in range(4):
        draw.rectangle((1010, 200 + row * 110, 1510, 250 + row * 110), fill="#c9d2e3")
    for column in range(3):
        left = 90 + column * 480
        draw.rounded_rectangle((left, 720, left + 420, 930), radius=24, fill="#ffffff", outline="#c9d2e3", width=4)
        draw.ellipse((left + 30, 750, left + 130, 850), fill=("#2f9e8f", "#e08a1e", "#c2407b")[column])
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


if __name__ == "__main__":
    raise SystemExit(main())
