"""The shared HTTP session: retries, auth, redaction, error mapping, Content-Disposition."""

from __future__ import annotations

import logging
import threading

import httpx
import pytest

from attache.backends.errors import ErrorRule, ErrorTable, error_for_exception, error_for_response, expect_json
from attache.backends.http import (
    USER_AGENT,
    default_retry,
    filename_from_content_disposition,
    install_redaction,
    make_client,
    redact,
    redact_url,
    sanitize_filename,
    server_wait_hint,
    stop_retrying,
)
from attache.core.errors import (
    AuthenticationError,
    NetworkError,
    NotFoundError,
    PermissionDeniedError,
    ProtocolError,
    RateLimitedError,
    ServerError,
    ServiceUnavailableError,
    TooLargeError,
)

SECRET = "s3cr3t-T0ken.abc"
BASE = "https://awork.test/api/v1"


class Recorder:
    """A MockTransport handler answering from a script and remembering every request."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []
        self.authorizations: list[str | None] = []  # as sent: auth flows reuse the request object

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.authorizations.append(request.headers.get("Authorization"))
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client_for(sleeps):
    clients: list[httpx.Client] = []

    def build(recorder: Recorder, **kwargs) -> httpx.Client:
        kwargs.setdefault("token_provider", lambda: SECRET)
        client = make_client(
            BASE, transport=httpx.MockTransport(recorder), retry=default_retry(sleeper=sleeps.append), **kwargs
        )
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()


# ---------------------------------------------------------------------------- client basics


def test_requests_carry_bearer_token_and_user_agent(client_for):
    recorder = Recorder(httpx.Response(200, json=[]))
    client_for(recorder).get("/projects")
    request = recorder.requests[0]
    assert request.headers["Authorization"] == f"Bearer {SECRET}"
    assert request.headers["User-Agent"] == USER_AGENT
    assert USER_AGENT.startswith("Attache/") and "python-httpx" in USER_AGENT


def test_client_without_token_provider_sends_no_authorization(client_for):
    recorder = Recorder(httpx.Response(201))
    client_for(recorder, token_provider=None).put("https://blob.test/c/x?sig=abc", content=b"x")
    assert "Authorization" not in recorder.requests[0].headers


def test_timeouts_are_explicit(client_for):
    client = client_for(Recorder(httpx.Response(200)))
    assert client.timeout.connect == 10 and client.timeout.read == 60 and client.timeout.write == 60


def test_refresh_hook_is_called_once_on_401_and_the_request_repeated(client_for):
    tokens = iter(["old", "new"])
    current = {"token": next(tokens)}
    refreshes = []

    def refresh(rejected: str) -> bool:
        refreshes.append(rejected)
        current["token"] = next(tokens)
        return True

    recorder = Recorder(httpx.Response(401), httpx.Response(200, json={}))
    client = client_for(recorder, token_provider=lambda: current["token"], refresh=refresh)
    assert client.get("/me").status_code == 200
    assert recorder.authorizations == ["Bearer old", "Bearer new"]
    assert refreshes == ["old"]


# ---------------------------------------------------------------------------- retries


def test_wait_hint_prefers_retry_after_then_ratelimit_reset():
    assert server_wait_hint(httpx.Headers({"Retry-After": "7", "RateLimit-Reset": "3"})) == 7
    assert server_wait_hint(httpx.Headers({"ratelimit-reset": "3"})) == 3
    assert server_wait_hint(httpx.Headers({"x-ratelimit-reset": "2"})) == 2
    assert server_wait_hint(httpx.Headers({})) is None


def test_retry_sleep_honours_retry_after():
    retry = default_retry().increment()
    response = httpx.Response(429, headers={"Retry-After": "7", "ratelimit-reset": "2"})
    assert retry.seconds_before_retry(response) == 7


def test_retry_sleep_falls_back_to_ratelimit_reset_and_caps_it():
    retry = default_retry().increment()
    assert retry.seconds_before_retry(httpx.Response(429, headers={"ratelimit-reset": "3"})) == 3
    assert retry.seconds_before_retry(httpx.Response(429, headers={"ratelimit-reset": "47"})) == 30


def test_retry_sleep_without_hints_is_jittered_exponential_backoff():
    retry = default_retry()
    for attempt in range(1, 5):
        retry = retry.increment()
        seconds = retry.seconds_before_retry(httpx.Response(503))
        full = 0.5 * 2**attempt
        assert full / 2 <= seconds <= full


def test_get_is_retried_four_times_then_the_last_answer_is_returned(client_for, sleeps):
    recorder = Recorder(httpx.Response(503))
    response = client_for(recorder).get("/projects")
    assert response.status_code == 503
    assert len(recorder.requests) == 5
    assert len(sleeps) == 4


def test_rate_limited_get_waits_for_ratelimit_reset_then_succeeds(client_for, sleeps):
    recorder = Recorder(httpx.Response(429, headers={"ratelimit-reset": "2"}), httpx.Response(200, json=[]))
    assert client_for(recorder).get("/projects").status_code == 200
    assert len(recorder.requests) == 2
    assert sleeps == [2.0]


def test_connect_errors_are_retried_for_get(client_for, sleeps):
    recorder = Recorder(httpx.ConnectError("refused"), httpx.Response(200, json=[]))
    assert client_for(recorder).get("/projects").status_code == 200
    assert len(recorder.requests) == 2


def test_a_client_that_stops_retrying_gives_up_a_back_off_at_once():
    """Closing an account while its server is down: the request waiting out an hour-long back-off
    ends as soon as the client stops retrying, after the one attempt it made, with one sentence."""
    attempted = threading.Event()

    def down(request: httpx.Request) -> httpx.Response:
        attempted.set()
        raise httpx.ConnectError("Connection refused", request=request)

    retry = default_retry().copy_with(backoff_factor=3600.0, backoff_jitter=0.0, max_backoff_wait=3600.0)
    outcome: list[BaseException] = []
    with make_client(BASE, transport=httpx.MockTransport(down), retry=retry) as client:

        def fetch() -> None:
            try:
                client.get("/projects")
            except BaseException as error:
                outcome.append(error)

        worker = threading.Thread(target=fetch)
        worker.start()
        assert attempted.wait(30)
        stop_retrying(client)
        worker.join(60)  # a deadline, not a speed: without the stop it would wait an hour
        assert not worker.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], httpx.TransportError)
    assert error_for_exception(outcome[0]).message == "Gave up a request to the service: its account is closing"


def test_stopping_one_client_leaves_another_made_with_the_same_policy_retrying(sleeps):
    retry = default_retry(sleeper=sleeps.append)
    first = make_client(BASE, transport=httpx.MockTransport(Recorder(httpx.Response(503))), retry=retry)
    second_answers = Recorder(httpx.Response(503), httpx.Response(200, json=[]))
    second = make_client(BASE, transport=httpx.MockTransport(second_answers), retry=retry)
    stop_retrying(first)
    with pytest.raises(httpx.TransportError):
        first.get("/projects")
    assert second.get("/projects").status_code == 200 and len(second_answers.requests) == 2
    first.close()
    second.close()


@pytest.mark.parametrize("answer", [httpx.Response(503), httpx.Response(429, headers={"Retry-After": "1"})])
def test_post_is_never_retried(client_for, sleeps, answer):
    recorder = Recorder(answer)
    assert client_for(recorder).post("/files/generateuploadurl").status_code == answer.status_code
    assert len(recorder.requests) == 1
    assert sleeps == []


def test_post_connect_error_is_not_retried(client_for):
    recorder = Recorder(httpx.ConnectError("refused"))
    with pytest.raises(httpx.ConnectError):
        client_for(recorder).post("/tasks/x/files/byuploadid", json={})
    assert len(recorder.requests) == 1


def test_put_with_streamed_body_is_not_retried_but_put_with_bytes_is(client_for):
    streamed = Recorder(httpx.Response(503))
    client_for(streamed, token_provider=None).put("https://blob.test/x", content=iter([b"a", b"b"]))
    assert len(streamed.requests) == 1

    buffered = Recorder(httpx.Response(503), httpx.Response(201))
    client_for(buffered, token_provider=None).put("https://blob.test/x", content=b"ab")
    assert len(buffered.requests) == 2


# ---------------------------------------------------------------------------- redaction


@pytest.mark.parametrize(
    "text",
    [
        f"Authorization: Bearer {SECRET}",
        f"headers={{'authorization': 'Bearer {SECRET}'}}",
        f"[(b'Authorization', b'Bearer {SECRET}')]",
        f"Authorization: Basic {SECRET}",
        f"sent bearer {SECRET} to the server",
        f"GET https://blob.test/c/f?sv=2024&sig={SECRET}&se=2030",
        f"grant_type=refresh_token&refresh_token={SECRET}",
        f"https://x.test/cb?code={SECRET}&state=1",
        f"access_token={SECRET}",
        f'{{"access_token": "{SECRET}", "token_type": "Bearer"}}',
        f"https://awork.test/files/images/user?token={SECRET}",
    ],
)
def test_redact_removes_secrets(text):
    cleaned = redact(text)
    assert SECRET not in cleaned
    assert "[REDACTED]" in cleaned


def test_redact_leaves_ordinary_text_alone():
    text = "GET https://awork.test/api/v1/projects?page=2&pageSize=200 -> 200, status code=404"
    assert redact(text) == text


def test_redact_url_drops_signature_and_userinfo():
    shown = redact_url(f"https://user:{SECRET}@blob.test/c/f?sv=1&sig={SECRET}")
    assert SECRET not in shown
    assert "blob.test/c/f" in shown


@pytest.mark.parametrize("logger_name", ["httpx", "httpcore.http11", "attache.backends.awork"])
def test_log_records_are_redacted_in_message_and_args(caplog, logger_name):
    caplog.set_level(logging.DEBUG)
    logger = logging.getLogger(logger_name)
    logger.debug("request headers %s", {"Authorization": f"Bearer {SECRET}"})
    logger.debug(f"PUT https://blob.test/x?sig={SECRET}")
    assert caplog.records
    assert SECRET not in caplog.text


def test_a_handler_given_to_install_redaction_scrubs_any_logger():
    import io

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    install_redaction(handler)
    other = logging.getLogger("some.other.library")
    other.addHandler(handler)
    try:
        other.warning("calling with Authorization: Bearer %s", SECRET)
    finally:
        other.removeHandler(handler)
        handler.close()
    assert SECRET not in stream.getvalue() and "[REDACTED]" in stream.getvalue()


def test_tracebacks_in_log_records_are_redacted(caplog):
    caplog.set_level(logging.DEBUG)
    try:
        raise ValueError(f"token leaked: Bearer {SECRET}")
    except ValueError:
        logging.getLogger("attache").exception("upload failed")
    assert SECRET not in caplog.text
    assert "upload failed" in caplog.text


def test_httpx_request_log_of_a_signed_url_is_redacted(caplog, client_for):
    caplog.set_level(logging.DEBUG)
    client = client_for(Recorder(httpx.Response(201)), token_provider=None)
    client.put(f"https://blob.test/c/f?sv=1&sig={SECRET}", content=b"x")
    assert "blob.test" in caplog.text
    assert SECRET not in caplog.text


# ---------------------------------------------------------------------------- error mapping


def _response(status: int, *, json=None, text: str | None = None, headers=None, url=f"{BASE}/projects"):
    if json is not None:
        response = httpx.Response(status, json=json, headers=headers)
    else:
        response = httpx.Response(status, text=text or "", headers=headers)
    response.request = httpx.Request("GET", url)
    response.read()
    return response


def _awork_error(code: str, description: str) -> dict:
    return {"code": code, "description": description, "link": "https://developers.awork.com"}


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (401, _awork_error("unauthorized", "nope"), AuthenticationError),
        (403, _awork_error("forbidden", "edge rule"), PermissionDeniedError),
        (404, _awork_error("not-found", "There is no matching path"), NotFoundError),
        (413, None, TooLargeError),
        (
            400,
            _awork_error("request-body-too-large", "The uploaded file exceeds the allowed size limit"),
            TooLargeError,
        ),
        (429, None, RateLimitedError),
        (502, None, ServiceUnavailableError),
        (503, None, ServiceUnavailableError),
        (504, None, ServiceUnavailableError),
        (400, _awork_error("validation-failed", "'Name' should not be empty."), ServerError),
        (500, _awork_error("server-error", "boom"), ServerError),
    ],
)
def test_status_and_code_map_to_errors(status, body, expected):
    error = error_for_response(_response(status, json=body), service="awork", account="Work")
    assert type(error) is expected
    assert error.status == status
    assert str(error)


def test_401_names_the_account():
    error = error_for_response(_response(401, json=_awork_error("unauthorized", "x")), service="awork", account="Acme")
    assert str(error) == "awork rejected the token for account 'Acme': sign in again"
    assert error.account == "Acme"


def test_other_4xx_carries_the_servers_description_and_keeps_detail():
    body = _awork_error("validation-failed", "'Name' should not be empty.")
    error = error_for_response(_response(400, json=body), service="awork")
    assert "'Name' should not be empty." in str(error)
    assert error.code == "validation-failed"
    assert "GET https://awork.test/api/v1/projects -> 400" in error.detail


def test_429_takes_retry_after_from_ratelimit_reset():
    error = error_for_response(_response(429, headers={"ratelimit-reset": "12"}), service="awork")
    assert isinstance(error, RateLimitedError) and error.retry_after == 12 and error.transient


def test_codes_table_overrides_the_status():
    body = _awork_error("insufficient-subscription-level", "Upgrade your plan to use this.")
    table = ErrorTable(codes={"insufficient-subscription-level": ErrorRule(PermissionDeniedError)})
    error = error_for_response(_response(400, json=body), service="awork", table=table)
    assert isinstance(error, PermissionDeniedError)
    assert str(error) == "Upgrade your plan to use this."


def test_html_instead_of_json_is_a_protocol_error():
    page = _response(200, text="<!DOCTYPE html><html><body>Login</body></html>", headers={"content-type": "text/html"})
    with pytest.raises(ProtocolError) as caught:
        expect_json(page, service="awork")
    assert str(caught.value) == (
        "awork.test answered with an HTML page instead of awork's JSON API — is the URL right?"
    )


def test_html_404_is_a_wrong_url_not_a_missing_entity():
    page = _response(404, text="<html><h1>Not Found</h1></html>", headers={"content-type": "text/html"})
    assert isinstance(error_for_response(page, service="awork"), ProtocolError)


def test_non_json_body_is_a_protocol_error():
    with pytest.raises(ProtocolError):
        expect_json(_response(200, text="hello"), service="awork")


def test_error_messages_never_contain_signatures_or_tokens():
    url = f"https://blob.test/c/f?sv=1&sig={SECRET}"
    error = error_for_response(_response(403, text=f"denied Bearer {SECRET}", url=url), service="storage")
    assert SECRET not in str(error) and SECRET not in error.detail


@pytest.mark.parametrize(
    ("exc", "message"),
    [
        (httpx.ConnectError("[Errno 111] Connection refused"), "Could not connect to blob.test: connection refused"),
        (httpx.ConnectTimeout("timed out"), "Could not connect to blob.test: it did not answer in time"),
        (httpx.ReadTimeout("timed out"), "blob.test stopped answering; the request timed out"),
        (
            httpx.RemoteProtocolError("peer closed connection without sending complete message body"),
            "The connection to blob.test dropped before the transfer finished",
        ),
        (httpx.ReadError("reset"), "The connection to blob.test dropped before the transfer finished"),
    ],
)
def test_transport_failures_become_network_errors(exc, message):
    exc.request = httpx.Request("PUT", f"https://blob.test/c/f?sig={SECRET}")
    error = error_for_exception(exc, service="awork")
    assert isinstance(error, NetworkError) and error.transient
    assert str(error) == message
    assert SECRET not in error.detail and "blob.test" in error.detail


def test_transport_failure_without_request_still_maps():
    assert isinstance(error_for_exception(httpx.ConnectError("refused")), NetworkError)


# ---------------------------------------------------------------------------- file names


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("attachment; filename=\"report.pdf\"; filename*=UTF-8''R%C3%A9sum%C3%A9%20%E2%82%AC.pdf", "Résumé €.pdf"),
        ("attachment; filename*=UTF-8''%E2%82%AC.txt; filename=\"EUR.txt\"", "€.txt"),
        ('attachment; filename="a \\"quoted\\" name.txt"', 'a "quoted" name.txt'),
        ("attachment; filename=plain.txt", "plain.txt"),
        ("attachment; filename*=iso-8859-1'en'%E4.txt", "ä.txt"),
        ("inline", None),
        (None, None),
    ],
)
def test_content_disposition_prefers_filename_star(header, name):
    assert filename_from_content_disposition(header) == name


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Windows\\evil.exe", "evil.exe"),
        ('a<b>c:d"e|f?g*h.txt', "a_b_c_d_e_f_g_h.txt"),
        ("CON.txt", "_CON.txt"),
        ("...", "fallback"),
        ("", "fallback"),
        ("tab\there.txt", "tab_here.txt"),
    ],
)
def test_sanitize_filename(raw, safe):
    assert sanitize_filename(raw, fallback="fallback") == safe


def test_sanitize_filename_limits_length_but_keeps_extension():
    name = sanitize_filename("é" * 300 + ".pdf")
    assert len(name.encode()) <= 255 and name.endswith(".pdf")


def test_every_client_verifies_servers_with_one_tls_context():
    """Building a TLS context loads the whole CA bundle (~50 ms): clients share one, and sharing
    it keeps certificate and host name checks on."""
    import ssl

    from attache.backends.http import make_client, tls_context

    def context_of(client) -> ssl.SSLContext:
        network = client._transport._sync_transport._inner  # retry layer → guard → httpx's transport
        return network._pool._ssl_context

    with make_client() as first, make_client("https://api.awork.com/api/v1") as second:
        assert context_of(first) is context_of(second) is tls_context()
    assert tls_context().verify_mode is ssl.CERT_REQUIRED and tls_context().check_hostname
