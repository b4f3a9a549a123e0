"""convbench's Python package, shared by the scripts (scripts/) and the Python tests (tests/):

    convbench.problems   the one problem model (read from the C program), the FLOP count
    convbench.results    the bench CSV: schema, checked reading, grouping, number formatting
    convbench.files      outputs written the way the C program writes them (atomic, safe)

The Makefile puts python/ on PYTHONPATH for every recipe; by hand, run a script as
`PYTHONPATH=python /usr/bin/python3 scripts/report.py ...`.  (The NumPy interface to the
library will live here too.)"""
