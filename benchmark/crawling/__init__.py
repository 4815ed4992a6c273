"""The parts of `benchmark.spider.BenchmarkSpider`, one seam of the crawl per module (see benchmark/spider.py)."""
