"""How much of each stage its own tests run, lines and branches, for the guide to show.

`scripts/coverage_report.py` is the command; this package does its work: `measure` runs a
stage's suite under coverage, `results` holds the figures and their floor, `render` draws them
as a table and a figure, and `check` says whether the figures on disk hold for the checkout.
"""
