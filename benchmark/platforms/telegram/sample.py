"""Telegram public channel previews (t.me/s/<channel>) for the sample panel, with the structure and CSS
classes of shared/fixtures/telegram/laconicman_swiftui_dev_tme_s_page.html.

Routes (below the /telegram prefix):
  /s/<channel>[?before=<id>][?after=<id>]  → preview page: 20 messages, oldest first, newest last
  /<channel>                               → the plain channel page ("N subscribers", no messages)

A channel without a preview (not_found, private, opted_out) answers /s/<channel> with a 302 to
/<channel>, as t.me does. Paging links (`a.tme_messages_more[data-before]`, `<link rel="prev">`) carry
the /telegram prefix so they resolve against the sample server. Views are rounded ("1.7K"), reactions
are per emoji, forwards show `tgme_widget_message_forwarded_from` (channel link, user link or unlinked).
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime
from html import escape
from typing import Any
from urllib.parse import quote, urlsplit

from benchmark.sample import Reply, dump_json, first, html_reply, redirect, throttle
from benchmark.sample.panel import EMOJI, UTC, SampleAccount, SamplePost, tokenize

PAGE_SIZE = 20
REACTIONS = (("👍", "F09F918D", 0.55), ("❤", "E29DA4", 0.2), ("🔥", "F09F94A5", 0.15), ("😁", "F09F9881", 0.1))
LINK_ATTRS = 'target="_blank" rel="noopener" onclick="return confirm(\'Open this link?\\n\\n\'+this.href);"'
TAIL_SVG = ('<svg class="bubble_icon" width="9px" height="20px" viewBox="0 0 9 20"><g fill="none"><path '
            'class="background" fill="#ffffff" d="M8,1 L9,1 L9,20 L8,20 L8,18 C7.807,15.161 7.124,12.233 5.950,9.218 '
            'C5.046,6.893 3.504,4.733 1.325,2.738 L1.325,2.738 C0.917,2.365 0.89,1.732 1.263,1.325 C1.452,1.118 1.72,1 '
            '2,1 L8,1 Z"></path></g></svg>')


def short_count(value: int) -> str:
    """Telegram's rounded counters: 884, 1.7K, 5.19K, 27.4K, 1.2M."""
    if value < 1000:
        return str(value)
    for size, suffix in ((1_000_000, "M"), (1000, "K")):
        if value >= size:
            scaled = value / size
            digits = 2 if scaled < 10 else (1 if scaled < 100 else 0)
            text = f"{int(scaled * 10**digits) / 10**digits:.{digits}f}".rstrip("0").rstrip(".")
            return text + suffix
    return str(value)


def _hex(text: str) -> str:
    return text.encode("utf-8").hex().upper()


def _cdn(*parts: object) -> str:
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()
    return f"https://cdn4.telesco.pe/file/{digest}"


def _emoji_html(text: str) -> str:
    """Wrap known emoji the way t.me does: <i class="emoji" style=...><b>😂</b></i>."""
    out = escape(text, quote=False)
    for emoji in EMOJI:
        if emoji in out:
            out = out.replace(emoji, f"<i class=\"emoji\" style=\"background-image:url('//telegram.org/img/emoji/40/"
                                     f"{_hex(emoji)}.png')\"><b>{emoji}</b></i>")
    return out


def text_html(text: str) -> str:
    parts = []
    for kind, value in tokenize(text, "telegram"):
        if kind == "url":
            parts.append(f'<a href="{escape(value)}" {LINK_ATTRS}>{escape(value)}</a>')
        elif kind == "tag":
            parts.append(f'<a href="?q={quote(value, safe="")}">{escape(value)}</a>')
        elif kind == "mention":
            parts.append(f'<a href="https://t.me/{escape(value)}" target="_blank">@{escape(value)}</a>')
        elif kind == "newline":
            parts.append("<br/>")
        else:
            parts.append(_emoji_html(value))
    return "".join(parts)


# ------------------------------------------------------------------------------------------ media


def _photo(channel: str, number: int, key: str, grouped: bool = False) -> str:
    cls = "tgme_widget_message_photo_wrap" + (" grouped_media_wrap blured js-message_photo" if grouped else "")
    href = f"https://t.me/{channel}/{number}" + ("?single" if grouped else "")
    return (f'<a class="{cls}" href="{href}" style="width:800px;background-image:url(\'{_cdn(key, number)}.jpg\')">'
            '\n  <div class="tgme_widget_message_photo" style="padding-top:75%"></div>\n</a>')


def _video(channel: str, post: SamplePost, gif: bool) -> str:
    number = post.id
    src = f"{_cdn(channel, number, 'video')}.mp4?token=sample"
    duration = f"0:{int(number) % 50 + 10}"
    play = "" if gif else ('<div class="message_video_play js-message_video_play"></div>\n'
                           f'<time class="message_video_duration js-message_video_duration">{duration}</time>\n')
    attrs = " autoplay loop muted playsinline" if gif else ""
    thumb = f"background-image:url('{_cdn(channel, number)}.jpg')"
    return ('<a class="tgme_widget_message_video_player js-message_video_player" '
            f'href="https://t.me/{channel}/{number}"><i class="tgme_widget_message_video_thumb" style="{thumb}"></i>\n'
            f'<div class="tgme_widget_message_video_wrap" style="width:1080px;padding-top:56.25%">\n'
            f'  <video src="{src}" class="tgme_widget_message_video js-message_video" width="100%" '
            f'height="100%"{attrs}></video>\n</div>\n{play}'
            '<div class="message_media_not_supported_wrap">\n  <div class="message_media_not_supported">\n'
            '    <div class="message_media_not_supported_label">This media is not supported in your browser</div>\n'
            '    <span class="message_media_view_in_telegram">VIEW IN TELEGRAM</span>\n  </div>\n</div></a>')


def _voice(channel: str, post: SamplePost) -> str:
    src = f"{_cdn(channel, post.id, 'voice')}.ogg?token=sample"
    return ('<a class="tgme_widget_message_voice_player js-message_voice_player">'
            f'<audio class="tgme_widget_message_voice js-message_voice" src="{src}"'
            ' data-waveform="AAAAAAAAAAAAAAAAAAAA" preload="none"></audio>'
            '<time class="tgme_widget_message_voice_duration js-message_voice_duration">'
            f"0:{int(post.id) % 50 + 10}</time></a>")


def _poll(post: SamplePost) -> str:
    chinese = "\u4e00" <= post.text[:1] <= "\u9fff"
    question = "今天喝什么？" if chinese else "What are you having today?"
    options = (("拿铁", 46), ("美式", 31), ("都要！", 23)) if chinese else (
        ("Latte", 46), ("Americano", 31), ("Both!", 23))
    rows = "".join(
        '<div class="tgme_widget_message_poll_option">'
        f'<div class="tgme_widget_message_poll_option_percent">{pct}%</div>'
        f'<div class="tgme_widget_message_poll_option_value"><div class="tgme_widget_message_poll_option_text">'
        f'{escape(title)}</div><div class="tgme_widget_message_poll_option_bar" style="width:{pct}%"></div></div></div>'
        for title, pct in options)
    return ('<div class="tgme_widget_message_poll js-poll">'
            f'<div class="tgme_widget_message_poll_question">{escape(question)}</div>'
            f'<div class="tgme_widget_message_poll_type">Anonymous poll</div>{rows}</div>')


def _link_preview(url: str) -> str:
    host = urlsplit(url).netloc
    return (f'<a class="tgme_widget_message_link_preview" href="{escape(url)}">\n'
            f'  <div class="link_preview_site_name accent_color" dir="auto">{escape(host)}</div>\n'
            f"  <i class=\"link_preview_image\" style=\"background-image:url('{_cdn(url)}.jpg')\"></i>\n"
            f'  <div class="link_preview_title" dir="auto">{escape(host)} — news</div>\n'
            '  <div class="link_preview_description" dir="auto">Fresh from our roastery and stores.</div>\n</a>')


def media_html(channel: str, post: SamplePost) -> str:
    fmt = post.format
    if fmt == "image" and post.media_count > 1:
        first_number = int(post.id)
        photos = "".join(_photo(channel, first_number + i, post.id, grouped=True) for i in range(post.media_count))
        return ('<div class="tgme_widget_message_grouped_wrap js-message_grouped_wrap" data-margin-w="2" '
                f'data-margin-h="2" style="width:800px;"><div class="tgme_widget_message_grouped js-message_grouped" '
                f'style="padding-top:100%">{photos}</div></div>')
    if fmt == "image":
        return _photo(channel, int(post.id), post.id)
    if fmt in ("video", "gif"):
        return _video(channel, post, gif=fmt == "gif")
    if fmt == "audio":
        return _voice(channel, post)
    return ""


def reactions_html(post: SamplePost) -> str:
    if post.likes <= 0:
        return ""
    spans, left = [], post.likes
    for i, (emoji, code, share) in enumerate(REACTIONS):
        n = left if i == len(REACTIONS) - 1 else int(post.likes * share)
        left -= n
        if n > 0:
            icon = f"background-image:url('//telegram.org/img/emoji/40/{code}.png')"
            spans.append(f'<span class="tgme_reaction"><i class="emoji" style="{icon}"><b>{emoji}</b></i>'
                         f"{short_count(n)}</span>")
    if int(post.id) % 7 == 0:  # paid star reactions: no emoji, not counted as likes
        spans.insert(0, f'<span class="tgme_reaction tgme_reaction_paid"><i class="icon icon-telegram-stars"></i>'
                        f"{int(post.id) % 5 + 1}</span>")
    return f'<div class="tgme_widget_message_reactions js-message_reactions">{"".join(spans)}</div>'


# --------------------------------------------------------------------------------------- messages


def _forwarded(post: SamplePost) -> str:
    ref = post.ref
    if ref is None:
        return ""
    author = ref.author
    if author is None:  # the origin hides its account: a name without a link
        name = '<span class="tgme_widget_message_forwarded_from_name"><span dir="auto">Hidden User</span></span>'
    elif author.is_channel:
        name = (f'<a class="tgme_widget_message_forwarded_from_name" href="https://t.me/{escape(author.handle)}/'
                f'{escape(ref.post_id)}"><span dir="auto">{escape(author.name)}</span></a>')
    else:
        name = (f'<a class="tgme_widget_message_forwarded_from_name" href="https://t.me/{escape(author.handle)}">'
                f'<span dir="auto">{escape(author.name)}</span></a>')
    return f'<div class="tgme_widget_message_forwarded_from accent_color">Forwarded from&nbsp;{name}</div>\n'


def _reply(channel: str, account: SampleAccount, post: SamplePost, by_number: dict[str, SamplePost]) -> str:
    if post.kind != "reply" or not post.reply_to_post_id:
        return ""
    quoted = by_number.get(post.reply_to_post_id)
    snippet = escape((quoted.text if quoted else "")[:80], quote=False)
    return (f'<a class="tgme_widget_message_reply" href="https://t.me/{channel}/{post.reply_to_post_id}">'
            '<div class="tgme_widget_message_author accent_color">\n'
            f'  <span class="tgme_widget_message_author_name" dir="auto">{escape(account.name)}</span>\n</div>\n'
            f'<div class="tgme_widget_message_text js-message_reply_text" dir="auto">{snippet}</div>\n</a>\n')


def _data_view(account: SampleAccount, number: str, anchor: datetime) -> str:
    payload = {"c": -int(account.internal_id), "p": int(number), "t": int(anchor.timestamp()),
               "h": hashlib.md5(f"{account.id}{number}".encode()).hexdigest()[:18]}
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")


def _body(account: SampleAccount, post: SamplePost, by_number: dict[str, SamplePost]) -> str:
    """Everything between the author line and the footer: forward, reply, media, text, previews, reactions."""
    text = post.ref.text if post.kind == "repost" and post.ref is not None else post.text
    text_div = (f'<div class="tgme_widget_message_text js-message_text" dir="auto">{text_html(text)}</div>\n'
                if text else "")
    preview = _link_preview(post.links[-1]) + "\n" if post.format == "link" and post.links else ""
    poll = _poll(post) if post.format == "poll" else ""
    return (f"{_forwarded(post)}{_reply(account.id, account, post, by_number)}{media_html(account.id, post)}"
            f"{text_div}{preview}{poll}{reactions_html(post)}")


def _footer(account: SampleAccount, post: SamplePost) -> str:
    moment = post.created_at.astimezone(UTC)
    views = (f'<span class="tgme_widget_message_views">{short_count(post.views or 0)}</span>'
             '<span class="copyonly"> views</span>')
    date = (f'<a class="tgme_widget_message_date" href="https://t.me/{account.id}/{post.id}">'
            f'<time datetime="{moment:%Y-%m-%dT%H:%M:%S}+00:00" class="time">{moment:%H:%M}</time></a>')
    return ('<div class="tgme_widget_message_footer compact js-message_footer">\n'
            '  <div class="tgme_widget_message_info short js-message_info">\n'
            f'    {views}<span class="tgme_widget_message_meta"><span class="tgme_widget_message_from_author" '
            f'dir="auto">{escape(account.name)}</span>,&nbsp;{date}</span>\n  </div>\n</div>\n')


def message_html(account: SampleAccount, post: SamplePost, by_number: dict[str, SamplePost], anchor: datetime) -> str:
    channel, name = account.id, escape(account.name)
    photo = (f'<i class="tgme_widget_message_user_photo bgcolor4" data-content="{escape(account.name[:1])}">'
             f'<img src="{_cdn(channel, "avatar")}.jpg"></i>')
    return (
        '<div class="tgme_widget_message_wrap js-widget_message_wrap"><div class="tgme_widget_message '
        f'text_not_supported_wrap js-widget_message" data-post="{channel}/{post.id}" '
        f'data-view="{_data_view(account, post.id, anchor)}">\n'
        f'  <div class="tgme_widget_message_user"><a href="https://t.me/{channel}">{photo}</a></div>\n'
        '  <div class="tgme_widget_message_bubble">\n'
        f'    <i class="tgme_widget_message_bubble_tail">{TAIL_SVG}</i>\n'
        '    <div class="tgme_widget_message_author accent_color"><a class="tgme_widget_message_owner_name" '
        f'href="https://t.me/{channel}"><span dir="auto">{name}</span></a></div>\n'
        f"{_body(account, post, by_number)}{_footer(account, post)}  </div>\n</div></div>")


# ------------------------------------------------------------------------------------------- pages


def _counters(account: SampleAccount, posts: list[SamplePost]) -> str:
    counts = (("subscribers", account.followers),
              ("photos", sum(p.media_count for p in posts if p.format == "image") + 40),
              ("videos", sum(1 for p in posts if p.format in ("video", "gif")) + 12),
              ("links", sum(len(p.links) for p in posts) + 20))
    return "".join(f'<div class="tgme_channel_info_counter"><span class="counter_value">{short_count(n)}</span> '
                   f'<span class="counter_type">{label}</span></div>' for label, n in counts)


def preview_page(account: SampleAccount, page: list[SamplePost], older: bool, newer: bool, prefix: str,
                 by_number: dict[str, SamplePost], anchor: datetime) -> str:
    channel, title = account.id, escape(account.name)
    verified = '<i class="verified-icon"></i>' if account.followers >= 10_000 else ""
    lowest = page[0].id if page else "1"
    highest = int(page[-1].id) if page else 1
    links = f'<link rel="canonical" href="{prefix}/s/{channel}?before={highest + 1}">\n'
    more = ""
    if older:
        links = f'<link rel="prev" href="{prefix}/s/{channel}?before={lowest}">\n' + links
        more = (f'<div class="tgme_widget_message_centered js-messages_more_wrap"><a href="{prefix}/s/{channel}?'
                f'before={lowest}" class="tme_messages_more js-messages_more" data-before="{lowest}"></a></div>')
    if newer:
        links += f'<link rel="next" href="{prefix}/s/{channel}?after={highest}">\n'
    messages = "".join(message_html(account, p, by_number, anchor) for p in page)
    description = escape(account.description)
    posts_all = list(by_number.values())
    avatar = f'<img src="{_cdn(channel, "avatar")}.jpg">'
    return f"""<!DOCTYPE html>
<html>
  <head>
    <meta charset="utf-8">
    <title>{title} – Telegram</title>
    <meta name="viewport" content="width=device-width, initial-scale=1.0, minimum-scale=1.0, maximum-scale=1.0">
<meta property="og:title" content="{title}">
<meta property="og:image" content="{_cdn(channel, "avatar")}.jpg">
<meta property="og:site_name" content="Telegram">
<meta property="og:description" content="{description}">
{links}<link href="//telegram.org/css/widget-frame.css?75" rel="stylesheet" media="screen">
<link href="//telegram.org/css/telegram-web.css?39" rel="stylesheet" media="screen">
  </head>
  <body class="widget_frame_base tgme_webpreview emoji_image thin_box_shadow tme_mode no_transitions">
    <header class="tgme_header search_collapsed">
  <div class="tgme_container">
    <div class="tgme_header_right_column">
      <section class="tgme_right_column">
        <div class="tgme_channel_info">
          <div class="tgme_channel_info_header">
            <i class="tgme_page_photo_image bgcolor4" data-content="{escape(account.name[:2])}">{avatar}</i>
            <div class="tgme_channel_info_header_title_wrap">
              <div class="tgme_channel_info_header_title"><span dir="auto">{title}</span>{verified}</div>
              <div class="tgme_channel_info_header_labels"></div>
            </div>
            <div class="tgme_channel_info_header_username"><a href="https://t.me/{channel}">@{channel}</a></div>
          </div>
          <div class="tgme_channel_info_counters">{_counters(account, posts_all)}</div>
          <div class="tgme_channel_info_description">{description}</div>
        </div>
      </section>
    </div>
    <div class="tgme_header_info">
      <a class="tgme_header_link" href="https://t.me/{channel}">
        <div class="tgme_header_title_wrap">
          <div class="tgme_header_title"><span dir="auto">{title}</span></div>
        </div>
        <div class="tgme_header_counter">{short_count(account.followers)} subscribers</div>
      </a>
    </div>
  </div>
</header>
<main class="tgme_main" data-url="/{channel}">
  <div class="tgme_container">
    <section class="tgme_channel_history js-message_history">
      {more}{messages}
    </section>
  </div>
</main>
  </body>
</html>
"""


def plain_page(account: SampleAccount | None, channel: str) -> str:
    """t.me/<name>: "N subscribers" for a channel without preview, a contact card for anything else."""
    if account is not None and not account.behaviour.get("not_found"):
        extra = f"{account.followers:,} subscribers".replace(",", " ")
        title, description = escape(account.name), escape(account.description)
    else:
        extra = f"@{escape(channel)}"
        title = escape(channel)
        description = (f'If you have <strong>Telegram</strong>, you can contact <a class="tgme_username_link" '
                       f'href="tg://resolve?domain={escape(channel)}">@{escape(channel)}</a> right away.')
    resolve = f"tg://resolve?domain={escape(channel)}"
    return f"""<!DOCTYPE html>
<html>
  <head>
    <meta charset="utf-8">
    <title>Telegram: Contact @{escape(channel)}</title>
  </head>
  <body class="no_transition">
    <div class="tgme_page_wrap">
      <div class="tgme_page">
        <div class="tgme_page_title"><span dir="auto">{title}</span></div>
        <div class="tgme_page_extra">{extra}</div>
        <div class="tgme_page_description">{description}</div>
        <div class="tgme_page_action">
          <a class="tgme_action_button_new shine" href="{resolve}">View in Telegram</a>
        </div>
      </div>
    </div>
  </body>
</html>
"""


# ---------------------------------------------------------------------------------------- endpoints


def route(site: Any, path: str, query: dict[str, list[str]], base: str) -> Reply | None:
    parts = [p for p in path.split("/") if p]
    prefix = urlsplit(base).path
    if len(parts) == 2 and parts[0] == "s":
        return channel_preview(site, parts[1], query, base, prefix)
    if len(parts) == 1:
        name = parts[0].lstrip("@")
        return html_reply(plain_page(site.panel.account("telegram", name), name))
    return None


def channel_preview(site: Any, channel: str, query: dict[str, list[str]], base: str, prefix: str) -> Reply:
    account = site.panel.account("telegram", channel.lstrip("@"))
    behaviour = account.behaviour if account else {}
    if account is None or any(behaviour.get(k) for k in ("not_found", "private", "opted_out", "login_wall")):
        return redirect(f"{base}/{channel}")
    limited = throttle(site, "telegram", account.id, behaviour, dump_json({"ok": False, "error_code": 429,
                                                                         "description": "Too Many Requests"}))
    if limited is not None:
        return limited
    before, after = first(query, "before"), first(query, "after")
    key = ("telegram", "page", account.id, before, after, prefix)
    return site.cached(key, lambda: html_reply(_page(site, account, before, after, prefix)))


def _page(site: Any, account: SampleAccount, before: str | None, after: str | None, prefix: str) -> str:
    ascending = site.index("telegram")[account.id]
    if before and before.isdigit():
        candidates = [p for p in ascending if int(p.id) < int(before)]
        page = candidates[-PAGE_SIZE:]
    elif after and after.isdigit():
        page = [p for p in ascending if int(p.id) > int(after)][:PAGE_SIZE]
    else:
        page = ascending[-PAGE_SIZE:]
    older = bool(page) and int(page[0].id) > int(ascending[0].id)
    newer = bool(page) and int(page[-1].id) < int(ascending[-1].id)
    by_number = {p.id: p for p in ascending}
    return preview_page(account, page, older, newer, prefix, by_number, site.panel.anchor)


def index_posts(panel: Any) -> dict[str, list[SamplePost]]:
    """Channel → its messages, oldest first (the order of the preview page)."""
    return {a.id: sorted(panel.posts("telegram", a.id), key=lambda p: int(p.id))
            for a in panel.accounts if a.platform == "telegram"}
