"""The shared test toolkit (issue #18): factories, the in-process spider harness, shared config cases.

Test modules import helpers from here (or take the fixtures of tests/conftest.py), never from another
test_*.py module: a test module is collected for its tests, not loaded as a library.
"""
