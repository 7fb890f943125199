"""A minimal HTTP/1.1 keep-alive client for the load generator.

The load generator runs on the same 2-core machine as the server; a full-featured
client (httpx) costs more CPU per request than the bare endpoint it measures, so the
client would be the bottleneck. This one does only what the benchmark needs: POST a
body on a kept-alive connection, read a Content-Length (or chunked) response.
"""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlencode, urlsplit


class HttpError(Exception):
    """The connection broke or the response was not HTTP/1.1 as expected."""


class Connection:
    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme != "http" or parts.hostname is None:
            raise ValueError(f"only plain http:// URLs are supported: {url}")
        self.host = parts.hostname
        self.port = parts.port or 80
        self.path = parts.path or "/"
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def post(self, query: dict[str, str], body: bytes) -> tuple[int, bytes]:
        """(status, body); reconnects once if a kept-alive connection was closed."""
        for attempt in (1, 2):
            reused = self._writer is not None
            try:
                return await self._post_once(query, body)
            except (ConnectionError, asyncio.IncompleteReadError, HttpError) as error:
                await self.close()
                if not reused or attempt == 2:
                    raise HttpError(str(error) or type(error).__name__) from None
        raise AssertionError("unreachable")

    async def _post_once(self, query: dict[str, str], body: bytes) -> tuple[int, bytes]:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        assert self._reader is not None
        target = f"{self.path}?{urlencode(query)}" if query else self.path
        head = (
            f"POST {target} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: text/xml\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        self._writer.write(head.encode("ascii") + body)
        await self._writer.drain()
        status_line = await self._reader.readline()
        if not status_line:
            raise HttpError("connection closed before the response")
        parts = status_line.split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
            raise HttpError(f"bad status line {status_line!r}")
        headers: dict[bytes, bytes] = {}
        while (line := await self._reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
            data = await self._read_chunked()
        else:
            data = await self._reader.readexactly(int(headers.get(b"content-length", b"0")))
        if headers.get(b"connection", b"").lower() == b"close":
            await self.close()
        return int(parts[1]), data

    async def _read_chunked(self) -> bytes:
        assert self._reader is not None
        chunks: list[bytes] = []
        while True:
            size = int((await self._reader.readline()).split(b";")[0], 16)
            if size == 0:
                await self._reader.readline()
                return b"".join(chunks)
            chunks.append(await self._reader.readexactly(size))
            await self._reader.readline()

    async def close(self) -> None:
        writer, self._writer, self._reader = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()
