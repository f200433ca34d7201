"""Dragging a task's files out to the file manager: each is downloaded, and the file manager
copies it where it was dropped.

The drag starts at once with a promise of the files: their downloads begin (and show in the
transfers panel) into a folder of the cache, and only when the drop target asks for the files'
addresses does the promise wait for them — with events still running, for at most a minute —
so the file manager never copies a half-written file. Attaché's own drop targets refuse this
drag (`is_files_out`): dropping a task's file back on it would attach it twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEventLoop, QMimeData, QUrl

from attache.transfers import JobState
from attache.ui.transfer_rows import TransferRow

URI_LIST = "text/uri-list"
MARK = "attacheFilesOut"
WAIT_S = 60.0


def is_files_out(mime: QMimeData | None) -> bool:
    return mime is not None and bool(mime.property(MARK))


class FilesOut(QMimeData):
    """The mime data of a drag out: the downloads' file URLs, once they are on disk."""

    def __init__(self, jobs: list[TransferRow], *, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.jobs = jobs
        self._clock = clock
        self.setProperty(MARK, True)

    def formats(self) -> list[str]:
        return [URI_LIST]

    def hasFormat(self, mimetype: str) -> bool:
        return mimetype == URI_LIST

    def ready(self) -> bool:
        return all(job.finished_state for job in self.jobs)

    def retrieveData(self, mimetype: str, preferred_type):
        if mimetype != URI_LIST:
            return None
        deadline = self._clock() + WAIT_S
        while not self.ready() and self._clock() < deadline:
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            time.sleep(0.01)
        done = [job.path for job in self.jobs if job.state is JobState.DONE and job.path is not None]
        return [QUrl.fromLocalFile(str(path)) for path in done]  # Qt turns the list into bytes where asked

    def paths(self) -> list[Path]:
        """The files as the drop target will read them (waits for the downloads)."""
        return [Path(url.toLocalFile()) for url in self.urls()]
