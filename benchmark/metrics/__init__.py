"""Metrics over the store (pandas): load the panel, derive per-post fields, compute METRICS.md, find findings.

Only the report imports this package, so pandas never slows down a crawl. Import the pieces from their
modules: `benchmark.metrics.load.load_panel`, `benchmark.metrics.compute.compute_metrics`,
`benchmark.metrics.findings.evaluate_findings`. `catalog` holds the metric ids and needs no pandas.
"""
