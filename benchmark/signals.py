"""Signals of the crawl pipeline that other components (tracker, resume checkpoints) listen to.

Sent with `crawler.signals.send_catch_log(signal, **kwargs)`; a receiver takes the keyword arguments named here.
"""

# A store transaction committed. kwargs: `accounts` — set of (platform, account_id) that had rows in it; `posts`
# — {(platform, account_id): number of post rows it held} (refused rows included: they mark their account).
batch_committed = object()

# Rows the store refused (an unstorable value), after the rest of their batch was stored.
# kwargs: `refused` — list of (platform, account_id, reason) tuples, one per refused row.
rows_refused = object()
