"""Purpose labelling rules (benchmark/purpose.py): accuracy on a hand-labelled set, zh-Hant = zh-Hans,
config-extended lexicons, explanations, structural signals and hostile input.

The labelled set (tests/data/purpose_labelled.csv) was labelled by judgment before the rules were written.
Rows whose 0-based index is ≡ 3 (mod 4) are a held-out quarter whose errors were not looked at while tuning.
"""

from __future__ import annotations

import csv
import json
import time
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmark.purpose import (
    LEXICON_DIR,
    LEXICON_FILES,
    PURPOSE_LABELS,
    TIE_ORDER,
    PurposeRules,
    default_rules,
    label_posts,
)

DATA = Path(__file__).parent / "data" / "purpose_labelled.csv"

# Floors: the report shows shares of the four jobs and flags a "sales floor" at 30 % sales, so a rule change that
# costs more than a few points must fail loudly. Measured: 0.975 overall (see docs/purpose-rules.md). Overall
# ≥ 0.90 leaves room for 4 more errors in 160 posts; per label ≥ 0.75 recall and precision, because `other`
# has 16 rows, where one error moves recall by 6 points.
OVERALL_FLOOR = 0.90
HELD_OUT_FLOOR = 0.85
PER_LABEL_FLOOR = 0.75


@pytest.fixture(scope="module")
def rules() -> PurposeRules:
    return PurposeRules.load()


@pytest.fixture(scope="module")
def labelled() -> list[dict[str, str]]:
    with DATA.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _predict(rules: PurposeRules, rows: list[dict[str, str]]) -> list[str]:
    return [rules.label(row["text"], links=row["links"].split()) for row in rows]


def _table(truth: list[str], predicted: list[str]) -> dict[str, tuple[int, float, float]]:
    """label -> (n, precision, recall)."""
    table = {}
    for label in PURPOSE_LABELS:
        true_positive = sum(t == p == label for t, p in zip(truth, predicted, strict=True))
        n_true, n_predicted = truth.count(label), predicted.count(label)
        table[label] = (n_true, true_positive / n_predicted if n_predicted else 0.0,
                        true_positive / n_true if n_true else 0.0)
    return table


# --- the labelled set ---------------------------------------------------------------------------------------

def test_labelled_set_is_big_and_balanced(labelled):
    labels, langs = Counter(r["label"] for r in labelled), Counter(r["lang"] for r in labelled)
    assert len(labelled) >= 150
    assert all(labels[label] >= 20 for label in ("brand", "communication", "sales", "service"))
    assert labels["other"] >= 10
    assert set(labels) == set(PURPOSE_LABELS)
    assert langs["zh-Hans"] >= 45 and langs["zh-Hant"] >= 35 and langs["en"] >= 55


def test_accuracy_per_label_and_overall(rules, labelled):
    truth = [row["label"] for row in labelled]
    predicted = _predict(rules, labelled)
    table = _table(truth, predicted)
    overall = sum(t == p for t, p in zip(truth, predicted, strict=True)) / len(truth)
    print(f"\n{'label':14}{'n':>5}{'precision':>11}{'recall':>8}")
    for label, (n, precision, recall) in table.items():
        print(f"{label:14}{n:5}{precision:11.3f}{recall:8.3f}")
    for lang in ("zh-Hans", "zh-Hant", "en"):
        pairs = [(t, p) for t, p, r in zip(truth, predicted, labelled, strict=True) if r["lang"] == lang]
        print(f"{lang:14}{len(pairs):5} accuracy {sum(t == p for t, p in pairs) / len(pairs):.3f}")
    print(f"{'overall':14}{len(truth):5} accuracy {overall:.3f}")
    for row, got in zip(labelled, predicted, strict=True):
        if got != row["label"]:
            print(f"  miss: want {row['label']}, got {got}: {row['text'][:70]}")
    assert overall >= OVERALL_FLOOR
    for label, (_n, precision, recall) in table.items():
        assert precision >= PER_LABEL_FLOOR, (label, precision)
        assert recall >= PER_LABEL_FLOOR, (label, recall)


def test_accuracy_on_held_out_quarter(rules, labelled):
    held_out = [row for i, row in enumerate(labelled) if i % 4 == 3]
    predicted = _predict(rules, held_out)
    accuracy = sum(p == row["label"] for p, row in zip(predicted, held_out, strict=True)) / len(held_out)
    print(f"\nheld-out quarter: {len(held_out)} posts, accuracy {accuracy:.3f}")
    assert accuracy >= HELD_OUT_FLOOR


# --- traditional and simplified Chinese -------------------------------------------------------------------

HANS_HANT = [
    ("限时领取优惠券，全场折扣低至五折，立即购买", "限時領取優惠券，全場折扣低至五折，立即購買", "sales"),
    ("售后客服在线：退换货、维修请私信，物流和订单问题24小时内回复",
     "售後客服在線：退換貨、維修請私信，物流和訂單問題24小時內回覆", "service"),
    ("品牌十周年，全新系列正式发布，新品故事抢先看", "品牌十週年，全新系列正式發佈，新品故事搶先看", "brand"),
    ("转发本条微博参与抽奖，评论区告诉我们你最喜欢哪一款？", "轉發本條微博參與抽獎，評論區告訴我們你最喜歡哪一款？",
     "communication"),
    ("因系统升级，部分订单发货延迟，给您带来不便深表歉意", "因系統升級，部分訂單發貨延遲，給您帶來不便深表歉意",
     "service"),
    ("双11预售开启，定金立减50元，戳链接下单", "雙11預售開啓，定金立減50元，戳鏈接下單", "sales"),
    ("携手公益基金会，用设计传递环保理念", "攜手公益基金會，用設計傳遞環保理念", "brand"),
    ("早安！周末愉快，你们今天打算做什么？", "早安！週末愉快，你們今天打算做什麼？", "communication"),
    # Taiwan variant characters (開啟, 為, 裡) fold to the same simplified text as the OpenCC standard ones.
    ("新品发表会即将开启，为你准备的惊喜都在这里", "新品發表會即將開啟，為你準備的驚喜都在這裡", "brand"),
]


@pytest.mark.parametrize(("hans", "hant", "expected"), HANS_HANT)
def test_traditional_and_simplified_get_the_same_label_and_reasons(rules, hans, hant, expected):
    assert rules.label(hans) == rules.label(hant) == expected
    assert rules.explain(hans) == rules.explain(hant)


def test_traditional_text_matches_simplified_user_terms_and_vice_versa():
    rules = PurposeRules.load({"sales": ["超级品类日"], "service": ["會員專線"]})
    assert rules.label("超級品類日開跑！") == "sales"
    assert rules.label("会员专线全天在线") == "service"
    assert rules.explain("超級品類日開跑！")["sales"] == ["超级品类日"]


def test_full_width_characters_are_folded(rules):
    assert "price:¥59" in rules.explain("保温杯￥５９")["sales"]
    assert "question" in rules.explain("你们喜欢吗？")["communication"]
    assert rules.label("ＳＡＬＥ ｔｏｄａｙ") == "sales"


# --- extending the lexicon from the config ----------------------------------------------------------------

def test_extra_lexicon_turns_an_other_post_into_sales(rules):
    text = "Prime Day starts tomorrow"
    assert rules.label(text) == "other"
    extended = PurposeRules.load({"sales": ["Prime Day"], "service": ["售后群"]})
    assert extended.label(text) == "sales"
    assert extended.explain(text)["sales"] == ["Prime Day"]
    assert extended.label("进售后群领取说明书电子版") == "service"


def test_extra_other_terms_are_an_exclusion_list(rules):
    text = "诚聘设计师，欢迎投递作品集"
    assert rules.label(text) == "brand"
    assert PurposeRules.load({"other": ["诚聘"]}).label(text) == "other"


def test_extra_lexicon_repeating_a_shipped_term_does_not_count_twice(rules):
    text = "全场包邮"
    assert PurposeRules.load({"sales": ["包邮", "包郵"]}).explain(text)["sales"] == rules.explain(text)["sales"]


def test_blank_extra_terms_are_ignored_instead_of_matching_everything():
    rules = PurposeRules.load({"sales": ["", "   ", "*"]})
    assert rules.label("A quiet afternoon by the lake") == "other"


@pytest.mark.parametrize("key", ["promo", "Sales", "purpose"])
def test_unknown_label_key_raises_naming_it(key):
    with pytest.raises(ValueError, match=repr(key)):
        PurposeRules.load({key: ["x"]})


def test_non_string_or_huge_terms_raise():
    with pytest.raises(ValueError, match="sales"):
        PurposeRules.load({"sales": [42]})
    with pytest.raises(ValueError, match="longer than"):
        PurposeRules.load({"brand": ["x" * 500]})


# --- explain ------------------------------------------------------------------------------------------------

def test_explain_names_terms_and_signals(rules):
    explained = rules.explain("限时秒杀：经典款保温杯 ¥59 包邮 #好物推荐#", links=["https://detail.tmall.com/item.htm?id=1"])
    assert explained["sales"] == ["限时", "秒杀", "包邮", "price:¥59", "shop_link:tmall.com"]
    assert set(explained) == set(PURPOSE_LABELS)


def test_explain_shows_the_lexicon_spelling_for_traditional_text(rules):
    # 結帳 is a zh-Hant lexicon term; 優惠券 matches the zh-Hans term 优惠券, which is shown as written there.
    assert rules.explain("結帳輸入優惠券代碼")["sales"] == ["結帳", "优惠券"]


def _label_from(explained: dict[str, list[str]]) -> str:
    """The documented decision, recomputed from explain(): most entries wins, TIE_ORDER breaks ties."""
    if explained["other"]:
        return "other"
    best = max(TIE_ORDER, key=lambda label: len(explained[label]))
    return best if explained[best] else "other"


def test_label_is_the_longest_explanation_with_tie_order(rules, labelled):
    for post in labelled:
        links = post["links"].split()
        assert rules.label(post["text"], links=links) == _label_from(rules.explain(post["text"], links=links))


def test_ties_follow_tie_order(rules):
    # One service term (订单) against one sales term (下单).
    text = "下单后订单"
    explained = rules.explain(text)
    assert len(explained["service"]) == len(explained["sales"]) == 1
    assert rules.label(text) == "service"
    # A question (communication) against a price (sales).
    explained = rules.explain("Only $5?")
    assert explained["sales"] == ["price:$5"] and explained["communication"] == ["question"]
    assert rules.label("Only $5?") == "sales"


# --- structural signals -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "price"), [
    ("保温杯 ¥59", "¥59"), ("首发价 3999 元", "3999 元"), ("限量款 NT$1,280", "$1,280"), ("starting at $149", "$149"),
    ("only 20 dollars", "20 dollars"), ("£25 each", "£25"), ("RMB 99", "rmb 99"),
    ("抽奖送价值¥599耳机，到手¥399", "¥399"),  # the prize value is skipped, the selling price after it counts
])
def test_price_signal(rules, text, price):
    assert f"price:{price}" in rules.explain(text)["sales"]


@pytest.mark.parametrize("text", [
    "2027元旦快乐", "抽1位送价值¥599的耳机", "win a prize worth $500", "捐赠1000万元", "40% recycled materials",
    "Model 3 2026", "第15元宵灯会",
])
def test_not_a_price(rules, text):
    assert not [s for s in rules.explain(text)["sales"] if s.startswith("price:")]


@pytest.mark.parametrize(("text", "found"), [
    ("全场8.5折", "8.5折"), ("全館 79 折", "79 折"), ("低至五折", "五折"), ("40% off sitewide", "40% off"),
    ("满300减50", "满300减50"), ("買二送一", "买二送一"), ("buy 2 get 1 free", "buy 2 get 1"),
])
def test_discount_signal(rules, text, found):
    assert f"discount:{found}" in rules.explain(text)["sales"]


def test_tri_fold_phone_is_not_a_discount(rules):
    assert not [s for s in rules.explain("全新三折叠屏手机，3折叠设计")["sales"] if s.startswith("discount:")]


@pytest.mark.parametrize(("link", "found"), [
    ("https://item.taobao.com/item.htm?id=1", "taobao.com"), ("https://m.tb.cn/h.abc", "tb.cn"),
    ("https://www.amazon.com/dp/B0C1", "amazon.com"), ("http://shop.example.com/x", "shop.example.com"),
    ("https://example.com/products/linen-set", "/products"), ("item.jd.com/100012345.html", "jd.com"),
])
def test_shop_link_signal(rules, link, found):
    assert f"shop_link:{found}" in rules.explain("", links=[link])["sales"]


def test_shop_link_inside_the_text_counts(rules):
    assert "shop_link:tmall.com" in rules.explain("戳 https://detail.tmall.com/item.htm?id=6721")["sales"]


@pytest.mark.parametrize(("link", "found"), [
    ("https://support.example.com/pairing", "support.example.com"), ("https://example.com/recall", "/recall"),
    ("https://help.example.org/a", "help.example.org"), ("https://example.com/faq#top", "/faq"),
])
def test_service_link_signal(rules, link, found):
    assert f"service_link:{found}" in rules.explain("", links=[link])["service"]


@pytest.mark.parametrize(("text", "found"), [
    ("客服热线 400-820-8820", "400-820-8820"), ("請撥打 0800-123-456", "0800-123-456"),
    ("call 1-800-555-0199", "1-800-555-0199"),
])
def test_hotline_signal(rules, text, found):
    assert f"hotline:{found}" in rules.explain(text)["service"]


def test_question_mark_in_a_url_is_not_a_question(rules):
    assert rules.explain("新品 https://example.com/a?b=1")["communication"] == []
    assert rules.explain("新品好看吗? https://example.com/a?b=1")["communication"] == ["question"]


def test_replies_and_leading_mentions_count_for_communication(rules):
    assert rules.label("Glad you like it", kind="reply") == "communication"
    assert rules.label("Glad you like it", reply_to_author_id="did:plc:abc") == "communication"
    assert rules.label("@jamie glad you like it") == "communication"
    assert rules.label("回复@小王: 已收到") == "communication"
    # A reply that handles an order is still service: the reply counts one point, service terms count more.
    assert rules.label("Sorry! Please DM us your order number and we'll check the refund.", kind="reply") == "service"


@pytest.mark.parametrize(("text", "label"), [
    ("Wholesale enquiries welcome", "other"),  # not "sale"
    ("Room 2618", "other"),  # not "618"
    ("Vintage lookbook", "brand"),  # "tag" is not found in "vintage"
    ("Everything discounted this week", "sales"),  # discount*
    ("Our new collection launches today", "brand"),  # launch*
])
def test_english_word_boundaries_and_prefix_terms(rules, text, label):
    assert rules.label(text) == label


def test_platform_placeholder_text_is_other(rules):
    assert rules.label("转发微博") == rules.label("轉發微博") == rules.label(" Repost ") == "other"


# --- batch helper -----------------------------------------------------------------------------------------

def test_label_posts_matches_label(rules, labelled):
    texts = [row["text"] for row in labelled]
    links = [row["links"].split() for row in labelled]
    kinds = ["reply" if i % 10 == 0 else "original" for i in range(len(labelled))]
    expected = [rules.label(t, links=lk, kind=k) for t, lk, k in zip(texts, links, kinds, strict=True)]
    assert label_posts(texts, links, kinds, rules) == expected
    assert label_posts(texts, links, kinds) == expected  # default rules
    assert label_posts([], [], []) == []


def test_label_posts_rejects_misaligned_inputs():
    with pytest.raises(ValueError, match="differ in length"):
        label_posts(["a", "b"], [[]], ["original", "original"])


def test_default_rules_are_cached():
    assert default_rules() is default_rules()


# --- hostile input ------------------------------------------------------------------------------------------

HOSTILE = [
    "", " ", None, 0, b"bytes", "\x00\ud800\uffff", "🎉" * 1000, "<script>alert(1)</script>",
    "<a href='https://item.jd.com/1'>买</a><img src=x onerror=alert(1)>", "?" * 10_000, "@" * 5000,
    "1" * 200_000, "¥" + "9" * 100_000, "8" * 100_000 + "折", "a" * 1_000_000, "优惠" * 100_000,
    "http://" + "x" * 100_000, "<<<<>>>>" * 10_000,
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_text_gets_a_label_quickly(rules, text):
    started = time.perf_counter()
    label = rules.label(text, links=["https://tmall.com/" + "a" * 10_000, None, 5, ""], kind=None,
                        reply_to_author_id=123)  # type: ignore[arg-type]
    explained = rules.explain(text)
    assert label in PURPOSE_LABELS
    assert set(explained) == set(PURPOSE_LABELS)
    assert time.perf_counter() - started < 5  # linear time: a quadratic regex would take minutes here


@pytest.mark.parametrize("links", [None, "https://detail.tmall.com/x https://example.com", 42, [["nested"]], ()])
def test_odd_links_never_raise(rules, links):
    assert rules.label("新品", links=links) in PURPOSE_LABELS  # type: ignore[arg-type]


def test_links_given_as_one_string_are_split(rules):
    assert "shop_link:tmall.com" in rules.explain("", links="https://detail.tmall.com/x https://a.b")["sales"]  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=300), links=st.lists(st.text(max_size=60), max_size=3),
       kind=st.sampled_from(["original", "reply", "repost", "quote", "", "??"]))
def test_any_text_gets_a_consistent_label(text, links, kind):
    rules = default_rules()
    label = rules.label(text, links=links, kind=kind)
    explained = rules.explain(text, links=links, kind=kind)
    assert label == _label_from(explained)


# --- the shipped lexicon files -----------------------------------------------------------------------------

def test_lexicon_files_are_well_formed():
    for name in LEXICON_FILES:
        lexicon = json.loads((LEXICON_DIR / name).read_text(encoding="utf-8"))
        assert set(lexicon["terms"]) <= set(PURPOSE_LABELS) - {"other"}, name
        for label, terms in lexicon["terms"].items():
            assert terms and all(isinstance(t, str) and t.strip() == t and t for t in terms), (name, label)
            assert len(terms) == len(set(terms)), (name, label)


def test_traditional_table_is_idempotent(rules):
    table = rules.char_table
    for source, target in table.items():
        assert len(target) == 1
        assert target.translate(table) == target, (chr(source), target)
    assert len(table) > 2500
