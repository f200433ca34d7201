"""View › Limit Upload Speed…: one number for all uploads together, kept in the settings."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from attache.transfers.throttle import MIN_RATE

KB = 1024
MB = 1024 * 1024
UNITS = (("KB/s", KB), ("MB/s", MB))


class SpeedLimitDialog(QDialog):
    """[x] Limit upload speed to [ 2.0 ] [MB/s ▾] — for when uploads should leave room for a video call."""

    def __init__(self, rate: float | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Upload Speed")
        self.enabled = QCheckBox("&Limit upload speed to", self)
        self.enabled.setChecked(rate is not None)
        self.speed = QDoubleSpinBox(self)
        self.speed.setAccessibleName("Upload speed limit")
        self.unit = QComboBox(self)
        self.unit.setAccessibleName("Unit of the upload speed limit")
        for text, factor in UNITS:
            self.unit.addItem(text, factor)
        start = rate if rate is not None else 2.0 * MB
        self.unit.setCurrentIndex(0 if start < MB else 1)
        self._apply_unit(keep=start)
        self.unit.currentIndexChanged.connect(lambda _index: self._apply_unit(keep=self._shown_rate))
        self._shown_rate = start
        self.speed.valueChanged.connect(lambda _value: setattr(self, "_shown_rate", self._rate_now()))
        self.speed.setEnabled(rate is not None)
        self.unit.setEnabled(rate is not None)
        self.enabled.toggled.connect(self.speed.setEnabled)
        self.enabled.toggled.connect(self.unit.setEnabled)
        row = QHBoxLayout()
        row.addWidget(self.enabled)
        row.addWidget(self.speed)
        row.addWidget(self.unit)
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

    def _factor(self) -> int:
        return int(self.unit.currentData() or MB)

    def _rate_now(self) -> float:
        return self.speed.value() * self._factor()

    def _apply_unit(self, *, keep: float) -> None:
        """Show `keep` (bytes per second) in the chosen unit: whole KB/s, MB/s to a tenth."""
        factor = self._factor()
        self.speed.blockSignals(True)
        if factor == KB:
            self.speed.setDecimals(0)
            self.speed.setRange(max(1, MIN_RATE // KB), 10_000_000.0)
            self.speed.setSingleStep(64)
        else:
            self.speed.setDecimals(1)
            self.speed.setRange(round(MIN_RATE / MB, 1) or 0.1, 10_000.0)
            self.speed.setSingleStep(0.5)
        self.speed.setValue(keep / factor)
        self.speed.blockSignals(False)

    def set_rate(self, value: float, unit: str) -> None:
        """Type a limit as a person would: a number and "KB/s" or "MB/s"."""
        self.enabled.setChecked(True)
        self.unit.setCurrentIndex(self.unit.findText(unit))
        self.speed.setValue(value)

    def rate(self) -> float | None:
        """The chosen limit in bytes per second, or None."""
        return self._rate_now() if self.enabled.isChecked() else None
