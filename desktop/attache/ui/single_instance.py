"""One window per user: a second `attache FILE…` hands its files to the running one.

The running window listens on a QLocalServer named from the app id and the user (and
$ATTACHE_HOME, so test runs and portable installs keep to themselves). A later start connects
first: if someone answers, it sends the files as one JSON line and exits; if not, it listens
itself. A socket file left by a crashed instance answers nobody: it is removed and taken over.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
import os
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from attache.appid import APP_ID

log = logging.getLogger(__name__)

CONNECT_MS = 1500
MAX_MESSAGE = 1 << 20  # a hand-over is a list of paths; anything longer is not ours


def server_name() -> str:
    """`io.github.attache.Attache-<user>`, plus a hash of $ATTACHE_HOME when it is set."""
    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001 — no user name in the environment: the uid is as good
        user = str(os.getuid()) if hasattr(os, "getuid") else "user"
    name = f"{APP_ID}-{''.join(c for c in user if c.isalnum() or c in '-_.')}"
    home = os.environ.get("ATTACHE_HOME")
    if home:
        name += "-" + hashlib.sha256(os.path.abspath(home).encode()).hexdigest()[:10]
    return name


def hand_over(files: list[Path], name: str | None = None) -> bool:
    """Send `files` to the running instance; False if none is running (start one)."""
    socket = QLocalSocket()
    socket.connectToServer(name or server_name())
    if not socket.waitForConnected(CONNECT_MS):
        return False
    message = json.dumps({"files": [str(path.absolute()) for path in files]}).encode() + b"\n"
    socket.write(message)
    sent = socket.waitForBytesWritten(CONNECT_MS)
    socket.disconnectFromServer()
    if socket.state() != QLocalSocket.LocalSocketState.UnconnectedState:
        socket.waitForDisconnected(CONNECT_MS)
    return sent


class SingleInstance(QObject):
    """The running instance's listener: `filesReceived` for each hand-over (an empty list: just
    bring the window forward)."""

    filesReceived = Signal(list)

    def __init__(self, name: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name or server_name()
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.server.newConnection.connect(self._accept)
        self._buffers: dict[QLocalSocket, bytearray] = {}  # the connections being read

    def listen(self) -> bool:
        """Listen, taking over a stale socket a crashed instance left behind."""
        if self.server.listen(self.name):
            return True
        QLocalServer.removeServer(self.name)  # called after hand_over found nobody: the socket is stale
        if self.server.listen(self.name):
            return True
        log.warning("cannot listen for other starts (%s): each start opens its own window", self.server.errorString())
        return False

    def close(self) -> None:
        for socket in list(self._buffers):
            self._forget(socket)
            socket.abort()
        self.server.close()

    def _accept(self) -> None:
        while self.server.hasPendingConnections():
            socket = self.server.nextPendingConnection()
            self._buffers[socket] = bytearray()
            # slots of this object, not closures over the socket: Qt drops them with either end
            socket.readyRead.connect(self._read)
            socket.disconnected.connect(self._disconnected)

    def _read(self) -> None:
        socket = self.sender()
        buffer = self._buffers.get(socket)
        if buffer is None:
            return
        buffer.extend(bytes(socket.readAll().data()))
        if len(buffer) > MAX_MESSAGE:
            self._forget(socket)
            socket.abort()
        elif buffer.endswith(b"\n"):
            message = bytes(buffer)
            self._forget(socket)
            socket.disconnectFromServer()
            self._received(message)

    def _disconnected(self) -> None:
        self._forget(self.sender())

    def _forget(self, socket) -> None:
        if self._buffers.pop(socket, None) is not None:
            socket.readyRead.disconnect(self._read)
            socket.disconnected.disconnect(self._disconnected)
            socket.deleteLater()

    def _received(self, message: bytes) -> None:
        try:
            files = [Path(item) for item in json.loads(message)["files"] if isinstance(item, str)]
        except (ValueError, KeyError, TypeError):
            log.info("ignored a malformed hand-over from another start")
            return
        log.info("another start handed over %d file(s)", len(files))
        self.filesReceived.emit(files)
