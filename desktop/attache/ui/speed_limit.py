"""View › Limit Upload Speed…: one number for all uploads together, kept in the settings."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from attache.transfers.throttle import MIN_RATE

MB = 1024 * 1024


class SpeedLimitDialog(QDialog):
    """[x] Limit upload speed to [ 2.0 ] MB/s — for when uploads should leave room for a video call."""

    def __init__(self, rate: float | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Upload Speed")
        self.enabled = QCheckBox("&Limit upload speed to", self)
        self.enabled.setChecked(rate is not None)
        self.speed = QDoubleSpinBox(self)
        self.speed.setAccessibleName("Upload speed limit in megabytes per second")
        self.speed.setDecimals(1)
        self.speed.setRange(round(MIN_RATE / MB, 1) or 0.1, 10_000.0)
        self.speed.setSingleStep(0.5)
        self.speed.setValue(rate / MB if rate is not None else 2.0)
        self.speed.setSuffix(" MB/s")
        self.speed.setEnabled(rate is not None)
        self.enabled.toggled.connect(self.speed.setEnabled)
        row = QHBoxLayout()
        row.addWidget(self.enabled)
        row.addWidget(self.speed)
        note = QLabel("For all uploads together. Downloads and browsing are not limited.", self)
        note.setWordWrap(True)
        note.setObjectName("Muted")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 16)
        layout.setSpacing(12)
        self.setMinimumWidth(380)
        layout.addLayout(row)
        layout.addWidget(note)
        layout.addWidget(buttons)

    def rate(self) -> float | None:
        """The chosen limit in bytes per second, or None."""
        return self.speed.value() * MB if self.enabled.isChecked() else None
