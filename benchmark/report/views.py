"""Views marketers know from Rival IQ, Fanpage Karma and Sprout (issue 16), from the same posts, each with its
CSV: engagement by format and by purpose, each brand's share of its platform's engagement, posts and
engagement per week, top hashtags per brand. Tables keep the stable ids and raw numbers (the CSV files);
`*_view` functions turn them into what the template shows, in the current language."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from benchmark.i18n import _, format_count, format_number
from benchmark.metrics.catalog import format_value, term
from benchmark.report import charts

TOP_HASHTAGS = 5
MIN_POSTS = 3  # a format or purpose with fewer posts shows its count, not a median
ID_COLUMNS = ["platform", "account_id", "label", "role"]


def _with_ids(frame: pd.DataFrame, accounts: pd.DataFrame) -> pd.DataFrame:
    ids = accounts[ID_COLUMNS]
    return ids.join(frame.set_index("acct"), how="inner").reset_index(drop=True)


# -- engagement by format and by purpose ---------------------------------------------------------------------
def by_type(posts: pd.DataFrame, accounts: pd.DataFrame) -> pd.DataFrame:
    """One row per account × (format | purpose) of its original posts: posts, median engagement, median ER."""
    originals = posts[posts["kind"] == "original"]
    frames = []
    for dimension in ("format", "purpose"):
        if dimension not in originals.columns:
            continue
        grouped = originals.groupby(["acct", originals[dimension].astype("object")], observed=True)
        table = grouped.agg(posts=("post_id", "size"), engagement_median=("engagement", "median"),
                            er_median=("er", "median")).reset_index().rename(columns={dimension: "part"})
        table.insert(1, "dimension", dimension)
        frames.append(table)
    columns = ["acct", "dimension", "part", "posts", "engagement_median", "er_median"]
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
    return _with_ids(frame[columns], accounts)


def by_type_view(table: pd.DataFrame, accounts: pd.DataFrame) -> list[dict[str, Any]]:
    """Per brand and dimension: a row per format / purpose with its posts and median ER, best first."""
    out = []
    for dimension, title in (("format", _("Median engagement rate by format (original posts)")),
                             ("purpose", _("Median engagement rate by purpose (original posts)"))):
        mine = table[table["dimension"] == dimension]
        groups = []
        for _i, account in accounts.iterrows():
            rows = mine[(mine["platform"] == account["platform"]) & (mine["account_id"] == account["account_id"])]
            rows = rows.sort_values("er_median", ascending=False, na_position="last")
            groups.append({"display": account["display"], "role": account["role"], "parts": [
                {"name": term(dimension, r["part"]), "posts": format_count(int(r["posts"])),
                 "er": format_value("er_median", r["er_median"]) if r["posts"] >= MIN_POSTS else "—"}
                for _j, r in rows.iterrows()]})
        out.append({"title": title, "groups": [g for g in groups if g["parts"]]})
    return out


# -- share of engagement per platform --------------------------------------------------------------------------
def share_chart(values: pd.DataFrame, accounts: pd.DataFrame) -> dict:
    """Each account's share of the panel's engagement on its platform, as bars grouped by platform."""
    rows = [charts.Row(label=a["display"], role=a["role"], value=float(values.at[acct, "share_of_engagement"]))
            for acct, a in accounts.iterrows()]
    return charts.bars(rows, lambda v: format_value("share_of_engagement", v),
                       _("Share of the platform panel's engagement"))


# -- weekly trends ------------------------------------------------------------------------------------------
def weekly(posts: pd.DataFrame, accounts: pd.DataFrame) -> pd.DataFrame:
    """Posts and engagement per account and week (weeks start on Monday, in the report's time zone)."""
    if posts.empty:
        return pd.DataFrame(columns=[*ID_COLUMNS, "week", "posts", "engagement"])
    local = posts["created_local"]
    week = (local - pd.to_timedelta(local.dt.day_of_week, unit="D")).dt.normalize().dt.date
    table = posts.assign(week=week).groupby(["acct", "week"]).agg(
        posts=("post_id", "size"), engagement=("engagement", lambda e: e.sum(min_count=1))).reset_index()
    return _with_ids(table, accounts)


def weekly_view(table: pd.DataFrame, accounts: pd.DataFrame) -> list[dict[str, Any]]:
    """Per platform, two small line charts (posts and engagement per week), one line per account."""
    out = []
    if table.empty:
        return out
    weeks = sorted(table["week"].unique())
    names = [f"{w:%m-%d}" for w in weeks]
    for platform in dict.fromkeys(accounts["platform"]):
        on = accounts[accounts["platform"] == platform]
        figures = []
        for column, title in (("posts", _("Posts per week")), ("engagement", _("Engagement per week"))):
            series = []
            for _i, a in on.iterrows():
                mine = table[(table["platform"] == platform) & (table["account_id"] == a["account_id"])]
                by_week = dict(zip(mine["week"], mine[column], strict=True))
                series.append({"label": a["display"], "role": a["role"],
                               "values": [float(by_week.get(w, 0.0 if column == "posts" else np.nan)) for w in weeks]})
            figures.append(charts.line_chart(series, names, lambda v: format_count(round(v)), title,
                                             width=charts.WIDTH // 2 - 8, height=200))
        out.append({"platform": term("platform", platform), "charts": figures})
    return out


# -- top hashtags ---------------------------------------------------------------------------------------------
def hashtags(posts: pd.DataFrame, accounts: pd.DataFrame, top: int = TOP_HASHTAGS) -> pd.DataFrame:
    """Per brand (config label): its most used hashtags, with the posts that carry each."""
    from benchmark.metrics.derive import json_lists

    columns = ["label", "role", "hashtag", "posts", "engagement_median"]
    if posts.empty or "hashtags" not in posts.columns:
        return pd.DataFrame(columns=columns)
    tags = pd.Series(json_lists(posts["hashtags"]), index=posts.index)
    exploded = posts.assign(hashtag=tags).explode("hashtag").dropna(subset=["hashtag"])
    exploded = exploded.assign(label=accounts["label"].reindex(exploded["acct"]).to_numpy(),
                               role=accounts["role"].reindex(exploded["acct"]).to_numpy())
    exploded["hashtag"] = exploded["hashtag"].astype(str)
    table = exploded.groupby(["label", "role", "hashtag"], sort=False).agg(
        posts=("post_id", "size"), engagement_median=("engagement", "median")).reset_index()
    table = table.sort_values(["posts", "hashtag"], ascending=[False, True], kind="stable")
    return table.groupby("label", sort=False).head(top)[columns].reset_index(drop=True)


def hashtags_view(table: pd.DataFrame, accounts: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for label, group in accounts.groupby("label", sort=False):
        mine = table[table["label"] == label]
        out.append({"label": label, "role": group["role"].iloc[0],
                    "tags": [{"tag": r["hashtag"], "posts": format_count(int(r["posts"])),
                              "median": format_number(r["engagement_median"]) if r["engagement_median"] == r[
                                  "engagement_median"] else "—"} for _i, r in mine.iterrows()]})
    return out


# -- follower growth as a line -------------------------------------------------------------------------------
def followers(snapshots: pd.DataFrame, accounts: pd.DataFrame, bounds: tuple[Any, Any]) -> pd.DataFrame:
    """The follower snapshots the period's growth rests on (insights.snapshot_bounds), per account."""
    from benchmark.report.insights import snapshot_bounds

    lo, hi = snapshot_bounds(bounds)
    taken = snapshots["crawled_at"]
    mine = snapshots[(taken >= lo) & (taken < hi) & snapshots["followers"].notna()]
    out = _with_ids(mine[["acct", "crawled_at", "followers"]], accounts)
    out["followers"] = out["followers"].round().astype("Int64")  # counts print as 12, not 12.0
    return out


def followers_view(table: pd.DataFrame, accounts: pd.DataFrame) -> list[dict]:
    """Per platform with an account of at least 3 snapshots: followers per week (the week's last snapshot),
    one line per such account (each line on the same axis, so growth reads as slope)."""
    out = []
    if table.empty:
        return out
    week = pd.to_datetime(table["crawled_at"]).dt.normalize()
    week = (week - pd.to_timedelta(week.dt.day_of_week, unit="D")).dt.date
    table = table.assign(week=week).sort_values("crawled_at")
    for platform in dict.fromkeys(accounts["platform"]):
        on = table[table["platform"] == platform]
        counts = on.groupby("account_id").size()
        shown = accounts[(accounts["platform"] == platform)
                         & accounts["account_id"].isin(counts[counts >= 3].index)]
        if shown.empty:
            continue
        weeks = sorted(on["week"].unique())
        series = []
        for _i, a in shown.iterrows():
            last = on[on["account_id"] == a["account_id"]].groupby("week")["followers"].last()
            series.append({"label": a["display"], "role": a["role"],
                           "values": [float(last.get(w, np.nan)) for w in weeks]})
        out.append(charts.line_chart(series, [f"{w:%m-%d}" for w in weeks], lambda v: format_count(round(v)).short,
                                     _("Followers per week on {platform}").format(platform=term("platform", platform)),
                                     width=charts.WIDTH, height=220))
    return out
