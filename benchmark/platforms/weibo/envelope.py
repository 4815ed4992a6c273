"""Weibo's envelope: what an answer says before its data (ok, end, login wall, throttled, private, gone)."""

from __future__ import annotations

from typing import Any

from benchmark.i18n import Message
from benchmark.platforms.weibo.fields import COOKIE_HINT, END_MESSAGE, THROTTLE_MARKERS

# -- envelope ---------------------------------------------------------------------------------------------


def classify_envelope(payload: Any) -> tuple[str, str]:
    """(status, message) for any parsed JSON body; never raises."""
    try:
        return _classify(payload)
    except Exception as error:  # a classifier must answer, whatever it is fed
        return "malformed", f"unreadable payload ({type(error).__name__})"


def _classify(payload: Any) -> tuple[str, str]:
    if isinstance(payload, str) and ("wbBotDetector" in payload or "passport.weibo" in payload):
        return "login_wall", Message("Weibo answered with its login page; {hint}", hint=COOKIE_HINT)
    if not isinstance(payload, dict):
        return "malformed", f"expected a JSON object, got {type(payload).__name__}"
    ok = payload.get("ok")
    message = _message_of(payload)
    url = payload.get("url") if isinstance(payload.get("url"), str) else ""
    has_data = payload.get("data") not in (None, "", [], {})
    if ok == -100 or "relogin" in message or payload.get("error_code") == 21301 or ("login" in url and not has_data):
        return "login_wall", Message("Weibo asks for a login (ok={ok}); {hint}", ok=repr(ok), hint=COOKIE_HINT)
    if ok == 1 and has_data:
        return "ok", ""
    if "20003" in message or "用户不存在" in message or 20003 in (payload.get("errno"), payload.get("error_code")):
        return "not_found", Message("no such user: {reason}", reason=message or "error 20003")
    if _is_private(payload):
        return "private", Message("the account restricts who can see its posts (relation_display)")
    if url and not has_data:
        return "blocked", Message("captcha challenge: Weibo sent a verification page, not data; slow down or {hint}",
                                   hint=COOKIE_HINT)
    if ok == 1:
        return "ok", ""
    if END_MESSAGE in message:
        return "end", Message("{end}: no more posts (an unknown or emptied uid looks the same)", end=END_MESSAGE)
    if any(marker in message for marker in THROTTLE_MARKERS):
        return "blocked", Message("throttled: {reason}", reason=message)
    if ok is None and _looks_like_bare_data(payload):
        return "ok", ""  # weibo.com `data` member or app-API body saved without its envelope
    if ok == 0:
        return "malformed", f"ok=0: {message or 'no message'}"
    return "malformed", f"no ok flag and no recognisable data (keys: {', '.join(sorted(map(str, payload))[:8])})"


def _message_of(payload: dict) -> str:
    parts = [payload.get(key) for key in ("msg", "message", "error", "errmsg")]
    return " ".join(str(part) for part in parts if isinstance(part, (str, int)) and not isinstance(part, bool))


def _is_private(payload: dict) -> bool:
    data = payload.get("data")
    flags = [payload.get("relation_display")]
    if isinstance(data, dict):
        flags.append(data.get("relation_display"))
    return any(flag for flag in flags if not isinstance(flag, (dict, list))) or "private" in _message_of(payload)


def _looks_like_bare_data(payload: dict) -> bool:
    return any(key in payload for key in ("cards", "list", "cardlistInfo", "statuses", "userInfo", "user"))
