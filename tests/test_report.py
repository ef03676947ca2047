"""Report rendering from fitted models (no extra sampling) and a real headless-browser check of report.html."""
import json
import os
import shutil
import time

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def report_run(tmp_path_factory, fitted, small_cfg):
    from forecast.pipeline.store import finalize
    models = {n: fitted(n) for n in ("scaling_law", "compute_trend")}
    out = tmp_path_factory.mktemp("rep")
    return finalize(models, small_cfg, {n: {"total_s": 0.0} for n in models}, time.perf_counter(), out_dir=out)


def test_all_formats_written(report_run):
    p = report_run.path
    html = (p / "report.html").read_text()
    md = (p / "report.md").read_text()
    js = json.loads((p / "report.json").read_text())
    assert 'id="milestone-table"' in html and "data:image/png;base64," in html
    assert "src=\"figures/" not in html and "http://" not in html and "https://" not in html  # self-contained
    assert "## Milestones" in md and "figures/gantt.png" in md
    assert js["run_id"] == report_run.manifest["run_id"] and js["milestones"]
    ids = {m["id"] for m in js["milestones"]}
    assert {"compute-1e27", "compute-1e28"} <= ids
    for fig in ("gantt", "compute_fan", "scaling_fit"):
        assert (p / "figures" / f"{fig}.png").stat().st_size > 5000 and not (p / "figures" / f"{fig}.svg").exists()
    assert html.count("<img") == html.count('alt="')  # every figure has alt text


def test_report_rerender_is_fast_and_stable(report_run):
    from forecast.report.render import render_all
    from forecast.pipeline.store import load_run
    before = json.loads((report_run.path / "report.json").read_text())
    t0 = time.perf_counter()
    run = load_run(report_run.path)
    render_all(run, run.path)
    # sections and figures come from the run's cache: no posterior is read, no figure redrawn
    assert time.perf_counter() - t0 < 5
    assert all(m._idata is None for m in run.models.values())
    after = json.loads((run.path / "report.json").read_text())
    assert after["milestones"] == json.loads((report_run.path / "milestones.json").read_text())
    assert after["summaries"] == before["summaries"]


def test_report_cache_invalidated_by_code_change_and_svg(report_run, monkeypatch):
    from forecast.report import render as report
    from forecast.pipeline.store import load_run
    run = load_run(report_run.path)
    monkeypatch.setattr(report, "code_fingerprint", lambda: "other code")
    report.render_all(run, run.path, svg=True)
    assert (run.path / "figures" / "compute_fan.svg").exists()
    # redrawn (in forked workers) from the posteriors, under the new code's keys
    secs = json.loads((run.path / "figures" / "sections.json").read_text())["sections"]
    assert [s["key"] for s in secs] == [report._section_key("other code", n, ",".join(report._section_posteriors(run, n)))
                                        for n in run.models]
    for n, m in run.models.items():  # a section's key names its upstream posteriors too
        assert report._section_posteriors(run, n)[0] == f"{n}@{run.manifest['run_id']}"
        assert all(any(p.startswith(f"{u}@") for p in report._section_posteriors(run, n)) for u in m.requires)


@pytest.mark.browser
def test_report_in_headless_chromium(report_run):
    if not CHROMIUM:
        if os.environ.get("CI"):
            pytest.fail("chromium is required in CI (.ci/run installs it)")
        pytest.skip("chromium not installed (apt-get install chromium); CI installs it")
    sync_api = pytest.importorskip("playwright.sync_api")
    html = report_run.path / "report.html"
    errors, requests = [], []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-quic"])
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url) if not r.url.startswith(("file:", "data:")) else None)
        page.goto(html.as_uri(), wait_until="load")
        assert page.locator("#milestone-table tbody tr").count() >= 50
        gantt = page.locator("#gantt-figure img")
        assert gantt.count() == 1
        assert gantt.evaluate("img => img.complete && img.naturalWidth > 300")
        page.screenshot(path=str(report_run.path / "screenshot.png"), full_page=True)
        browser.close()
    assert errors == [] and requests == []
    assert (report_run.path / "screenshot.png").stat().st_size > 20000


def test_sections_drawn_in_forked_workers_equal_in_process(report_run, tmp_path, monkeypatch):
    from forecast.report import render as report
    jobs = [(n, f"k-{n}") for n in report_run.models]
    pids = tmp_path / "pids"
    pids.mkdir()
    draw = report._draw_section

    def recording(*a, **k):  # looked up by name inside the forked workers (inherited, not pickled)
        (pids / str(os.getpid())).touch()
        return draw(*a, **k)

    with monkeypatch.context() as m:
        m.setattr(report, "_draw_section", recording)
        forked, parent_pid = report._draw_sections(report_run, jobs, tmp_path / "a" / "figures", svg=False, meanwhile=os.getpid)
    assert parent_pid == os.getpid()  # `meanwhile` runs here, while the workers draw
    assert [p.name for p in pids.iterdir()] and str(os.getpid()) not in [p.name for p in pids.iterdir()]  # drawn in workers
    # the fallback (and the single-section path) draws in this process
    monkeypatch.setattr("os.cpu_count", lambda: 1)
    inproc, nothing = report._draw_sections(report_run, jobs, tmp_path / "b" / "figures", svg=False)
    assert nothing is None
    assert forked == inproc and [s["name"] for s in forked] == list(report_run.models)
    for sec in forked:
        for f in sec["figures"]:
            assert (tmp_path / "a" / f["png"]).read_bytes() == (tmp_path / "b" / f["png"]).read_bytes()


def test_forked_worker_failure_falls_back(report_run, tmp_path, monkeypatch):
    from forecast.report import render as report

    def boom(job):
        raise RuntimeError("worker died")

    monkeypatch.setattr(report, "_draw_forked", boom)
    calls = []
    secs, got = report._draw_sections(report_run, [(n, "k") for n in report_run.models], tmp_path / "figures", svg=False,
                                      meanwhile=lambda: calls.append(1) or "gantt")
    assert [s["name"] for s in secs] == list(report_run.models) and all(s["figures"] for s in secs)
    assert got == "gantt" and calls == [1]  # run once, not again on the fallback
