"""The kubelet's HTTPS server (logs, exec, proxy) over real TLS, HTTP and WebSockets, on the fake runtime."""

import json
import ssl
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from kubelet.runtime.protocol import PodRef
from kubelet.serving_cert import ensure_serving_cert
from tests.support.cluster import wait_for
from tests.support.kubelet_app import KubeletServer, StandInPod, fake_runtime, restart_container, start_pod

NODE = "node-a"
TOKEN = "node-token-for-tests"
V5 = "v5.channel.k8s.io"


@pytest.fixture
def fake():
    return fake_runtime()


@pytest.fixture
def pods():
    """What the kubelet's sync loop would know: "namespace/name" -> pod JSON."""
    return {}


@pytest.fixture
def kubelet(fake, pods, tmp_path):
    server = KubeletServer(fake, node_name=NODE, token=TOKEN, cert_dir=tmp_path / "pki",
                           find_pod=lambda namespace, name: pods.get(f"{namespace}/{name}")).start()
    yield server
    server.stop()


@pytest.fixture
def http(kubelet):
    with httpx.Client(base_url=kubelet.url, verify=False, timeout=10,
                      headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        yield client


def add_pod(fake, pods, name="web", containers=("app",), **spec):
    pod = {"metadata": {"name": name, "namespace": "default", "uid": str(uuid.uuid4())},
           "spec": {"containers": [{"name": c} for c in containers], **spec},
           "status": {"phase": "Running", "podIP": "127.0.0.1"}}
    pods[f"default/{name}"] = pod
    return pod, start_pod(fake, pod, node_name=NODE)


def unverified() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def open_exec(kubelet, path, *, token=TOKEN):
    return connect(f"wss://127.0.0.1:{kubelet.port}{path}", ssl=unverified(), subprotocols=[V5],
                   additional_headers={"Authorization": f"Bearer {token}"}, open_timeout=10)


def read_until_closed(ws):
    """Every frame as (channel, payload) until the kubelet closes; and the close code."""
    frames = []
    for message in ws:
        frames.append((message[0], message[1:]))
    return frames, ws.close_code


# ----- authentication


def test_healthz_answers_without_a_token(kubelet):
    assert httpx.get(f"{kubelet.url}/healthz", verify=False).text == "ok"


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}])
def test_endpoints_refuse_a_caller_without_the_node_token(fake, pods, kubelet, headers):
    add_pod(fake, pods)
    for path in ("/containerLogs/default/web/app", "/proxy/default/web/80/"):
        answer = httpx.get(f"{kubelet.url}{path}", headers=headers, verify=False)
        assert answer.status_code == 401
        assert answer.json()["reason"] == "Unauthorized"
    with pytest.raises(InvalidStatus) as refused:
        open_exec(kubelet, "/exec/default/web/app?command=true&stdout=1", token="wrong")
    assert refused.value.response.status_code == 401


# ----- logs


def test_logs_return_what_the_container_wrote(fake, pods, http):
    _, ids = add_pod(fake, pods)
    fake.append_log(ids["app"], b"one\ntwo\nthree\n")

    answer = http.get("/containerLogs/default/web/app")

    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    assert answer.text == "one\ntwo\nthree\n"
    assert http.get("/containerLogs/default/web/app", params={"tailLines": 1}).text == "three\n"
    assert http.get("/containerLogs/default/web/app", params={"limitBytes": 5}).text == "one\nt"


def test_logs_with_timestamps_prefix_each_line_with_rfc3339(fake, pods, http):
    _, ids = add_pod(fake, pods)
    fake.append_log(ids["app"], b"hello\n")

    line = http.get("/containerLogs/default/web/app", params={"timestamps": "true"}).text

    stamp, _, text = line.partition(" ")
    assert text == "hello\n"
    assert stamp.endswith("Z") and "T" in stamp


def test_logs_of_unknown_pods_and_containers_are_errors(fake, pods, http):
    add_pod(fake, pods)

    missing_pod = http.get("/containerLogs/default/nope/app")
    missing_container = http.get("/containerLogs/default/web/zzz")

    assert missing_pod.status_code == 404
    assert missing_container.status_code == 400
    assert missing_container.json()["message"] == "container zzz is not valid for pod web"


def test_previous_returns_the_instance_before_the_current_one(fake, pods, http):
    pod, ids = add_pod(fake, pods)
    fake.append_log(ids["app"], b"first life\n")
    fake.exit(ids["app"], 1)
    second = restart(fake, pod, "app", restart_count=1)
    fake.append_log(second, b"second life\n")

    assert http.get("/containerLogs/default/web/app").text == "second life\n"
    assert http.get("/containerLogs/default/web/app", params={"previous": "true"}).text == "first life\n"


def test_follow_continues_with_the_restarted_instance_until_the_pod_is_gone(fake, pods, http):
    pod, ids = add_pod(fake, pods)
    fake.append_log(ids["app"], b"first life\n")
    received = bytearray()
    finished = threading.Event()

    def follow():
        with http.stream("GET", "/containerLogs/default/web/app", params={"follow": "true"}) as answer:
            for chunk in answer.iter_raw():
                received.extend(chunk)
        finished.set()

    reader = threading.Thread(target=follow, daemon=True)
    reader.start()
    wait_for(lambda: b"first life\n" in received, message="the first instance's log")

    fake.exit(ids["app"], 1)
    second = restart(fake, pod, "app", restart_count=1)
    fake.append_log(second, b"second life\n")
    wait_for(lambda: b"second life\n" in received, message="the restarted instance's log")
    assert not finished.is_set()

    del pods["default/web"]
    fake.exit(second, 0)
    wait_for(finished.is_set, message="the follow stream to end with its pod")
    assert bytes(received) == b"first life\nsecond life\n"
    reader.join(timeout=5)


def test_follow_ends_when_a_never_restarted_container_exits(fake, pods, http):
    _, ids = add_pod(fake, pods, restartPolicy="Never")
    fake.append_log(ids["app"], b"done\n")
    fake.exit(ids["app"], 0)

    answer = http.get("/containerLogs/default/web/app", params={"follow": "true"})

    assert answer.text == "done\n"


def restart(fake, pod, container, *, restart_count):
    meta = pod["metadata"]
    ref = PodRef(meta["namespace"], meta["name"], meta["uid"], NODE)
    sandbox = next(s for s in fake.list_sandboxes(NODE) if s.pod.uid == meta["uid"])
    return restart_container(fake, ref, sandbox.id, container, restart_count=restart_count)


# ----- exec


def test_exec_relays_stdout_and_reports_success_on_channel_3(fake, pods, kubelet):
    add_pod(fake, pods)

    with open_exec(kubelet, "/exec/default/web/app?command=echo&command=hi&stdout=1&stderr=1") as ws:
        assert ws.subprotocol == V5
        frames, close_code = read_until_closed(ws)

    assert frames[0] == (1, b"hi\n")
    assert frames[-1][0] == 3
    assert json.loads(frames[-1][1]) == {"metadata": {}, "status": "Success"}
    assert close_code == 1000


def test_exec_reports_a_nonzero_exit_code_on_channel_3(fake, pods, kubelet):
    add_pod(fake, pods)

    with open_exec(kubelet, "/exec/default/web/app?command=sh&command=-c&command=exit+3&stdout=1&stderr=1") as ws:
        frames, _ = read_until_closed(ws)

    status = json.loads(frames[-1][1])
    assert frames[-1][0] == 3
    assert status["reason"] == "NonZeroExitCode"
    assert status["details"]["causes"] == [{"reason": "ExitCode", "message": "3"}]


def test_exec_stdin_reaches_the_process_and_the_close_signal_ends_it(fake, pods, kubelet):
    add_pod(fake, pods)

    with open_exec(kubelet, "/exec/default/web/app?command=cat&stdin=1&stdout=1&stderr=1") as ws:
        ws.send(b"\x00piped\n")
        ws.send("\x00as text\n")  # the Python client sends str stdin as text frames
        ws.send(bytes([255, 0]))  # v5: stdin reached EOF (without it `cat` would wait forever)
        frames, close_code = read_until_closed(ws)

    assert b"".join(data for channel, data in frames if channel == 1) == b"piped\nas text\n"
    assert json.loads(frames[-1][1])["status"] == "Success"
    assert close_code == 1000


def test_exec_into_an_unknown_container_is_refused_before_the_upgrade(fake, pods, kubelet):
    add_pod(fake, pods)

    with pytest.raises(InvalidStatus) as refused:
        open_exec(kubelet, "/exec/default/web/zzz?command=true&stdout=1")

    assert refused.value.response.status_code == 400
    assert json.loads(refused.value.response.body)["message"] == "container zzz is not valid for pod web"


# ----- proxy


@pytest.fixture
def pod_server():
    server = StandInPod().start()
    yield server
    server.stop()


def test_proxy_relays_method_path_query_and_body_but_never_credentials(fake, pods, http, pod_server):
    add_pod(fake, pods)

    answer = http.post(f"/proxy/default/web/{pod_server.port}/sub/page?q=1&r=a%2Fb", content=b"payload",
                       headers={"Cookie": "session=secret", "X-Custom": "kept"})

    assert answer.status_code == 201
    assert answer.headers["x-stand-in"] == "yes"
    seen = answer.json()
    assert (seen["method"], seen["path"], seen["body"]) == ("POST", "/sub/page?q=1&r=a%2Fb", "payload")
    assert seen["headers"]["x-custom"] == "kept"
    assert "authorization" not in seen["headers"] and "cookie" not in seen["headers"]


class _TlsPage(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"hello over tls"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def https_pod_port(tmp_path):
    """A stand-in pod serving https with a self-signed certificate, as pods that serve https mostly do."""
    cert, key = ensure_serving_cert(tmp_path / "pod-pki", ["127.0.0.1"])
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TlsPage)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_proxy_to_an_https_pod_does_not_verify_its_certificate(fake, pods, http, https_pod_port):
    # As kube-apiserver's proxy: a pod is dialed by IP, so no certificate could name it.
    add_pod(fake, pods)

    answer = http.get(f"/proxy/default/web/https:{https_pod_port}/")

    assert (answer.status_code, answer.text) == (200, "hello over tls")


def test_proxy_to_a_pod_without_an_ip_is_unavailable(fake, pods, http):
    pod, _ = add_pod(fake, pods)
    pod["status"].pop("podIP")

    answer = http.get("/proxy/default/web/8080/")

    assert answer.status_code == 503


# ----- serving certificate


def test_the_serving_certificate_is_reused_across_restarts(tmp_path):
    cert, key = ensure_serving_cert(tmp_path, ["node-a", "10.0.0.5"])
    first = (cert.read_bytes(), key.read_bytes())

    again = ensure_serving_cert(tmp_path, ["node-a", "10.0.0.5"])

    assert again == (cert, key)
    assert (cert.read_bytes(), key.read_bytes()) == first
    assert key.stat().st_mode & 0o777 == 0o600
