"""Which headers a proxy passes on (RFC 9110 7.6.1)."""

from wire.hop_by_hop import connection_tokens, end_to_end


def test_the_standard_hop_by_hop_headers_are_dropped_and_end_to_end_ones_kept():
    headers = [("Connection", "keep-alive"), ("Keep-Alive", "timeout=5"), ("Transfer-Encoding", "chunked"),
               ("TE", "trailers"), ("Trailer", "X-Sum"), ("Upgrade", "h2c"), ("Proxy-Authorization", "Basic eA=="),
               ("Proxy-Connection", "keep-alive"), ("Content-Type", "text/plain"), ("X-Request-Id", "7")]

    assert end_to_end(headers) == [("Content-Type", "text/plain"), ("X-Request-Id", "7")]


def test_headers_named_in_connection_end_at_this_hop_too():
    headers = [("connection", "close, X-Trace"), ("Connection", "x-debug"), ("X-Trace", "abc"),
               ("x-debug", "1"), ("X-Kept", "yes")]

    assert connection_tokens(headers) == {"close", "x-trace", "x-debug"}
    assert end_to_end(headers) == [("X-Kept", "yes")]


def test_repeated_headers_are_all_kept_in_their_order():
    headers = [("set-cookie", "a=1"), ("date", "today"), ("set-cookie", "b=2")]

    assert end_to_end(headers, also_drop={"date"}) == [("set-cookie", "a=1"), ("set-cookie", "b=2")]


def test_also_drop_matches_names_whatever_their_case():
    assert end_to_end([("Authorization", "Bearer t"), ("COOKIE", "s=1"), ("Accept", "*/*")],
                      also_drop={"authorization", "cookie"}) == [("Accept", "*/*")]
