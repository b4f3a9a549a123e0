"""The counting shared by the Python tests: expect() records a check, report() prints the
"NAME: N passed, M failed" line that CI reads and gives the exit status."""

counts = {"passed": 0, "failed": 0}


def expect(ok, what):
    """Counts one check; prints what was expected when it fails.  Returns ok."""
    if ok:
        counts["passed"] += 1
    else:
        counts["failed"] += 1
        print(f"FAIL {what}")
    return ok


def report(name):
    print(f"{name}: {counts['passed']} passed, {counts['failed']} failed")
    return 1 if counts["failed"] else 0
