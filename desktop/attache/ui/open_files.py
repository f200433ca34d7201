"""Files opened with Attaché (`attache FILE…`, the file manager's "Open with", a second start
handing its files over): staged in the window until the user picks where they go.

The upload then takes the same path as a drop (`DropActions.attach_paths`, `choose_image_file`).
Files arriving before an account is open wait for it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject

from attache.ui.messagebar import INFO
from attache.ui.target_picker import TargetPicker, files_text


class OpenFiles(QObject):
    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.staged: list[Path] = []
        self.picker: TargetPicker | None = None
        window.session.changed.connect(self._session_changed)

    def stage(self, paths: list[Path]) -> None:
        """Add files to those waiting for a target, bring the window forward, and ask where."""
        window = self.window
        for path in paths:
            if path not in self.staged:
                self.staged.append(path)
        if window.isMinimized():
            window.showNormal()
        window.show()
        window.raise_()
        window.activateWindow()
        if not self.staged:
            return
        if window.session.is_open:
            self.choose_target()
        else:
            window.show_message(
                f"{files_text(self.staged)} — waiting for an account to attach them to.", INFO, timeout_ms=0
            )

    def choose_target(self) -> None:
        window = self.window
        if not self.staged or not window.session.is_open:
            return
        if self.picker is not None:
            self.picker.close()
        picker = self.picker = TargetPicker(window.session, window.avatars, self.staged, window)
        picker.chosen.connect(self._chosen)
        picker.rejected.connect(self._put_aside)
        picker.finished.connect(lambda _code, picker=picker: self._picker_done(picker))
        window.message_bar.dismiss()
        picker.open()

    def _picker_done(self, picker: TargetPicker) -> None:
        if self.picker is picker:
            self.picker = None
        picker.deleteLater()

    def _chosen(self, entity, as_picture: bool) -> None:
        paths, self.staged = self.staged, []
        window = self.window
        window.message_bar.dismiss()
        if as_picture:
            window.drops.choose_image_file(entity, paths[0])
        else:
            window.drops.attach_paths(entity, paths)

    def _put_aside(self) -> None:
        self.window.show_message(
            f"{files_text(self.staged)} — not attached yet.",
            INFO,
            action=("Choose target…", self.choose_target),
            timeout_ms=0,
        )

    def _session_changed(self) -> None:
        if self.staged and self.window.session.is_open and self.picker is None:
            self.choose_target()
