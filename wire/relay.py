"""One HTTP request passed on to an upstream URL, its answer streamed back: how both proxies relay.

    caller ──request──────> relaying server ──request, end-to-end headers──> upstream
    caller <──chunk, chunk── relaying server <──response, read as it comes── upstream

The master relays `kubectl logs` and pod proxy requests to the pod's kubelet,
and the kubelet relays pod proxy requests on to the pod's IP. The body is
passed through raw, as the upstream encoded it, and chunk by chunk, since a
followed log may never end. The upstream connection closes when the caller's
does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable

import httpx
from starlette.responses import StreamingResponse

from wire.hop_by_hop import CREDENTIAL_HEADERS, Header, end_to_end

CONNECT_TIMEOUT_SECONDS = 5.0
# Written again by whoever sends the relayed request: Host from the target URL, Content-Length from the body.
SET_BY_SENDER = frozenset({"host", "content-length"})
# Written by the relaying server itself (uvicorn adds both); relaying the upstream's would send each twice.
SET_BY_SERVER = frozenset({"date", "server"})


class UpstreamUnreachable(Exception):
    """No answer from the upstream at all: refused, reset, timed out, or TLS failed. Each caller makes it a 503."""


def forwarded_request_headers(headers: Iterable[Header]) -> list[Header]:
    """The caller's headers the upstream may see: end-to-end ones, without Host or the caller's credentials."""
    return end_to_end(headers, also_drop=CREDENTIAL_HEADERS | SET_BY_SENDER)


def relayed_response_headers(headers: Iterable[Header]) -> list[Header]:
    """The upstream's headers the caller may see: end-to-end ones, but for those the relaying server writes."""
    return end_to_end(headers, also_drop=SET_BY_SERVER)


async def relay(method: str, url: str, *, headers: list[Header], content: bytes, verify: bool,
                connect_timeout: float = CONNECT_TIMEOUT_SECONDS) -> StreamingResponse:
    """Send the request to `url` and stream the answer back; UpstreamUnreachable if no answer comes.

    `headers` go out as given (build them with `forwarded_request_headers`);
    `verify` says whether the upstream's certificate must be trusted.
    """
    client = httpx.AsyncClient(verify=verify, timeout=httpx.Timeout(None, connect=connect_timeout))
    outgoing = client.build_request(method, url, headers=_identity_unless_asked(headers), content=content)
    try:
        upstream = await client.send(outgoing, stream=True)
    except httpx.HTTPError as error:
        await client.aclose()
        raise UpstreamUnreachable(str(error)) from error

    async def body() -> AsyncIterator[bytes]:
        try:
            async for chunk in upstream.aiter_raw():
                yield chunk
        finally:
            await upstream.aclose()
            await client.aclose()

    response = StreamingResponse(body(), status_code=upstream.status_code)
    # Appended one by one: a mapping would keep only the last of two Set-Cookie headers.
    for name, value in relayed_response_headers(upstream.headers.multi_items()):
        response.headers.append(name, value)
    return response


def _identity_unless_asked(headers: list[Header]) -> list[Header]:
    # Else httpx would ask for gzip on the caller's behalf, and the raw relay would hand it over undecoded.
    if any(name.lower() == "accept-encoding" for name, _ in headers):
        return headers
    return [*headers, ("accept-encoding", "identity")]
