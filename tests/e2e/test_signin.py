"""Sign-in in a real browser: local accounts by role, and OpenID Connect via a mock provider.

The server is `fbss dashboard --users FILE` (and `--oidc FILE`) on the e2e batch; the
OIDC provider is oidc-provider-mock on 127.0.0.1, whose users are set with
PUT /users/{email} including the fbss_* role claims (docs/deployment.md).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import Page, expect

from access import audit
from access.accounts import add_account
from tests.e2e.conftest import FBSS, Batches, _free_port, make_store, wait_ready

pytestmark = pytest.mark.e2e
PASSWORD = "correct horse battery"


@contextlib.contextmanager
def serve(db: Path, folder: Path, *extra: str, port: int | None = None) -> Iterator[str]:
    """`fbss dashboard` with sign-in options until the block ends; yields its URL."""
    port = port or _free_port()
    log = folder / f"server-{port}.log"
    env = dict(os.environ, FBSS_AUDIT=str(folder / "audit.jsonl"))
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(FBSS), "dashboard", "--db", str(db), "--port", str(port), *extra],
            stdout=out, stderr=subprocess.STDOUT, cwd=folder, env=env, start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"dashboard did not start:\n{log.read_text()}")
            time.sleep(0.3)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def accounts_server(
    batches: Batches, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    folder = tmp_path_factory.mktemp("e2e-signin")
    db = make_store(batches.first, folder / "fbss.duckdb")
    users = folder / "fbss-users.toml"  # the default place: beside the store
    add_account(users, "kim@clinic.org", role="physician", password=PASSWORD,
                clinics=("Harbour Spine Institute",), physician="Dr K. Adeyemi")  # fmt: skip
    add_account(users, "lee@clinic.org", role="manager", password=PASSWORD,
                clinics=("Lakeside Back Clinic",))  # fmt: skip
    add_account(users, "ada@clinic.org", role="admin", password=PASSWORD)
    with serve(db, folder) as url:
        yield url, folder


def _sign_in(page: Page, url: str, email: str, query: str = "") -> None:
    page.goto(url + "/" + query)
    wait_ready(page)
    page.get_by_role("textbox", name="Email").fill(email)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    wait_ready(page)


def _sidebar_options(page: Page, label: str) -> list[str]:
    page.locator('[data-testid="stSidebar"]').get_by_label(label).first.click()
    options = page.locator('[role="option"]').all_inner_texts()
    page.keyboard.press("Escape")
    return [o for o in options if o != "Select all"]  # Streamlit's own first entry


def test_signed_out_visitor_sees_only_the_sign_in_page(
    accounts_server: tuple[str, Path], page: Page
) -> None:
    url, _ = accounts_server
    for path in ("/", "/providers", "/import", "/?physician=Dr%20L.%20Haverkamp"):
        page.goto(url + path)
        wait_ready(page)
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        body = page.locator('[data-testid="stMain"]').inner_text()
        assert "Cases in view" not in body
        assert "Haverkamp" not in page.content()
        assert page.locator('[data-testid="stSidebarNav"]').count() == 0


def test_physician_sees_own_cases_and_cannot_widen_by_url(
    accounts_server: tuple[str, Path], batches: Batches, page: Page
) -> None:
    url, folder = accounts_server
    _sign_in(
        page,
        url,
        "kim@clinic.org",
        "?physician=Dr%20L.%20Haverkamp&clinic=Northgate%20Spine%20Centre",
    )
    main = page.locator('[data-testid="stMain"]').inner_text()
    cases = pd.read_csv(batches.first / "cases.csv", dtype=str)
    # The URL's physician is not a name this viewer can choose: dropped; the clinic stays.
    northgate = int((cases["clinic"] == "Northgate Spine Centre").sum())
    assert f"{5 * round(northgate / 5):,}" in main  # Cases in view, rounded to 5
    assert "Haverkamp" not in page.content()
    options = _sidebar_options(page, "Physician")
    assert options[0] == "Dr K. Adeyemi"
    assert all(o.startswith("Peer ") for o in options[1:])
    peers = set(cases["physician"]) - {"Dr K. Adeyemi"}
    page.locator('[data-testid="stSidebarNav"]').get_by_text("Physicians & clinics").click()
    expect(page.get_by_role("heading", name="Physicians & clinics")).to_be_visible()
    wait_ready(page)
    # peers are numbered by a keyed hash across the network (the key is new in every test
    # run), so which numbers this clinic's physicians get varies: wait for any of them
    expect(page.get_by_text(re.compile(r"^Peer \d+$")).first).to_be_attached()
    shown = page.content()  # Northgate's physicians (the URL's clinic), as peers only
    assert [p for p in peers if p in shown] == []
    nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
    assert "Import" not in nav
    assert "Audit" not in nav
    entries, _ = audit.read(folder / "audit.jsonl", user="kim@clinic.org")
    assert {"sign_in", "page_view"} <= {e["action"] for e in entries}


def test_manager_sees_only_their_clinics(accounts_server: tuple[str, Path], page: Page) -> None:
    url, _ = accounts_server
    _sign_in(page, url, "lee@clinic.org", "?clinic=Northgate%20Spine%20Centre")
    assert _sidebar_options(page, "Clinic") == ["Lakeside Back Clinic"]
    assert "Northgate" not in page.content()
    assert "Import" not in page.locator('[data-testid="stSidebarNav"]').inner_text()


def test_admin_reaches_import_and_audit(accounts_server: tuple[str, Path], page: Page) -> None:
    url, folder = accounts_server
    _sign_in(page, url, "ada@clinic.org")
    page.locator('[data-testid="stSidebarNav"]').get_by_text("Physicians & clinics").click()
    expect(page.get_by_role("heading", name="Physicians & clinics")).to_be_visible()
    wait_ready(page)
    with page.expect_download():
        page.get_by_role("button", name="Download CSV").first.click()
    downloads = [
        e
        for e in audit.read(folder / "audit.jsonl", user="ada@clinic.org")[0]
        if e["action"] == "download"
    ]
    assert len(downloads) == 1
    assert str(downloads[0]["what"]["file"]).startswith("Observed and expected")
    page.locator('[data-testid="stSidebarNav"]').get_by_text("Import").click()
    expect(page.get_by_role("heading", name="Import")).to_be_visible()
    page.locator('[data-testid="stSidebarNav"]').get_by_text("Audit trail").click()
    expect(page.get_by_role("heading", name="Audit trail")).to_be_visible()
    expect(page.get_by_text("kim@clinic.org").first).to_be_attached()


def test_oidc_sign_in_with_role_claims(batches: Batches, tmp_path: Path, page: Page) -> None:
    from oidc_provider_mock import run_server_in_thread

    db = make_store(batches.first, tmp_path / "fbss.duckdb")
    with run_server_in_thread() as provider:
        issuer = f"http://127.0.0.1:{provider.server_port}"
        claims = {"email": "oli@clinic.org", "fbss_role": "manager",
                  "fbss_clinics": ["Riverside Pain Clinic"]}  # fmt: skip
        request = urllib.request.Request(
            f"{issuer}/users/oli@clinic.org", data=json.dumps(claims).encode(), method="PUT",
            headers={"Content-Type": "application/json"},
        )  # fmt: skip
        with urllib.request.urlopen(request) as response:
            assert response.status == 204
        port = _free_port()
        settings = tmp_path / "oidc.toml"
        settings.write_text(
            "[auth]\n"
            f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
            'cookie_secret = "a-test-secret-of-enough-length-0123456789"\n'
            'client_id = "fbss"\nclient_secret = "fbss-secret"\n'
            f'server_metadata_url = "{issuer}/.well-known/openid-configuration"\n'
        )
        with serve(db, tmp_path, "--oidc", str(settings), port=port) as url:
            page.goto(url + "/?clinic=Northgate%20Spine%20Centre")
            wait_ready(page)
            page.get_by_role("button", name="Sign in").click()
            page.locator('input[name="sub"]').fill("oli@clinic.org")
            page.get_by_role("button", name="Authorize").click()
            expect(page.get_by_role("heading", name="Overview")).to_be_visible()
            wait_ready(page)
            assert _sidebar_options(page, "Clinic") == ["Riverside Pain Clinic"]
            sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
            assert "Signed in as oli@clinic.org (manager)" in sidebar
        entries, _ = audit.read(tmp_path / "audit.jsonl", user="oli@clinic.org")
        assert entries[0]["action"] == "sign_in"
        assert entries[0]["what"] == {"how": "oidc", "role": "manager"}


def test_a_reload_keeps_a_local_session_until_sign_out(
    accounts_server: tuple[str, Path], page: Page
) -> None:
    url, folder = accounts_server
    _sign_in(page, url, "lee@clinic.org")
    sidebar = page.locator('[data-testid="stSidebar"]')
    expect(sidebar.get_by_text("Signed in as lee@clinic.org")).to_be_visible()
    [cookie] = [c for c in page.context.cookies() if c["name"] == "fbss_session"]
    assert cookie["sameSite"] == "Strict"

    page.reload()  # a new connection: only the signed cookie remembers the session
    wait_ready(page)
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    expect(sidebar.get_by_text("Signed in as lee@clinic.org")).to_be_visible()

    # a tampered token (another user's e-mail, the old signature) signs nobody in
    body, mac = cookie["value"].split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["e"] = "ada@clinic.org"
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    page.context.add_cookies([{**cookie, "value": f"{forged}.{mac}"}])
    page.reload()
    wait_ready(page)
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    page.context.add_cookies([cookie])  # the genuine one again
    page.reload()
    wait_ready(page)
    expect(sidebar.get_by_text("Signed in as lee@clinic.org")).to_be_visible()
    sidebar.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.context.add_cookies([cookie])  # a copy kept from before: refused all the same
    page.reload()
    wait_ready(page)
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    actions = [e["action"] for e in audit.read(folder / "audit.jsonl", user="lee@clinic.org")[0]]
    assert "sign_out" in actions
