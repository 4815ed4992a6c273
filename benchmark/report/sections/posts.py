"""Posts shown as cards: purpose examples with the rules that fired, and the top posts per account."""

from __future__ import annotations

from typing import Any

import pandas as pd

from benchmark.metrics.catalog import PURPOSE_LABELS, term
from benchmark.metrics.panel import PanelData
from benchmark.metrics.specs import ROLE_ORDER
from benchmark.report.sections.common import post_view

EXAMPLES_PER_LABEL = 3


TOP_POSTS = 3


def purpose_examples(panel: PanelData, accounts: pd.DataFrame) -> list[dict[str, Any]]:
    """Up to EXAMPLES_PER_LABEL posts per label, from different accounts (own first, most engaging first),
    each with the terms and signals that fired (rules.explain)."""
    from benchmark.metrics.derive import json_lists

    originals = panel.posts[panel.posts["kind"] == "original"]
    role_rank = accounts["role"].map(ROLE_ORDER)
    ranked = originals.assign(_role=role_rank.reindex(originals["acct"]).to_numpy())
    ranked = ranked.sort_values(["_role", "engagement"], ascending=[True, False], na_position="last")
    picked = ranked.drop_duplicates(["purpose", "acct"]).groupby("purpose", sort=False).head(EXAMPLES_PER_LABEL)
    out = []
    for label in PURPOSE_LABELS:
        examples = []
        for _i, post in picked[picked["purpose"] == label].iterrows():
            view = post_view(post, accounts)
            fired = panel.rules.explain(str(post["text"] or ""), links=json_lists(pd.Series([post["links"]]))[0],
                                        kind=str(post["kind"])) if panel.rules is not None else {}
            view["terms"] = list(fired.get(label, []))[:12]
            view["other_terms"] = [f"{term('purpose', other)}: {', '.join(terms[:4])}"
                                   for other, terms in fired.items() if other != label and terms]
            examples.append(view)
        out.append({"label": term("purpose", label), "examples": examples})
    return out


def top_posts(panel: PanelData, accounts: pd.DataFrame) -> list[dict[str, Any]]:
    ranked = panel.posts.dropna(subset=["engagement"]).sort_values("engagement", ascending=False, kind="stable")
    top = ranked.groupby("acct").head(TOP_POSTS)
    out = []
    for acct, a in accounts.iterrows():
        mine = top[top["acct"] == acct]
        out.append({"display": a["display"], "role": a["role"],
                    "posts": [post_view(p, accounts) for _i, p in mine.iterrows()]})
    return out
