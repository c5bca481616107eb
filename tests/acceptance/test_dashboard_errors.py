"""`tkctl dashboard` when things go wrong, in a real Chromium: the page says what happened, never a blank.

A real master with no kubelets: its nodes are hollow Node objects written through the API (no
controllers run, so nothing marks them unreachable), its pods are bound by its scheduler and stay
Pending. Each test runs its own `tkctl dashboard` and its own browser context (its own cookies).

    refused credentials      #api-status unauthorized, the message says 401 / credentials
    the API server stops     #api-status unreachable, naming the server; the map keeps what it drew
    an open pod is deleted   #panel-message says it was deleted
    no key, a wrong key      the page says to open the address `tkctl dashboard` printed
"""

from __future__ import annotations

import re
import uuid

import pytest
import yaml
from playwright.sync_api import Page, expect

from tests.support.browser import Screenshots, chromium, new_page
from tests.support.cluster import Master, wait_for
from tests.support.dashboard import running_dashboard

PODS = "/api/v1/namespaces/default/pods"
PAGE_TIMEOUT_MS = 15_000
# The dashboard's informers retry with back-off; noticing a dead API server may take a few of its attempts.
UNREACHABLE_TIMEOUT_MS = 45_000
OPEN_THE_PRINTED_ADDRESS = re.compile(r"open the address\s+`?tkctl dashboard`?\s+printed", re.IGNORECASE)


def hollow_node(name: str) -> dict:
    capacity = {"cpu": "4", "memory": "8Gi", "pods": "110"}
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name},
            "status": {"capacity": capacity, "allocatable": capacity,
                       "conditions": [{"type": "Ready", "status": "True"}]}}


def add_hollow_node(master: Master, name: str) -> None:
    with master.client() as api:
        created = api.post("/api/v1/nodes", json=hollow_node(name))
        assert created.status_code == 201, created.text


@pytest.fixture(scope="module")
def master(tmp_path_factory):
    server = Master(tmp_path_factory.mktemp("dashboard-errors") / "data")
    try:
        server.start()
        add_hollow_node(server, "hollow-1")
        add_hollow_node(server, "hollow-2")
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser():
    with chromium() as running:
        yield running


@pytest.fixture
def screenshots(tmp_path):
    return Screenshots(tmp_path / "screenshots")


@pytest.fixture
def page(browser):
    page = new_page(browser)
    try:
        yield page
    finally:
        page.context.close()


def open_live(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator("#api-status")).to_have_attribute("data-state", "live", timeout=PAGE_TIMEOUT_MS)


def test_refused_credentials_say_401_and_point_at_the_kubeconfig(master, page, screenshots, tmp_path):
    config = yaml.safe_load(master.kubeconfig.read_text())
    config["users"][0]["user"]["token"] = "not-" + uuid.uuid4().hex
    wrong = tmp_path / "wrong-token.kubeconfig"
    wrong.write_text(yaml.safe_dump(config))
    with running_dashboard(wrong) as dashboard:
        page.goto(dashboard.url)
        status = page.locator("#api-status")
        expect(status).to_have_attribute("data-state", "unauthorized", timeout=PAGE_TIMEOUT_MS)
        expect(status).to_be_visible()
        expect(status).to_contain_text(re.compile(r"401|credentials"))
        screenshots.take(page, "unauthorized")


def test_a_stopped_api_server_is_named_and_the_map_keeps_what_it_drew(page, screenshots, tmp_path):
    doomed = Master(tmp_path / "doomed")
    try:
        doomed.start()
        add_hollow_node(doomed, "last-seen")
        with running_dashboard(doomed.kubeconfig) as dashboard:
            open_live(page, dashboard.url)
            box = page.locator('section.node[data-node="last-seen"]')
            expect(box).to_be_visible(timeout=PAGE_TIMEOUT_MS)

            doomed.stop()
            status = page.locator("#api-status")
            expect(status).to_have_attribute("data-state", "unreachable", timeout=UNREACHABLE_TIMEOUT_MS)
            expect(status).to_contain_text(f"127.0.0.1:{doomed.port}")
            expect(box).to_be_visible()
            screenshots.take(page, "unreachable")
    finally:
        doomed.stop()


def test_a_pod_deleted_while_its_panel_is_open_is_said_to_be_deleted(master, page, screenshots):
    name = f"doomed-{uuid.uuid4().hex[:6]}"
    with master.client() as api, running_dashboard(master.kubeconfig) as dashboard:
        created = api.post(PODS, json={"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                                       "spec": {"containers": [{"name": "app", "image": "busybox"}]}})
        assert created.status_code == 201, created.text
        wait_for(lambda: api.get(f"{PODS}/{name}").json()["spec"].get("nodeName"), message=f"{name} bound")
        open_live(page, dashboard.url)
        pod = page.locator(f'section.node button.pod[data-pod="default/{name}"]')
        pod.click(timeout=PAGE_TIMEOUT_MS)
        panel = page.locator("#panel")
        expect(panel).to_have_attribute("data-subject", f"pod:default/{name}", timeout=PAGE_TIMEOUT_MS)
        expect(panel.locator('[data-section="summary"]')).to_be_visible(timeout=PAGE_TIMEOUT_MS)

        # No kubelet will ever confirm a graceful deletion here: delete it at once.
        deleted = api.delete(f"{PODS}/{name}", params={"gracePeriodSeconds": "0"})
        assert deleted.status_code == 200, deleted.text
        expect(page.locator("#panel-message")).to_contain_text(
            re.compile(rf"pod default/{name} was deleted"), timeout=PAGE_TIMEOUT_MS)
        expect(page.locator("#panel-message")).to_be_visible()
        expect(pod).to_have_count(0, timeout=PAGE_TIMEOUT_MS)  # and the map lets it go
        screenshots.take(page, "deleted-while-open")


def test_without_the_key_the_page_says_to_open_the_printed_address(master, page):
    with running_dashboard(master.kubeconfig) as dashboard:
        for address in (f"{dashboard.base_url}/", f"{dashboard.base_url}/?key=not-the-key"):
            answer = page.goto(address)
            assert answer.status == 401, address
            expect(page.locator("body")).to_contain_text(OPEN_THE_PRINTED_ADDRESS)
        stream = page.request.get(f"{dashboard.base_url}/api/stream")
        assert stream.status == 401
        assert stream.json()["message"]


def test_the_session_key_and_the_api_token_never_reach_the_pages_script(master, page):
    with running_dashboard(master.kubeconfig) as dashboard:
        open_live(page, dashboard.url)
        key = dashboard.url.split("key=", 1)[1]
        assert key not in page.url
        cookie = next(c for c in page.context.cookies() if c["name"].startswith("tinykube-dashboard-"))
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        assert key not in page.evaluate("() => document.cookie")
        token = master.token()
        assert token not in page.content()
        details = page.request.get(f"{dashboard.base_url}/api/nodes/hollow-1")
        assert details.ok and token not in details.text()
