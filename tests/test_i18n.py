"""Chinese and English: language choice, locale formats, complete and compiled catalogs, the console, the
two READMEs kept in step."""

from __future__ import annotations

import gettext
import re
import string
import subprocess
import sys
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from scrapy.settings import Settings

from benchmark import i18n
from benchmark.config import config_language
from benchmark.extensions import CrawlReport
from benchmark.platforms.weibo import spider as weibo_spider
from benchmark.tracker import AccountTracker
from tests.crawl_helpers import PROJECT_ROOT
from tests.toolkit.factories import write_config

POT = i18n.LOCALE_DIR / "messages.pot"


def load_po(path: Path):
    with path.open("rb") as handle:
        return read_po(handle)


def messages(catalog) -> dict:
    """(msgid, context) → msgstr for every real message (not the header); plural ids and strings as tuples
    (read_po gives tuples, read_mo lists)."""
    def plain(value):
        return tuple(value) if isinstance(value, (list, tuple)) else value

    return {(plain(m.id), m.context): plain(m.string) for m in catalog if m.id}


def extracted_from_source() -> set:
    """What `pybabel extract -F babel.cfg .` finds in the code and templates right now."""
    with (PROJECT_ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)

    def only_the_code(path: str) -> bool:
        relative = Path(path).relative_to(PROJECT_ROOT).as_posix()
        top = relative.split("/")[0]
        return top in ("benchmark", "spiders") and "/." not in f"/{relative}"

    keywords = {**DEFAULT_KEYWORDS, **parse_keywords(list(i18n.EXTRA_KEYWORDS))}  # "NP_:1c,2" as pybabel -k
    found = extract_from_dir(PROJECT_ROOT, method_map, options_map, keywords=keywords,
                             directory_filter=only_the_code)
    return {(message, context) for _file, _line, message, _comments, context in found}


# -- language choice ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("cli", "config", "environ", "expected"), [
    ("zh", "en", {"LANG": "en_US.UTF-8"}, "zh"),          # --lang wins
    ("en", "zh", {"LANG": "zh_CN.UTF-8"}, "en"),
    (None, "zh", {"LANG": "en_US.UTF-8"}, "zh"),          # then the config
    (None, "en", {"LANG": "zh_CN.UTF-8"}, "en"),
    (None, None, {"LANG": "zh_CN.UTF-8"}, "zh"),          # then the system locale
    (None, None, {"LANG": "zh_TW.UTF-8"}, "zh"),
    (None, None, {"LC_ALL": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, "zh"),  # LC_ALL outranks LANG
    (None, None, {"LC_ALL": "en_GB.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),
    (None, None, {"LC_MESSAGES": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, "zh"),  # LC_MESSAGES outranks LANG
    (None, None, {"LANG": "C.UTF-8"}, "en"),
    (None, None, {"LANG": "fr_FR.UTF-8"}, "en"),
    (None, None, {}, "en"),                                # then English
    ("zh-CN", None, {}, "zh"),
    ("en_US", None, {"LANG": "zh_CN.UTF-8"}, "en"),
])
def test_language_choice_order(cli, config, environ, expected):
    assert i18n.choose_language(cli, config, environ) == expected


def test_unknown_language_is_an_error_not_a_silent_fallback():
    with pytest.raises(ValueError, match="fr"):
        i18n.choose_language("fr", None, {})


def test_config_language_is_read_from_the_config(tmp_path):
    config = write_config(tmp_path, '[benchmark]\nperiod = "2026Q3"\nlanguage = "zh"\n\n'
                                    '[[account]]\nplatform = "weibo"\nid = "1669879400"\nrole = "own"\n')
    assert config_language(config) == "zh"
    config.write_text(config.read_text(encoding="utf-8").replace('"zh"', '"en"'), encoding="utf-8")
    assert config_language(config) == "en"
    assert config_language(tmp_path / "missing.toml") is None
    config.write_text("not [ toml", encoding="utf-8")
    assert config_language(config) is None


# -- numbers and dates --------------------------------------------------------------------------------
@pytest.mark.parametrize(("value", "zh_short", "exact"), [
    (123456, "12.3万", "123,456"),
    (123456789, "1.2亿", "123,456,789"),
    (3_200_000, "320万", "3,200,000"),
    (10_000, "1万", "10,000"),
    (9999, "9,999", "9,999"),
    (0, "0", "0"),
])
def test_counts_use_wan_and_yi_in_chinese_and_full_numbers_in_english(value, zh_short, exact):
    zh = i18n.format_count(value, "zh")
    assert (zh.short, zh.exact) == (zh_short, exact)
    assert zh.abbreviated == (zh_short != exact)
    en = i18n.format_count(value, "en")
    assert (en.short, en.exact, en.abbreviated) == (exact, exact, False)


def test_an_abbreviated_count_keeps_the_exact_number_in_its_title():
    assert i18n.format_count(123456, "zh").html() == '<abbr title="123,456">12.3万</abbr>'
    assert i18n.format_count(123456, "en").html() == "123,456"
    assert str(i18n.format_count(123456, "zh")) == "12.3万"


@pytest.mark.parametrize("missing", [None, float("nan")])
def test_missing_values_are_a_dash_never_zero(missing):
    assert i18n.format_count(missing, "zh").short == "—"
    assert i18n.format_percent(missing, "en") == "—"
    assert i18n.format_number(missing, "zh") == "—"


def test_percent_and_decimals():
    assert i18n.format_percent(0.243, "zh") == "24%"
    assert i18n.format_percent(0.2434, "en", digits=1) == "24.3%"
    assert i18n.format_percent(0.02, "zh", digits=1) == "2.0%"
    assert i18n.format_percent(1.5, "en") == "150%"
    assert i18n.format_number(1234.567, "en", digits=1) == "1,234.6"
    assert i18n.format_number(1234.567, "zh") == "1,235"


def test_dates_and_periods():
    day = date(2026, 7, 1)
    assert i18n.format_date(day, "zh") == "2026年7月1日"
    assert i18n.format_date(day, "en") == "Jul 1, 2026"
    dash = "\u2009–\u2009"  # CLDR puts thin spaces around the range dash
    assert i18n.format_period(day, date(2026, 9, 30), "zh") == f"2026年7月1日{dash}9月30日"
    assert i18n.format_period(day, date(2026, 9, 30), "en") == f"Jul 1{dash}Sep 30, 2026"
    assert i18n.format_period(date(2025, 12, 1), date(2026, 1, 31), "zh") == f"2025年12月1日{dash}2026年1月31日"


def test_weekday_names_start_on_monday():
    assert i18n.weekday_names("zh") == ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]
    assert i18n.weekday_names("en")[0] == "Mon" and i18n.weekday_names("en")[6] == "Sun"


def test_use_language_sets_the_language_of_gettext_and_the_formats_for_its_block():
    message = "[3/3] report ready in {seconds} s"
    assert i18n._(message) == message
    with i18n.use_language("zh"):
        assert i18n.current_language() == "zh"
        assert i18n._(message) == "[3/3] 报告已生成，用时 {seconds} 秒"
        assert i18n.format_count(123456).short == "12.3万"
        with i18n.use_language("en"):
            assert i18n.format_count(123456).short == "123,456"
        assert i18n.format_date(date(2026, 7, 1)) == "2026年7月1日"
    assert i18n.current_language() == "en"
    assert i18n.format_count(123456).short == "123,456"
    with pytest.raises(ValueError), i18n.use_language("fr"):
        pass


# -- catalogs -----------------------------------------------------------------------------------------
def test_the_template_lists_every_string_the_code_and_templates_mark_for_translation():
    in_source = extracted_from_source()
    in_pot = set(messages(load_po(POT)))
    assert in_source, "nothing extracted: babel.cfg does not match the package"
    assert in_source - in_pot == set(), "run `python -m benchmark.i18n update`: new strings are not in messages.pot"
    assert in_pot - in_source == set(), "run `python -m benchmark.i18n update`: messages.pot lists removed strings"


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_string_has_a_reviewed_translation(language):
    po = load_po(i18n.catalog_path(language, ".po"))
    translated = messages(po)
    wanted = set(messages(load_po(POT))) | extracted_from_source()
    missing = sorted(str(key) for key in wanted if not _filled(translated.get(key)))
    assert missing == [], f"{language}: {len(missing)} strings without a translation"
    fuzzy = [m.id for m in po if m.id and m.fuzzy]
    assert fuzzy == [], f"{language}: fuzzy (unreviewed) entries are not compiled: {fuzzy}"
    obsolete = sorted(str(key) for key in set(translated) - wanted)
    assert obsolete == [], f"{language}: translations of strings the code no longer uses"


def _filled(string_or_plurals) -> bool:
    if isinstance(string_or_plurals, tuple):
        return all(string_or_plurals)
    return bool(string_or_plurals)


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_translations_keep_every_placeholder(language):
    """A translation with a misspelt or dropped placeholder breaks `.format()` at run time."""
    po = load_po(i18n.catalog_path(language, ".po"))
    problems = [(m.id, [str(e) for e in errors]) for m, errors in po.check()]
    for message in po:
        if not message.id:
            continue
        sources = message.id if isinstance(message.id, tuple) else (message.id,)
        targets = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = _brace_names(sources[-1])
        problems += [(message.id, f"{{}} placeholders {_brace_names(t)} != {wanted}")
                     for t in targets if _brace_names(t) != wanted]
    assert problems == []


def _brace_names(text: str) -> set[str]:
    return {name for _literal, name, _spec, _conv in string.Formatter().parse(text) if name is not None}


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_compiled_catalogs_match_their_sources(language):
    """The .mo files are committed (so editable installs and checkouts need no build step): this fails when
    a .po was edited without `pybabel compile -d benchmark/locale`."""
    po = load_po(i18n.catalog_path(language, ".po"))
    with i18n.catalog_path(language, ".mo").open("rb") as handle:
        mo = read_mo(handle)
    assert messages(mo) == {key: value for key, value in messages(po).items()}


def test_a_wheel_ships_the_compiled_catalogs():
    """An editable install reads benchmark/locale from the checkout; a wheel only has what package-data lists."""
    import tomllib

    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = project["tool"]["setuptools"]["package-data"]["benchmark"]
    package = PROJECT_ROOT / "benchmark"
    shipped = {path for pattern in patterns for path in package.glob(pattern)}
    for language in i18n.LANGUAGES:
        assert i18n.catalog_path(language, ".mo") in shipped, "add locale/*/LC_MESSAGES/*.mo to package-data"


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_both_catalogs_are_found_at_run_time(language):
    catalog = i18n.translations(language)
    assert isinstance(catalog, gettext.GNUTranslations)
    assert catalog.info()["language"] == language


def test_chinese_is_really_chinese():
    _ = i18n.gettext_for("zh")
    assert _("[3/3] report ready in {seconds} s").format(seconds="1.5") == "[3/3] 报告已生成，用时 1.5 秒"
    assert i18n.gettext_for("en")("[3/3] report ready in {seconds} s") == "[3/3] report ready in {seconds} s"


# -- reasons recorded in one language, shown in another -------------------------------------------------------
def test_a_message_is_english_text_that_translates_where_it_is_shown():
    reason = i18n.Message("broken page ({reason})", reason="malformed_json")
    assert reason == "broken page (malformed_json)" and isinstance(reason, str)
    assert reason.translate("zh") == "页面损坏（malformed_json）"
    assert i18n.translate(reason, "en") == "broken page (malformed_json)"
    assert i18n.translate("platform text", "zh") == "platform text"  # not ours to translate


def test_a_nested_message_survives_json_and_pickle():
    import pickle

    inner = i18n.Message("HTTP {status}: no such account", status=404)
    outer = i18n.Message("{count} page(s) failed; last: {reason}", count=2, reason=inner)
    for copy in (i18n.from_stored(outer.to_json()), pickle.loads(pickle.dumps(outer))):
        assert copy == "2 page(s) failed; last: HTTP 404: no such account"
        assert copy.translate("zh") == "2 个页面失败；最后一次：HTTP 404：账号不存在"


@pytest.mark.parametrize("stored", ["", None, "plain English", "{not json", '{"a": 1}', '{"msgid": 3}', "[1]",
                                    # a template that is not one of ours never runs: `.format` of a huge width
                                    '{"msgid": "{x:>999999999}", "params": {"x": 1}}'])
def test_stored_text_that_is_not_a_message_is_shown_as_it_is(stored):
    assert i18n.from_stored(stored) == (stored or "")
    assert i18n.stored_message("fallback", stored, "zh") == "fallback"


def test_reason_codes_read_as_words_in_both_languages():
    from benchmark.crawling.reasons import reason_words

    broken = i18n.Message("broken page ({reason})", reason=reason_words("malformed_json"))
    assert broken == "broken page (the answer was not valid JSON)"
    assert broken.translate("zh") == "页面损坏（返回内容不是有效的 JSON）"
    assert reason_words("http_503").translate("zh") == "HTTP 错误 503"
    assert reason_words("DNSLookupError").translate("zh") == "无法解析主机名"
    assert reason_words("SomethingNew") == "SomethingNew"  # an unknown code is shown as it is


def test_tracker_rows_keep_english_text_and_the_translatable_reason():
    tracker = AccountTracker()
    tracker.fail("weibo", "1", "partial", i18n.Message("request failed: {reason}", reason="TimeoutError"))
    tracker.fail("weibo", "2", "private", "the platform's own words")
    first, second = tracker.rows()
    assert first["message"] == "1 page(s) failed; last: request failed: TimeoutError"
    in_chinese = i18n.stored_message(first["message"], first["message_i18n"], "zh")
    assert in_chinese == "1 个页面失败；最后一次：请求失败：TimeoutError"
    assert second["message"] == "the platform's own words" and second["message_i18n"] is None


# -- the console --------------------------------------------------------------------------------------
def crawl_summary(capsys, language: str) -> str:
    tracker = AccountTracker()
    tracker.add("weibo", "1669879400", "own")
    tracker.page("weibo", "1669879400", posts=40)
    tracker.add("weibo", "2803301701", "peer")
    tracker.fail("weibo", "2803301701", "login_wall", weibo_spider.COOKIE_HINT)
    stats = SimpleNamespace(values={}, set_value=lambda key, value: stats.values.__setitem__(key, value))
    crawler = SimpleNamespace(settings=Settings({"BENCHMARK_LANGUAGE": language, "BENCHMARK_CONFIG": ""}),
                              signals=SimpleNamespace(connect=lambda *args, **kwargs: None), stats=stats)
    before = CrawlReport.accounts_not_ok
    CrawlReport(crawler).spider_closed(SimpleNamespace(name="weibo", tracker=tracker), "finished")
    CrawlReport.accounts_not_ok = before  # the class counter is process-wide
    assert stats.values == {"benchmark/accounts_not_ok": 1}
    return capsys.readouterr().err


def test_crawl_summary_in_chinese(capsys):
    out = crawl_summary(capsys, "zh")
    assert re.search(r"^  ok\s+weibo\s+1669879400\s+1669879400\s+40\s+1$", out, flags=re.M)
    assert re.search(r"^  login_wall\s+weibo\s+2803301701\s+2803301701\s+0\s+0\s+微博要求登录：请设置 WEIBO_COOKIE",
                     out, flags=re.M)
    assert "帖子数" in out and "1 个账号未完整抓取" in out
    assert "posts" not in out


def test_crawl_summary_in_english(capsys):
    out = crawl_summary(capsys, "en")
    assert out.startswith("Summary: 2 account(s)\n")
    assert re.search(r"^  status\s+platform\s+account\s+id\s+posts\s+pages$", out, flags=re.M)
    assert re.search(r"^  ok\s+weibo\s+1669879400\s+1669879400\s+40\s+1$", out, flags=re.M)
    assert re.search(r"^  login_wall\s+weibo\s+2803301701\s+2803301701\s+0\s+0\s+Weibo asks for a login: set "
                     r"WEIBO_COOKIE", out, flags=re.M)
    assert out.rstrip().splitlines()[-1].startswith("1 account(s) not complete")
    assert "帖子" not in out


def test_status_lines_line_up_in_both_languages(capsys):
    """Status codes stay English in both languages (scripts and the README refer to them)."""
    for language in i18n.LANGUAGES:
        lines = [line for line in crawl_summary(capsys, language).splitlines() if " weibo " in line]
        assert [line.split()[0] for line in lines] == ["ok", "login_wall"]
        assert len({line.index(" weibo ") for line in lines}) == 1
        # posts and pages are right-aligned: the rows are as long up to the pages column
        assert len({re.search(r"\d+\s+\d+(?=\s{2}|$)", line).end() for line in lines}) == 1


def test_the_crawl_path_does_not_import_babel_or_jinja2():
    code = ("import sys, benchmark.extensions, benchmark.i18n; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'babel', 'jinja2', 'pandas', 'numpy'}))")
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


# -- the READMEs --------------------------------------------------------------------------------------
READMES = {"en": PROJECT_ROOT / "README.md", "zh": PROJECT_ROOT / "README.zh-CN.md"}


def readme(language: str) -> str:
    return READMES[language].read_text(encoding="utf-8")


def commands(text: str) -> set[str]:
    """Every command line of the ```bash blocks (without its comment) and every inline `scrapy …` or
    `python -m pytest …`."""
    found = set()
    for block in re.findall(r"^```bash\n(.*?)^```", text, flags=re.S | re.M):
        for line in block.splitlines():
            command = re.sub(r"\s+#.*$", "", line).strip()
            if command:
                found.add(command)
    for span in re.findall(r"`([^`\n]+)`", re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)):
        if span.startswith(("scrapy ", "python -m pytest")):
            found.add(span.strip())
    return found


def sections(text: str) -> list[tuple[str, int]]:
    """(heading level, table rows) per section, in order: the two READMEs must have the same shape."""
    shape: list[tuple[str, int]] = []
    in_code = False
    for line in text.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        elif not in_code and (heading := re.match(r"^(#{1,6}) ", line)):
            shape.append((heading[1], 0))
        elif not in_code and line.startswith("|") and shape:
            shape[-1] = (shape[-1][0], shape[-1][1] + 1)
    return shape


def code_spans(text: str) -> set[str]:
    return set(re.findall(r"`([^`\n]+)`", re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)))


def test_commands_are_the_same_in_both_readmes():
    english, chinese = commands(readme("en")), commands(readme("zh"))
    assert "scrapy demo" in english and "python -m pytest -q" in english  # the extraction works
    assert sorted(english - chinese) == [], "README.zh-CN.md lacks these commands of README.md"
    assert sorted(chinese - english) == [], "README.md lacks these commands of README.zh-CN.md"


def test_readmes_have_the_same_sections_and_tables():
    assert sections(readme("zh")) == sections(readme("en"))


def test_every_name_the_english_readme_quotes_is_in_the_chinese_one():
    """Settings, keys, files, metric ids: a new one in README.md must reach README.zh-CN.md too."""
    assert sorted(code_spans(readme("en")) - code_spans(readme("zh"))) == []


def test_code_blocks_other_than_comments_are_identical():
    def blocks(text: str) -> list[str]:
        return [re.sub(r"[ \t]+#.*$", "", block, flags=re.M).rstrip()
                for block in re.findall(r"^```(?:toml|bash)?\n.*?^```", text, flags=re.S | re.M)]

    assert blocks(readme("zh")) == blocks(readme("en"))


# -- what the report's code asks of the catalogs -------------------------------------------------------------
@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_template_messages_survive_jinja_percent_formatting(language):
    """jinja2's new-style gettext applies `%` to every template message, variables or not: a stray `%` in a
    translation (one that should be `%%`) would break the page at render time."""
    translated = messages(load_po(i18n.catalog_path(language, ".po")))
    checked = 0
    for message in load_po(POT):
        if not message.id or not any(path.endswith(".j2") for path, _line in message.locations):
            continue
        names = set(re.findall(r"%\((\w+)\)s", str(message.id)))
        for text in (message.id, translated[(message.id, message.context)]):
            try:
                text % {name: "x" for name in names}
            except (ValueError, TypeError, KeyError) as exc:
                pytest.fail(f"{text!r}: {exc}")
        checked += 1
    assert checked > 100


def test_every_code_the_report_shows_has_a_name():
    from benchmark.items import PLATFORMS, POST_FORMATS, POST_KINDS, ROLES
    from benchmark.metrics.catalog import AUTHOR_CLASSES, METRICS, PURPOSE_LABELS, VOICE_CLASSES, term_codes
    from benchmark.tracker import TERMINAL

    codes = term_codes()
    assert set(ROLES) <= codes["role"] and set(PLATFORMS) <= codes["platform"]
    assert set(POST_KINDS) <= codes["kind"] and set(POST_FORMATS) <= codes["format"]
    assert set(PURPOSE_LABELS) <= codes["purpose"] and set(AUTHOR_CLASSES) <= codes["author"]
    assert set(VOICE_CLASSES) <= codes["voice"] and {"ok", "partial", *TERMINAL} <= codes["status"]
    assert {unit for unit, _text in METRICS.values()} <= codes["unit"]


def test_every_metric_has_a_translated_name_and_definition():
    from benchmark.metrics.catalog import METRIC_IDS, metric_definition, metric_label

    cjk = re.compile(r"[\u4e00-\u9fff]")
    for metric in METRIC_IDS:
        with i18n.use_language("en"):
            english = (metric_label(metric), metric_definition(metric))
        with i18n.use_language("zh"):
            chinese = (metric_label(metric), metric_definition(metric))
        assert english[0] != metric and not cjk.search(english[0]), metric
        assert cjk.search(chinese[0]) and cjk.search(chinese[1]), (metric, chinese)


def test_metric_values_in_both_languages():
    from benchmark.metrics.catalog import format_value

    assert format_value("purpose_share.sales", 0.3) == "30.0 %"
    assert format_value("purpose_share.sales", 0.3, "zh") == "30.0%"
    assert format_value("er_median", 0.00123, "zh") == "1.23‰"
    assert format_value("response_time_median_h", 48, "zh") == "48.0 小时"
    followers = format_value("followers", 3_200_000, "zh")
    assert followers == "320万" and followers.exact == "3,200,000"
    assert format_value("followers", 3_200_000) == "3,200,000"
    assert format_value("hollow_followers", 1, "zh") == "是" and format_value("hollow_followers", 0) == "no"
