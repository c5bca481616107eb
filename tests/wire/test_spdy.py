"""SPDY/3.1 frames and header blocks (wire.spdy, wire.spdy_headers), checked against bytes kubectl 1.32 sent."""

import zlib

import pytest

from wire.spdy import (
    DataFrame,
    FrameDecoder,
    FrameEncoder,
    GoAway,
    HeadersFrame,
    Ping,
    ProtocolError,
    RstStatus,
    RstStream,
    Setting,
    Settings,
    SynReply,
    SynStream,
    UnknownControlFrame,
    WindowUpdate,
)
from wire.spdy_headers import (
    DICTIONARY,
    HeaderBlockError,
    HeaderCompressor,
    HeaderDecompressor,
    decode_block,
    encode_block,
    header_value,
)

# What `kubectl port-forward pod/x 18556:80` (1.32) sent for its first local connection: the SYN_STREAM
# of the error stream, recorded from the WebSocket it tunnels SPDY through.
KUBECTL_ERROR_STREAM_SYN = bytes.fromhex(
    "80030001" "0000003d" "00000001" "00000000" "0000"
    "78f9e3c6a7c202253a703a2b294a4dcc851625aca9a0808614cb45a024cc6461c0c0c0c0590489c44c50e2663400000000ffff")
SYN_STREAM_BLOCK_OFFSET = 18  # frame header 8, stream id 4, associated stream id 4, priority and slot 2


def test_the_dictionary_is_the_one_zlib_names_in_kubectls_header_blocks():
    # A zlib stream with a preset dictionary names it by Adler-32, in the 4 bytes after its 2-byte header.
    zlib_stream = KUBECTL_ERROR_STREAM_SYN[SYN_STREAM_BLOCK_OFFSET:]

    assert len(DICTIONARY) == 1423
    assert zlib.adler32(DICTIONARY).to_bytes(4, "big") == zlib_stream[2:6]


def test_kubectls_syn_stream_decodes_to_its_port_forward_headers():
    [frame] = FrameDecoder().feed(KUBECTL_ERROR_STREAM_SYN)

    assert frame == SynStream(1, {"streamtype": ["error"], "port": ["80"], "requestid": ["0"]})


@pytest.mark.parametrize("frame", [
    DataFrame(1, b"hello"),
    DataFrame(3, b"", fin=True),
    SynStream(5, {"streamtype": ["data"], "port": ["8080"]}, associated_to=3, priority=7, fin=True,
              unidirectional=True),
    SynReply(2, {"status": ["200 OK"]}, fin=True),
    HeadersFrame(7, {"x-trailer": ["a", "b"]}, fin=True),
    RstStream(9, RstStatus.CANCEL),
    Settings((Setting(1, 7, 65536), Setting(0, 4, 100)), clear=True),
    Ping(1),
    GoAway(11, 0),
    WindowUpdate(13, 4096),
    UnknownControlFrame(10, 0, b"credential"),
], ids=lambda frame: type(frame).__name__)
def test_every_frame_round_trips(frame):
    assert FrameDecoder().feed(FrameEncoder().encode(frame)) == [frame]


def test_frames_are_whole_however_the_bytes_are_cut():
    """The WebSocket tunnel cuts kubectl's byte stream anywhere: 2 bytes, 4 bytes, a frame and a half."""
    encoder = FrameEncoder()
    frames = [SynStream(1, {"port": ["80"]}), DataFrame(1, b"x" * 1000), SynStream(3, {"port": ["81"]}),
              DataFrame(1, b"", fin=True)]
    stream = b"".join(encoder.encode(frame) for frame in frames)
    decoder = FrameDecoder()

    received = [frame for i in range(0, len(stream), 3) for frame in decoder.feed(stream[i:i + 3])]

    assert received == frames


def test_header_blocks_share_one_compression_context_per_direction():
    encoder, decoder = FrameEncoder(), FrameDecoder()
    headers = {"streamtype": ["data"], "port": ["8080"], "requestid": ["17"]}
    first, second = encoder.encode(SynStream(1, headers)), encoder.encode(SynStream(3, headers))

    assert len(second) < len(first)  # the second block refers back to the first
    assert decoder.feed(first + second) == [SynStream(1, headers), SynStream(3, headers)]
    with pytest.raises(ProtocolError):
        FrameDecoder().feed(second)  # without the first block, the second cannot be read


def test_header_names_are_lowercased_and_repeated_values_joined_by_nul():
    block = encode_block([("Port", "80"), ("X-Multi", "a"), ("x-multi", "b")])

    assert b"a\x00b" in block
    assert decode_block(block) == {"port": ["80"], "x-multi": ["a", "b"]}
    assert header_value(decode_block(block), "PORT") == "80"
    assert header_value({}, "port") is None


def test_a_block_that_ends_inside_a_value_is_refused():
    with pytest.raises(HeaderBlockError):
        decode_block(encode_block({"port": ["8080"]})[:-2])


def test_compressor_and_decompressor_agree_across_many_blocks():
    compressor, decompressor = HeaderCompressor(), HeaderDecompressor()
    for request_id in range(50):
        headers = {"streamtype": ["error" if request_id % 2 else "data"], "requestid": [str(request_id)]}
        assert decompressor.decompress(compressor.compress(headers)) == headers


def test_a_control_frame_of_another_spdy_version_is_a_protocol_error():
    spdy2_ping = bytes.fromhex("80020006" "00000004" "00000001")

    with pytest.raises(ProtocolError, match="version 2"):
        FrameDecoder().feed(spdy2_ping)


def test_a_data_frame_larger_than_24_bits_cannot_be_encoded():
    with pytest.raises(ValueError):
        FrameEncoder().encode(DataFrame(1, b"\0" * (1 << 24)))
