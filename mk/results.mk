# Result files, included by the main Makefile (which defines BUILD, PROGRAM, PYTHON and
# EXTRA_TESTS; mk/gbench.mk, included before this file, defines GBENCH_PROGRAM).
#   make test-result-files   bench --out onto another schema, outputs onto /dev/full and
#                            through links, and onto a full 64 KiB tmpfs (mounted by the test;
#                            skipped with a message where mounting is not permitted): every
#                            failure one line, a non-zero exit, the previous file intact.
# Runs the programs of the build it is part of, sanitized ones under `make test-sanitized`.

.PHONY: test-result-files
EXTRA_TESTS += test-result-files

test-result-files: $(PROGRAM) $(GBENCH_PROGRAM)
	@test -n "$(PYTHON)" || { echo "no Python with numpy and scipy: run 'make deps'" >&2; exit 1; }
	$(PYTHON) tests/test_result_files.py $(PROGRAM) $(GBENCH_PROGRAM)
