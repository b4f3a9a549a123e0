# Hardening checks, included by the main Makefile (which defines BUILD, PROGRAM, PYTHON,
# SANITIZE and MAKE).  The C tests of the same issue are ordinary unit tests that test-unit
# builds and runs, plain and under ASan+UBSan:
#   tests/unit_repeat.c       plan/run/destroy every implementation 1100 times: flat memory
#   tests/unit_threads.c      4 pthreads planning and running every implementation at once
#   tests/unit_determinism.c  bit-identical results across runs, plans, alignment, threads
# Here:
#   make test-valgrind   Valgrind memcheck of `convbench check --quick` and `convbench apply`
#                        (part of `make test` in the plain build: Valgrind cannot run a program
#                        built with AddressSanitizer).  Needs valgrind (apt-get install valgrind).
#   make test-tsan       by hand, not part of `make test`: unit_threads and `check --quick`
#                        built with ThreadSanitizer in $(TSAN_BUILD).  Clang by default: its
#                        OpenMP runtime (libomp) tells ThreadSanitizer about its synchronisation
#                        (through libarcher), which GCC's libgomp does not, so a GCC build
#                        reports OpenMP's own barriers as races.

.PHONY: test-valgrind test-tsan

ifneq ($(SANITIZE),1)
EXTRA_TESTS += test-valgrind
endif

test-valgrind: $(PROGRAM)
	$(or $(PYTHON),python3) tests/valgrind_memcheck.py $(PROGRAM) tests/valgrind.supp

TSAN_BUILD ?= /tmp/convbench-tsan
TSAN_CC ?= clang
# ignore_noninstrumented_modules: accesses made inside OpenBLAS, FFTW and libomp (not built with
# ThreadSanitizer) are not judged; convbench's own accesses all are.
TSAN_ENV = TSAN_OPTIONS='halt_on_error=1 ignore_noninstrumented_modules=1' OMP_WAIT_POLICY=passive

test-tsan:
	$(MAKE) --no-print-directory BUILD=$(TSAN_BUILD) CC='$(TSAN_CC) -fsanitize=thread' OPT=-O1 \
		$(TSAN_BUILD)/tests/unit_threads $(TSAN_BUILD)/convbench
	$(TSAN_ENV) $(TSAN_BUILD)/tests/unit_threads
	$(TSAN_ENV) $(TSAN_BUILD)/convbench check --quick
