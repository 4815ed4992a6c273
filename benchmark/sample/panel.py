"""The sample panel: fictional brand accounts and their posts, platform-neutral and deterministic.

One model feeds every renderer (`render_<platform>.py`) and therefore the local sample server, the demo,
the end-to-end tests and the benchmarks. Everything here is generated with `random.Random` instances
seeded from the panel seed and the account key (string seeds hash with SHA-512, so results do not depend
on PYTHONHASHSEED), and time enters only through the explicit `anchor`: the same (spec, seed, anchor)
always gives the same posts, hence byte-identical payloads.

Each account's RNG is independent of the others, so adding an account to a spec leaves the posts of the
existing accounts unchanged. Comments are generated lazily per post (`comments_for`) from their own seed,
so large benchmark panels stay cheap to build.

Only the standard library is used: the sample server must start fast and the crawl path must stay light.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

UTC = UTC
SHANGHAI = ZoneInfo("Asia/Shanghai")
DEFAULT_ANCHOR = datetime(2026, 11, 26, 12, 0, tzinfo=SHANGHAI)
PERIOD_DAYS = 91
OLDER_MARGIN_DAYS = 14
COMMENT_CAP = 60  # comments generated per post at most, like the ~50-page cap of the real APIs

PLATFORM_KINDS = {
    "weibo": ("original", "repost_fan", "repost_org", "repost_affiliate", "repost_deleted"),
    "bluesky": ("original", "repost_fan", "repost_org", "repost_affiliate", "quote_fan", "reply_fan"),
    "mastodon": ("original", "repost_fan", "repost_org", "repost_affiliate", "quote_fan", "reply_fan"),
    "telegram": ("original", "repost_fan", "repost_org", "repost_deleted", "reply_self"),
    "youtube": ("original",),  # a channel uploads; it cannot repost, quote or answer with a video
}
PLATFORM_FORMATS = {
    "weibo": ("text", "image", "gif", "video", "live", "article", "link"),
    "bluesky": ("text", "image", "gif", "video", "link"),
    "mastodon": ("text", "image", "gif", "video", "audio", "link", "poll"),
    "telegram": ("text", "image", "gif", "video", "audio", "link", "poll"),
    "youtube": ("video", "live"),  # the renderer gives some videos a Short's length (benchmark/platforms/youtube)
}
FAN_VERIFIED_TYPES = (-1, 0, 200, 220)  # Weibo: individuals (research/weibo.md §5c)
# Hour-of-day posting profile of a brand account (local time): office hours with lunch and evening peaks.
HOUR_WEIGHTS = (0, 0, 0, 0, 0, 0, 1, 2, 4, 6, 9, 8, 10, 6, 5, 6, 5, 5, 8, 9, 10, 7, 4, 1)
HOUR_CUMULATIVE = tuple(sum(HOUR_WEIGHTS[: i + 1]) for i in range(24))


# --------------------------------------------------------------------------------------------- model


@dataclass(slots=True)
class SampleAuthor:
    """Someone a panel account reposts, quotes or answers (a fan, an organisation, an affiliate)."""

    id: str  # weibo uid | bluesky did | mastodon account id | telegram username
    name: str
    handle: str = ""  # bluesky handle | mastodon acct | telegram username ('' on weibo)
    followers: int = 0
    is_organization: bool = False
    verified_type: int = -1  # Weibo semantics; 2 = brand, 3 = media, -1/0/200/220 = individuals
    bot: bool = False
    group: bool = False
    is_channel: bool = False  # telegram: a forward from a public channel


@dataclass(slots=True)
class SampleRef:
    """The original of a repost or quote; `author=None` means deleted or hidden."""

    post_id: str
    author: SampleAuthor | None
    text: str
    created_at: datetime
    format: str = "text"
    media_count: int = 0
    likes: int = 0
    comments: int = 0
    reposts: int = 0


@dataclass(slots=True)
class SamplePost:
    """A post of a panel account. `id` is the platform-native id: Weibo mid, Bluesky at-uri, Mastodon
    status id, Telegram message number (as a string). `created_at` is aware UTC; for reposts it is the
    repost time."""

    id: str
    created_at: datetime
    text: str
    kind: str = "original"
    format: str = "text"
    media_count: int = 0
    likes: int = 0
    comments: int = 0
    reposts: int = 0
    quotes: int = 0
    views: int | None = None
    pinned: bool = False
    links: list[str] = field(default_factory=list)
    ref: SampleRef | None = None
    reply_to: SampleAuthor | None = None
    reply_to_post_id: str | None = None
    long_text: bool = False
    purpose: str = "other"
    source: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class SampleComment:
    id: str
    created_at: datetime
    author: SampleAuthor
    text: str
    likes: int = 0
    loyal_fan: bool = False
    by_account: bool = False
    replies: list[SampleComment] = field(default_factory=list)


@dataclass(slots=True)
class SampleAccount:
    platform: str
    id: str  # as in benchmark.toml: weibo uid | bluesky handle | mastodon user@instance | telegram channel
    role: str
    label: str
    archetype: str
    name: str
    followers: int
    following: int = 120
    statuses_count: int = 0
    description: str = ""
    verified_type: int = 2
    internal_id: str = ""  # bluesky did | mastodon numeric account id | telegram numeric channel id
    brand: str = "joy_coffee"
    language: str = "zh"
    created_at: datetime = datetime(2013, 5, 20, 2, 0, tzinfo=UTC)
    behaviour: dict[str, Any] = field(default_factory=dict)
    affiliates: list[SampleAuthor] = field(default_factory=list)
    fans: list[SampleAuthor] = field(default_factory=list)
    orgs: list[SampleAuthor] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str]:
        return (self.platform, self.id)

    @property
    def username(self) -> str:
        """The local part: mastodon `user` of user@instance; the id elsewhere."""
        return self.id.split("@")[0] if self.platform == "mastodon" else self.id

    @property
    def instance(self) -> str:
        return self.id.split("@", 1)[1] if self.platform == "mastodon" and "@" in self.id else ""

    def as_author(self) -> SampleAuthor:
        return SampleAuthor(id=self.internal_id or self.id, name=self.name, handle=self.id,
                            followers=self.followers, is_organization=True, verified_type=self.verified_type,
                            is_channel=self.platform == "telegram")


@dataclass
class Panel:
    accounts: list[SampleAccount]
    posts_by_account: dict[tuple[str, str], list[SamplePost]]  # newest first, pinned included in place
    anchor: datetime
    period_start: date
    period_end: date
    seed: int
    name: str = "demo"
    timezone: str = "Asia/Shanghai"

    def account(self, platform: str, account_id: str) -> SampleAccount | None:
        return next((a for a in self.accounts if a.platform == platform and a.id == account_id), None)

    def posts(self, platform: str, account_id: str) -> list[SamplePost]:
        return self.posts_by_account.get((platform, account_id), [])

    def in_period(self, post: SamplePost) -> bool:
        local_day = post.created_at.astimezone(ZoneInfo(self.timezone)).date()
        return self.period_start <= local_day <= self.period_end

    @classmethod
    def from_spec(cls, spec: dict[str, Any], seed: int | None = None, anchor: datetime | None = None) -> Panel:
        """Build a panel from a JSON-like spec (see module docs of `benchmark.sample` and `synthetic_spec`)."""
        return build_panel(spec, seed=seed, anchor=anchor)


# ------------------------------------------------------------------------------------------ content

BRANDS: dict[str, dict[str, Any]] = {
    "joy_coffee": {
        "zh": "悦享咖啡", "en": "Joy Coffee", "topic": "悦享咖啡秋日限定", "tag": "JoyCoffee",
        "products": ["桂花拿铁", "冷萃咖啡液", "挂耳咖啡礼盒", "燕麦拿铁", "耶加雪菲咖啡豆", "胶囊咖啡机"],
        "products_en": ["osmanthus latte", "cold brew concentrate", "drip bag gift box", "oat latte"],
        "web": "joycoffee.example",
    },
    "yunling_coffee": {
        "zh": "云岭咖啡", "en": "Yunling Coffee", "topic": "云岭咖啡", "tag": "YunlingCoffee",
        "products": ["云南小粒咖啡", "普洱咖啡", "速溶三合一", "咖啡豆礼盒"],
        "products_en": ["Yunnan arabica", "instant coffee"], "web": "yunling.example",
    },
    "morning_tea": {
        "zh": "晨光茶饮", "en": "Morning Tea", "topic": "晨光新品", "tag": "MorningTea",
        "products": ["晨光柠檬茶", "茉莉奶绿", "芝士葡萄", "杨枝甘露", "桂花乌龙"],
        "products_en": ["lemon tea", "jasmine milk tea"], "web": "morningtea.example",
    },
    "nuan_home": {
        "zh": "暖暖家居", "en": "Nuan Home", "topic": "暖暖家居晒家", "tag": "CozyHome",
        "products": ["云朵沙发", "羊绒毯", "香薰蜡烛", "收纳柜", "床头灯"],
        "products_en": ["cloud sofa", "cashmere throw", "scented candle", "bedside lamp"],
        "web": "nuanhome.example",
    },
    "shiguang_camera": {
        "zh": "拾光相机", "en": "Shiguang Camera", "topic": "拾光影像", "tag": "ShiguangShots",
        "products": ["拾光M3", "35mm定焦镜头", "胶片滤镜包", "拾光Mini"],
        "products_en": ["M3 camera", "35mm prime", "film simulation pack"], "web": "shiguang.example",
    },
    "popping_snacks": {
        "zh": "跳跳糖零食", "en": "Popping Snacks", "topic": "跳跳糖摸鱼时间", "tag": "SnackBreak",
        "products": ["跳跳糖", "海苔脆", "酸奶块", "芥末豆", "辣条"],
        "products_en": ["popping candy", "seaweed crisps", "yogurt bites"], "web": "popsnacks.example",
    },
}
SHOP_LINKS = (
    "https://detail.tmall.com/item.htm?id={n12}",
    "https://item.jd.com/{n11}.html",
    "https://item.taobao.com/item.htm?id={n12}",
)
CITIES = ("上海", "杭州", "成都", "深圳", "北京", "南京", "厦门", "武汉")
WEIBO_EMOJI = ("[笑cry]", "[doge]", "[心]", "[赞]", "[哈哈]", "[偷笑]", "[喵喵]", "[允悲]", "[二哈]", "[鼓掌]")
EMOJI = ("☕", "🍂", "✨", "😂", "🔥", "💛", "📷", "🎉", "👀", "🙌", "😋", "🛋️")

SALES_ZH = (
    "【限时特惠】{product}直降{off}元！原价¥{p1}，券后仅需¥{p2}，今晚24点截止，戳链接立即下单👉{link}",
    "领券再减{c}元！{product}买二送一，手慢无～ 下单地址：{link} #{topic}#",
    "双十一预售开启：{product}定金¥{dep}抵¥{dep2}，前1000名加赠随行杯 & 限量贴纸。{link}",
    "{product}会员日：满¥{m}减¥{c}，优惠券在评论区置顶，限时三天！{link}",
    "直播间专享价¥{p2}！{product}库存不多，点击链接下单 {link}",
    "新客首单立减{c}元，{product}限时包邮，下单即送“惊喜小样”。{link}",
)
SALES_HANT = ("【限時優惠】{product}買一送一，優惠券領取請點連結下單：{link}",)
SALES_EN = (
    "{product_en} is back — 20% off this week only, order here: {link} #{tag}",
    "Flash sale: {product_en} for ¥{p2} (was ¥{p1}), free shipping over ¥{m}. {link}",
    "Coupon code JOY{c} takes ¥{c} off your next order of {product_en}. Ends Sunday! {link}",
)
BRAND_ZH = (
    "【新品上市】{product}今日起全国门店同步发售，欢迎品尝。#{topic}#",
    "品牌故事｜从产地到你手中的每一件{product}，{brand}坚持每一步都可追溯。",
    "{brand}第{n}家门店在{city}开业啦！地址见图，等你来打卡 #{topic}#",
    "感谢 @{org} 的报道，{brand}会继续把小事做好。",
    "早安！新的一周，从一杯好心情开始。",
    "幕后花絮｜{product}的诞生经历了{n}次打样，这是第一版的样子。",
)
BRAND_HANT = ("週末快樂！{product}新品試吃活動開跑囉～ #{topic}#",)
BRAND_EN = (
    "Meet our new {product_en}: made in small batches in Shanghai. #{tag}",
    "Behind the scenes: {n} prototypes before we got the {product_en} right.",
    "Our {city_en} store opens this Saturday — come say hi! #{tag}",
)
COMM_ZH = (
    "今天的你是{product}派还是{product2}派？评论区告诉我们～",
    "晒出你和{product}的合照，抽3位送新品礼盒！#{topic}#",
    "猜猜下一款限定口味是什么？答对有奖！",
    "大家周末都怎么过的？来评论区聊聊吧～ #{topic}#",
    "你最想在{city}的哪个街区看到我们的新店？",
)
COMM_EN = (
    "What's your go-to {product_en} moment? Tell us below 👇",
    "Show us your setup with #{tag} — we share our favourites every Friday!",
    "Which city should get our next pop-up? Replies open!",
)
SERVICE_ZH = (
    "门店营业时间调整通知：节假日期间{city}门店营业至22:00。",
    "关于订单延迟发货的说明：受天气影响，部分地区物流延迟1-2天，给大家添麻烦了。如有问题请私信客服。",
    "{product}使用小贴士：开封后请冷藏保存，7天内饮用风味最佳。",
)
SERVICE_EN = ("Shipping update: orders placed this weekend ship on Monday. DM us with any questions.",)

VOICE_ZH: dict[str, dict[str, tuple[str, ...]]] = {
    "playful": {
        "communication": (
            "打工人的快乐是什么？是下午三点的一包{product}[doge][doge] 你们几点开始摸鱼？#{topic}#",
            "老板说零食太贵，我说这叫“快乐成本”[笑cry] 你站谁？",
            "今日份发疯文学：{product}不吃完，我就不下班！[哈哈][哈哈] 有没有同款打工人？",
            "互动时间：{product}原味 vs 芥末味，输的那个明天下架（开玩笑的[doge]）你投谁？",
            "小编偷吃{product}被抓包了[允悲] 评论区求一个免罚理由！",
        ),
        "brand": (
            "{product}：一种让人停不下来的声音[二哈] #{topic}#",
            "本周最佳摸鱼搭子已上线[鼓掌][鼓掌] {product}新口味，咔嚓咔嚓！",
        ),
    },
    "visual": {
        "brand": (
            "秋日扫街｜用{product}拍下的第一片银杏🍂 #{topic}#",
            "九宫格｜城市夜色，你最喜欢第几张？#{topic}#",
            "快门声是最治愈的声音 📷 #{topic}#",
            "用户作品精选｜来自 @{fan} 的{city}清晨，{product}直出无修。",
        ),
        "communication": ("你最想学的拍摄技巧是什么？下期教程由你决定！#{topic}#",),
    },
    "fan_friendly": {
        "communication": (
            "大家周末都怎么布置客厅的？评论区晒晒你家吧～#{topic}#",
            "收到好多小伙伴的反馈，{product}新配色下周上线，谢谢大家的建议[心]",
            "客服小暖在线答疑：关于{product}的清洗保养，有问题尽管问～",
            "你家的猫主子最爱哪个角落？晒图抽{n}位送{product}！#{topic}#",
        ),
    },
    "broadcaster": {
        "brand": (
            "【新品上市】{product}全国门店同步发售。",
            "【门店公告】{city}{n}号店今日开业。",
            "【品牌动态】{brand}荣获年度消费者喜爱品牌。",
            "【节日海报】{brand}祝大家节日快乐。",
            "【品牌公告】{product}全新包装焕新上市。",
        ),
    },
}
FORMAT_LEADS = {
    "video": ("视频｜", "Video: "),
    "live": ("今晚8点直播：", "Live tonight at 8pm: "),
    "article": ("长文｜", "Long read: "),
    "gif": ("GIF｜", "GIF: "),
}
LONG_TAIL_ZH = (
    "这一季我们走访了三个产区，和种植户一起记录了从开花到采收的每一个细节。",
    "很多朋友问我们为什么坚持小批量生产，答案其实很简单：新鲜、可控、每一批都能追溯。",
    "接下来的几个月，我们还会在更多城市开设体验店，也欢迎大家在评论区告诉我们想去的地方。",
    "最后，感谢每一位一路同行的朋友，是你们的建议让产品一点点变得更好。",
)
FAN_POSTS_ZH = (
    "新入的{product}，猫主子也很喜欢[喵喵] @{brand} ",
    "终于把客厅改造完了，{product}真的绝了 #{topic}#",
    "周末和朋友去了{brand}{city}新店，环境超棒[赞]",
    "用{product}拍的第一卷，虽然糊了几张但好喜欢 #{topic}#",
    "打卡！今日份{product}已到手[哈哈]",
)
FAN_POSTS_EN = (
    "Finally got my {product_en} from @{brand_handle} and I love it!",
    "Weekend vibes with {product_en} ✨ #{tag}",
    "Tried the new {product_en} today, 10/10 would recommend",
)
REPOST_COMMENTS_ZH = ("转发微博", "谢谢分享！这个角落太温馨了[心]", "哈哈哈好会拍[赞]", "已私信你领取小礼物～",
                      "好会搭！小编要收藏了[偷笑]")
REPLY_EN = ("so glad it arrived safely! Enjoy 💛", "thank you for sharing this, it made our day!",
            "great question — the cover is machine washable at 30°C.", "we'll pass this on to the team 🙌")
COMMENTS_ZH = ("好想要！", "已下单，坐等收货[哈哈]", "求出新口味～", "这个颜色绝了[赞]", "门店什么时候来{city}？",
               "价格能再美丽一点吗[允悲]", "第一！", "抽我抽我[心]", "客服回复好快，点赞", "有没有优惠券呀？")
BRAND_REPLIES_ZH = ("谢谢喜欢[心]", "已经记下啦，会反馈给产品同学～", "私信小编领取优惠券哦",
                    "{city}在计划中，敬请期待！",
                    "抱抱，给你加急处理[抱抱]")
# Fans of an account that sells and never answers come back to complain (the demo's own account).
COMPLAINTS_ZH = ("下单一周了还没发货，客服也不回[怒]", "退款申请三天没人处理，太失望了", "收到的咖啡液漏了，怎么售后？",
                 "物流太慢了，说好的48小时发货呢", "券用不了，活动规则坑人", "客服不回消息，差评")
COMPLAINTS_SHARE = {"sales_heavy": 0.55}
COMMENTS_EN = ("Love this!", "Ordered one already 😍", "When are you coming to {city_en}?", "Is it vegan?", "👏👏")
CITIES_EN = ("Shanghai", "Hangzhou", "Chengdu", "Shenzhen", "Beijing")
NICK_HEAD = ("小", "爱吃", "今天也要", "是", "一只", "阿", "momo", "温柔的", "")
NICK_TAIL = ("鱼丸", "橘子汽水", "猫咪", "学习", "咖啡续命", "夏天", "Lily", "豆豆", "晚风", "柚子")
EN_FIRST = ("lily", "tom", "mei", "jun", "anna", "kai", "rosa", "leo", "yan", "sam")
EN_TAIL = ("_reads", "bakes", "cafe", "photos", "99", "_home", "runs", "draws")
ORG_NAMES_ZH = (("城市生活周刊", 3), ("云栖商场", 2), ("拾趣市集", 2), ("新消费日报", 3))
ORG_NAMES_EN = ("City Life Weekly", "Cloud Mall", "Design Daily", "Craft Market")


# ------------------------------------------------------------------------------------- archetypes


@dataclass(frozen=True, slots=True)
class Profile:
    """How an archetype behaves: volumes, mixes (used as quotas, not probabilities) and engagement."""

    posts_per_day: float
    kinds: dict[str, float]
    formats: dict[str, float]
    purposes: dict[str, float]
    likes_median: float
    comments_ratio: float
    reposts_ratio: float
    sigma: float = 0.8
    emoji_max: int = 1
    long_rate: float = 0.0
    reply_rate: float = 0.0  # share of fan comments the account answers
    reply_hours: float = 24.0  # median hours to answer
    traditional_rate: float = 0.0
    followers: int = 50_000


PROFILES: dict[str, Profile] = {
    "sales_heavy": Profile(
        1.25, {"original": 0.955, "repost_affiliate": 0.03, "repost_fan": 0.005, "repost_deleted": 0.01,
               "reply_self": 0.03},
        {"image": 0.53, "text": 0.2, "link": 0.15, "video": 0.1, "poll": 0.02},
        {"sales": 0.52, "brand": 0.23, "communication": 0.13, "service": 0.12},
        40, 0.2, 0.12, long_rate=0.05, reply_rate=0.03, reply_hours=30, traditional_rate=0.04, followers=182_000),
    "bought_followers": Profile(
        0.6, {"original": 1.0}, {"text": 0.5, "image": 0.5}, {"brand": 0.9, "sales": 0.1},
        2, 0.3, 0.2, followers=3_200_000),
    "broadcaster": Profile(
        2.5, {"original": 1.0}, {"image": 0.85, "text": 0.15}, {"brand": 0.88, "sales": 0.08, "service": 0.04},
        400, 0.12, 0.15, sigma=0.6, followers=860_000),  # ordinary interaction: not hollow, just one-way
    "fan_friendly": Profile(
        1.5, {"original": 0.7, "repost_fan": 0.25, "repost_org": 0.03, "repost_deleted": 0.02,
              "reply_fan": 0.3, "quote_fan": 0.1},
        {"image": 0.5, "text": 0.3, "video": 0.12, "link": 0.05, "poll": 0.03},
        {"communication": 0.55, "brand": 0.2, "service": 0.15, "sales": 0.1},
        600, 0.3, 0.1, emoji_max=2, long_rate=0.05, reply_rate=0.6, reply_hours=1.5, traditional_rate=0.05,
        followers=420_000),
    "visual": Profile(
        1.0, {"original": 0.92, "repost_org": 0.05, "repost_fan": 0.03},
        {"image": 0.35, "gif": 0.15, "video": 0.25, "live": 0.1, "article": 0.1, "text": 0.05, "audio": 0.03},
        {"brand": 0.7, "communication": 0.2, "sales": 0.1},
        5000, 0.12, 0.18, sigma=0.9, long_rate=0.1, reply_rate=0.15, reply_hours=6, followers=1_350_000),
    "playful": Profile(
        1.3, {"original": 0.88, "repost_fan": 0.1, "repost_org": 0.02, "reply_fan": 0.15},
        {"image": 0.4, "gif": 0.2, "text": 0.25, "video": 0.15, "poll": 0.05},
        {"communication": 0.6, "brand": 0.3, "sales": 0.1},
        1500, 0.6, 0.1, emoji_max=4, reply_rate=0.35, reply_hours=3, traditional_rate=0.03, followers=650_000),
    "generic": Profile(
        1.0, {"original": 0.85, "repost_fan": 0.08, "repost_org": 0.05, "repost_deleted": 0.02},
        {"image": 0.5, "text": 0.3, "video": 0.1, "link": 0.1},
        {"brand": 0.4, "communication": 0.3, "sales": 0.2, "service": 0.1},
        80, 0.25, 0.15, reply_rate=0.1, followers=100_000),
}
ARCHETYPES = tuple(PROFILES)


# ---------------------------------------------------------------------------------------- helpers


def seeded(*parts: object) -> random.Random:
    """An RNG for one purpose (account, comments of a post...) derived from the panel seed."""
    return random.Random("|".join(str(p) for p in parts))


def allocate(n: int, weights: dict[str, float], rng: random.Random) -> list[str]:
    """Exactly n labels in the proportions of `weights` (largest remainder), shuffled: quotas, so an
    archetype's defining shares hold for every seed."""
    total = sum(weights.values()) or 1.0
    exact = {k: n * w / total for k, w in weights.items() if w > 0}
    counts = {k: int(v) for k, v in exact.items()}
    leftovers = sorted(exact, key=lambda k: (exact[k] - counts[k], k), reverse=True)
    for k in leftovers[: n - sum(counts.values())]:
        counts[k] += 1
    labels = [k for k in sorted(counts) for _ in range(counts[k])]
    rng.shuffle(labels)
    return labels


def weibo_mid(moment: datetime, rng: random.Random) -> str:
    """A Weibo mid that encodes its time like the real ones: (mid >> 22) + 515483463 = unix seconds."""
    return str(((int(moment.timestamp()) - 515483463) << 22) | rng.getrandbits(22))


_BASE62 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def mid_to_bid(mid: str) -> str:
    """The base62 short id used in m.weibo.cn URLs: 7-digit groups of the mid, 4 base62 chars each."""
    groups = []
    end = len(mid)
    while end > 0:
        start = max(0, end - 7)
        value, chunk = int(mid[start:end]), ""
        while value:
            value, rest = divmod(value, 62)
            chunk = _BASE62[rest] + chunk
        groups.append(chunk.rjust(4, "0") if start > 0 else chunk or "0")
        end = start
    return "".join(reversed(groups))


_B32_SORT = "234567abcdefghijklmnopqrstuvwxyz"


def bluesky_tid(moment: datetime, clock_id: int) -> str:
    """An AT Protocol TID (record key): microseconds since epoch and a clock id, base32-sortable."""
    value = (int(moment.timestamp() * 1_000_000) << 10) | (clock_id & 0x3FF)
    chars = []
    for _ in range(13):
        chars.append(_B32_SORT[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def mastodon_id(moment: datetime, rng: random.Random) -> str:
    """Mastodon's snowflake-like id: milliseconds << 16 plus a sequence."""
    return str((int(moment.timestamp() * 1000) << 16) | rng.getrandbits(16))


_YOUTUBE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def youtube_id(rng: random.Random, length: int) -> str:
    """A YouTube-shaped id: 11 characters for a video, 22 after "UC" for a channel (URL-safe base64)."""
    return "".join(rng.choice(_YOUTUBE_ALPHABET) for _ in range(length))


def fake_did(*parts: object) -> str:
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return "did:plc:" + "".join(_B32_SORT[b % 32] for b in digest[:24])


def fake_cid(*parts: object) -> str:
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return "bafyrei" + "".join(_B32_SORT[b % 32] for b in (digest + digest)[:52])


def local_midnight_utc(day: date, tz: ZoneInfo = SHANGHAI) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def default_period(anchor: datetime) -> tuple[date, date]:
    """The 91 days ending the day before the anchor, in Asia/Shanghai."""
    end = anchor.astimezone(SHANGHAI).date() - timedelta(days=1)
    return end - timedelta(days=PERIOD_DAYS - 1), end


def sample_times(rng: random.Random, n: int, start: datetime, end: datetime) -> list[datetime]:
    """n distinct aware-UTC times in [start, end), shaped by the brand posting hours, newest first."""
    if n <= 0 or end <= start:
        return []
    first_day = start.astimezone(SHANGHAI).date()
    days = (end.astimezone(SHANGHAI).date() - first_day).days + 1
    seen: set[int] = set()
    out: list[datetime] = []
    hours = range(24)
    span = int((end - start).total_seconds())
    attempts = 0
    while len(out) < n and attempts < 20 * n:
        attempts += 1
        for _ in range(8):  # a few tries inside posting hours, then anywhere in the window
            day = first_day + timedelta(days=rng.randrange(days))
            hour = rng.choices(hours, cum_weights=HOUR_CUMULATIVE)[0]
            local = datetime.combine(day, time(hour, rng.randrange(60), rng.randrange(60)), tzinfo=SHANGHAI)
            moment = local.astimezone(UTC)
            if start <= moment < end:
                break
        else:
            moment = start + timedelta(seconds=rng.randrange(max(span, 1)))
        second = int(moment.timestamp())
        while second in seen:
            second += 7
        if second >= int(end.timestamp()):
            continue
        seen.add(second)
        out.append(datetime.fromtimestamp(second, UTC))
    out.sort(reverse=True)
    return out


# ------------------------------------------------------------------------------------ text making


class _Slots(dict):
    """Template slots filled on demand, so a template pays only for the values it uses."""

    def __init__(self, rng: random.Random, account: SampleAccount, fan: SampleAuthor | None = None) -> None:
        super().__init__()
        self.rng, self.account, self.fan = rng, account, fan
        self.brand = BRANDS.get(account.brand, BRANDS["joy_coffee"])

    def __missing__(self, key: str) -> str:
        value = self._make(key)
        self[key] = value
        return value

    def _make(self, key: str) -> str:
        maker = _SLOT_MAKERS.get(key)
        if maker is not None:
            return maker(self)
        rng = self.rng
        if key in ("p1", "p2", "dep", "dep2", "m", "c", "off"):
            p1 = rng.randrange(39, 499)
            self.update(p1=str(p1), p2=str(p1 - rng.randrange(5, max(6, p1 // 3))), c=str(rng.choice((5, 10, 20, 30))),
                        m=str(rng.choice((99, 199, 299))), dep=str(rng.choice((10, 20, 50))),
                        off=str(rng.choice((10, 20, 50))))
            self["dep2"] = str(int(self["dep"]) * 3)
            return self[key]
        return key



def _shop_link(slots: _Slots) -> str:
    rng = slots.rng
    return rng.choice(SHOP_LINKS).format(n12=rng.randrange(10**11, 10**12), n11=rng.randrange(10**10, 10**11))


def _fan_name(slots: _Slots) -> str:
    if not slots.account.fans:
        return "小鱼丸"
    return (slots.fan or slots.rng.choice(slots.account.fans)).name


_SLOT_MAKERS: dict[str, Callable[[_Slots], str]] = {
    "product": lambda s: s.rng.choice(s.brand["products"]),
    "product2": lambda s: s.rng.choice(s.brand["products"]),
    "product_en": lambda s: s.rng.choice(s.brand["products_en"]),
    "brand": lambda s: s.brand["zh"],
    "brand_handle": lambda s: s.account.id,
    "topic": lambda s: s.brand["topic"],
    "tag": lambda s: s.brand["tag"],
    "city": lambda s: s.rng.choice(CITIES),
    "city_en": lambda s: s.rng.choice(CITIES_EN),
    "org": lambda s: s.account.orgs[0].name if s.account.orgs else "城市生活周刊",
    "fan": _fan_name,
    "link": _shop_link,
    "n": lambda s: str(s.rng.randrange(3, 120)),
}

def _pool(account: SampleAccount, profile_name: str, purpose: str, rng: random.Random) -> tuple[str, ...]:
    if account.language == "en":
        return {"sales": SALES_EN, "brand": BRAND_EN, "communication": COMM_EN, "service": SERVICE_EN}.get(
            purpose, BRAND_EN)
    if rng.random() < PROFILES[profile_name].traditional_rate:
        return SALES_HANT if purpose == "sales" else BRAND_HANT
    voiced = VOICE_ZH.get(profile_name, {}).get(purpose)
    if voiced:
        return voiced
    return {"sales": SALES_ZH, "brand": BRAND_ZH, "communication": COMM_ZH, "service": SERVICE_ZH}[purpose]


def _decorate(text: str, account: SampleAccount, profile: Profile, rng: random.Random) -> str:
    """Platform hashtags and emoji: Weibo `#话题#` and `[表情]`; `#tag` and Unicode emoji elsewhere."""
    if account.platform == "weibo":
        emoji = [rng.choice(WEIBO_EMOJI) for _ in range(rng.randrange(profile.emoji_max + 1))]
        return text + (" " if emoji and URL_RE.search(text[-60:] + " ") else "") + "".join(emoji)
    text = re.sub(r"#([^#\s]+)#", lambda m: "#" + re.sub(r"\W", "", m.group(1)), text)
    emoji = [rng.choice(EMOJI) for _ in range(rng.randrange(profile.emoji_max + 1))]
    return (text + (" " + "".join(emoji) if emoji else "")).strip()


def compose_text(account: SampleAccount, profile_name: str, purpose: str, fmt: str, rng: random.Random) -> str:
    profile = PROFILES[profile_name]
    template = rng.choice(_pool(account, profile_name, purpose, rng))
    text = template.format_map(_Slots(rng, account))
    lead = FORMAT_LEADS.get(fmt)
    if lead and not text.startswith("【"):
        text = (lead[1] if account.language == "en" else lead[0]) + text
    return _decorate(text, account, profile, rng)


def fan_text(account: SampleAccount, fan: SampleAuthor, rng: random.Random) -> str:
    slots = _Slots(rng, account, fan)
    if account.language == "en" or account.platform != "weibo":
        return _decorate(rng.choice(FAN_POSTS_EN).format_map(slots), account, PROFILES["generic"], rng)
    return rng.choice(FAN_POSTS_ZH).format_map(slots).replace("@" + slots["brand"] + " ", "@" + account.name + " ")


URL_RE = re.compile(r"https?://[^\s<>\"'，。！？、）\[\]]+")
_URL = URL_RE.pattern
_WEIBO_TOKENS = re.compile(rf"(?P<topic>#[^#\n]{{1,64}}#)|(?P<mention>@[\w\-]+)|(?P<emoji>\[[^\[\]\s]{{1,8}}\])"
                           rf"|(?P<url>{_URL})|(?P<newline>\n)")
_OTHER_TOKENS = re.compile(rf"(?P<url>{_URL})|(?P<tag>#\w+)|(?P<mention>@[\w\-]+(?:[.@][\w\-]+)*)|(?P<newline>\n)")


def tokenize(text: str, platform: str) -> list[tuple[str, str]]:
    """Split abstract post text into (kind, value): text, topic (#话题#), tag (#tag), mention (@name, no @),
    emoji ([表情]), url, newline. Renderers turn each kind into the platform's markup."""
    pattern = _WEIBO_TOKENS if platform == "weibo" else _OTHER_TOKENS
    tokens: list[tuple[str, str]] = []
    position = 0
    for match in pattern.finditer(text):
        if match.start() > position:
            tokens.append(("text", text[position:match.start()]))
        kind = match.lastgroup or "text"
        value = match.group()
        tokens.append((kind, value[1:] if kind == "mention" else value))
        position = match.end()
    if position < len(text):
        tokens.append(("text", text[position:]))
    return tokens


# -------------------------------------------------------------------------------------- authors


def _nickname(rng: random.Random) -> str:
    return rng.choice(NICK_HEAD) + rng.choice(NICK_TAIL) + (str(rng.randrange(10, 999)) if rng.random() < 0.5 else "")


def make_fans(platform: str, rng: random.Random, count: int, instance: str) -> list[SampleAuthor]:
    fans = []
    for i in range(count):
        if platform == "weibo":
            fans.append(SampleAuthor(id=str(rng.randrange(5_000_000_000, 7_999_999_999)), name=_nickname(rng),
                                     followers=int(rng.lognormvariate(5, 1.3)),
                                     verified_type=rng.choice((-1, -1, -1, -1, 0, 200, 220))))
            continue
        user = rng.choice(EN_FIRST) + rng.choice(EN_TAIL) + str(i)
        name = user.replace("_", " ").title()
        followers = int(rng.lognormvariate(4.5, 1.2))
        if platform == "bluesky":
            fans.append(SampleAuthor(id=fake_did(platform, user, i), name=name, handle=f"{user}.bsky.social",
                                     followers=followers))
        elif platform == "mastodon":
            bot, group = i % 11 == 10, i % 13 == 12  # a few bots and groups: boosted, but not fans
            fans.append(SampleAuthor(id=str(rng.randrange(10**5, 10**8)), name=name,
                                     handle=f"{user}@{rng.choice(('fosstodon.example', 'social.example', instance))}",
                                     followers=followers, bot=bot, group=group, is_organization=bot or group))
        else:
            fans.append(SampleAuthor(id=user, name=name, handle=user, followers=followers))
    return fans


def make_orgs(platform: str, rng: random.Random, account_id: str) -> list[SampleAuthor]:
    orgs = []
    for i, (zh, vtype) in enumerate(ORG_NAMES_ZH):
        en = ORG_NAMES_EN[i]
        slug = re.sub(r"\W", "", en.lower())
        if platform == "weibo":
            orgs.append(SampleAuthor(id=str(rng.randrange(1_000_000_000, 3_999_999_999)), name=zh,
                                     followers=rng.randrange(200_000, 5_000_000), is_organization=True,
                                     verified_type=vtype))
        elif platform == "bluesky":
            orgs.append(SampleAuthor(id=fake_did("org", slug), name=en, handle=f"{slug}.example",
                                     followers=rng.randrange(20_000, 400_000), is_organization=True,
                                     verified_type=vtype))
        elif platform == "mastodon":
            orgs.append(SampleAuthor(id=str(rng.randrange(10**5, 10**8)), name=en, handle=f"{slug}@news.example",
                                     followers=rng.randrange(5_000, 90_000), is_organization=True, verified_type=vtype,
                                     bot=True))  # news feeds on Mastodon are automated (bot) accounts
        else:
            orgs.append(SampleAuthor(id=slug, name=en, handle=slug, followers=rng.randrange(20_000, 300_000),
                                     is_organization=True, verified_type=vtype, is_channel=True))
    return orgs


def make_affiliates(platform: str, ids: list[str], brand: str, rng: random.Random) -> list[SampleAuthor]:
    names = BRANDS.get(brand, BRANDS["joy_coffee"])
    out = []
    for i, affiliate_id in enumerate(ids):
        name = f"{names['zh']}门店" if i == 0 else f"{names['zh']}会员中心{i}"
        out.append(SampleAuthor(id=fake_did("aff", affiliate_id) if platform == "bluesky" else affiliate_id,
                                name=name if platform == "weibo" else f"{names['en']} Stores",
                                handle=affiliate_id, followers=rng.randrange(20_000, 90_000),
                                is_organization=True, verified_type=2, is_channel=platform == "telegram"))
    return out


# -------------------------------------------------------------------------------------- posts


def _post_id(account: SampleAccount, moment: datetime, rng: random.Random, index: int) -> str:
    if account.platform == "weibo":
        return weibo_mid(moment, rng)
    if account.platform == "bluesky":
        return f"at://{account.internal_id}/app.bsky.feed.post/{bluesky_tid(moment, index)}"
    if account.platform == "mastodon":
        return mastodon_id(moment, rng)
    if account.platform == "youtube":
        return youtube_id(rng, 11)
    return ""  # telegram numbers are assigned after sorting (per-channel sequence)


def _ref_id(platform: str, author: SampleAuthor | None, moment: datetime, rng: random.Random) -> str:
    if platform == "weibo":
        return weibo_mid(moment, rng)
    if platform == "bluesky":
        did = author.id if author else fake_did("deleted", rng.random())
        return f"at://{did}/app.bsky.feed.post/{bluesky_tid(moment, rng.randrange(1024))}"
    if platform == "mastodon":
        return mastodon_id(moment, rng)
    return str(rng.randrange(20, 5000))


def _engagement(profile: Profile, rng: random.Random, age_hours: float, boost: float = 1.0) -> tuple[int, int, int]:
    """likes, comments, reposts; young posts have collected only part of their engagement."""
    if profile.likes_median <= 5:  # bought followers: a handful of interactions at most
        return rng.randrange(0, 6), rng.randrange(0, 3), rng.randrange(0, 2)
    ripeness = min(1.0, max(age_hours, 0.05) / 24) ** 0.5
    likes = int(rng.lognormvariate(0, profile.sigma) * profile.likes_median * ripeness * boost)
    comments = int(likes * profile.comments_ratio * rng.lognormvariate(0, 0.35))
    reposts = int(likes * profile.reposts_ratio * rng.lognormvariate(0, 0.5))
    return likes, comments, reposts


def _media_count(fmt: str, archetype: str, rng: random.Random, platform: str = "weibo") -> int:
    if fmt == "image":
        return rng.choice((9, 9, 6, 4, 1)) if archetype == "visual" else rng.choice((1, 1, 2, 3, 4, 6, 9))
    if fmt == "gif" and platform == "weibo":
        return rng.choice((1, 1, 2))  # Weibo GIFs are pictures, several per post; elsewhere one video each
    return 1 if fmt in ("gif", "video", "audio", "live") else 0


def _allowed(weights: dict[str, float], allowed: tuple[str, ...]) -> dict[str, float]:
    kept = {k: v for k, v in weights.items() if k in allowed}
    return kept or {allowed[0]: 1.0}


def _make_ref(account: SampleAccount, kind: str, moment: datetime, rng: random.Random) -> SampleRef:
    if kind == "repost_deleted":  # Weibo: the original was deleted; Telegram: forwarded from a hidden user
        text = "抱歉，此微博已被作者删除。" if account.platform == "weibo" else fan_text(
            account, SampleAuthor(id="", name=_nickname(rng)), rng)
        return SampleRef(post_id=_ref_id(account.platform, None, moment, rng), author=None, text=text,
                         created_at=moment - timedelta(hours=rng.randrange(2, 200)))
    pool = {"repost_fan": account.fans, "quote_fan": account.fans, "repost_org": account.orgs,
            "repost_affiliate": account.affiliates or account.orgs}[kind]
    author = rng.choice(pool)
    created = moment - timedelta(minutes=rng.randrange(20, 60 * 72))
    fmt = rng.choice(("image", "image", "text", "video"))
    text = fan_text(account, author, rng) if kind in ("repost_fan", "quote_fan") else compose_text(
        account, "generic", "brand", "text", rng)
    likes = int(rng.lognormvariate(3, 1.2)) if not author.is_organization else int(rng.lognormvariate(6, 1))
    media = _media_count(fmt, "generic", rng, account.platform)
    if account.platform in ("bluesky", "mastodon"):
        media = min(media, 4)
    return SampleRef(post_id=_ref_id(account.platform, author, created, rng), author=author, text=text,
                     created_at=created, format=fmt, media_count=media, likes=likes,
                     comments=likes // 5, reposts=likes // 8)


def _repost_text(account: SampleAccount, kind: str, rng: random.Random) -> str:
    if account.platform != "weibo":
        return ""  # Bluesky/Mastodon/Telegram reposts carry no text of their own
    if kind == "repost_fan":
        comment = rng.choice(REPOST_COMMENTS_ZH)
        if rng.random() < 0.25 and account.fans:  # a middle hop, visible only in the text: //@name:
            return f"{comment}//@{rng.choice(account.fans).name}:{rng.choice(REPOST_COMMENTS_ZH[1:])}"
        return comment
    return "转发微博"


def make_post(account: SampleAccount, archetype: str, moment: datetime, kind: str, fmt: str, purpose: str,
              rng: random.Random, anchor: datetime, index: int) -> SamplePost:
    profile = PROFILES[archetype]
    if account.platform in ("bluesky", "mastodon"):  # their timestamps carry milliseconds
        moment = moment + timedelta(milliseconds=rng.randrange(1000))
    age = (anchor - moment).total_seconds() / 3600
    audience = account.followers / profile.followers  # engagement scales with the audience
    likes, comments, reposts = _engagement(profile, rng, age, audience)
    post = SamplePost(id=_post_id(account, moment, rng, index), created_at=moment, text="", kind="original",
                      format=fmt, purpose=purpose, likes=likes, comments=comments, reposts=reposts,
                      source=rng.choice(("微博 weibo.com", "专业版微博", "iPhone客户端"))
                      if account.platform == "weibo" else "")
    if kind == "original":
        post.text = compose_text(account, archetype, purpose, fmt, rng)
        post.media_count = _media_count(fmt, archetype, rng, account.platform)
        post.long_text = account.platform == "weibo" and rng.random() < profile.long_rate
        if post.long_text:
            post.text += "".join(rng.sample(LONG_TAIL_ZH, 3))
    elif kind == "reply_fan":
        fan = rng.choice(account.fans)
        post.kind, post.reply_to = "reply", fan
        post.reply_to_post_id = _ref_id(account.platform, fan, moment - timedelta(minutes=rng.randrange(5, 600)), rng)
        post.text = f"@{fan.handle} {rng.choice(REPLY_EN)}"
        post.format, post.purpose = "text", "communication"
        post.likes, post.comments, post.reposts = likes // 6, comments // 6, 0
    elif kind == "reply_self":
        post.kind, post.reply_to = "reply", account.as_author()
        post.text = compose_text(account, archetype, "service", "text", rng)
        post.format, post.purpose = "text", "service"
    else:
        post.ref = _make_ref(account, kind, moment, rng)
        post.kind = "quote" if kind == "quote_fan" else "repost"
        post.text = compose_text(account, archetype, "communication", "text", rng) if kind == "quote_fan" \
            else _repost_text(account, kind, rng)
        post.format, post.media_count = post.ref.format, post.ref.media_count
        if post.kind == "quote":  # a quote's own media: a picture beside the quoted post, or none
            post.format, post.media_count = ("image", 1) if rng.random() < 0.5 else ("text", 0)
        if account.platform == "bluesky" and post.kind == "repost":  # the repost record, not the original
            post.id = f"at://{account.internal_id}/app.bsky.feed.repost/{bluesky_tid(moment, index)}"
        post.purpose = "communication" if kind == "quote_fan" else "other"
        if post.kind == "repost" and account.platform != "weibo":
            post.likes, post.comments, post.reposts = post.ref.likes, post.ref.comments, post.ref.reposts
    if account.platform in ("bluesky", "mastodon"):
        post.media_count = min(post.media_count, 4)  # both platforms allow four attachments at most
        post.quotes = post.reposts // 4 if post.kind != "repost" else 0
    if account.platform == "telegram":
        post.views = int(account.followers * rng.uniform(0.15, 0.6) * min(1.0, max(age, 0.1) / 48) ** 0.3)
        post.comments, post.reposts = 0, 0
    if account.platform == "youtube":  # views beside likes; no fan reposts on YouTube
        post.views = int(max(likes, 1) * rng.uniform(20, 60))
        post.reposts = 0
    post.links = URL_RE.findall(post.text)
    if fmt == "link" and kind == "original" and not post.links:
        link = f"https://{BRANDS.get(account.brand, BRANDS['joy_coffee'])['web']}/news/{rng.randrange(100, 999)}"
        post.text += " " + link
        post.links = [link]
    return post


# ------------------------------------------------------------------------------------- accounts


def _account_from_spec(entry: dict[str, Any], index: int, seed: int) -> SampleAccount:
    platform = entry.get("platform")
    if platform not in PLATFORM_KINDS or not entry.get("id"):
        raise ValueError(f"account {index}: needs a platform ({', '.join(PLATFORM_KINDS)}) and an id, got {entry!r}")
    account_id = str(entry["id"]).lstrip("@") if platform in ("mastodon", "telegram") else str(entry["id"])
    archetype = entry.get("archetype", "generic")
    if archetype not in PROFILES:
        raise ValueError(f"unknown archetype {archetype!r} (known: {', '.join(PROFILES)})")
    rng = seeded(seed, "account", platform, account_id)
    brand = entry.get("brand") or list(BRANDS)[index % len(BRANDS)]
    names = BRANDS.get(brand, BRANDS["joy_coffee"])
    language = entry.get("language", "zh" if platform == "weibo" else "en")
    followers = int(entry.get("followers", PROFILES[archetype].followers))
    if platform == "bluesky":
        internal = fake_did(seed, platform, account_id)
    elif platform == "mastodon":
        internal = str(rng.randrange(10**16, 10**17))
    elif platform == "telegram":
        internal = str(rng.randrange(1_000_000_000, 2_000_000_000))
    elif platform == "youtube":  # the channel id (a config id may be an @handle)
        internal = account_id if account_id.startswith("UC") else "UC" + youtube_id(rng, 22)
    else:
        internal = account_id
    account = SampleAccount(
        platform=platform, id=account_id, role=entry.get("role", "peer"), label=entry.get("label", account_id),
        archetype=archetype, name=entry.get("name") or (names["zh"] + names["en"].replace(" ", "")
                                                       if platform == "weibo" else names["en"]),
        followers=followers, following=int(entry.get("following", rng.randrange(50, 400))),
        description=entry.get("description", f"{names['zh']}官方微博" if platform == "weibo"
                              else f"Official account of {names['en']}."),
        verified_type=int(entry.get("verified_type", 2)), internal_id=internal, brand=brand, language=language,
        behaviour=dict(entry.get("behaviour") or {}),
        created_at=datetime(2012 + rng.randrange(8), 1 + rng.randrange(12), 1 + rng.randrange(28), 3, tzinfo=UTC))
    account.fans = make_fans(platform, rng, int(entry.get("fans", 40)), account.instance or "mastodon.example")
    account.orgs = make_orgs(platform, rng, account_id)
    account.affiliates = make_affiliates(platform, [str(a) for a in entry.get("affiliates", [])], brand, rng)
    return account


def _pinned_post(account: SampleAccount, when: datetime, rng: random.Random, anchor: datetime) -> SamplePost:
    post = make_post(account, account.archetype, when, "original", "image", "brand", rng, anchor, 1023)
    post.pinned = True
    post.likes, post.comments, post.reposts = (x * 3 for x in (post.likes, post.comments, post.reposts))
    return post


def generate_posts(account: SampleAccount, entry: dict[str, Any], seed: int, anchor: datetime,
                   period: tuple[date, date]) -> list[SamplePost]:
    """All posts of one account, newest first: in the period, some older (so paging must stop on dates),
    some on the anchor day (after the period, the ones Weibo shows with relative dates)."""
    rng = seeded(seed, "posts", account.platform, account.id)
    archetype = account.archetype
    profile = PROFILES[archetype]
    start, end = local_midnight_utc(period[0]), local_midnight_utc(period[1] + timedelta(days=1))
    days = (period[1] - period[0]).days + 1
    n_period = int(entry["posts"]) if "posts" in entry else round(profile.posts_per_day * days)
    n_older = int(entry.get("older_posts", round(profile.posts_per_day * OLDER_MARGIN_DAYS) if "posts" not in entry
                            else 2))
    n_today = int(entry.get("today_posts", 0 if "posts" in entry else round(profile.posts_per_day / 2)))
    older_start = start - timedelta(days=OLDER_MARGIN_DAYS)
    times = (sample_times(rng, n_today, end, anchor) + _fresh_times(entry, anchor)
             + sample_times(rng, n_period, start, min(end, anchor))
             + sample_times(rng, n_older, older_start, start))
    times = sorted(set(times), reverse=True)
    allowed_kinds = PLATFORM_KINDS[account.platform]
    if not account.fans:  # nobody to repost or answer
        allowed_kinds = tuple(k for k in allowed_kinds if not k.endswith("_fan"))
    kinds = allocate(len(times), _allowed(profile.kinds, allowed_kinds), rng)
    formats = allocate(len(times), _allowed(profile.formats, PLATFORM_FORMATS[account.platform]), rng)
    purposes = allocate(len(times), profile.purposes, rng)
    posts = [make_post(account, archetype, t, k, f, p, rng, anchor, i)
             for i, (t, k, f, p) in enumerate(zip(times, kinds, formats, purposes, strict=True))]
    _add_pinned(account, entry, posts, rng, anchor, start)
    _add_viral(account, posts, rng)
    if account.platform == "telegram":
        _number_telegram(posts, rng)
    return posts


def _fresh_times(entry: dict[str, Any], anchor: datetime) -> list[datetime]:
    """Explicit offsets before the anchor (seconds), e.g. to show "刚刚" and "N分钟前" on Weibo."""
    return [(anchor - timedelta(seconds=int(s))).astimezone(UTC) for s in entry.get("fresh_seconds", [])]


def _add_pinned(account: SampleAccount, entry: dict[str, Any], posts: list[SamplePost], rng: random.Random,
                anchor: datetime, period_start: datetime) -> None:
    pinned = entry.get("pinned")
    if not pinned:
        return
    if pinned == "old":  # older than the period: must not end date-bounded paging
        when = period_start - timedelta(days=120 + rng.randrange(60), hours=rng.randrange(24))
        posts.append(_pinned_post(account, when, rng, anchor))
        posts.sort(key=lambda p: p.created_at, reverse=True)
        return
    originals = [p for p in posts if p.kind == "original" and p.created_at >= period_start]
    if originals:
        chosen = originals[len(originals) // 2]
        chosen.pinned = True


def _add_viral(account: SampleAccount, posts: list[SamplePost], rng: random.Random) -> None:
    """The visual exemplar has one viral post past 1,000,000 likes: Weibo shows it as "100万+"."""
    if account.archetype != "visual" or account.platform != "weibo":
        return
    originals = [p for p in posts if p.kind == "original" and not p.pinned]
    if originals:
        viral = originals[len(originals) // 3]
        viral.likes, viral.reposts, viral.comments = 1_000_000 + rng.randrange(300_000), 1_000_000 + rng.randrange(
            50_000), 180_000 + rng.randrange(20_000)


def _number_telegram(posts: list[SamplePost], rng: random.Random) -> None:
    """Telegram message numbers: a per-channel sequence with gaps (deletions, albums use one per photo)."""
    number = 10 + rng.randrange(200)
    previous: SamplePost | None = None
    for post in sorted(posts, key=lambda p: p.created_at):
        number += 1 + (rng.randrange(1, 4) if rng.random() < 0.15 else 0)
        post.id = str(number)
        if post.kind == "reply" and previous is not None:
            post.reply_to_post_id = previous.id  # channels reply to their own earlier posts
        if post.format == "image" and post.media_count > 1:
            number += post.media_count - 1
        previous = post


# ---------------------------------------------------------------------------------------- panels


def build_panel(spec: dict[str, Any], seed: int | None = None, anchor: datetime | None = None) -> Panel:
    seed = int(seed if seed is not None else spec.get("seed", 7))
    anchor = _as_anchor(anchor or spec.get("anchor") or DEFAULT_ANCHOR)
    period = _spec_period(spec, anchor)
    accounts: list[SampleAccount] = []
    posts: dict[tuple[str, str], list[SamplePost]] = {}
    for index, entry in enumerate(spec.get("accounts", [])):
        account = _account_from_spec(entry, index, seed)
        if account.key in posts:
            raise ValueError(f"duplicate account {account.platform}:{account.id} in the panel spec")
        account_posts = generate_posts(account, entry, seed, anchor, period)
        account.statuses_count = int(entry.get("statuses_count", len(account_posts) + 300 + index * 37))
        accounts.append(account)
        posts[account.key] = account_posts
    return Panel(accounts=accounts, posts_by_account=posts, anchor=anchor, period_start=period[0],
                 period_end=period[1], seed=seed, name=str(spec.get("name", "sample")))


def _as_anchor(value: datetime | str) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)
    return moment


def _spec_period(spec: dict[str, Any], anchor: datetime) -> tuple[date, date]:
    period = spec.get("period")
    if not period:
        return default_period(anchor)
    return date.fromisoformat(str(period["start"])), date.fromisoformat(str(period["end"]))


DEMO_OWN_WEIBO = "5823419706"


def demo_spec() -> dict[str, Any]:
    """The demo story: our brand sells too much and never talks to fans; one peer bought followers, one
    only broadcasts; three exemplars show fan care, visual craft and a playful voice."""
    return {
        "name": "demo",
        "accounts": [
            {"platform": "weibo", "id": DEMO_OWN_WEIBO, "role": "own", "label": "悦享咖啡 Joy Coffee",
             "archetype": "sales_heavy", "brand": "joy_coffee", "name": "悦享咖啡JoyCoffee", "followers": 182_340,
             "affiliates": ["6120387745"], "pinned": "old", "fresh_seconds": [40, 25 * 60, 5 * 3600]},
            {"platform": "weibo", "id": "3390174826", "role": "peer", "label": "云岭咖啡 Yunling Coffee",
             "archetype": "bought_followers", "brand": "yunling_coffee", "name": "云岭咖啡官方",
             "followers": 3_200_000},
            {"platform": "weibo", "id": "2718890453", "role": "peer", "label": "晨光茶饮 Morning Tea",
             "archetype": "broadcaster", "brand": "morning_tea", "name": "晨光茶饮", "followers": 860_500},
            {"platform": "weibo", "id": "1938472261", "role": "exemplar", "label": "暖暖家居 Nuan Home",
             "archetype": "fan_friendly", "brand": "nuan_home", "name": "暖暖家居NuanHome", "followers": 421_800},
            {"platform": "weibo", "id": "2264038519", "role": "exemplar", "label": "拾光相机 Shiguang Camera",
             "archetype": "visual", "brand": "shiguang_camera", "name": "拾光相机", "followers": 1_352_000,
             "pinned": "recent"},
            {"platform": "weibo", "id": "3056712984", "role": "exemplar", "label": "跳跳糖零食 Popping Snacks",
             "archetype": "playful", "brand": "popping_snacks", "name": "跳跳糖零食", "followers": 654_200},
            {"platform": "bluesky", "id": "joycoffee.bsky.social", "role": "own", "label": "悦享咖啡 Joy Coffee",
             "archetype": "sales_heavy", "brand": "joy_coffee", "followers": 3_240, "pinned": "recent",
             "affiliates": ["joycoffee-stores.bsky.social"]},
            {"platform": "bluesky", "id": "nuanhome.bsky.social", "role": "exemplar", "label": "暖暖家居 Nuan Home",
             "archetype": "fan_friendly", "brand": "nuan_home", "followers": 12_800},
            {"platform": "mastodon", "id": "joycoffee@mastodon.example", "role": "own",
             "label": "悦享咖啡 Joy Coffee", "archetype": "sales_heavy", "brand": "joy_coffee", "followers": 1_180,
             "pinned": "recent"},
            {"platform": "mastodon", "id": "popsnacks@mastodon.example", "role": "exemplar",
             "label": "跳跳糖零食 Popping Snacks", "archetype": "playful", "brand": "popping_snacks",
             "followers": 8_400},
            {"platform": "telegram", "id": "joycoffee_cn", "role": "own", "label": "悦享咖啡 Joy Coffee",
             "archetype": "sales_heavy", "brand": "joy_coffee", "followers": 5_600, "language": "zh"},
            {"platform": "telegram", "id": "shiguangcam", "role": "exemplar", "label": "拾光相机 Shiguang Camera",
             "archetype": "visual", "brand": "shiguang_camera", "followers": 27_400, "language": "zh"},
            # YouTube (issue 18): the own brand by its handle, the visual exemplar by its channel id.
            {"platform": "youtube", "id": "@joycoffee", "role": "own", "label": "悦享咖啡 Joy Coffee",
             "archetype": "sales_heavy", "brand": "joy_coffee", "followers": 24_600, "posts": 60},
            {"platform": "youtube", "id": "UCshiguangCameraOfficial", "role": "exemplar",
             "label": "拾光相机 Shiguang Camera", "archetype": "visual", "brand": "shiguang_camera",
             "followers": 389_000, "posts": 55},
        ],
    }


def demo_panel(anchor: datetime, seed: int = 7) -> Panel:
    """The demo panel: one quarter (91 days ending the day before `anchor`, Asia/Shanghai) of posts."""
    panel = build_panel(demo_spec(), seed=seed, anchor=anchor)
    panel.name = "demo"
    return panel


def synthetic_spec(n_accounts: int, posts_per_account: int, platform: str = "weibo", seed: int = 7,
                   behaviour: dict[str, Any] | None = None) -> dict[str, Any]:
    """A large panel for benchmarks: `platform` is one platform or "mixed" (round robin)."""
    platforms = ("weibo", "bluesky", "mastodon", "telegram") if platform == "mixed" else (platform,)
    accounts = []
    for i in range(n_accounts):
        plat = platforms[i % len(platforms)]
        account_id = {"weibo": str(2_000_000_000 + i * 7919), "bluesky": f"brand{i}.bsky.social",
                      "mastodon": f"brand{i}@mastodon.example", "telegram": f"brand{i}_channel"}[plat]
        accounts.append({"platform": plat, "id": account_id, "role": "own" if i == 0 else "peer",
                         "label": f"Brand {i}", "archetype": ARCHETYPES[i % len(ARCHETYPES)],
                         "posts": posts_per_account, "older_posts": 2, "fans": 12,
                         "behaviour": dict(behaviour or {})})
    return {"name": f"synthetic_{n_accounts}x{posts_per_account}", "seed": seed, "accounts": accounts}


# ------------------------------------------------------------------------------------- comments


def comments_for(panel: Panel, account: SampleAccount, post: SamplePost) -> list[SampleComment]:
    """Fan comments under a post (at most COMMENT_CAP), newest first, with the account's answers nested.

    Generated on demand from their own seed, so the panel itself stays small."""
    rng = seeded(panel.seed, "comments", account.platform, account.id, post.id)
    profile = PROFILES[account.archetype]
    limit = min(post.comments, COMMENT_CAP)
    horizon = min(panel.anchor.astimezone(UTC), post.created_at + timedelta(days=5))
    span = max(int((horizon - post.created_at).total_seconds()), 60)
    pool = account.fans or make_fans(account.platform, rng, 8, account.instance or "mastodon.example")
    brand = account.as_author()
    out = []
    for _ in range(limit):
        created = post.created_at + timedelta(seconds=rng.randrange(30, span + 30))
        created = min(created, horizon)
        fan = rng.choice(pool)
        comment = SampleComment(id=_comment_id(account.platform, fan, created, rng), created_at=created,
                                author=fan, text=_comment_text(account, rng),
                                likes=int(rng.lognormvariate(1.5, 1.3)), loyal_fan=rng.random() < 0.3)
        if rng.random() < profile.reply_rate:
            answered = min(created + timedelta(hours=rng.expovariate(1 / profile.reply_hours)), horizon)
            comment.replies.append(SampleComment(
                id=_comment_id(account.platform, brand, answered, rng), created_at=answered, author=brand,
                text=_brand_reply_text(account, rng), likes=rng.randrange(0, 30), by_account=True))
        out.append(comment)
    out.sort(key=lambda c: c.created_at, reverse=True)
    return out


def _comment_id(platform: str, author: SampleAuthor, moment: datetime, rng: random.Random) -> str:
    if platform == "bluesky":
        return f"at://{author.id}/app.bsky.feed.post/{bluesky_tid(moment, rng.randrange(1024))}"
    if platform == "mastodon":
        return mastodon_id(moment, rng)
    if platform == "youtube":
        return "Ugz" + youtube_id(rng, 23)
    return weibo_mid(moment, rng)


def _comment_text(account: SampleAccount, rng: random.Random) -> str:
    chinese = account.language == "zh" and account.platform == "weibo"
    if chinese and rng.random() < COMPLAINTS_SHARE.get(account.archetype, 0.0):
        return rng.choice(COMPLAINTS_ZH)
    pool = COMMENTS_ZH if chinese else COMMENTS_EN
    return rng.choice(pool).format(city=rng.choice(CITIES), city_en=rng.choice(CITIES_EN))


def _brand_reply_text(account: SampleAccount, rng: random.Random) -> str:
    if account.language == "zh" and account.platform == "weibo":
        return rng.choice(BRAND_REPLIES_ZH).format(city=rng.choice(CITIES))
    return rng.choice(REPLY_EN)


# -------------------------------------------------------------------------------------- config


def _toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def panel_config_toml(panel: Panel) -> str:
    """A benchmark.toml for the panel (every account, roles, labels, affiliates, the panel's period)."""
    name = re.sub(r"[^\w.\-]", "_", panel.name) or "sample"
    lines = [
        "# Generated by benchmark.sample.panel.panel_config_toml: the fictional sample panel.",
        "[benchmark]",
        f"name = {_toml_string(name)}",
        f"period = {{ start = {panel.period_start.isoformat()}, end = {panel.period_end.isoformat()} }}",
        f"timezone = {_toml_string(panel.timezone)}",
    ]
    for account in panel.accounts:
        lines += ["", "[[account]]", f"platform = {_toml_string(account.platform)}",
                  f"id = {_toml_string(account.id)}", f"role = {_toml_string(account.role)}",
                  f"label = {_toml_string(account.label)}"]
        if account.affiliates:
            ids = ", ".join(_toml_string(a.handle or a.id) for a in account.affiliates)
            lines.append(f"affiliates = [{ids}]")
    return "\n".join(lines) + "\n"


def follower_history(panel: Panel, weeks: int = 12) -> list[dict[str, Any]]:
    """Earlier follower snapshots of the panel's Weibo accounts, one a week back from the anchor: what the
    weekly crawls before the demo's would have stored, so the demo report can draw follower growth as a line.
    Rows for `Store.write_batch(account_rows=...)` (a Weibo account is stored under its uid, its config id).
    Deterministic per (account, seed): bought followers stay flat, the others grow 0.2-1.2 % a week."""
    rows = []
    for account in panel.accounts:
        if account.platform != "weibo":
            continue
        rng = seeded("history", account.id, panel.seed)
        rate = 0.0 if account.archetype == "bought_followers" else rng.uniform(0.002, 0.012)
        for k in range(1, weeks + 1):
            rows.append({"platform": account.platform, "account_id": account.id, "name": account.name,
                         "followers": round(account.followers / (1 + rate) ** k),
                         "crawled_at": panel.anchor - timedelta(weeks=k)})
    return rows


def write_follower_history(store: Any, panel: Panel, weeks: int = 12) -> int:
    """Write `follower_history` into `store` (a benchmark.store.Store) as one batch per week, oldest first, so
    each week is its own snapshot (a batch keeps one row per account). Call it BEFORE the demo's crawl: the
    crawl then stores the current counts last. Returns the number of snapshots written."""
    by_week: dict[datetime, list[dict[str, Any]]] = {}
    for row in follower_history(panel, weeks):
        by_week.setdefault(row["crawled_at"], []).append(row)
    for moment in sorted(by_week):
        store.write_batch(f"demo-history-{moment:%Y%m%d}", account_rows=by_week[moment])
    return sum(len(rows) for rows in by_week.values())
