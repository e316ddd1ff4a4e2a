"""Tests of the HTML briefing page: content, languages, escaping, self-containment, and rendering
in a real headless Chromium (skipped only when no Chromium is installed; CI installs it).

The runs are real (``vnsim run`` with few draws) so the page is checked against model output.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import io
import json
import re
import shutil
import subprocess
from html import escape
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from vnsim import cli
from vnsim.analysis import scorecard
from vnsim.present import report
from vnsim.run.store import open_run
from vnsim.spec import targets

REPO = Path(__file__).resolve().parents[1]
DRAWS = 48
DATE = dt.date(2025, 1, 2)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# A string that breaks the page if it is not escaped.
HOSTILE = '<script>alert("x")</script><img src="http://example.com/x.png"> & “ngày”'
EXTERNAL = re.compile(r"(?:https?|file|ftp)://|//[a-z0-9.-]+\.[a-z]{2,}/", re.IGNORECASE)
VIETNAMESE_LETTERS = set("ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ")


class Page(HTMLParser):
    """What a test needs from a page: elements, visible text, headings, P(met) cells."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text_parts: list[str] = []
        self.headings: list[str] = []
        self.probabilities: list[str] = []
        self._heading: list[str] | None = None
        self._prob: list[str] | None = None
        self._style = False
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.elements.append((tag, attrs))
        if tag in ("h1", "h2", "h3", "h4"):
            self._heading = []
        if tag == "span" and attrs.get("class") == "p":
            self._prob = []
        self._style = tag == "style"

    def handle_endtag(self, tag):
        if tag in ("h1", "h2", "h3", "h4") and self._heading is not None:
            self.headings.append("".join(self._heading).strip())
            self._heading = None
        if tag == "span" and self._prob is not None:
            self.probabilities.append("".join(self._prob))
            self._prob = None
        self._style = False

    def handle_data(self, data):
        if self._style:
            return
        self.text_parts.append(data)
        for sink in (self._heading, self._prob):
            if sink is not None:
                sink.append(data)

    @property
    def text(self) -> str:
        # <wbr> splits identifiers into pieces; joining without spaces restores them
        return "".join(self.text_parts)

    def tags(self, name: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.elements if t == name]


def _png(uri: str) -> Image.Image:
    """Decode a ``data:image/png;base64`` URI fully (raises if the image is broken)."""
    head, _, payload = uri.partition(",")
    assert head == "data:image/png;base64"
    raw = base64.b64decode(payload, validate=True)
    assert raw.startswith(PNG_SIGNATURE)
    image = Image.open(io.BytesIO(raw))
    image.load()
    return image


def _assert_self_contained(html: str, page: Page) -> None:
    # the hostile test text mentions a URL as (escaped) text; anything else is a reference
    html = html.replace(escape(HOSTILE), "")
    assert not EXTERNAL.search(html), EXTERNAL.search(html)
    for tag in ("script", "link", "iframe", "object", "embed", "base"):
        assert not page.tags(tag), f"<{tag}> in page"
    assert "@import" not in html and "url(" not in html
    for _tag, attrs in page.elements:
        for key in ("src", "href", "srcset", "action", "poster"):
            value = attrs.get(key)
            if value is not None:
                assert value.startswith(("data:", "#")), f"{key}={value[:60]!r}"


def _assert_images(page: Page, expected: int) -> None:
    imgs = page.tags("img")
    assert len(imgs) == expected
    for img in imgs:
        image = _png(str(img["src"]))
        assert image.size == (int(img["width"]), int(img["height"]))
        assert img["alt"]
        # a chart is more than a blank canvas
        assert len(image.convert("RGB").getcolors(maxcolors=1 << 20) or []) > 50


@pytest.fixture(scope="module")
def run_dirs(tmp_path_factory) -> dict[str, Path]:
    """Two real runs (baseline and stalled) of a few draws, made with the ``vnsim`` CLI."""
    root = tmp_path_factory.mktemp("runs")
    scenarios = {"baseline": "scenarios/baseline.yaml", "stalled": "scenarios/stalled.yaml"}
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(REPO)
        for name, scenario in scenarios.items():
            argv = ["run", scenario, "--draws", str(DRAWS), "--out", str(root / name), "--quiet"]
            assert cli.main(argv) == 0
    return {name: root / name for name in scenarios}


@pytest.fixture(scope="module")
def hostile_run(run_dirs, tmp_path_factory) -> Path:
    """The baseline run with HTML in its scenario title, description, lever and input texts."""
    folder = tmp_path_factory.mktemp("hostile") / "baseline"
    shutil.copytree(run_dirs["baseline"], folder)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    resolved = manifest["scenario_resolved"]
    resolved["title"] = HOSTILE
    resolved["description"] = HOSTILE
    resolved["sources"].append(HOSTILE)
    next(iter(resolved["levers"].values()))["description"] = HOSTILE
    next(iter(resolved["uncertain"].values()))["source"] = HOSTILE
    manifest["scenario_file"] = HOSTILE
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def page_en(hostile_run, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("page_en") / "briefing.html"
    assert report.write_report([hostile_run], out, "en", date=DATE) == out
    return out


@pytest.fixture(scope="module")
def page_vi(run_dirs) -> Path:
    """Two runs, Vietnamese, through the CLI entry point with its default output path."""
    parser = argparse.ArgumentParser()
    report.register(parser.add_subparsers())
    args = parser.parse_args(["report", *map(str, run_dirs.values()), "--lang", "vi"])
    assert args.func(args) == 0
    out = report.default_out(run_dirs["baseline"], "vi")
    assert out == run_dirs["baseline"] / "report-vi.html" and out.is_file()
    return out


def test_single_run_page_content(page_en, hostile_run):
    html = page_en.read_text(encoding="utf-8")
    page = Page(html)
    manifest = json.loads((hostile_run / "manifest.json").read_text(encoding="utf-8"))
    resolved = manifest["scenario_resolved"]

    assert page.tags("html")[0]["lang"] == "en"
    assert any(m.get("charset") == "utf-8" for m in page.tags("meta"))
    assert any("default-src 'none'" in str(m.get("content")) for m in page.tags("meta"))
    _assert_self_contained(html, page)
    _assert_images(page, len(report.RUN_CHARTS))
    assert report.LABELS["en"]["title"] in page.headings
    assert "2 January 2025" in page.text

    # the scorecard shows, per target in order, the share of draws that meet it
    target_set = targets.load_targets()
    with open_run(hostile_run) as ds:
        expected = [f"{100 * scorecard.attainment(ds, t):.0f}%" for t in target_set.targets]
    assert page.probabilities == expected
    for t in target_set.targets:
        assert t.description in page.text

    # assumptions: every uncertain input and lever, with its distribution and unit
    for name, spec in resolved["uncertain"].items():
        assert name in page.text
        assert report.LABELS["en"][spec["dist"]] in page.text
    for name in resolved["levers"]:
        assert name in page.text
    horizon = resolved["horizon"]
    assert f"{horizon['base_year']}–{horizon['end_year']}" in page.text

    # provenance
    for key in ("scenario_file_hash", "scenario_hash", "data_version", "git_commit", "created"):
        if manifest.get(key):
            assert str(manifest[key]) in page.text, key
    assert f"{DRAWS}" in page.text and str(manifest["seed"]) in page.text

    # user text is shown literally, never as markup
    assert page.text.count(HOSTILE) >= 6
    assert "<script" not in html


def test_scorecard_files_beside_page(page_en, hostile_run):
    csv = pd.read_csv(page_en.parent / "scorecard.csv")
    xlsx = pd.read_excel(page_en.parent / "scorecard.xlsx")
    target_set = targets.load_targets()
    assert list(csv["target"]) == target_set.ids
    assert list(xlsx["target"]) == target_set.ids
    with open_run(hostile_run) as ds:
        p = [scorecard.attainment(ds, t) for t in target_set.targets]
    np.testing.assert_allclose(csv["probability"], p)
    np.testing.assert_allclose(xlsx["probability"], p)


def test_several_runs_page_in_vietnamese(page_vi, run_dirs):
    html = page_vi.read_text(encoding="utf-8")
    page = Page(html)
    vi, en = report.LABELS["vi"], report.LABELS["en"]

    assert page.tags("html")[0]["lang"] == "vi"
    _assert_self_contained(html, page)
    # per run the key charts, plus the scorecard heatmap and one comparison per compared variable
    n_images = len(run_dirs) * len(report.RUN_CHARTS) + 1 + len(report.COMPARED)
    _assert_images(page, n_images)
    for key in ("scorecard_h", "comparison_h", "assumptions_h", "provenance_h", "levers_h"):
        assert vi[key] in page.headings
        assert en[key] not in page.headings
    assert all(set(h.lower()) & VIETNAMESE_LETTERS for h in page.headings if len(h) > 12)
    for t in targets.load_targets().targets:
        assert t.description_vi in page.text
    # Vietnamese number format: decimal comma in the market medians
    assert re.search(r"trung vị \d+,\d tỷ USD", page.text)
    assert f"tháng {dt.date.today().month} năm {dt.date.today().year}" in page.text
    assert page.text.count("“baseline”") >= 1 and page.text.count("“stalled”") >= 1

    csv = pd.read_csv(page_vi.parent / "scorecard.csv")
    assert list(dict.fromkeys(csv["scenario"])) == ["baseline", "stalled"]
    assert len(csv) == 2 * len(targets.load_targets().targets)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.one_of(
        st.text(min_size=1, max_size=40),
        # markup-like pieces, which random text rarely forms
        st.lists(
            st.sampled_from(
                ["<", ">", "&", '"', "'", "<b>", "</td>", "&amp;", "<script>", "x", " ", "ư"]
            ),
            min_size=1,
            max_size=12,
        ).map("".join),
    )
)
def test_assumptions_and_provenance_escape_any_text(text):
    resolved = {
        "title": text,
        "description": text,
        "sources": [text],
        "horizon": {"base_year": 2022, "end_year": 2030},
        "ensemble": {"draws": 10, "seed": 1, "sampler": "lhs"},
        "uncertain": {
            "x": {"dist": "uniform", "unit": "share", "source": text, "low": 0.1, "high": 0.2}
        },
        "levers": {
            "y": {
                "description": text,
                "source": text,
                "schedule": {"2022": 0.5},
                "interpolation": "step",
                "effects": [{"target": "market.growth", "size": "x", "lag": 1}],
            }
        },
    }
    for lang in ("en", "vi"):
        for fragment in (
            report.assumptions_html(resolved, lang),
            report.provenance_html({"scenario_file": text, "seed": 1}, None, lang),
        ):
            page = Page(fragment)
            tags = {t for t, _ in page.elements}
            assert tags <= {
                "table",
                "thead",
                "tbody",
                "tr",
                "th",
                "td",
                "ul",
                "li",
                "h4",
                "p",
                "code",
                "wbr",
                "br",
                "span",
            }
            # the text comes back exactly as given (after HTML's newline normalisation)
            expected = text.replace("\r\n", "\n").replace("\r", "\n")
            assert expected.strip() in page.text.replace("\r\n", "\n").replace("\r", "\n")


def test_cli_mistakes_are_user_errors(run_dirs, tmp_path):
    with pytest.raises(cli.UserError, match="not a run folder"):
        report.cmd_report([str(tmp_path)], None, "en")
    with pytest.raises(cli.UserError, match="--lang"):
        report.cmd_report([str(run_dirs["baseline"])], None, "fr")
    with pytest.raises(cli.UserError, match="no target set"):
        report.cmd_report([str(run_dirs["baseline"])], None, "en", "decision_942_2052")


# ---------------------------------------------------------------------------------------------
# Headless Chromium


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        if path := shutil.which(name):
            return path
    return None


def _browser(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    exe = _chromium()
    if exe is None:
        pytest.skip("Chromium not installed (apt-get install chromium); CI installs it")
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    command = [
        exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-extensions", "--hide-scrollbars", "--force-device-scale-factor=1",
        f"--user-data-dir={profile}", *args,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    return done


@pytest.mark.parametrize("which", ["page_en", "page_vi"])
def test_page_renders_in_headless_chromium(which, request, tmp_path):
    page_file: Path = request.getfixturevalue(which)
    url = page_file.resolve().as_uri()
    html_page = Page(page_file.read_text(encoding="utf-8"))

    # the DOM after load: every chart is there, as a decodable PNG, and the text is intact
    dom = Page(_browser(tmp_path, "--dump-dom", url).stdout.decode("utf-8"))
    _assert_images(dom, len(html_page.tags("img")))
    assert dom.headings == html_page.headings
    _assert_self_contained("", dom)

    # the screenshot shows the page and the charts drawn in it
    shot = tmp_path / "shot.png"
    _browser(
        tmp_path, f"--screenshot={shot}", "--window-size=1280,4000",
        "--run-all-compositor-stages-before-draw", "--virtual-time-budget=5000", url,
    )  # fmt: skip
    image = Image.open(shot).convert("RGB")
    assert image.size == (1280, 4000)
    pixels = np.asarray(image, dtype=np.int16)
    grey = pixels.mean(axis=2)
    assert (grey < 240).mean() > 0.05  # not a blank page
    assert grey.std() > 20
    # the baseline scenario's colour appears only in the charts (the page's CSS never uses it)
    baseline = np.array([0x1F, 0x5A, 0x96])
    assert "#1f5a96" not in report._CSS
    assert (np.abs(pixels - baseline).max(axis=2) <= 12).sum() > 500
