# Memory limits (issue 5, part 4), included by the main Makefile: `--max-memory` on check,
# apply and bench, refusals, skipped bench rows and simulated allocation failures, end to end.
# The library side is tests/unit_memory.c, which test-unit builds and runs with the others.
.PHONY: test-memory
EXTRA_TESTS += test-memory

test-memory: $(PROGRAM)
	@test -n "$(PYTHON)" || { echo "no Python with numpy and scipy: run 'make deps'" >&2; exit 1; }
	$(PYTHON) tests/test_memory.py $(PROGRAM) $(if $(filter 1,$(SANITIZE)),--sanitized)
