"""Reviewers that read changed Python code for patterns: ``idioms`` (the project's own linter
configuration), ``concurrency`` (threads, locks, async) and ``performance`` (quadratic patterns, work
repeated in loops, and measured regressions). Each module is its own plugin (entry point); they share
this package's reading of the change (:mod:`.source`) and its ruff runner (:mod:`.ruff`).
"""
