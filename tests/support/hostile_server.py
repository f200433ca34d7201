"""A hostile server on loopback: one broken answer per case, shaped like awork, ONLYOFFICE or SuperOffice.

`HostileServer(service, case)` answers the requests the CLI and the window make for a list, a
file's metadata and its download as that service's client path expects (awork under /api/v1, a
portal under /api/2.0 with its envelope, a SuperOffice tenant under /Cust12345/api/v1 with the
OData envelope `{"value": [...]}`), and breaks exactly one thing per `case`:

- "endless": every page full, a total of 10⁹ (SuperOffice: and an `odata.nextLink` every time,
  with a `$skiptoken`); "endless-unlinked": SuperOffice's full pages without a link;
- "deep": JSON nested 100,000 deep;
- "numbers": a list of numbers, not objects;          - "redirect": 302 to another host;
- "huge": a list answer of `huge_bytes` (streamed, no length, made fast by a generator);
- "drip": a list answer that comes a byte every `drip_seconds`; "drip-headers": its headers do;
- "long-file": a download longer than the file's declared size (`huge_bytes`); SuperOffice's
  documents declare no size, so there it is a Content-Length of 10 followed by `huge_bytes`;
- "unsized-file": a download of `huge_bytes` without a Content-Length (SuperOffice: its document's
  `Length` says 10);
- "short-file": a download shorter than declared (SuperOffice: than its Content-Length, the
  connection closed after 4 bytes); "page-file": a download that is a web page;
- "redirect-file": a download answered with a redirect; "drip-file": a download dripping;
- "bad-url": a download address with a control character (ONLYOFFICE hands out the address);
- "refuse": a 400 whose description holds control characters;
- "named": a plain download whose server-given name is hostile (`file_name`).
Bodies without a length are sent HTTP/1.0-style (ended by closing the connection).
`ids(service)` are the task and file ids to ask for (SuperOffice's are whole numbers).
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

FILE_ID = "f1"
TASK_ID = "t1"
DECLARED = 10  # bytes the file list declares
CONTENT = b"0123456789"
SHAPES = ("awork", "onlyoffice", "superoffice")  # the services whose answers this server imitates
TENANT = "Cust12345"
_IDS = {"superoffice": ("5", "7")}


def ids(service: str) -> tuple[str, str]:
    """(task id, file id) as the service's client takes them."""
    return _IDS.get(service, (TASK_ID, FILE_ID))


class HostileServer:
    def __init__(
        self,
        service: str,
        case: str,
        *,
        huge_bytes: int = 200 * 1024 * 1024,
        drip_seconds: float = 0.5,
        file_name: str = "report.txt",
    ) -> None:
        assert service in SHAPES, f"no {service} shape: add one to tests/support/hostile_server.py"
        self.service, self.case = service, case
        self.file_id = ids(service)[1]
        self.accepts: list[str] = []  # the Accept header of each download request
        self.huge_bytes, self.drip_seconds, self.file_name = huge_bytes, drip_seconds, file_name
        self.requests: list[str] = []
        self.stop = threading.Event()
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    @property
    def url(self) -> str:
        """What --url takes for the service."""
        if self.service == "awork":
            return f"{self.origin}/api/v1"
        if self.service == "superoffice":
            return f"{self.origin}/{TENANT}/api"
        return self.origin

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self._server.shutdown()
        self._server.server_close()

    # ------------------------------------------------------------------ answers

    def wrap(self, items_json: str, *, total: int | None = None, count: int = 0) -> str:
        """A list body as the service sends it (awork: the bare array; a portal: its envelope)."""
        if self.service == "awork":
            return items_json
        if self.service == "superoffice":
            return f'{{"odata.metadata": "{self.url}/v1/$metadata", "value": {items_json}}}'
        total_part = f', "total": {total}' if total is not None else ""
        return f'{{"status": 0, "statusCode": 200, "count": {count}{total_part}, "response": {items_json}}}'

    def answer(self, handler: http.server.BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        query = parse_qs(parts.query)
        path = parts.path
        self.requests.append(handler.path)
        case = self.case
        if path.endswith(("/download", "filehandler.ashx", f"/Document/{self.file_id}/Content")):
            self.accepts.append(handler.headers.get("Accept", ""))
            return self.download(handler)
        if self.service == "superoffice" and path.endswith(f"/Document/{self.file_id}/Length"):
            return send(handler, 200, str(DECLARED).encode())  # the stored content's size, as a number
        if path.endswith((f"/files/{FILE_ID}", f"files/file/{FILE_ID}", f"/Document/{self.file_id}")):
            return self.file_info(handler)
        if self.service == "awork" and (path.endswith("/me") or "/workspaces/" in path):  # who the token is
            return send(handler, 200, b'{"id": "w1", "name": "Hostile", "workspace": {"id": "w1", "name": "Hostile"}}')
        if self.service == "superoffice" and path.endswith("/User/currentPrincipal"):
            me = {"AssociateId": 1, "FullName": "Hostile", "DatabaseContextIdentifier": TENANT}
            return send(handler, 200, json.dumps(me).encode())
        if case in ("endless", "endless-unlinked"):
            return self.endless_page(handler, query)
        if case == "deep":
            depth = 100_000
            return send(handler, 200, self.wrap("[" * depth + "]" * depth).encode())
        if case == "numbers":
            return send(handler, 200, self.wrap("[1, 2, 3]", total=3, count=3).encode())
        if case == "refuse":
            text = "No\x1b]0;owned\x07\nforged line"
            said: dict[str, object] = {"code": "bad-request", "description": text}
            if self.service == "onlyoffice":
                said = {"status": 1, "statusCode": 400, "error": {"message": text}}
            elif self.service == "superoffice":
                said = {"Error": True, "ErrorType": "SoBadRequest", "ErrorMessage": text, "ErrorSource": "Hostile"}
            return send(handler, 400, json.dumps(said).encode())
        if case == "redirect":
            return send(handler, 302, b"", headers={"Location": "https://login.example.com/sso?next=%2Fprojects"})
        if case == "huge":
            return send_stream(handler, 200, self.huge_list())
        if case == "drip-headers":
            handler.close_connection = True
            head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + b"X-Slow: " + b"y" * 5000 + b"\r\n\r\n"
            try:
                for byte in self.drip(head):
                    handler.wfile.write(byte)
                    handler.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                pass
            return None
        if case == "drip":
            return send_stream(handler, 200, self.drip(self.wrap('[{"id": "p1", "name": "P"}]', count=1).encode()))
        return send(handler, 200, self.wrap("[]").encode())

    def endless_page(self, handler: http.server.BaseHTTPRequestHandler, query: dict[str, list[str]]) -> None:
        """Every page full and a total of 10⁹; SuperOffice's also link to the next one ("endless")."""
        if self.service == "superoffice":
            top, skip = int(query.get("$top", ["100"])[0]), int(query.get("$skip", ["0"])[0])
            rows = [{"projectId": skip + n + 1, "name": f"Item {skip + n}"} for n in range(top)]
            body: dict[str, object] = {"value": rows}
            if self.case == "endless":
                body["odata.nextLink"] = f"{self.url}/v1/Project?$top={top}&$skip={skip + top}&$skiptoken=p{skip + top}"
            return send(handler, 200, json.dumps(body).encode())
        size = int((query.get("pageSize") or query.get("count") or ["100"])[0])
        items = json.dumps([{"id": f"i{n}", "name": f"Item {n}"} for n in range(size)])
        headers = {"aw-totalitems": str(10**9)} if self.service == "awork" else {}
        return send(handler, 200, self.wrap(items, total=10**9, count=size).encode(), headers=headers)

    def file_info(self, handler: http.server.BaseHTTPRequestHandler) -> None:
        if self.service == "superoffice":  # a DocumentEntity: a name, no size
            info = {"DocumentId": int(self.file_id), "Header": self.file_name, "Name": self.file_name}
            return send(handler, 200, json.dumps(info).encode())
        if self.service == "awork":
            info = {
                "id": FILE_ID,
                "name": self.file_name,
                "fileName": self.file_name,
                "fileVersions": [{"id": "v1", "version": 1, "size": DECLARED}],
            }
            return send(handler, 200, json.dumps(info).encode())
        view = f"{self.origin}/Products/Files/HttpHandlers/filehandler.ashx?action=download&fileid={FILE_ID}"
        if self.case == "bad-url":
            view = f"{self.origin}/Products/Files/\x01filehandler.ashx"
        info = {"id": FILE_ID, "title": self.file_name, "pureContentLength": DECLARED, "viewUrl": view, "version": 1}
        return send(handler, 200, json.dumps({"status": 0, "statusCode": 200, "response": info}).encode())

    def download(self, handler: http.server.BaseHTTPRequestHandler) -> None:
        case = self.case
        disposition = {
            "Content-Type": "application/octet-stream",  # SuperOffice's JSON would be the file as base64
            "Content-Disposition": f"attachment; filename*=UTF-8''{_quote(self.file_name)}",
        }
        if self.service == "superoffice" and case in ("long-file", "short-file"):
            return self.misdeclared(handler, disposition)
        if case == "unsized-file":  # no Content-Length: only the size the service declared bounds it
            return send_stream(handler, 200, self.zeros(self.huge_bytes), headers=disposition)
        if case == "long-file":
            return send_stream(handler, 200, self.zeros(self.huge_bytes), headers=disposition)
        if case == "short-file":
            return send(handler, 200, CONTENT[:4], headers=disposition)
        if case == "page-file":
            page = b"<!doctype html><html><body>Please sign in</body></html>"
            return send(handler, 200, page, headers={"Content-Type": "text/html; charset=utf-8"})
        if case == "redirect-file":
            return send(handler, 302, b"", headers={"Location": "https://blob.example.net/c/f1?sig=SECRETSIG"})
        if case == "drip-file":
            return send_stream(handler, 200, self.drip(CONTENT * 1000), headers=disposition)
        return send(handler, 200, CONTENT, headers=disposition)

    def misdeclared(self, handler: http.server.BaseHTTPRequestHandler, headers: dict[str, str]) -> None:
        """A Content-Length of DECLARED, then `huge_bytes` (long) or 4 bytes (short) and the end."""
        handler.close_connection = True
        handler.send_response(200)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(DECLARED))
        handler.end_headers()
        chunks = self.zeros(self.huge_bytes) if self.case == "long-file" else iter([CONTENT[:4]])
        try:
            for chunk in chunks:
                handler.wfile.write(chunk)
                handler.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass

    # ------------------------------------------------------------------ bodies

    def huge_list(self) -> Iterator[bytes]:
        portal = b'{"status": 0, "count": 1, "response": ['
        opening = {"awork": b"[", "superoffice": b'{"value": ['}.get(self.service, portal)
        yield opening
        item = b'{"id": "x", "name": "' + b"y" * 1000 + b'"},'
        block = item * 1000
        sent = len(opening)
        while sent < self.huge_bytes and not self.stop.is_set():
            yield block
            sent += len(block)
        yield b'{"id": "z"}]' + (b"}" if self.service != "awork" else b"")

    def zeros(self, size: int) -> Iterator[bytes]:
        block = b"\0" * (1024 * 1024)
        for _ in range(size // len(block)):
            if self.stop.is_set():
                return
            yield block

    def drip(self, body: bytes) -> Iterator[bytes]:
        for byte in body:
            if self.stop.wait(self.drip_seconds):
                return
            yield bytes([byte])


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")


def send(
    handler: http.server.BaseHTTPRequestHandler, status: int, body: bytes, *, headers: dict[str, str] | None = None
) -> None:
    handler.send_response(status)
    headers = {"Content-Type": "application/json", **(headers or {})}
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def send_stream(
    handler: http.server.BaseHTTPRequestHandler,
    status: int,
    chunks: Iterator[bytes],
    *,
    headers: dict[str, str] | None = None,
) -> None:
    """A body without a length: ended by closing the connection."""
    handler.close_connection = True
    handler.send_response(status)
    headers = {"Content-Type": "application/json", **(headers or {}), "Connection": "close"}
    if "Content-Disposition" in headers:
        headers["Content-Type"] = "application/octet-stream"
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.end_headers()
    try:
        for chunk in chunks:
            handler.wfile.write(chunk)
            handler.wfile.flush()
    except (BrokenPipeError, ConnectionResetError):
        pass  # the client stopped reading: what the guards are for


def _handler(server: HostileServer) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            server.answer(self)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler
