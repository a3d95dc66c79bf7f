"""`python -m benchmarks`: run the benchmarks; see `benchmarks.cli`."""

from benchmarks.cli import main

raise SystemExit(main())
