"""Pictures without Qt: previews (`decode`), image-slot checks (`validate`), avatar crops (`crop`)
and the avatar cache (`cache`).

Workers call these; the GUI turns a Preview into a QImage and, on its own thread, a QPixmap.
Import the submodules themselves: this package re-exports nothing, so the window's start (which
needs `cache` for its avatar loader) does not load Pillow before its first paint.
"""
