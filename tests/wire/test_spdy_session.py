"""SPDY sessions (wire.spdy_session): a client and a server joined by an in-memory pipe, as the WebSocket joins them."""

import asyncio
from contextlib import asynccontextmanager

import pytest

from wire import spdy_session
from wire.spdy import FrameDecoder, FrameEncoder, Ping, RstStatus, SynStream
from wire.spdy_session import SessionClosed, SpdySession, StreamReset


class Pipe:
    """One direction of the transport: bytes in, bytes out, None once closed."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.sent: list[bytes] = []

    async def send(self, data: bytes) -> None:
        self.sent.append(data)
        await self.queue.put(data)

    async def receive(self) -> bytes | None:
        return await self.queue.get()

    def close(self) -> None:
        self.queue.put_nowait(None)


@asynccontextmanager
async def connected(on_stream=None):
    """(client, server, pipes); the server runs `on_stream` for each stream the client opens."""
    to_server, to_client = Pipe(), Pipe()
    client, server = SpdySession(to_server.send, server=False), SpdySession(to_client.send, server=True)
    tasks = [asyncio.create_task(client.serve(to_client.receive)),
             asyncio.create_task(server.serve(to_server.receive, on_stream))]
    try:
        yield client, server, (to_server, to_client)
    finally:
        to_server.close()
        to_client.close()
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 5)


def run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, 10))


def test_a_stream_carries_data_both_ways_and_each_half_ends_on_its_own():
    async def echo_upper(stream):
        await stream.reply()

        async def serve():
            while chunk := await stream.read():
                await stream.write(chunk.upper())
            await stream.close()
        asyncio.create_task(serve())

    async def scenario():
        async with connected(echo_upper) as (client, _server, _pipes):
            stream = await client.open_stream({"port": ["80"]})
            await stream.write(b"hello ")
            await stream.write(b"world")
            await stream.close()
            return await stream.read_all()

    assert run(scenario()) == b"HELLO WORLD"


def test_the_server_sees_the_headers_the_client_opened_with_and_ids_alternate_by_side():
    seen = []

    async def accept(stream):
        seen.append((stream.id, stream.headers))
        await stream.reply()

    async def scenario():
        async with connected(accept) as (client, _server, _pipes):
            first = await client.open_stream({"streamtype": ["error"], "requestid": ["0"]})
            second = await client.open_stream({"streamtype": ["data"], "requestid": ["0"]})
            return first.id, second.id

    assert run(scenario()) == (1, 3)
    assert seen == [(1, {"streamtype": ["error"], "requestid": ["0"]}),
                    (3, {"streamtype": ["data"], "requestid": ["0"]})]


def test_a_refused_stream_fails_to_open():
    async def refuse(stream):
        await stream.reset(RstStatus.REFUSED_STREAM)

    async def scenario():
        async with connected(refuse) as (client, _server, _pipes):
            with pytest.raises(StreamReset, match="REFUSED_STREAM"):
                await client.open_stream({"port": ["0"]})

    run(scenario())


def test_a_reset_ends_the_readers_side_at_once_and_writes_fail():
    async def scenario():
        streams: asyncio.Queue = asyncio.Queue()

        async def accept(stream):
            await stream.reply()
            await streams.put(stream)

        async with connected(accept) as (client, _server, _pipes):
            stream = await client.open_stream({"port": ["80"]})
            served = await streams.get()
            await stream.reset()
            assert await served.read() == b""
            await _until(lambda: served.reset_by_peer)
            with pytest.raises(StreamReset):
                await served.write(b"too late")

    run(scenario())


def test_the_peers_ping_is_answered_with_its_id():
    async def scenario():
        async with connected() as (_client, _server, (to_server, to_client)):
            await to_server.send(FrameEncoder().encode(Ping(7)))
            await _until(lambda: to_client.sent)
            return FrameDecoder().feed(b"".join(to_client.sent))

    assert run(scenario()) == [Ping(7)]


def test_without_a_stream_handler_every_stream_is_refused():
    async def scenario():
        async with connected(on_stream=None) as (client, _server, _pipes):
            with pytest.raises(StreamReset, match="REFUSED_STREAM"):
                await client.open_stream({"port": ["80"]})

    run(scenario())


def test_streams_learn_when_the_transport_closes():
    async def accept(stream):
        await stream.reply()

    async def scenario():
        async with connected(accept) as (client, _server, (to_server, to_client)):
            stream = await client.open_stream({"port": ["80"]})
            to_client.close()
            assert await stream.read() == b""
            await _until(client.closed.is_set)
            with pytest.raises(SessionClosed):
                await stream.write(b"x")

    run(scenario())


def test_a_slow_reader_holds_the_session_back_instead_of_buffering_without_bound(monkeypatch):
    monkeypatch.setattr(spdy_session, "BUFFER_LIMIT", 10)
    streams = []

    async def accept(stream):
        await stream.reply()
        streams.append(stream)

    async def scenario():
        async with connected(accept) as (client, server, (to_server, _to_client)):
            stream = await client.open_stream({"port": ["80"]})
            for _ in range(5):
                await stream.write(b"0123456789")
            # One chunk held for the reader, one waiting to be delivered, three left in the transport.
            await _until(lambda: streams and streams[0]._buffered == 10 and to_server.queue.qsize() == 3)
            assert await streams[0].read() == b"0123456789"
            await stream.close()
            return await streams[0].read_all()

    assert run(scenario()) == b"0123456789" * 4


def test_a_stream_id_that_goes_backwards_is_refused_with_a_protocol_error():
    async def accept(stream):
        await stream.reply()

    async def scenario():
        async with connected(accept) as (_client, _server, (to_server, to_client)):
            encoder = FrameEncoder()
            await to_server.send(encoder.encode(SynStream(5, {"port": ["80"]})))
            await to_server.send(encoder.encode(SynStream(3, {"port": ["80"]})))
            await _until(lambda: len(to_client.sent) >= 2)
            return FrameDecoder().feed(b"".join(to_client.sent))

    reply, refusal = run(scenario())
    assert reply.stream_id == 5
    assert (refusal.stream_id, refusal.status) == (3, RstStatus.PROTOCOL_ERROR)


async def _until(condition, timeout=5.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.005)
