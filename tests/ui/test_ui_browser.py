"""One real headless Chromium against the running app (`streamlit run ui/app.py`) over the session's real store.

Screenshots are kept under test-artifacts/ (git-ignored) for a person to look at."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from ui_cdp import Chromium
from ui_support import free_port

from ui.commands.web import STREAMLIT_FLAGS

pytestmark = pytest.mark.browser
REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
if CHROMIUM is None:
    pytest.skip("Debian chromium is not installed (bash scripts/system-deps.sh installs it)", allow_module_level=True)

IDLE = ("document.querySelector('[data-testid=\"stStatusWidget\"]') === null && "
        "document.querySelectorAll('[data-stale=\"true\"]').length === 0")


def settle(browser, timeout: float = 120) -> None:
    """Wait until the script run has finished and no element of the previous run is left on the page."""
    browser.wait_for(IDLE, timeout=timeout)
    time.sleep(1.0)
    browser.wait_for(IDLE, timeout=timeout)


def click_js(text: str, *also: str) -> str:
    """JS that clicks the first button whose text contains all the given strings; true when it did."""
    conds = " && ".join(f"b.innerText.includes({s!r})" for s in (text, *also))
    return (f"(() => {{ const b = [...document.querySelectorAll('button')].find(b => {conds}); "
            f"if (b) {{ b.click(); return true; }} return false; }})()")


@pytest.fixture(scope="module")
def running_app(loaded_store, tmp_path_factory):
    """The app as `yigui ui` runs it, on a free loopback port; it finds the session's graph server through
    YIGUI_HOME (set by tests/conftest.py) exactly as a user's app finds theirs."""
    port = free_port()
    log = tmp_path_factory.mktemp("streamlit") / "app.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(REPO / "ui" / "app.py"), "--server.headless", "true",
             "--server.address", "127.0.0.1", "--server.port", str(port), *STREAMLIT_FLAGS],
            cwd=REPO, env=os.environ.copy(), stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            if httpx.get(f"{url}/_stcore/health", timeout=2).text.strip() == "ok":
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"streamlit did not start: {log.read_text(errors='replace')[-2000:]}")
        time.sleep(0.3)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture()
def browser():
    c = Chromium(CHROMIUM, width=1400, height=1600)
    yield c
    c.close()


def test_browser_asks_and_shows_the_cited_clause(running_app, browser):
    browser.goto(running_app)
    browser.wait_for("document.querySelector('textarea') !== null", timeout=120)
    browser.eval("document.querySelector('textarea').focus()")
    browser.type_text("医院处理患者的敏感个人信息，需要取得患者的单独同意吗？")
    assert browser.wait_for(click_js("提问 Ask"), timeout=30)
    browser.wait_for("document.body.innerText.includes('《个人信息保护法》第二十九条')", timeout=420)
    settle(browser)
    text = browser.eval("document.body.innerText")
    assert "处理敏感个人信息应当取得个人的单独同意" in text  # the cited clause, verbatim
    assert "Traceback" not in text
    # the citation inside the answer is a link that opens the clause in context
    assert browser.eval("[...document.querySelectorAll('a.yg-link')].some(a => "
                        "a.getAttribute('href') === '?clause=pipl/art29')")
    browser.screenshot(ARTIFACTS / "browser-ask.png", full_page=False)

    assert browser.wait_for(click_js("Open in context", "个人信息保护法", "第二十九条"), timeout=30)
    browser.wait_for("document.body.innerText.includes('第二节 敏感个人信息的处理规则')", timeout=120)
    settle(browser)
    assert "Cited clauses" not in browser.eval("document.body.innerText")  # the answer page is gone
    browser.wait_for("document.querySelector('svg .node') !== null", timeout=60)
    browser.screenshot(ARTIFACTS / "browser-clause.png", full_page=False)


def test_browser_opens_a_shared_clause_link(running_app, browser):
    browser.goto(f"{running_app}/?clause=mdsr-2024/art19")
    browser.wait_for("document.body.innerText.includes('《医疗器械监督管理条例》第十九条')", timeout=180)
    settle(browser)
    text = browser.eval("document.body.innerText")
    assert "国务院疾病预防控制部门" in text and "Versions & changes" in text
    assert browser.eval("document.querySelectorAll('ins').length") >= 1  # the 2024 amendment, marked
    browser.wait_for("document.querySelector('svg .node') !== null", timeout=60)  # the graph view rendered
    browser.screenshot(ARTIFACTS / "browser-clause-versions.png", full_page=False)
