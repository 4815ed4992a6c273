"""Fan-voice rules (benchmark/voice.py): accuracy on a labelled set, real Weibo comments, normalisation,
negation, precedence, config extension, explain(), hostile input and complaint-term extraction."""

from __future__ import annotations

import csv
import json
import logging
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmark.platforms.weibo.parser import parse_comments
from benchmark.voice import (
    LEXICON_DIR,
    LEXICON_FILES,
    VOICE_CLASSES,
    VoiceRules,
    _segmenter,
    classify_comments,
    complaint_terms,
    default_rules,
)

TESTS = Path(__file__).parent
LABELLED = TESTS / "data" / "voice_labelled.csv"
WEIBO = TESTS / "fixtures" / "weibo"

# Floors for the labelled set. The set was written and labelled before the rules, by the same person, so the
# measured figures (0.97-1.00 per class) are in-sample and optimistic; the floors sit well below them so that
# a lexicon edit can cost a comment or two, while a broken rule (a class losing 5 of its ~32 comments) fails.
# People labelling short comments themselves disagree on roughly one in ten, so a higher floor would be
# tuning to noise.
CLASS_FLOOR = 0.85  # precision and recall, per class
OVERALL_FLOOR = 0.90  # accuracy, overall and per language

# Real comments from the two recorded m.weibo.cn payloads, labelled by hand before the classifier saw them.
# Celebrity-fan chatter with brand accounts joining in: mostly `other`, which is what real threads look like.
WEIBO_LABELS = {
    "宝宝陪你一起搬陪你一起吃[羞嗒嗒]": "other",
    "回复@热爱CP:那阿丝们一起搬叭[doge]": "other",
    "[doge]我想吃你": "other",
    "飘飘祝热巴吃好喝好！": "other",
    "姐姐": "other",
    "姐姐一起还有机会吗[嘻嘻][嘻嘻]": "question",
    "真的自拍！": "other",
    "姐ins上也来一发？？": "question",
    "❤️❤️❤️": "praise",
    "宝宝！": "other",
    "我帮你搬 你赶紧去吃！": "other",
    "妈妈让你多吃点": "other",
    "悠着点您的老腰[doge][喵喵]": "other",
    "可以开开心心吃了[笑而不语]": "other",
    "大美女[心]": "praise",
    "嗯，吃好喝好(✪▽✪)": "other",
    "看着好好吃  姐姐多吃点": "praise",
    "我爱你！！": "praise",
    "！！！吃！": "other",
    "一起吃可好@Dear-迪丽热巴": "other",
    "迪丽热巴哇[憧憬]看起来好好吃哦，为了吃搬砖是不是都充满了动力哈哈哈哈💕@Dear-迪丽热巴": "praise",
    "吃的完吗？要不我帮你解决一点儿[太开心]": "question",
    "我乘着风有晴天路过": "other",
    "回复@世间本空:没礼貌，我想吃您[doge]": "other",
}


@pytest.fixture(scope="module")
def rules() -> VoiceRules:
    return default_rules()


@pytest.fixture(scope="module")
def labelled() -> list[dict[str, str]]:
    with LABELLED.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _scores(rows: list[dict[str, str]], predicted: list[str]) -> dict[str, tuple[float, float, int]]:
    """Per class: (precision, recall, number labelled)."""
    scores = {}
    for voice in VOICE_CLASSES:
        hits = sum(p == voice and row["label"] == voice for p, row in zip(predicted, rows, strict=True))
        said = predicted.count(voice)
        truth = sum(row["label"] == voice for row in rows)
        scores[voice] = (hits / said if said else 0.0, hits / truth if truth else 0.0, truth)
    return scores


# --- the labelled set -----------------------------------------------------------------------------------------


def test_labelled_set_is_big_and_balanced_enough(labelled):
    labels = Counter(row["label"] for row in labelled)
    langs = Counter(row["lang"] for row in labelled)
    assert len(labelled) >= 120
    assert set(labels) == set(VOICE_CLASSES)
    assert min(labels.values()) >= 20, labels
    assert langs["zh-Hans"] + langs["zh-Hant"] >= 55 and langs["zh-Hant"] >= 15 and langs["en"] >= 55, langs
    assert all(row["text"].strip() for row in labelled)


def test_accuracy_per_class_on_labelled_set(labelled, rules):
    predicted = classify_comments([row["text"] for row in labelled], rules)
    scores = _scores(labelled, predicted)
    table = "\n".join(f"{voice:10s} precision {p:.2f}  recall {r:.2f}  n={n}" for voice, (p, r, n) in scores.items())
    accuracy = sum(p == row["label"] for p, row in zip(predicted, labelled, strict=True)) / len(labelled)
    misses = [(row["label"], p, row["text"]) for p, row in zip(predicted, labelled, strict=True) if p != row["label"]]
    print(f"\nfan voice, labelled set ({len(labelled)} comments): accuracy {accuracy:.3f}\n{table}\nmisses: {misses}")
    assert accuracy >= OVERALL_FLOOR, misses
    for voice, (precision, recall, _n) in scores.items():
        assert precision >= CLASS_FLOOR and recall >= CLASS_FLOOR, (voice, table, misses)


@pytest.mark.parametrize("lang", ["zh-Hans", "zh-Hant", "en"])
def test_accuracy_per_language_on_labelled_set(labelled, rules, lang):
    rows = [row for row in labelled if row["lang"] == lang]
    right = sum(rules.classify(row["text"]) == row["label"] for row in rows)
    assert right / len(rows) >= OVERALL_FLOOR, (lang, right, len(rows))


# --- real payloads --------------------------------------------------------------------------------------------


def _weibo_comment_texts() -> list[str]:
    texts: list[str] = []
    for name in ("m_weibo_cn__comments_hotflow__first_page__2019.json",
                 "m_weibo_cn__api_comments_show__page1__2019.json"):
        payload = json.loads((WEIBO / name).read_text(encoding="utf-8"))
        comments, _cursor, _total = parse_comments(payload, post_id="4383183661430868",
                                                   post_author_id="1669879400",
                                                   crawled_at=datetime(2019, 6, 15, tzinfo=UTC))
        texts += [comment.text for comment in comments]
    return texts


def test_real_weibo_comments_match_hand_labels(rules):
    texts = _weibo_comment_texts()
    assert set(texts) == set(WEIBO_LABELS)  # the hand labels cover every parsed comment
    predicted = dict(zip(texts, classify_comments(texts, rules), strict=True))
    right = sum(predicted[text] == label for text, label in WEIBO_LABELS.items())
    misses = {text: (label, predicted[text]) for text, label in WEIBO_LABELS.items() if predicted[text] != label}
    # 22 of 24 measured; the two misses are documented (开心 as the fan's mood, a rhetorical 是不是).
    assert right / len(WEIBO_LABELS) >= 0.8, misses
    assert predicted["姐ins上也来一发？？"] == "question"
    assert predicted["大美女[心]"] == "praise"
    assert predicted["❤️❤️❤️"] == "praise"
    assert predicted["回复@热爱CP:那阿丝们一起搬叭[doge]"] == "other"


# --- normalisation --------------------------------------------------------------------------------------------

TRADITIONAL_SIMPLIFIED = [
    ("訂單取消了還沒退款，打客服電話都沒人接", "订单取消了还没退款，打客服电话都没人接"),
    ("好喜歡這次的聯名！包裝也好美", "好喜欢这次的联名！包装也好美"),
    ("請問門市什麼時候開始販售？", "请问门市什么时候开始贩售？"),
    ("一點都不好吃，很失望", "一点都不好吃，很失望"),
    ("這個好不好用啊", "这个好不好用啊"),
    ("[讚][讚]", "[赞][赞]"),
    ("質量問題，壞了三次", "质量问题，坏了三次"),
    ("等了兩個禮拜還沒收到貨", "等了两个礼拜还没收到货"),
]


@pytest.mark.parametrize(("traditional", "simplified"), TRADITIONAL_SIMPLIFIED)
def test_traditional_equals_simplified(rules, traditional, simplified):
    assert rules.classify(traditional) == rules.classify(simplified)
    assert rules.explain(traditional) == rules.explain(simplified)
    assert rules.classify(simplified) != "other"  # the pair exercises real terms, not two empty results


def test_full_width_and_case_do_not_matter(rules):
    assert rules.explain("敏感肌能用吗？") == rules.explain("敏感肌能用吗?")
    assert rules.classify("WORST. PURCHASE. EVER.") == rules.classify("worst. purchase. ever.") == "complaint"
    assert rules.classify("Can’t wait!") == rules.classify("Can't wait!") == "praise"  # curly apostrophe


def test_mentions_and_urls_are_not_read_as_words(rules):
    assert rules.classify("@好吃的猫 快来看") == "other"
    assert rules.classify("回复@垃圾分类小助手:收到") == "other"
    assert rules.classify("https://t.cn/refund?x=1") == "other"  # neither a complaint nor a question


# --- rules: negation, masks, questions, precedence -------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("不好吃", "complaint"),
    ("一点都不好吃", "complaint"),
    ("不喜欢新包装", "complaint"),
    ("质量不好", "complaint"),
    ("not good", "complaint"),
    ("Not very good at all", "complaint"),
    ("never again", "complaint"),
    ("don't love the new logo", "complaint"),
    ("好吃不贵", "praise"),  # negated complaint word → praise
    ("没让我失望", "praise"),
    ("never disappointed", "praise"),
    ("Not bad at all!", "praise"),
    ("no complaints here", "praise"),
    ("不错不错", "praise"),  # a term that starts with a cue is read as written
    ("Can't thank you enough", "praise"),
    ("can't wait!!", "praise"),
])
def test_negation(rules, text, expected):
    assert rules.classify(text) == expected, rules.explain(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("垃圾分类从我做起", "other"),  # mask hides 垃圾
    ("慢慢来", "other"),  # mask hides 慢
    ("Good morning from Brazil", "other"),  # mask hides good
    ("真的好吃不骗你", "praise"),  # mask hides 骗
    ("不好意思", "other"),  # mask wins over the negation 不+好
    ("入坑了，好喜欢", "praise"),
    ("怎么这么好看", "praise"),  # exclamation, not a question
])
def test_masks(rules, text, expected):
    assert rules.classify(text) == expected, rules.explain(text)


@pytest.mark.parametrize("text", [
    "敏感肌能用吗", "这个是防水的么", "好不好吃", "能不能寄到新疆", "多少钱一瓶", "什么时候补货",
    "Is this dishwasher safe", "do you ship to Australia", "Hi, is there a student discount?", "Same for me?",
    "Great. So when is it coming back",
])
def test_questions(rules, text):
    assert rules.classify(text) == "question", rules.explain(text)


@pytest.mark.parametrize("text", ["I can't decide", "Don't miss it", "这么好", "Isn't it lovely"])
def test_not_questions(rules, text):
    assert rules.classify(text) != "question", rules.explain(text)


def test_precedence(rules):
    assert rules.classify("为什么还没收到货？") == "complaint"  # complaint phrased as a question
    assert rules.classify("Love it but the zipper broke, can I get a refund?") == "complaint"  # 2 vs 1
    assert rules.classify("Thanks for the quick refund!") == "complaint"  # 1 vs 1: a tie is a complaint
    assert rules.classify("Amazing colours, when will it be in stock?") == "question"  # question beats praise
    assert rules.classify("Great, great service, perfect fit, one broken button") == "praise"  # 2 vs 1


def test_emoji_codes_count(rules):
    assert rules.classify("[怒][怒]") == "complaint"
    assert rules.classify("[心]") == "praise"
    assert rules.classify("[doge]") == "other"
    assert rules.explain("还行[抓狂]")["complaint"] == ["[抓狂]"]


def test_waiting_counts_as_complaint(rules):
    assert rules.explain("等了一个月了")["complaint"] == ["waited:等了一个月"]
    assert rules.classify("It's been 2 weeks and still nothing") == "complaint"
    assert rules.classify("Been a loyal customer for 10 years") != "complaint"


# --- explain --------------------------------------------------------------------------------------------------


def test_explain_names_terms_in_order(rules):
    fired = rules.explain("物流太慢了，差评[怒]，什么时候能到？")
    assert list(fired) == list(VOICE_CLASSES)
    assert fired["complaint"] == ["物流太慢", "差评", "[怒]"]
    assert fired["question"] == ["什么时候", "?"]
    assert fired["praise"] == [] and fired["other"] == []


def test_explain_names_negations_and_masks(rules):
    assert rules.explain("一点都不好吃")["complaint"] == ["neg:一点都不好吃"]
    assert rules.explain("一点都不好吃")["praise"] == []  # the negated term no longer counts as praise
    assert rules.explain("never disappointed") == {"complaint": [], "praise": ["neg:never disappointed"],
                                                   "question": [], "other": []}
    assert rules.explain("垃圾分类")["other"] == ["垃圾分类"]
    assert rules.explain("Refunds please")["complaint"] == ["refund*"]  # a star term shows as written


def test_explain_agrees_with_classify(labelled, rules):
    """The label follows from the explain() lists alone: that is the transparency promise."""
    for row in labelled:
        fired = rules.explain(row["text"])
        complaint, praise = len(fired["complaint"]), len(fired["praise"])
        if complaint and complaint >= praise:
            expected = "complaint"
        elif fired["question"]:
            expected = "question"
        else:
            expected = "praise" if praise else "other"
        assert rules.classify(row["text"]) == expected, (row["text"], fired)


# --- config extension -----------------------------------------------------------------------------------------


def test_config_extends_every_class():
    assert default_rules().classify("发货晚了三天") == "other"
    extended = VoiceRules.load({"complaint": ["发货晚"], "praise": ["出片"], "question": ["求链接"],
                                "other": ["慢"]})
    assert extended.classify("发货晚了三天") == "complaint"
    assert extended.classify("拍照超出片") == "praise"
    assert extended.classify("不出片") == "complaint"  # configured praise terms are negatable too
    assert extended.classify("求链接") == "question"
    assert extended.classify("慢死了") == "other"  # a config term moves a shipped one to the config's class
    assert extended.explain("慢死了")["other"] == ["慢"]


def test_config_terms_in_traditional_match_simplified_text():
    extended = VoiceRules.load({"complaint": ["發貨晚"]})
    assert extended.classify("发货晚了") == "complaint"
    assert extended.explain("发货晚了")["complaint"] == ["發貨晚"]  # shown as written in the config


def test_config_rejects_unknown_class_and_bad_terms():
    with pytest.raises(ValueError, match="unknown voice class 'complain'"):
        VoiceRules.load({"complain": ["slow"]})
    with pytest.raises(ValueError, match=r"voice\.lexicon\.praise: terms must be strings"):
        VoiceRules.load({"praise": ["ok", 3]})
    with pytest.raises(ValueError, match="table of class"):
        VoiceRules.load(["complaint"])  # type: ignore[arg-type]
    assert VoiceRules.load({"praise": "single string"}).classify("single string") == "praise"
    assert VoiceRules.load({}).classify("退款") == "complaint"


def test_shipped_lexicons_have_no_term_in_two_classes(rules):
    seen: dict[str, str] = {}
    for name in LEXICON_FILES:
        lexicon = json.loads((LEXICON_DIR / name).read_text(encoding="utf-8"))
        assert set(lexicon["terms"]) <= set(VOICE_CLASSES), name
        for voice, terms in lexicon["terms"].items():
            for term in terms:
                norm = rules.normalise(term).strip()
                assert seen.setdefault(norm, voice) == voice, (name, term, seen[norm], voice)


# --- hostile input --------------------------------------------------------------------------------------------


class _Hostile:
    def __str__(self) -> str:
        raise RuntimeError("no text here")


@pytest.mark.parametrize("value", [None, "", "   ", 123, 4.5, b"\xe9\x80\x80\xe6\xac\xbe", bytearray(b"\xff\xfe"),
                                   _Hostile(), "\ud800", "\x00\x01", "[", "@", "?" * 3, "🤷" * 50, ["退款"]])
def test_hostile_values_never_raise(rules, value):
    assert rules.classify(value) in VOICE_CLASSES  # type: ignore[arg-type]
    assert list(rules.explain(value)) == list(VOICE_CLASSES)  # type: ignore[arg-type]


def test_bytes_are_decoded(rules):
    assert rules.classify("退款".encode()) == "complaint"  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["不好吃" * 7000, "好不" * 10000, "not " * 5000 + "good", "?" * 100_000,
                                  "[" * 20_000, "@" * 20_000, "等了" * 10_000, "a" * 50_000, "是不是" * 7000])
def test_pathological_texts_cost_linear_time(rules, text):
    started = time.perf_counter()
    rules.classify(text)
    rules.explain(text)
    assert time.perf_counter() - started < 2.0  # measured 0.01-0.25 s; quadratic code took 10-20 s


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("不没好吃坏了退款?？吗 不是好不好notgd'[]怒@#\n.慢垃圾分类")), max_size=60)
       | st.text(max_size=80))
def test_any_text_gets_a_class(text):
    rules = default_rules()
    fired = rules.explain(text)
    assert rules.classify(text) in VOICE_CLASSES
    assert all(isinstance(name, str) and name for names in fired.values() for name in names)


def test_classify_comments_matches_classify(labelled, rules):
    texts = [row["text"] for row in labelled] + [None, "", 7]  # type: ignore[list-item]
    assert classify_comments(texts) == [rules.classify(text) for text in texts]
    assert classify_comments([]) == []


def test_batch_throughput_guard(labelled, rules):
    """Guard against the regex shape that ran at ~300 comments/s (one capturing group per term)."""
    texts = [row["text"] for row in labelled] * 80  # ~10,000 comments
    started = time.perf_counter()
    classify_comments(texts, rules)
    rate = len(texts) / (time.perf_counter() - started)
    assert rate > 5_000, f"{rate:,.0f} comments/s"  # measured ~65,000/s on the shared 2-core box


def test_module_import_stays_light():
    code = "import sys, benchmark.voice; assert 'jieba' not in sys.modules and 'pandas' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=TESTS.parent)


# --- complaint terms ------------------------------------------------------------------------------------------

# Hand count: 物流 in comments 1-3 (three times in comment 3, counted once) = 3; 客服 in 2 and 4 = 2;
# 退款 in 3 and 4 = 2. Comment 5 is praise and comment 6 a question: their 物流 and 发货 do not count.
COMPLAINTS_ZH = [
    "物流太慢了，还没收到[怒]",
    "物流信息三天不更新，客服不回",
    "物流物流物流！包裹丢了，退款",
    "客服态度太差了，退款拖了15天",
    "好喜欢，物流也很快",
    "请问什么时候发货？",
]


def test_complaint_terms_counts_once_per_complaint():
    assert complaint_terms(COMPLAINTS_ZH, top=3) == [("物流", 3), ("客服", 2), ("退款", 2)]


def test_complaint_terms_drops_stopwords_short_tokens_numbers_and_emoji_codes():
    terms = dict(complaint_terms(COMPLAINTS_ZH, top=50))
    assert terms["没收到"] == 1  # kept whole (segment_words), not 没收 "confiscate"
    assert all(len(term) > 1 for term in terms)
    assert not {"15", "怒", "[怒]", "了"} & set(terms)
    assert "发货" not in terms  # only in the question
    without = complaint_terms(COMPLAINTS_ZH, top=2, stopwords=["物流"])
    assert without == [("客服", 2), ("退款", 2)]


def test_complaint_terms_english_and_traditional():
    texts = ["Refund please, the refund never came", "No refund and customer service ignored me",
             "terrible customer service, 2 stars", "love it"]
    assert complaint_terms(texts, top=3) == [("refund", 2), ("customer", 2), ("service", 2)]
    assert complaint_terms(["物流太慢，差评", "物流好慢，差评"], top=2) == \
        complaint_terms(["物流太慢，差評", "物流好慢，差評"], top=2) == [("物流", 2), ("差评", 2)]


def test_complaint_terms_edge_cases():
    assert complaint_terms([], top=5) == []
    assert complaint_terms(COMPLAINTS_ZH, top=0) == []
    assert complaint_terms([None, "", "[怒]", 42], top=5) == []  # type: ignore[list-item]


def test_jieba_dictionary_ships_in_the_package_and_loads_offline(tmp_path, monkeypatch, capfd):
    import jieba

    dictionary = Path(jieba.__file__).parent / "dict.txt"
    assert dictionary.stat().st_size > 1_000_000  # the full default dictionary, not a stub

    def no_network(*args, **kwargs):
        raise AssertionError("jieba tried to open a socket")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    fresh = jieba.Tokenizer()
    fresh.tmp_dir = str(tmp_path)  # no cache there: built from dict.txt
    fresh.initialize()
    assert fresh.lcut("物流太慢") == ["物流", "太慢"]
    capfd.readouterr()
    logging.getLogger("jieba").setLevel(logging.DEBUG)  # as in a fresh process: jieba logs its loading
    _segmenter.cache_clear()  # our lazy path raises that logger to WARNING first: nothing on stderr
    assert complaint_terms(["物流太慢，差评"], top=1) == [("物流", 1)]
    assert capfd.readouterr().err == ""


def test_segmenter_cuts_as_jieba_with_its_whole_dictionary(labelled, rules):
    # complaint_terms' segmenter loads only the dictionary entries of the texts it cuts (issue 19: jieba's
    # own start is most of a small report's time); every cut must be jieba's cut with the whole dictionary.
    import jieba

    from benchmark import voice

    segmenter = voice._segmenter(rules.segment_words)
    assert isinstance(segmenter, voice._Segmenter)  # not jieba's fallback (the temp folder is usable here)
    full = jieba.Tokenizer()
    full.initialize()
    for word in rules.segment_words:
        full.add_word(word)
    texts = [row["text"] for row in labelled] + list(WEIBO_LABELS) + ["新品什么时候到货？等了一个月还没发货"]
    runs = [run for text in texts for run in voice._TOKEN_RUN.findall(rules.normalise(text)) if not run.isascii()]
    assert len(runs) > 150
    assert [segmenter.lcut(run) for run in runs] == [full.lcut(run) for run in runs]
    assert segmenter.tokenizer.total == full.total  # the extra words' frequencies were added alike
