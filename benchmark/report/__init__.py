"""The report: build.py (orchestration, atomic writing), context.py and sections/ (what each section shows),
exports.py and xlsx.py (CSV, XLSX), html.py (jinja2 templates, one per section, CSS inlined), charts.py (SVG)."""
