"""The report in Chinese and in English from the same store: every section in both, nothing left untranslated
(every message used while rendering has a reviewed translation; no English message of the catalog and no
English word outside the data in the Chinese page), Chinese numbers (万, exact value kept), translated
metric labels, findings, spreadsheet sheets and console lines, and the Chinese page drawn by a real browser
with a CJK font (PDF fonts checked; screenshot written for a look).

The store is built by hand, with Chinese labels and Chinese post texts only, so that any English word in the
Chinese page comes from the report itself.
"""

from __future__ import annotations

import csv
import gettext
import re
import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from benchmark import i18n
from benchmark.i18n import Message
from benchmark.metrics import catalog
from benchmark.report import periods as report_periods
from benchmark.report.build import build_report
from benchmark.store import Store
from benchmark.tracker import AccountTracker
from tests.toolkit.factories import panel_toml, sqlite_url
from tests.toolkit.reports import report_inputs, scrapy_report

SECTIONS = ("run", "scorecard", "findings", "recommendations", "change", "brands", "activity", "engagement",
            "fans", "purpose", "style", "timing", "audience", "top", "breakouts", "coverage", "methodology")
OWN, PEER, BEST = "1000000001", "1000000002", "1000000003"
CONFIG = panel_toml("三季度", "2026Q3", ("weibo", OWN, "own", "我们的品牌"), ("weibo", PEER, "peer", "竞争对手"),
                    ("weibo", BEST, "exemplar", "标杆品牌"))
SALES = "限时优惠 ¥99 包邮，下单链接见评论"
STORY = "我们的咖啡豆来自云南高山，今天讲讲烘焙师的故事"
QUESTION = "你最喜欢哪一款？评论告诉我们"


def _posts(start: datetime, prefix: str) -> list[dict]:
    rows = []
    for i in range(24):
        at = start + timedelta(days=3 * i, hours=i % 12)
        rows.append({"platform": "weibo", "post_id": f"{prefix}o{i}", "account_id": OWN, "created_at": at,
                     "kind": "original", "format": "image" if i % 5 else "text", "likes": 20 + i, "comments": 3,
                     "reposts": 1, "text": SALES if i % 3 else STORY, "url": f"https://weibo.example/{prefix}o{i}"})
        rows.append({"platform": "weibo", "post_id": f"{prefix}p{i}", "account_id": PEER, "created_at": at,
                     "kind": "original", "format": "image", "likes": 5 + i % 4, "comments": 1, "reposts": 0,
                     "text": STORY, "url": f"https://weibo.example/{prefix}p{i}"})
        best = {"platform": "weibo", "post_id": f"{prefix}b{i}", "account_id": BEST, "created_at": at,
                "format": ("video", "image", "live", "poll")[i % 4], "likes": 300 + 40 * i, "comments": 60,
                "reposts": 30, "text": QUESTION if i % 2 else STORY, "url": f"https://weibo.example/{prefix}b{i}"}
        if i % 3 == 0:
            best.update(kind="repost", ref_author_id=f"fan{i}", ref_author_is_organization=False,
                        ref_author_followers=120)
        else:
            best["kind"] = "original"
        if i == 7:
            best["likes"] = 90_000  # a breakout post
        rows.append(best)
    return rows


def _comments(start: datetime) -> list[dict]:
    """Fans complain under our post and nobody answers; the exemplar answers within an hour."""
    out = []
    for i in range(12):
        at = start + timedelta(hours=2, minutes=i)
        out.append({"platform": "weibo", "comment_id": f"oc{i}", "post_id": "qo0", "author_id": f"anon:f{i}",
                    "created_at": at, "text": "太难喝了，退款！" if i % 4 else "好喝！爱了", "likes": i,
                    "author_is_organization": False})
        out.append({"platform": "weibo", "comment_id": f"bc{i}", "post_id": "qb1", "author_id": f"anon:g{i}",
                    "created_at": at, "text": "什么时候发货？", "likes": 1, "author_is_organization": False})
        out.append({"platform": "weibo", "comment_id": f"bc{i}-r", "post_id": "qb1", "author_id": BEST,
                    "created_at": at + timedelta(minutes=40), "text": "谢谢喜欢，明天发货哦",
                    "parent_comment_id": f"bc{i}", "is_by_post_author": True, "author_is_organization": True})
    return out


def crawl_statuses() -> list[dict]:
    """What the spiders' tracker writes: the own account complete, the peer partial after two broken pages
    (a reason the crawl recorded in English, which the report must show in its own language)."""
    tracker = AccountTracker()
    tracker.add("weibo", OWN, "own", "我们的品牌").posts = 48
    tracker.add("weibo", PEER, "peer", "竞争对手").posts = 48
    for _page in range(2):
        tracker.fail("weibo", PEER, "partial", Message("broken page ({reason})", reason="malformed_json"))
    return tracker.rows()


def build_store(path: Path) -> str:
    url = sqlite_url(path)
    store = Store(url)
    q2, q3 = datetime(2026, 4, 2, 2, tzinfo=UTC), datetime(2026, 7, 2, 2, tzinfo=UTC)
    for run, moment, followers in (("r1", q3 + timedelta(days=5), 123_456), ("r2", q3 + timedelta(days=60), 130_000)):
        store.start_run(run, "weibo", ("2026-04-01", "2026-09-30"))
        accounts = [{"platform": "weibo", "account_id": OWN, "followers": followers, "crawled_at": moment},
                    {"platform": "weibo", "account_id": PEER, "followers": 2_000_000, "crawled_at": moment},
                    {"platform": "weibo", "account_id": BEST, "followers": 45_000, "crawled_at": moment}]
        posts = _posts(q2, "p") + _posts(q3, "q") if run == "r1" else []
        store.write_batch(run, account_rows=accounts, post_rows=posts,
                          comment_rows=_comments(q3) if run == "r1" else [])
        store.finish_run(run, "finished", {}, account_statuses=crawl_statuses())
    store.close()
    return url


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return report_inputs(tmp_path_factory.mktemp("i18n"), CONFIG, build_store)


class RecordingTranslations(gettext.NullTranslations):
    """The real catalog, noting every message the report asks it for (msgid, context)."""

    def __init__(self, real: gettext.NullTranslations) -> None:
        super().__init__()
        self.real, self.used = real, set()

    def gettext(self, message):
        self.used.add((message, None))
        return self.real.gettext(message)

    def ngettext(self, singular, plural, n):
        self.used.add(((singular, plural), None))
        return self.real.ngettext(singular, plural, n)

    def pgettext(self, context, message):
        self.used.add((message, context))
        return self.real.pgettext(context, message)

    def npgettext(self, context, singular, plural, n):
        self.used.add(((singular, plural), context))
        return self.real.npgettext(context, singular, plural, n)


def render(store: dict, language: str, out: Path, monkeypatch: pytest.MonkeyPatch, **options) -> dict:
    original = i18n.translations
    recorder = RecordingTranslations(original(language))

    def recording(lang: str) -> gettext.NullTranslations:
        return recorder if lang == language else original(lang)

    monkeypatch.setattr(i18n, "translations", recording)
    monkeypatch.setattr(catalog, "translations", recording)
    monkeypatch.setenv("BENCHMARK_REPORT_WORKERS", "0")  # no worker processes in a test
    said: list[str] = []
    try:
        result = build_report(store["config"], store["db"], out, said.append, language=language, **options)
    finally:
        monkeypatch.undo()
    return {"result": result, "out": out, "html": (out / "index.html").read_text(encoding="utf-8"),
            "used": recorder.used, "said": said}


@pytest.fixture(scope="module")
def reports(store: dict) -> dict:
    with pytest.MonkeyPatch.context() as monkeypatch:
        return {language: render(store, language, store["base"] / f"out-{language}", monkeypatch,
                                 compare_previous=True) for language in i18n.LANGUAGES}


@pytest.fixture(scope="module")
def zh_catalog() -> dict:
    with i18n.catalog_path("zh", ".po").open("rb") as handle:
        return {(m.id, m.context): m for m in read_po(handle) if m.id}


def section(html: str, anchor: str) -> str:
    return html.split(f'<section id="{anchor}">', 1)[1].split("</section>", 1)[0]


# -- both languages, same store -----------------------------------------------------------------------
@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_section_in_both_languages(reports, language):
    html = reports[language]["html"]
    assert f'<html lang="{i18n.HTML_LANGS[language]}">' in html
    assert reports[language]["result"].language == language
    for anchor in SECTIONS:
        body = section(html, anchor)
        assert re.search(r"<h2>\d+\. [^<]+</h2>", body), anchor
    assert html.count("<svg") >= 8


def test_section_titles_are_translated(reports):
    titles = {lang: re.findall(r"<h2>\d+\. ([^<]+)</h2>", reports[lang]["html"]) for lang in i18n.LANGUAGES}
    assert len(titles["zh"]) == len(titles["en"]) >= len(SECTIONS)
    assert titles["en"][:3] == ["Run card", "Scorecard", "Findings"]
    assert titles["zh"][:3] == ["运行概况", "记分卡", "结论"]
    assert not set(titles["zh"]) & set(titles["en"])


def test_the_same_numbers_in_both_languages(reports):
    """Translation changes words, never data: the metrics tables agree value for value."""
    tables = {}
    for language in i18n.LANGUAGES:
        with open(reports[language]["out"] / "metrics.csv", encoding="utf-8-sig", newline="") as handle:
            tables[language] = [{k: v for k, v in row.items() if k != "metric_label"} for row in csv.DictReader(handle)]
    assert tables["zh"] == tables["en"] and tables["zh"]


# -- nothing left untranslated -----------------------------------------------------------------------------
@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_message_used_while_rendering_has_a_translation(reports, language):
    used = reports[language]["used"]
    assert len(used) > 300, "the recorder saw too little: is the report still translated through gettext?"
    with i18n.catalog_path(language, ".po").open("rb") as handle:
        translated = {(m.id, m.context): m for m in read_po(handle) if m.id}
    missing = sorted(str(key) for key in used if key not in translated or not translated[key].string
                     or translated[key].fuzzy)
    assert missing == []


def test_no_english_message_of_the_catalog_is_left_in_the_chinese_page(reports, zh_catalog):
    text = visible_text(reports["zh"]["html"])
    leftovers = []
    for (msgid, _context), message in zh_catalog.items():
        for source in (msgid if isinstance(msgid, tuple) else (msgid,)):
            for piece in literal_pieces(source):
                if piece in text and piece not in str(message.string):
                    leftovers.append(piece)
    assert leftovers == []


def test_no_english_word_outside_the_data_in_the_chinese_page(reports, zh_catalog):
    """Hard-coded English (a string never marked for translation) shows up as an English word: the data of
    this store is Chinese, so the only Latin words allowed are those the Chinese translations use themselves
    (Bluesky, UTC, Mann-Whitney, ...), the config's time zone and units."""
    allowed = {"Asia", "Shanghai"}
    for message in zh_catalog.values():
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for string in strings:
            allowed |= set(re.findall(r"[A-Za-z]{2,}", re.sub(NOT_WORDS, " ", string)))
    text = re.sub(NOT_WORDS, " ", visible_text(reports["zh"]["html"]))
    found = set(re.findall(r"[A-Za-z]{2,}", text)) - allowed
    assert found == set()


# Code, markup, file names, options, ids and placeholders in a translation are not words of the language.
NOT_WORDS = (r"<code>.*?</code>|<[^>]+>|&\w+;|`[^`]*`|\S+\.(?:csv|xlsx|md|html)|--[\w-]+|-s \S+|\w*_\w*|%\(\w+\)s"
             r"|\{[^}]*\}")


class _Visible(HTMLParser):
    """Text a reader sees: not <code>, links' own text (URLs), <style>; SVG <text> and tooltips included."""

    SKIPPED = ("code", "style", "a")

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.stack.append(tag)
        self.parts += [value for name, value in attrs if name in ("aria-label",) and value]

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        pass

    def handle_endtag(self, tag: str) -> None:
        while self.stack and self.stack.pop() != tag:
            pass

    def handle_data(self, data: str) -> None:
        if not any(tag in self.SKIPPED for tag in self.stack):
            self.parts.append(data)


VOID = re.compile(r"<(br|meta|rect|line|circle|polyline)\b[^>]*?/?>")


def visible_text(html: str) -> str:
    parser = _Visible()
    parser.feed(VOID.sub(" ", html))
    return " ".join(" ".join(parser.parts).split())


def literal_pieces(message: str) -> list[str]:
    """The English words of a message between its placeholders and tags, where long enough to be telling."""
    pieces = re.split(r"%\(\w+\)s|\{[^}]*\}|<[^>]+>|%%", message)
    return [p.strip(" .,;:()") for p in pieces if len(re.findall(r"[A-Za-z]{2,}", p)) >= 3]


# -- Chinese formats and translated outputs -------------------------------------------------------------
def test_crawl_reasons_in_the_coverage_section_follow_the_report_language(reports):
    """The crawl recorded the reason in English; each report shows it in its own language."""
    assert "2 个页面失败；最后一次：页面损坏（malformed_json）" in section(reports["zh"]["html"], "coverage")
    assert "2 page(s) failed; last: broken page (malformed_json)" in section(reports["en"]["html"], "coverage")


def test_chinese_counts_use_wan_with_the_exact_number_as_a_tooltip(reports):
    zh, en = reports["zh"]["html"], reports["en"]["html"]
    assert '<abbr title="123,456">12.3万</abbr>' in zh  # followers at the first snapshot (growth table)
    assert '<abbr title="2,000,000">200万</abbr>' in zh
    assert "12.3万" not in en and "123,456" in en and "<abbr" not in en


def test_no_markup_inside_attributes_or_svg_text(reports):
    """A count's <abbr> must never land in an attribute or in SVG text, where it would show as code."""
    for language in i18n.LANGUAGES:
        html = reports[language]["html"]
        assert not re.search(r'="[^"]*<', html), language
        for svg in re.findall(r"<svg.*?</svg>", html, flags=re.S):
            assert "<abbr" not in svg


def test_dates_follow_the_language(reports):
    assert "2026年7月1日至2026年9月30日" in reports["zh"]["html"]
    assert "2026-07-01 to 2026-09-30" in reports["en"]["html"]


def test_metrics_csv_labels_and_findings_are_translated(reports):
    for language, label in (("zh", "每帖转发粉丝数"), ("en", "Fan reposts per post")):
        with open(reports[language]["out"] / "metrics.csv", encoding="utf-8-sig", newline="") as handle:
            rows = {r["metric"]: r for r in csv.DictReader(handle) if r["account_id"] == OWN}
        assert rows["fan_repost_share"]["metric_label"] == label
    with open(reports["zh"]["out"] / "findings.csv", encoding="utf-8-sig", newline="") as handle:
        findings = {r["rule"]: r for r in csv.DictReader(handle) if r["account_id"] == OWN}
    assert {"sales_floor", "self_indulgent", "fans_complain"} <= set(findings)
    assert findings["sales_floor"]["title"] == "账号像个卖场"
    assert "销售类帖子" in findings["sales_floor"]["numbers"] and "≥ 30%" in findings["sales_floor"]["threshold"]


def test_findings_sentences_carry_the_numbers_in_chinese(reports):
    findings = section(reports["zh"]["html"], "findings")
    assert "我们的品牌 的原创帖子有 66.7% 在卖货" in findings
    assert "粉丝以抱怨为主" in findings and "75.0%" in findings


def test_recommendations_in_chinese_and_english_agree_with_stats(reports, store):
    """The English recommendation is worded again from the numbers for translation: it must say exactly what
    recommend.recommendations says."""
    from benchmark.metrics import recommend
    from benchmark.metrics.compute import compute_metrics, wide
    from benchmark.metrics.load import load_panel, open_store
    from benchmark.report.insights import _format_shares, recommendation_sentence
    from benchmark.report.sections.common import ordered_accounts as _ordered_accounts

    config = __import__("benchmark.config", fromlist=["load_config"]).load_config(store["config"])
    engine = open_store(store["db"])
    panel = load_panel(engine, config)
    engine.dispose()
    metrics = compute_metrics(panel)
    found = recommend.recommendations(metrics, panel.posts)
    assert found
    accounts, values = _ordered_accounts(panel), wide(metrics)
    with i18n.use_language("en"):
        assert [recommendation_sentence(r, _format_shares(r, accounts, values)) for r in found] == \
               [r.sentence for r in found]
    recs = section(reports["zh"]["html"], "recommendations")
    assert "标杆品牌" in recs and "下面是 标杆品牌 的" in recs


def test_spreadsheet_sheets_are_named_in_the_report_language(reports):
    from openpyxl import load_workbook

    names = {lang: load_workbook(reports[lang]["out"] / "report.xlsx", read_only=True).sheetnames
             for lang in i18n.LANGUAGES}
    assert names["en"][:4] == ["scorecard", "metrics", "findings", "recommendations"]
    assert names["zh"][:4] == ["记分卡", "指标", "结论", "建议"]


def test_spreadsheet_headers_are_words_of_the_report_language(reports):
    """report.xlsx is for people: no column id (`account_id`, `p_value`, `format_share.text`) in a header row
    of the Chinese workbook; the English one uses words too. metrics.csv keeps the ids (tested above)."""
    from openpyxl import load_workbook

    headers = {}
    for language in i18n.LANGUAGES:
        workbook = load_workbook(reports[language]["out"] / "report.xlsx", read_only=True)
        headers[language] = {sheet.title: [str(cell) for cell in next(sheet.iter_rows(max_row=1, values_only=True))]
                             for sheet in workbook.worksheets}
    ids = {"en": re.compile(r"^([a-z0-9]+([_.][a-z0-9-]+)+|acct|metric|rule)$"),  # "platform" is an English word
           "zh": re.compile(r"^[a-z0-9]+([_.][a-z0-9-]+)*$")}  # any lowercase Latin id is one in Chinese
    for language, sheets in headers.items():
        leftovers = {name: [h for h in row if ids[language].match(h)] for name, row in sheets.items()}
        assert {name: left for name, left in leftovers.items() if left} == {}, language
    assert "账号 id" in headers["zh"]["结论"] and "每帖互动率中位数" in headers["zh"]["指标"]
    assert "account id" in headers["en"]["findings"]


def test_progress_lines_follow_the_language(reports):
    assert any(line.startswith("正在计算 3 个账号的指标") for line in reports["zh"]["said"])
    assert any(line.startswith("computing metrics for 3 accounts") for line in reports["en"]["said"])


def test_trend_section_in_chinese(store, monkeypatch):
    periods = report_periods.parse_periods("2026Q2,2026Q3")
    out = render(store, "zh", store["base"] / "trend-zh", monkeypatch, periods=periods)
    trend = section(out["html"], "trend")
    assert "各周期的关键指标" in trend and "竞品（中位数）" in trend and "<svg" in trend
    assert "2026年4月1日至2026年6月30日" in trend


def test_report_command_lang_flag_and_chinese_errors(store, tmp_path):
    done = scrapy_report("--config", str(store["config"]), "-s", f"BENCHMARK_DB={store['db']}", "--lang", "zh",
                         "-o", str(tmp_path / "zh"))
    assert done.returncode == 0, done.stderr
    assert '<html lang="zh-CN">' in (tmp_path / "zh" / "index.html").read_text(encoding="utf-8")
    assert "正在计算" in done.stderr
    failed = scrapy_report("--config", str(store["config"]), "-s", f"BENCHMARK_DB={store['db']}", "--lang", "zh",
                           "--period", "2025Q1", "-o", str(tmp_path / "empty"))
    assert failed.returncode == 2 and "错误：" in failed.stderr and "都没有帖子" in failed.stderr
    english = scrapy_report("--config", str(store["config"]), "-s", f"BENCHMARK_DB={store['db']}",
                            "--period", "2025Q1", "-o", str(tmp_path / "empty"),
                            env={"LC_ALL": "zh_CN.UTF-8", "LANG": "zh_CN.UTF-8"})
    assert "错误：" in english.stderr  # the system locale decides when neither --lang nor the config does


def test_config_language_is_the_default(store, tmp_path, monkeypatch):
    config = tmp_path / "benchmark.toml"
    config.write_text(CONFIG.replace('timezone = "Asia/Shanghai"', 'timezone = "Asia/Shanghai"\nlanguage = "zh"'),
                      encoding="utf-8")
    monkeypatch.setenv("LC_ALL", "en_US.UTF-8")
    monkeypatch.setenv("BENCHMARK_REPORT_WORKERS", "0")
    result = build_report(config, store["db"], tmp_path / "out")
    assert result.language == "zh"
    assert build_report(config, store["db"], tmp_path / "en", language="en").language == "en"  # --lang wins


# -- a real browser draws the Chinese page ------------------------------------------------------------------
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium)")
def test_chinese_page_is_drawn_with_a_cjk_font(reports, tmp_path):
    """Headless Chromium prints the Chinese page to PDF: the fonts it embedded must include a CJK font (tofu
    boxes would come from a Latin font), and the screenshot must not be blank. The PNG is kept next to the
    report (screenshot-zh.png) for a human look."""
    page = reports["zh"]["out"] / "index.html"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
             f"--user-data-dir={tmp_path / 'profile'}", "--host-resolver-rules=MAP * ~NOTFOUND"]
    pdf, shot = tmp_path / "zh.pdf", reports["zh"]["out"].parent / "screenshot-zh.png"
    subprocess.run([CHROMIUM, *flags, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri()],
                   capture_output=True, timeout=120, check=False)
    subprocess.run([CHROMIUM, *flags, f"--screenshot={shot}", "--window-size=1280,2400", page.as_uri()],
                   capture_output=True, timeout=120, check=False)
    fonts = set(re.findall(rb"/(?:BaseFont|FontName)\s*/(?:[A-Z]{6}\+)?([A-Za-z0-9-]+)", pdf.read_bytes()))
    assert any(re.search(rb"CJK|WenQuanYi|SC|Hei|Song|Kai|Ming", name) for name in fonts), fonts
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 100_000


def test_period_helpers_follow_the_language():
    with i18n.use_language("zh"):
        assert report_periods.period_text(date(2026, 7, 1), date(2026, 9, 30)) == "2026年7月1日至2026年9月30日"
        assert report_periods.ci_text("er_median", 0.00052, 0.00041, 0.0006) == "0.52‰（95% 置信区间 0.41–0.60‰）"
        assert report_periods.delta_text("fan_repost_share", -0.05) == "−5.0 个百分点"
    assert report_periods.period_text(date(2026, 7, 1), date(2026, 9, 30)) == "2026-07-01 to 2026-09-30"


def test_cached_templates_render_each_language(tmp_path, monkeypatch):
    """Compiled templates are cached across runs and languages (report.html._bytecode_cache). jinja2 evaluates a
    filter applied to constants at compile time unless the filter takes the render context: without that, the
    cached code would keep the language of the run that compiled it (English words in a Chinese page)."""
    import tempfile

    from benchmark.i18n import use_language
    from benchmark.report import html

    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "report.html.j2").write_text('{{ "own"|term("role") }} {{ 123456|count }}', encoding="utf-8")
    monkeypatch.setattr(html, "TEMPLATES", templates)
    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(tmp_path))

    def render(language: str) -> str:
        with use_language(language):
            return html.render_html({})

    assert render("en") == "own 123,456"  # compiled in English, then cached
    assert list(tmp_path.glob("benchmark-jinja-*/*.cache"))
    assert render("zh") == '自有 <abbr title="123,456">12.3万</abbr>'  # from the cache
    assert render("en") == "own 123,456"
