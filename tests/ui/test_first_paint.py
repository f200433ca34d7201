"""The window paints its skeleton before connecting starts the workers (whose imports would make
the GUI thread wait for the interpreter turn by turn), and connects anyway when it is not painted."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QWidget

from attache.ui import app as app_module


class PaintCounter(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.paints = 0

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.paints += 1
        return False


def test_connecting_starts_once_just_after_the_first_paint(qtbot, monkeypatch):
    monkeypatch.setattr(app_module, "FIRST_PAINT_WAIT_MS", 60_000)  # only the paint can start it
    window = QWidget()
    qtbot.addWidget(window)
    counter = PaintCounter()
    window.installEventFilter(counter)
    paints_at_start: list[int] = []
    app_module._once_painted(window, lambda: paints_at_start.append(counter.paints))
    qtbot.wait(50)
    assert paints_at_start == []  # not shown, not painted: nothing started yet
    window.show()
    qtbot.waitUntil(lambda: paints_at_start != [])
    window.update()
    qtbot.wait(50)
    window.repaint()
    assert len(paints_at_start) == 1 and paints_at_start[0] >= 1


def test_a_window_never_painted_connects_anyway(qtbot, monkeypatch):
    monkeypatch.setattr(app_module, "FIRST_PAINT_WAIT_MS", 30)
    window = QWidget()  # never shown, as when the app starts minimised to the tray
    qtbot.addWidget(window)
    started: list[bool] = []
    app_module._once_painted(window, lambda: started.append(True))
    qtbot.waitUntil(lambda: started == [True])
    window.show()
    window.repaint()
    qtbot.wait(50)
    assert started == [True]
