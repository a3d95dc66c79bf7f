"""Configuration read with os.getenv: every value is a string, and a typo passes silently."""

import os

# What an operator set: a typo in the number, and the variable name itself misspelt.
os.environ["APP_POOL_SIZE"] = "1O"  # the letter O, not a zero
os.environ["APP_DEBG"] = "false"

pool_size = os.getenv("APP_POOL_SIZE", "5")
debug = os.getenv("APP_DEBUG", "true")

print(f"pool_size={pool_size!r}")  # a string; the crash waits for the first query
print(f"debug={debug!r}")  # the typo in the name leaves debug on, with no warning
