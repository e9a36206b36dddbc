"""End-to-end tests of the web app in a real headless Chromium (Selenium + chromedriver).

The app is served with ``python -m streamlit run`` on a free localhost port. Skipped only
when Debian's ``chromium``/``chromium-driver`` (or Selenium) are absent. With
``IDINN_SCREENSHOTS=1`` the tests also save the screenshots of docs/app.md
(docs/app_*.png).
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("streamlit")
webdriver = pytest.importorskip("selenium.webdriver")

from selenium.common.exceptions import (  # noqa: E402
    ElementClickInterceptedException,
    ElementNotInteractableException,
    StaleElementReferenceException,
)
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from idinn.app.cli import free_port, streamlit_command  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None, reason="needs Debian's chromium and chromium-driver"
)
DOCS = Path(__file__).resolve().parents[1] / "docs"
SCREENSHOTS = os.environ.get("IDINN_SCREENSHOTS") == "1"
WAIT = 60


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app served on a free localhost port; yields its URL."""
    port = free_port()
    home = tmp_path_factory.mktemp("home")
    env = {**os.environ, "HOME": str(home), "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    proc = subprocess.Popen(streamlit_command(port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=env, cwd=str(home))
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + WAIT
    while True:
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the app did not start on {url}")
        time.sleep(0.3)
    yield url
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Headless Chromium (one for the module) whose downloads land in a temporary folder."""
    downloads = tmp_path_factory.mktemp("downloads")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1500,1300"):
        options.add_argument(arg)
    options.add_experimental_option("prefs", {
        "download.default_directory": str(downloads),
        "download.prompt_for_download": False,
    })
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=CHROMEDRIVER), options=options)
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    driver.downloads = downloads
    yield driver
    driver.quit()


def _wait(driver, condition, timeout=WAIT):
    return WebDriverWait(driver, timeout).until(condition)


def _button(driver, text):
    xpath = f"//button[normalize-space(.)='{text}']"
    return _wait(driver, EC.element_to_be_clickable((By.XPATH, xpath)))


def _input(driver, label):
    return _wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, f"input[aria-label='{label}']")))


def _option(driver, text):
    xpath = f"//*[@role='option'][normalize-space(.)='{text}']"
    return _wait(driver, EC.element_to_be_clickable((By.XPATH, xpath)))


def _click_button(driver, text):
    """Click a button, retrying while an open dropdown or a rerun still covers it (flaky otherwise)."""

    def attempt(d):
        try:
            _button(d, text).click()
            return True
        except (ElementNotInteractableException, ElementClickInterceptedException, StaleElementReferenceException):
            d.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)  # close an open multiselect
            time.sleep(0.2)
            return False

    _wait(driver, attempt)


def _run_and_read_optimum(driver) -> str:
    _click_button(driver, "Run")
    metric = _wait(driver, EC.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid='stMetricValue']")))
    return metric.text.strip()


def _table_cell(driver, controller: str, column: int) -> str:
    row = _wait(driver, EC.presence_of_element_located(
        (By.XPATH, f"//table//tr[.//*[normalize-space(text())='{controller}']]")))
    return row.find_elements(By.XPATH, "./td|./th")[column].text.strip()


def _shot(driver, name):
    if SCREENSHOTS:
        time.sleep(1.0)  # let plotly finish drawing
        driver.save_screenshot(str(DOCS / f"app_{name}.png"))


def _downloaded(folder: Path, name: str) -> Path:
    path = folder / name
    deadline = time.monotonic() + WAIT
    while not path.exists() or any(folder.glob("*.crdownload")):
        if time.monotonic() > deadline:
            pytest.fail(f"{name} was not downloaded (folder holds {sorted(p.name for p in folder.iterdir())})")
        time.sleep(0.2)
    return path


def test_paper_example_exact_cost_and_results_download(server, browser):
    from idinn.demand import UniformDemand
    from idinn.single_controller import BaseStockController
    from idinn.sourcing_model import SingleSourcingModel

    model = SingleSourcingModel(lead_time=0, holding_cost=5, shortage_cost=495, init_inventory=10,
                                demand_generator=UniformDemand(0, 4))
    expected = BaseStockController().fit(model).expected_cost_
    assert round(expected, 4) == 10.0

    browser.get(server)
    # the paper's example (JOSS paper, single sourcing): l=0, h=5, b=495, U{0..4}, I0=10
    for label, value in [("lead_time", "0"), ("holding_cost", "5"), ("shortage_cost", "495"),
                         ("init_inventory", "10"), ("low", "0"), ("high", "4")]:
        assert _input(browser, label).get_attribute("value") == value, label
    assert _run_and_read_optimum(browser) == f"{expected:.4f}"
    assert _table_cell(browser, "BaseStockController", 1) == f"{expected:.4f}"
    assert _table_cell(browser, "BaseStockController", 2) == "0.0000"
    _wait(browser, EC.presence_of_element_located((By.CSS_SELECTOR, ".js-plotly-plot")))
    _shot(browser, "single")

    _button(browser, "Results (CSV)").click()
    path = _downloaded(browser.downloads, "idinn_results.csv")
    rows = list(csv.DictReader(path.open()))
    assert [r["controller"] for r in rows] == ["BaseStockController"]
    assert float(rows[0]["exact_average_cost"]) == pytest.approx(expected, abs=1e-9)
    assert float(rows[0]["optimum"]) == pytest.approx(expected, abs=1e-9)
    assert float(rows[0]["gap_percent"]) == 0.0


def test_uploaded_demand_history(server, browser, tmp_path):
    from idinn.demand import EmpiricalDemand
    from idinn.single_controller import BaseStockController
    from idinn.sourcing_model import SingleSourcingModel

    history = tmp_path / "history.csv"
    history.write_text("week,demand\n" + "".join(f"{i},{d}\n" for i, d in enumerate([0, 1, 2, 3, 4, 4, 2, 1])))
    model = SingleSourcingModel(lead_time=0, holding_cost=5, shortage_cost=495, init_inventory=10,
                                demand_generator=EmpiricalDemand.from_csv(history, "demand"))
    expected = BaseStockController().fit(model).expected_cost_

    browser.get(server)
    _wait(browser, EC.element_to_be_clickable(
        (By.XPATH, "//label[.//*[normalize-space(text())='Uploaded history (CSV)']]"))).click()
    upload = _wait(browser, EC.presence_of_element_located((By.CSS_SELECTOR, "input[type='file']")))
    upload.send_keys(str(history))
    _wait(browser, EC.presence_of_element_located((By.XPATH, "//*[normalize-space(text())='history.csv']")))
    assert _run_and_read_optimum(browser) == f"{expected:.4f}"
    _shot(browser, "upload")


def test_portfolio_page_solves_the_sample_portfolio(server, browser):
    import pandas as pd

    from idinn.portfolio import sample_portfolio

    skus = pd.read_csv(sample_portfolio()[0])
    browser.get(server)
    _wait(browser, EC.element_to_be_clickable(
        (By.XPATH, "//label[.//*[normalize-space(text())='Portfolio']]"))).click()
    _wait(browser, EC.element_to_be_clickable(
        (By.XPATH, "//label[.//*[normalize-space(text())='Use the sample portfolio shipped with idinn']]"))).click()
    _button(browser, "Solve").click()
    status = _wait(browser, EC.presence_of_element_located(
        (By.XPATH, "//*[starts-with(normalize-space(text()), 'Rows by status:')]")))
    counts = dict(part.split(": ") for part in status.text.removeprefix("Rows by status: ").split(", "))
    assert sum(int(v) for v in counts.values()) == len(skus)
    _wait(browser, EC.presence_of_element_located((By.CSS_SELECTOR, "[data-testid='stDataFrame']")))
    _shot(browser, "portfolio")
    _button(browser, "Result table (CSV)").click()
    result = pd.read_csv(_downloaded(browser.downloads, "idinn_portfolio.csv"))
    assert list(result["sku"]) == list(skus["sku"])
    assert result.loc[result["sku"] == "A-100", "cost_total"].item() == pytest.approx(10.0)


def test_dual_sourcing_optimum_and_dp_heat_map(server, browser):
    from idinn.demand import UniformDemand
    from idinn.dual_controller import DynamicProgrammingController
    from idinn.sourcing_model import DualSourcingModel

    browser.get(server)
    _input(browser, "Model").click()
    _option(browser, "Dual Sourcing Model").click()
    _input(browser, "regular_lead_time")
    values = {label: int(float(_input(browser, label).get_attribute("value"))) for label in (
        "regular_lead_time", "expedited_lead_time", "regular_order_cost", "expedited_order_cost", "holding_cost",
        "shortage_cost", "init_inventory")}
    model = DualSourcingModel(**values, demand_generator=UniformDemand(0, 4))
    expected = DynamicProgrammingController().fit(model).optimal_cost_
    _wait(browser, EC.presence_of_element_located(  # the dual model's default controllers are shown
        (By.CSS_SELECTOR, "button[aria-label='Remove CappedDualIndexController']")))
    _wait(browser, EC.element_to_be_clickable(
        (By.CSS_SELECTOR, "[data-testid='stMultiSelect'] button[aria-label='Clear all']"))).click()
    _wait(browser, lambda d: not d.find_elements(By.CSS_SELECTOR, "button[aria-label^='Remove ']"))
    _input(browser, "Controllers to compare").click()
    _option(browser, "DynamicProgrammingController").click()
    assert _run_and_read_optimum(browser) == f"{expected:.4f}"
    assert _table_cell(browser, "DynamicProgrammingController", 1) == f"{expected:.4f}"
    heading = _wait(browser, EC.presence_of_element_located(
        (By.XPATH, "//*[normalize-space(text())='Optimal policy of dynamic programming']")))
    _wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".js-plotly-plot .main-svg")) >= 4)
    browser.execute_script("arguments[0].scrollIntoView({block: 'start'});", heading)
    _shot(browser, "dual")
