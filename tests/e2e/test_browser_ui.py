"""The Dagster UI as a person uses it, in headless Chromium.

Generates a small data root, starts `dagster dev` (webserver + daemon) on a
free localhost port, checks the asset graph shows every stage group, launches
a 3-day backfill from the "Materialize all" partition dialog, waits for it to
succeed, checks the pool report's path in the asset's metadata, and opens the
report itself with every network request recorded (none may leave the page).
Screenshots go to tests/artifacts/browser/ (and the server log on failure).

Needs Debian's `chromium` (/usr/bin/chromium): skipped without it, except in
CI (CI=true), where a missing browser is a failure.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from assets.partitions import daily_partitions
from capscore.storage.paths import DataRoot
from pipelines.runner import DAGSTER_YAML

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
DAGSTER = str(Path(sys.executable).with_name("dagster"))
ARTIFACTS = REPO / "tests" / "artifacts" / "browser"
ENTERPRISES = 200
SEED = 7
BACKFILL_DAYS = 3
GROUPS = ("ingest", "core", "er", "scoring", "pool", "credit", "warehouse")
STARTUP_SECONDS = 180
BACKFILL_SECONDS = 600
UI_TIMEOUT_MS = 60_000

BACKFILLS_QUERY = """
query Backfills {
  partitionBackfillsOrError(limit: 10) {
    __typename
    ... on PartitionBackfills {
      results { id status numPartitions runs(limit: 50) { runId status } error { message } }
    }
  }
}
"""


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} not found: install Debian's chromium package (apt-get install chromium)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    base: str
    root: DataRoot
    process: subprocess.Popen[bytes]
    log: Path

    def graphql(self, query: str) -> dict[str, Any]:
        request = urllib.request.Request(
            f"{self.base}/graphql",
            data=json.dumps({"query": query}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            payload: dict[str, Any] = json.load(response)
        if payload.get("errors"):
            raise AssertionError(f"GraphQL errors: {payload['errors']}")
        return payload["data"]

    def log_tail(self, lines: int = 60) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])


def _wait_until_ready(server: Server) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"dagster dev exited early:\n{server.log_tail()}")
        try:
            data = server.graphql(
                "{ workspaceOrError { ... on Workspace { locationEntries { name "
                "locationOrLoadError { __typename } } } } }"
            )
            entries = data["workspaceOrError"]["locationEntries"]
            kinds = [
                e["locationOrLoadError"] and e["locationOrLoadError"]["__typename"] for e in entries
            ]
            if kinds and all(k == "RepositoryLocation" for k in kinds):
                return
            if "PythonError" in kinds:
                raise AssertionError(f"code location failed to load:\n{server.log_tail()}")
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(2)
    raise AssertionError(f"dagster dev not ready after {STARTUP_SECONDS}s:\n{server.log_tail()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop dagster dev and everything it started (its own process group)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=30)
    # Whatever is left of the group (a run worker, a code server) goes too.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    _require_chromium()
    from capscore.sample_data.generate import generate

    root = DataRoot.resolve(tmp_path_factory.mktemp("browser_root"))
    generate(root.root, enterprises=ENTERPRISES, seed=SEED)
    root.dagster_home.mkdir(parents=True, exist_ok=True)
    (root.dagster_home / "dagster.yaml").write_text(DAGSTER_YAML, encoding="utf-8")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = ARTIFACTS / "dagster_dev.log"
    port = _free_port()
    env = {
        **os.environ,
        "CAPSCORE_DATA_ROOT": str(root.root),
        "DAGSTER_HOME": str(root.dagster_home),
        "GX_ANALYTICS_ENABLED": "false",
        # The landing sensor is on by default and would start its own run over every
        # generated drop; files must look settled for a day first, so this test's
        # backfill is the only work the daemon does.
        "CAPSCORE_LANDING_SETTLE_SECONDS": "86400",
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [DAGSTER, "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    srv = Server(f"http://127.0.0.1:{port}", root, process, log)
    try:
        _wait_until_ready(srv)
        yield srv
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def browser(server: Server) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any, server: Server) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.set_default_timeout(UI_TIMEOUT_MS)
    # Dagster greets a new instance with a newsletter dialog; a person clicks Skip.
    page.add_locator_handler(
        page.get_by_text("Join the Dagster community"),
        lambda: page.get_by_role("button", name="Skip").click(),
    )
    yield page
    context.close()


def _shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _landing_dates(root: DataRoot) -> list[date]:
    return sorted({date.fromisoformat(p.name) for p in root.landing.glob("*/*") if p.is_dir()})


def _backfill_window(root: DataRoot) -> tuple[date, date]:
    """The first three days of the drops: as of them, every earlier drop is in the run too."""
    first = _landing_dates(root)[0]
    return first, first + timedelta(days=BACKFILL_DAYS - 1)


def _wait_for_backfill(server: Server) -> dict[str, Any]:
    deadline = time.monotonic() + BACKFILL_SECONDS
    backfill: dict[str, Any] = {}
    while time.monotonic() < deadline:
        results = server.graphql(BACKFILLS_QUERY)["partitionBackfillsOrError"]["results"]
        if results:
            backfill = results[0]
            if backfill["status"] not in ("REQUESTED", "CANCELING", "FAILING"):
                return backfill
        time.sleep(3)
    raise AssertionError(
        f"backfill not finished after {BACKFILL_SECONDS}s: {backfill}\n{server.log_tail()}"
    )


def test_ui_backfill_and_pool_report(server: Server, browser: Any, page: Any) -> None:
    try:
        _drive_ui(server, browser, page)
    except BaseException:
        _shot(page, "failure")
        shutil.copy(server.log, ARTIFACTS / "dagster_dev_failure.log")
        raise


def _drive_ui(server: Server, browser: Any, page: Any) -> None:
    from playwright.sync_api import expect

    start, end = _backfill_window(server.root)
    assert daily_partitions.has_partition_key(end.isoformat())

    # 1. The asset graph shows every stage of the pipeline.
    page.goto(f"{server.base}/asset-groups")
    expect(page.get_by_role("button", name="Materialize all…")).to_be_visible()
    for group in GROUPS:
        expect(page.get_by_text(group, exact=True).first).to_be_visible()
    _shot(page, "01_asset_graph")

    # 2. Automation is on by default: the nightly schedule and both sensors.
    page.goto(f"{server.base}/automation")
    for name in ("capscore_nightly", "capscore_landing_sensor", "capscore_run_failure_alert"):
        row = page.locator("[data-index]").filter(has_text=name)
        expect(row).to_be_visible()
        # Each row: a selection checkbox, then the on/off toggle.
        expect(row.locator("input[type=checkbox]").last).to_be_checked()
    _shot(page, "02_automation")

    # 3. A 3-day backfill, launched the way a person does it.
    page.goto(f"{server.base}/asset-groups")
    page.get_by_role("button", name="Materialize all…").click()
    # The newsletter dialog may open on top of this one: address the launch dialog only.
    dialog = page.get_by_role("dialog").filter(has_text="Launch runs to materialize")
    show_all = dialog.get_by_role("button", name="Show all partitions")
    if show_all.count():
        show_all.click()
    selection = dialog.locator("input[type=text]").first
    selection.fill(f"[{start.isoformat()}...{end.isoformat()}]")
    selection.press("Enter")
    expect(dialog.get_by_text(f"{BACKFILL_DAYS} partitions", exact=True)).to_be_visible()
    _shot(page, "03_backfill_dialog")
    dialog.get_by_role("button", name="Launch backfill").click()
    expect(dialog).to_be_hidden()

    backfill = _wait_for_backfill(server)
    assert backfill["status"] == "COMPLETED_SUCCESS", backfill
    assert backfill["numPartitions"] == BACKFILL_DAYS
    assert backfill["runs"] and all(r["status"] == "SUCCESS" for r in backfill["runs"]), backfill

    page.goto(f"{server.base}/runs/b/{backfill['id']}")
    expect(page.get_by_text("Completed").first).to_be_visible()
    _shot(page, "04_backfill_completed")

    # 4. The report asset's metadata shows where the report is.
    report = server.root.reports / f"pool_report_{end.isoformat()}.html"
    assert report.exists(), sorted(p.name for p in server.root.reports.glob("*"))
    page.goto(f"{server.base}/assets/reports/pool_report")
    expect(page.get_by_text(report.name).first).to_be_visible()
    _shot(page, "05_report_asset")

    # 5. The report renders offline: no request leaves the page. A fresh context, so
    # the Dagster UI's own polling is not mixed into what is recorded.
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    report_page = context.new_page()
    report_page.set_default_timeout(UI_TIMEOUT_MS)
    requests: list[str] = []
    report_page.on("request", lambda request: requests.append(request.url))
    blocked: list[str] = []

    def block_network(route: Any) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    report_page.route("**/*", block_network)
    try:
        _check_report(report_page, report)
    finally:
        context.close()
    assert requests == [report.as_uri()], requests
    assert not blocked, blocked


def _check_report(page: Any, report: Path) -> None:
    from playwright.sync_api import expect

    page.goto(report.as_uri())
    expect(page.get_by_role("heading", level=1)).to_contain_text("Cultivation pool report")
    for section in (
        "Tier distribution by stage",
        "Score distributions",
        "Biggest movers",
        "Credit by product and region",
        "Data quality",
    ):
        expect(page.get_by_role("heading", name=section)).to_be_visible()
    charts = page.locator("svg.chart")
    assert charts.count() >= 7
    box = charts.first.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 50
    _shot(page, "06_pool_report")
