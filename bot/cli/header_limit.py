"""uvicorn's httptools protocol with a limit on the request line plus headers.

httptools (llhttp) sets no limit of its own and uvicorn adds none: five requests with
40 one-megabyte headers each grew a worker from 127 MB to 321 MB. Past
`MAX_HEADER_BYTES` the request gets 431 (RFC 6585) and the connection is closed; the app
never sees it. Memory stays bounded by the limit plus one socket read (asyncio reads at
most 256 KiB at a time). `surveybot serve` passes this class to uvicorn as `http=`.
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# WeChat's and Telegram's pushes carry well under 2 KiB of headers; browsers' cookies for
# the dashboard stay far below too. nginx's default (large_client_header_buffers) is 32 KiB.
MAX_HEADER_BYTES = 16 * 1024

_BODY = b"Request header fields too large"
_RESPONSE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: text/plain; charset=utf-8\r\n"
    b"content-length: " + str(len(_BODY)).encode("ascii") + b"\r\n"
    b"connection: close\r\n\r\n" + _BODY
)


class HeaderLimitedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_bytes = 0  # request line and headers parsed so far
        self._unparsed = 0  # raw bytes received while a request's headers are incomplete
        self._in_body = False
        self._too_large = False
        self._headers_done_here = False

    def data_received(self, data: bytes) -> None:
        if self._too_large:
            return
        self._headers_done_here = False
        super().data_received(data)
        if not self._headers_done_here and not self._in_body:
            # The whole read was request line and headers, and httptools keeps an
            # incomplete header in its own buffer, unseen by the callbacks below: count
            # the raw bytes too. (A read that completed headers may carry body bytes:
            # the callbacks counted its headers.)
            self._unparsed += len(data)
            if self._unparsed > MAX_HEADER_BYTES:
                self._too_large = True
        if self._too_large and not self.transport.is_closing():
            self.logger.warning("request headers over %d bytes: 431", MAX_HEADER_BYTES)
            self.transport.write(_RESPONSE)
            self.transport.close()

    def _count(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > MAX_HEADER_BYTES:
            self._too_large = True

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_bytes = 0

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        if not self._too_large:
            super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)  # ": " and CRLF
        if not self._too_large:
            super().on_header(name, value)

    def on_headers_complete(self) -> None:
        if self._too_large:
            return  # the app never sees this request
        self._in_body = True
        self._headers_done_here = True
        self._unparsed = 0
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self._too_large:
            super().on_body(body)

    def on_message_complete(self) -> None:
        self._in_body = False
        if not self._too_large:
            super().on_message_complete()
