"""benchmark.toml validation: one clear error naming file, line and key for each kind of mistake."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from benchmark.config import load_config, parse_period
from benchmark.exceptions import ConfigError
from tests.toolkit.config_cases import GOOD, MISTAKES, TYPOS
from tests.toolkit.factories import write_config


def error_for(tmp_path: Path, text: str | bytes) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_config(write_config(tmp_path, text))
    return info.value


def test_good_config_loads_with_normalised_ids(tmp_path):
    config = load_config(write_config(tmp_path, GOOD))
    assert config.name == "2026Q3"
    assert (config.period_start, config.period_end) == (date(2026, 7, 1), date(2026, 9, 30))
    assert [a.id for a in config.accounts] == ["1669879400", "brand.bsky.social", "brand@mastodon.social", "durov"]
    assert config.accounts[0].affiliates == ("2345678901",)
    assert config.accounts[1].label == "brand.bsky.social"  # label defaults to the id
    assert config.find("bluesky", "BRAND.bsky.social") is config.accounts[1]
    start, end = config.period_bounds_utc()
    assert start.isoformat() == "2026-07-01T00:00:00+08:00" and end.isoformat() == "2026-10-01T00:00:00+08:00"


def test_shipped_example_is_valid():
    config = load_config(Path(__file__).parent.parent / "benchmark.example.toml")
    assert {a.platform for a in config.accounts} == {"weibo", "bluesky", "mastodon", "telegram"}


@pytest.mark.parametrize(("old", "new", "key", "line", "words"), MISTAKES)
def test_each_mistake_names_file_line_and_key(tmp_path, old, new, key, line, words):
    assert old in GOOD
    error = error_for(tmp_path, GOOD.replace(old, new, 1))
    assert error.key == key
    assert error.line == line
    assert words in str(error)
    assert str(error).startswith(f"{tmp_path / 'benchmark.toml'}:{line}: {key}: ")


def test_duplicate_account_points_at_the_second_entry(tmp_path):
    text = GOOD + '\n[[account]]\nplatform = "weibo"\nid = "1669879400"\nrole = "peer"\n'
    error = error_for(tmp_path, text)
    assert error.key == "account[4].id"
    assert error.line == 28
    assert "duplicate account weibo:1669879400 (also account[0])" in str(error)


def test_invalid_toml_reports_the_parser_line(tmp_path):
    error = error_for(tmp_path, GOOD.replace('role = "own"', "role = own"))
    assert error.line == 9
    assert "not valid TOML" in str(error)


def test_non_utf8_file_is_rejected_with_its_line(tmp_path):
    error = error_for(tmp_path, GOOD.replace('label = "Our Brand"', 'label = "品牌"').encode("gbk"))
    assert error.line == 10
    assert "not UTF-8" in str(error)


def test_missing_file_and_missing_tables(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")
    assert "missing [benchmark]" in str(error_for(tmp_path, GOOD.replace("[benchmark]", "[bench]")))
    no_accounts = GOOD.split("[[account]]")[0]
    assert "no [[account]] entries" in str(error_for(tmp_path, no_accounts))


def test_wrong_types_are_named(tmp_path):
    error = error_for(tmp_path, GOOD.replace('label = "Our Brand"', "label = 42"))
    assert (error.key, error.line) == ("account[0].label", 10)
    error = error_for(tmp_path, GOOD + "\n[thresholds]\nsales_floor_share = \"high\"\n")
    assert error.key == "thresholds.sales_floor_share" and "expected a number" in str(error)
    error = error_for(tmp_path, GOOD + "\n[thresholds]\nsales_floor = 0.3\n")
    assert error.key == "thresholds.sales_floor" and "unknown threshold" in str(error)


def test_period_strings():
    assert parse_period("2026Q3") == (date(2026, 7, 1), date(2026, 9, 30))
    assert parse_period("2026q4") == (date(2026, 10, 1), date(2026, 12, 31))
    assert parse_period("2026-02") == (date(2026, 2, 1), date(2026, 2, 28))
    assert parse_period("2025") == (date(2025, 1, 1), date(2025, 12, 31))
    with pytest.raises(ValueError, match="unknown period"):
        parse_period("Q5 2026")


def test_period_as_quarter_string(tmp_path):
    text = GOOD.replace("period = { start = 2026-07-01, end = 2026-09-30 }", 'period = "2026Q2"')
    config = load_config(write_config(tmp_path, text))
    assert (config.period_start, config.period_end) == (date(2026, 4, 1), date(2026, 6, 30))
    error = error_for(tmp_path, text.replace('"2026Q2"', '"2026Q9"'))
    assert error.key == "benchmark.period" and error.line == 3


def test_lexicon_tables(tmp_path):
    text = GOOD + '\n[purpose.lexicon]\nsales = ["双11"]\n\n[voice.lexicon]\ncomplaint = ["发货太慢"]\n'
    config = load_config(write_config(tmp_path, text))
    assert config.purpose_lexicon == {"sales": ["双11"]}
    assert config.voice_lexicon == {"complaint": ["发货太慢"]}
    error = error_for(tmp_path, GOOD + '\n[voice.lexicon]\ncomplaint = "发货太慢"\n')
    assert error.key == "voice.lexicon.complaint" and error.line == 29


@pytest.mark.parametrize(("old", "new", "key", "line", "suggestion"), TYPOS)
def test_typos_are_rejected_at_their_line_with_the_closest_name(tmp_path, old, new, key, line, suggestion):
    assert old in GOOD
    error = error_for(tmp_path, GOOD.replace(old, new, 1))
    assert (error.key, error.line) == (key, line)
    assert f"did you mean {suggestion}?" in str(error)


def test_a_misspelt_table_is_rejected_with_the_closest_name(tmp_path):
    error = error_for(tmp_path, GOOD + "\n[threshold]\nsales_floor_share = 0.3\n")
    assert (error.key, error.line) == ("threshold", 28)
    assert "did you mean thresholds?" in str(error)
    error = error_for(tmp_path, GOOD + "\n[purpose.lexicn]\nsales = [\"x\"]\n")
    assert (error.key, error.line) == ("purpose.lexicn", 28)
    assert "did you mean lexicon?" in str(error)


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-5"])
def test_thresholds_must_be_finite_and_not_negative(tmp_path, value):
    error = error_for(tmp_path, GOOD + f"\n[thresholds]\nsales_floor_share = {value}\n")
    assert (error.key, error.line) == ("thresholds.sales_floor_share", 29)
    assert "a number of 0 or more" in str(error)


@pytest.mark.parametrize("name", [".", "..", "..."])
def test_a_name_of_dots_is_rejected(tmp_path, name):
    error = error_for(tmp_path, GOOD.replace('name = "2026Q3"', f'name = "{name}"'))
    assert (error.key, error.line) == ("benchmark.name", 2)


def test_a_utf8_file_with_a_byte_order_mark_loads(tmp_path):
    config = load_config(write_config(tmp_path, b"\xef\xbb\xbf" + GOOD.encode("utf-8")))
    assert config.name == "2026Q3"


@pytest.mark.parametrize(
    "period",
    ["{ start = 0001-01-01, end = 9999-12-31 }", "{ start = 2026-01-01, end = 9999-12-31 }",
     "{ start = 0001-01-01, end = 2026-01-01 }", '"9999Q4"', '"0001"'],
)
def test_a_period_out_of_range_is_one_clear_error(tmp_path, period):
    text = GOOD.replace("{ start = 2026-07-01, end = 2026-09-30 }", period)
    error = error_for(tmp_path, text)
    assert error.key.startswith("benchmark.period") and error.line == 3
    assert "between 1990-01-01 and 2100-12-31" in str(error)
