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
    from forecast.report.render import render_all
    models = {n: fitted(n) for n in ("scaling_law", "compute_trend")}
    out = tmp_path_factory.mktemp("rep")
    return finalize(models, small_cfg, {n: {"total_s": 0.0} for n in models}, time.perf_counter(), out_dir=out,
                    render=render_all)


def test_all_formats_written(report_run):
    p = report_run.path
    html = (p / "report.html").read_text()
    md = (p / "report.md").read_text()
    js = json.loads((p / "report.json").read_text())
    assert 'id="claim-table"' in html and "data:image/png;base64," in html
    assert "src=\"figures/" not in html and "http://" not in html and "https://" not in html  # self-contained
    assert "## Claim check" in md and "figures/gantt.png" in md and "## Claims in detail" in md
    assert js["run_id"] == report_run.manifest["run_id"] and js["milestones"]
    ids = {m["id"] for m in js["milestones"]}
    assert {"compute-1e27", "compute-1e28"} <= ids
    verdicts = {m["id"]: m["verdict"] for m in js["milestones"]}
    assert verdicts["compute-1e26"] == "resolved: yes" and verdicts["loss-function-theory-2025h1"] == "not forecast"
    assert all("data_label" in m and "p_prior" in m for m in js["milestones"])
    for fig in ("gantt", "compute_fan", "scaling_fit", "claim-compute-1e27"):
        assert (p / "figures" / f"{fig}.png").stat().st_size > 5000 and not (p / "figures" / f"{fig}.svg").exists()
    assert html.count("<img") == html.count('alt="')  # every figure has alt text
    # every claim has a detail block, and every row links to it
    for i in ids:
        assert f'id="claim-{i}"' in html and f'href="#claim-{i}"' in html and f'<a id="claim-{i}"></a>' in md
    assert (p / "report.html").stat().st_size <= 3_000_000
    # the calibration record shipped with the package is shown: held-out series, event scores, SBC verdicts
    cal = js["calibration"]
    assert cal["rows"] and cal["events"] and cal["sbc"] and cal["models"]
    assert 'id="calibration-table"' in html and 'id="calibration-events"' in html and 'id="calibration-sbc"' in html
    assert "Reliability diagram" in html and "figures/reliability.png" in md
    # each loss to a baseline is one Markdown list item, naming where it comes from
    loss_lines = [line for line in md.splitlines() if line.startswith("- ") and " vs persistence (skill" in line]
    assert len(loss_lines) == sum(x["baseline"] == "persistence" for x in cal["losses"]) > 0
    assert all(line.count(" vs persistence (skill") == 1 for line in loss_lines)


def test_report_rerender_is_fast_and_stable(report_run):
    from forecast.app.api import report
    before = json.loads((report_run.path / "report.json").read_text())
    t0 = time.perf_counter()
    run = report(report_run.path)  # re-renders and records the rewritten files' sha256
    # sections and claim figures come from the run's cache: no posterior is read, no figure redrawn
    assert time.perf_counter() - t0 < 5
    assert all(m._idata is None for m in run.models.values())
    after = json.loads((run.path / "report.json").read_text())
    assert [{k: v for k, v in m.items() if k not in ("verdict", "verdict_rank")} for m in after["milestones"]] == \
        json.loads((report_run.path / "milestones.json").read_text())
    assert after["summaries"] == before["summaries"] and after["milestones"] == before["milestones"]


def test_report_cache_invalidated_by_code_change_and_svg(report_run, monkeypatch):
    from forecast.report import render as report
    from forecast.pipeline.store import load_run
    run = load_run(report_run.path)
    monkeypatch.setattr(report, "code_fingerprint", lambda: "other code")
    from forecast.pipeline import integrity
    report.render_all(run, run.path, svg=True)
    integrity.reseal(run.path)
    assert (run.path / "figures" / "compute_fan.svg").exists()
    # redrawn (in forked workers) from the posteriors, under the new code's keys
    secs = json.loads((run.path / "figures" / "sections.json").read_text())["sections"]
    assert [s["key"] for s in secs] == [report._section_key("other code", n, ",".join(report._section_posteriors(run, n)),
                                                            report._setting(run)) for n in run.models]
    for n, m in run.models.items():  # a section's key names its posterior by content, and its upstream posteriors too
        assert report._section_posteriors(run, n)[0] == f"{n}@{run.manifest['posterior_digests'][n][:20]}"
        assert all(any(p.startswith(f"{u}@") for p in report._section_posteriors(run, n)) for u in m.requires)


def test_repeated_run_reuses_every_drawing(tmp_path, fitted, small_cfg, monkeypatch):
    """A run whose posteriors equal the previous run's (same data, code and seed) copies its figures, drawing none."""
    from forecast.pipeline.store import finalize
    from forecast.report import render as report
    from forecast.report.figures import overview
    models = {n: fitted(n) for n in ("scaling_law", "compute_trend")}
    first = finalize(models, small_cfg, {n: {"total_s": 0.0} for n in models}, time.perf_counter(), out_dir=tmp_path,
                     run_id="first", render=report.render_all)
    jobs = []
    real = report.forked_map
    monkeypatch.setattr(report, "forked_map", lambda fn, todo, **kw: (jobs.extend(todo), real(fn, todo, **kw))[1])
    monkeypatch.setattr(overview, "gantt", lambda *a, **k: pytest.fail("the Gantt chart was redrawn"))
    again = finalize(models, small_cfg, {n: {"total_s": 0.0} for n in models}, time.perf_counter(), out_dir=tmp_path,
                     run_id="again", render=report.render_all)
    assert again.manifest["previous_run"] == "first"
    assert again.manifest["posterior_digests"] == first.manifest["posterior_digests"]
    assert jobs == []
    old, new = first.path / "figures", again.path / "figures"
    for f in old.glob("*.png"):
        assert (new / f.name).read_bytes() == f.read_bytes(), f.name
    # a changed posterior redraws its own section and claims, nothing else
    from forecast.pipeline import integrity
    jobs.clear()
    again.manifest["posterior_digests"]["compute_trend"] = "0" * 64
    report.render_all(again, again.path)
    integrity.reseal(again.path)
    assert jobs and {j[1] if j[0] == "section" else j[1]["model"] for j in jobs} == {"compute_trend"}


def _launch(sync_api, pw):
    return pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"])


@pytest.mark.browser
def test_report_in_headless_chromium(report_run):
    if not CHROMIUM:
        if os.environ.get("CI"):
            pytest.fail("chromium is required in CI (.ci/run installs it)")
        pytest.skip("chromium not installed (apt-get install chromium); CI installs it")
    sync_api = pytest.importorskip("playwright.sync_api")
    html = report_run.path / "report.html"
    assert html.stat().st_size <= 3_000_000
    errors, requests = [], []
    with sync_api.sync_playwright() as pw:
        browser = _launch(sync_api, pw)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url) if not r.url.startswith(("file:", "data:")) else None)
        page.goto(html.as_uri(), wait_until="load")
        rows = page.locator("#claim-table tbody tr")
        n = rows.count()
        assert n >= 50

        def shown():
            return page.eval_on_selector_all("#claim-table tbody tr", "rs => rs.filter(r => !r.hidden).map(r => r.dataset)")

        # first screen: the summary, the controls and the first rows of the claim check, without scrolling
        assert page.locator(".summary").is_visible() and page.locator("#claim-controls").is_visible()
        on_screen = page.evaluate("() => [...document.querySelectorAll('#claim-table tbody tr')]"
                                  ".filter(r => r.getBoundingClientRect().bottom <= innerHeight).length")
        assert on_screen >= 10
        # sorting reorders the rows (claim text, date, P with claims without P last), and back to the verdict order
        default = [r["title"] for r in shown()]
        page.click("#claim-table th[data-sort=title] button")
        titles = [r["title"] for r in shown()]
        assert titles != default and titles == sorted(titles)
        page.click("#claim-table th[data-sort=date] button")
        dates = [r["date"] for r in shown()]
        assert dates == sorted(dates)
        page.click("#claim-table th[data-sort=p] button")
        ps = [r["p"] for r in shown()]
        given = [float(p) for p in ps if p != ""]
        assert given == sorted(given) and all(p == "" for p in ps[len(given):])
        page.click("#claim-table th[data-sort=rank] button")  # a new column sorts ascending: the verdict order
        assert [r["title"] for r in shown()] == default
        page.click("#claim-table th[data-sort=rank] button")  # again: reversed
        assert [r["title"] for r in shown()] == default[::-1]
        # filters and search change the rows
        page.select_option("#f-model", "compute_trend")
        got = shown()
        assert 0 < len(got) < n and {r["model"] for r in got} == {"compute_trend"}
        assert page.locator("#f-count").inner_text().startswith(f"{len(got)} of {n}")
        page.select_option("#f-verdict", "not-forecast")
        assert shown() == []
        page.select_option("#f-model", "")
        assert {r["verdict"] for r in shown()} == {"not-forecast"}
        page.select_option("#f-verdict", "")
        page.fill("#f-search", "1e28")
        assert [r["title"] for r in shown()] == ["first training run with at least 1e28 flop"]
        page.fill("#f-search", "")
        assert len(shown()) == n
        # every in-page link resolves; a claim's link scrolls to its detail block
        hrefs = page.eval_on_selector_all("a[href^='#']", "as => as.map(a => a.getAttribute('href'))")
        assert len(hrefs) >= n
        assert page.evaluate("hs => hs.filter(h => !document.getElementById(h.slice(1)))", hrefs) == []
        page.click("#claim-table a[href='#claim-compute-1e27']")
        assert page.evaluate("location.hash") == "#claim-compute-1e27"
        top = page.locator("#claim-compute-1e27").bounding_box()["y"]
        assert 0 <= top < 900
        # every image has alt text and has loaded
        assert page.eval_on_selector_all("img", "is => is.filter(i => !(i.alt || '').trim()).length") == 0
        assert page.eval_on_selector_all("img", "is => is.every(i => i.complete && i.naturalWidth > 100)")
        gantt = page.locator("#gantt-figure img")
        assert gantt.count() == 1 and gantt.evaluate("img => img.complete && img.naturalWidth > 300")
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(report_run.path / "screenshot.png"))
        # without JavaScript the static table still reads: every row shown, the controls hidden
        plain = browser.new_page(viewport={"width": 800, "height": 900}, java_script_enabled=False)
        plain.goto(html.as_uri(), wait_until="load")
        assert plain.locator("#claim-table tbody tr:visible").count() == n
        assert not plain.locator("#claim-controls").is_visible()
        browser.close()
    assert errors == [] and requests == []
    assert (report_run.path / "screenshot.png").stat().st_size > 20000


def test_sections_and_claims_drawn_in_forked_workers_equal_in_process(report_run, tmp_path, monkeypatch):
    from forecast.report import render as report
    from forecast.report.claims import claim_rows
    row = next(r for r in claim_rows(report_run) if r["forecast"] and r["model"] in report_run.models)
    jobs = [("section", n, f"k-{n}") for n in report_run.models] + [("claim", row)]  # one job list, as render_all draws
    pids = tmp_path / "pids"
    pids.mkdir()
    draw = report._draw_section

    def recording(*a, **k):  # looked up by name inside the forked workers (inherited, not pickled)
        (pids / str(os.getpid())).touch()
        return draw(*a, **k)

    with monkeypatch.context() as m:
        m.setattr(report, "_draw_section", recording)
        forked, parent_pid = report._draw_jobs(report_run, jobs, tmp_path / "a" / "figures", svg=False, meanwhile=os.getpid)
    assert parent_pid == os.getpid()  # `meanwhile` runs here, while the workers draw
    assert [p.name for p in pids.iterdir()] and str(os.getpid()) not in [p.name for p in pids.iterdir()]  # drawn in workers
    # the fallback (and the single-section path) draws in this process
    monkeypatch.setattr("os.cpu_count", lambda: 1)
    inproc, nothing = report._draw_jobs(report_run, jobs, tmp_path / "b" / "figures", svg=False)
    assert nothing is None
    assert forked == inproc and [s["name"] for s in forked[:-1]] == list(report_run.models)
    pngs = [f["png"] for sec in forked[:-1] for f in sec["figures"]] + [forked[-1]["png"]]
    for png in pngs:
        assert (tmp_path / "a" / png).read_bytes() == (tmp_path / "b" / png).read_bytes()


def test_forked_worker_failure_falls_back(report_run, tmp_path, monkeypatch):
    from forecast.report import forked
    from forecast.report import render as report

    def boom(job):
        raise RuntimeError("worker died")

    monkeypatch.setattr(forked, "_call", boom)
    calls = []
    secs, got = report._draw_jobs(report_run, [("section", n, "k") for n in report_run.models], tmp_path / "figures",
                                  svg=False, meanwhile=lambda: calls.append(1) or "gantt")
    assert [s["name"] for s in secs] == list(report_run.models) and all(s["figures"] for s in secs)
    assert got == "gantt" and calls == [1]  # run once, not again on the fallback
