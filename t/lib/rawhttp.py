"""Hand-framed HTTP/1.1 on a raw socket, for requests Client cannot send:
malformed framing (a lying Content-Length, bad chunk sizes), raw bytes in
the request line, repeated or oversized header fields, and clients that
send slowly.  Python 3 standard library only.

    data = request_bytes("POST", "/api/v1/jobs/", port,
                         [("Content-Type", "application/json")], b"{}")
    resp = exchange(port, data)           # a farm.Response: check.expect works
    resp, seconds = trickle(port, head, body, interval=0.2, limit=20)

Every request carries "Connection: close" unless headers say otherwise, so
one connection holds one exchange and the server closes it after answering.
"""

import select
import socket
import time

from farm import HTTP_TIMEOUT, Response

CRLF = b"\r\n"


def _bytes(value):
    return value if isinstance(value, bytes) else str(value).encode("latin-1")


def request_bytes(method, target, port, headers=(), body=b"", host=None):
    """The bytes of one request: the request line with `target` exactly as
    given (str or bytes), Host (127.0.0.1:port unless `host`), Connection:
    close unless headers name Connection, then `headers` ((name, value)
    pairs, repeats kept, values str or bytes) and `body` as given - no
    Content-Length is added."""
    lines = [_bytes(method) + b" " + _bytes(target) + b" HTTP/1.1",
             b"Host: " + _bytes(host if host is not None else f"127.0.0.1:{port}")]
    if not any(name.lower() == "connection" for name, _ in headers):
        lines.append(b"Connection: close")
    lines += [_bytes(name) + b": " + _bytes(value) for name, value in headers]
    return CRLF.join(lines) + CRLF + CRLF + _bytes(body)


def chunked(data, size):
    """`data` in chunked transfer coding, chunks of `size` bytes, ended."""
    out = b"".join(b"%x\r\n%s\r\n" % (len(data[i:i + size]), data[i:i + size])
                   for i in range(0, len(data), size))
    return out + b"0\r\n\r\n"


def _dechunk(body):
    decoded = b""
    while True:
        size_line, _, body = body.partition(CRLF)
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            return decoded
        decoded, body = decoded + body[:size], body[size + 2:]


def parse(data, method="GET", path=""):
    """The first response in `data` as a farm.Response (chunked bodies
    decoded, a HEAD's body empty); None when `data` is empty (the server
    closed without answering)."""
    if not data:
        return None
    head, _, rest = data.partition(CRLF + CRLF)
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    _, status, reason = (status_line.split(" ", 2) + [""])[:3]
    headers = [tuple(part.strip() for part in line.split(":", 1))
               for line in header_lines]
    fields = {name.lower(): value for name, value in headers}
    if method == "HEAD":
        body = b""
    elif fields.get("transfer-encoding") == "chunked":
        body = _dechunk(rest)
    elif "content-length" in fields:
        body = rest[:int(fields["content-length"])]
    else:
        body = rest
    return Response(method, path, int(status), reason, headers, body)


def _target_of(data):
    method, _, rest = data.partition(b" ")
    return method.decode("latin-1"), rest.split(b" ", 1)[0].decode("latin-1")


def exchange_bytes(port, data, timeout=HTTP_TIMEOUT):
    """Send `data`, end our side, return everything the server sends until
    it closes (b"" when it closes without a word)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except ConnectionResetError:
            pass  # httpd resets a connection whose unread input it drops
    return b"".join(chunks)


def exchange(port, data, timeout=HTTP_TIMEOUT):
    """exchange_bytes, the first response parsed (None: no answer)."""
    method, path = _target_of(data)
    return parse(exchange_bytes(port, data, timeout), method, path)


def trickle(port, head, body, interval, limit, piece=1):
    """Send `head` at once, then `body` `piece` bytes every `interval`
    seconds, as a slow client does, until it is all sent or the server answers or
    closes; then read what the server sends until it closes.  Returns
    (response or None, seconds from the first byte to the server's close).
    Fails when that takes more than `limit` seconds: a guard against a
    server that never cuts the client off, not a measurement."""
    method, path = _target_of(head)
    start = time.monotonic()
    chunks = []
    with socket.create_connection(("127.0.0.1", port), timeout=limit) as sock:
        sock.sendall(head)
        for i in range(0, len(body), piece):
            readable, _, _ = select.select([sock], [], [], interval)
            if readable:
                break  # an answer (or the close) came before the body
            try:
                sock.sendall(body[i:i + piece])
            except (BrokenPipeError, ConnectionResetError):
                break
            if time.monotonic() - start > limit:
                raise AssertionError(f"still sending after {limit}s: never cut off")
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except ConnectionResetError:
            pass
        except socket.timeout:
            raise AssertionError(f"no close within {limit}s") from None
    seconds = time.monotonic() - start
    assert seconds <= limit, f"the exchange took {seconds:.1f}s (limit {limit}s)"
    return parse(b"".join(chunks), method, path), seconds
