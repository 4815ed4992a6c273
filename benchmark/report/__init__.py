"""The HTML report: chart geometry (charts.py), rendering and atomic writing (render.py), jinja2 templates."""
