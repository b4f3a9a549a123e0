# convbench build.  `make` builds the library and the program, `make test` runs every test
# twice (plain, then under AddressSanitizer + UndefinedBehaviorSanitizer), `make bench` times
# the implementations, `make data` writes the sample pictures, `make deps` installs packages.

CC ?= cc
BUILD ?= build
SANITIZE ?=
WERROR ?=
OPT ?= -O2

# The scripts and Python tests share the package in python/ (python/convbench: the problem
# model, the bench CSV, atomic outputs); every recipe finds it through PYTHONPATH.
export PYTHONPATH := $(CURDIR)/python$(if $(PYTHONPATH),:$(PYTHONPATH))

# The first Python that can import numpy and scipy (Debian's /usr/bin/python3 on a machine
# whose default python3 lacks them).
PYTHON ?= $(shell for p in python3 /usr/bin/python3 python; do \
	$$p -c 'import numpy, scipy' >/dev/null 2>&1 && { command -v $$p; break; }; done)

# The library is src/ (core/, files/, machine/, simd/, methods/<method>/); the program is cli/
# (commands and options), formats/ (.npy, pictures, kernel specs, problem files), bench/
# (timing, one cell, the CSV) and verify/ (the reference and its bounds, check's problems);
# gbench/ is the Google Benchmark front end (mk/gbench.mk).  Headers are included by name from
# any of them.
LIB_DIRS := $(sort $(patsubst %/,%,$(dir $(shell find src -name '*.[ch]'))))
PROGRAM_DIRS := cli formats bench verify
CPPFLAGS = -Iinclude $(addprefix -I,$(LIB_DIRS) $(PROGRAM_DIRS) gbench) -MMD -MP
CFLAGS = -std=c11 $(OPT) -g -Wall -Wextra -fPIC -pthread $(WERROR)
# The library's own dependencies (LAPACK, BLAS, FFTW, OpenMP), then the program's (stb for
# reading pictures, libpng for writing PNG).
LIB_LDLIBS = -llapacke -lopenblas -lfftw3f_threads -lfftw3f -fopenmp -lm -pthread
LDLIBS = -lstb -lpng $(LIB_LDLIBS)
CXX ?= c++
CXXFLAGS = -std=c++17 $(OPT) -g -Wall -Wextra $(WERROR)
ifeq ($(SANITIZE),1)
OPT = -O1
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif

LIB_SRCS := $(sort $(shell find src -name '*.c'))
HARNESS_SRCS := $(sort $(filter-out cli/main.c,$(wildcard $(addsuffix /*.c,$(PROGRAM_DIRS)))))
UNIT_SRCS := $(sort $(wildcard tests/unit_*.c))

LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
HARNESS_OBJS := $(HARNESS_SRCS:%.c=$(BUILD)/obj/%.o)
UNIT_BINS := $(UNIT_SRCS:tests/%.c=$(BUILD)/tests/%)

LIB := $(BUILD)/libconvbench.a
SHARED_LIB := $(BUILD)/libconvbench.so
PROGRAM := $(BUILD)/convbench

# Fragments for separate concerns (Google Benchmark, fuzzing, hardening); a fragment adds its
# test targets to EXTRA_TESTS, which `make test` runs with the others.
.DEFAULT_GOAL := all
EXTRA_TESTS :=
include $(sort $(wildcard mk/*.mk))

.PHONY: all test test-suite test-unit test-check test-oracle test-cli test-bench test-python \
	test-examples \
	test-sanitized \
	bench peers data examples deps clean

all: $(LIB) $(SHARED_LIB) $(PROGRAM)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

# Only the files that need wider instructions get them (docs/DESIGN.md): *_avx2.c and
# *_avx512.c; whether the CPU runs them is checked at run time before any is called.  This is
# the one place the ISA flags are set (mk/fuzz.mk uses these variables).
AVX2_FLAGS = -mavx2 -mfma
AVX512_FLAGS = -mavx512f -mavx512bw -mavx512dq -mavx512vl -mfma
$(BUILD)/obj/%_avx2.o: CFLAGS += $(AVX2_FLAGS)
$(BUILD)/obj/%_avx512.o: CFLAGS += $(AVX512_FLAGS)
# Template matching's window sums are loops left for the compiler to vectorise (-O3), with
# the same bits in their portable and AVX-512 builds (no contraction into FMA; sqrt sets no errno and comparisons may be if-converted).
$(BUILD)/obj/src/match/match_rows_%.o: CFLAGS += -O3 -ffp-contract=off -fno-math-errno -fno-trapping-math
# OpenMP only where a file asks for it by name (*_omp.c), with its ISA's flags.
$(BUILD)/obj/%_omp.o: CFLAGS += -fopenmp
$(BUILD)/obj/%_avx2_omp.o: CFLAGS += $(AVX2_FLAGS) -fopenmp
$(BUILD)/obj/%_avx512_omp.o: CFLAGS += $(AVX512_FLAGS) -fopenmp

# The bench CSV's provenance (bench/build_info.c): the commit and the flags, recompiled when
# either changes (the stamp file is rewritten only then).
GIT_COMMIT := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)$(shell \
	git rev-parse --git-dir >/dev/null 2>&1 && ! git diff --quiet HEAD -- 2>/dev/null && echo -dirty)
BUILD_INFO := $(GIT_COMMIT) $(CC) $(CFLAGS)
# (A make that cannot write it, such as an unprivileged `make install` of a root's build,
# leaves it and the build as they are.)
$(BUILD)/build_info.stamp: FORCE
	@mkdir -p $(dir $@) 2>/dev/null || true
	@echo '$(BUILD_INFO)' | cmp -s - $@ 2>/dev/null || echo '$(BUILD_INFO)' > $@ 2>/dev/null || true
$(BUILD)/obj/bench/build_info.o: $(BUILD)/build_info.stamp
$(BUILD)/obj/bench/build_info.o: CPPFLAGS += -DCB_GIT_COMMIT='"$(GIT_COMMIT)"' \
	-DCB_BUILD_CFLAGS='"$(strip $(CFLAGS))"'
.PHONY: FORCE
FORCE:

$(LIB): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(SHARED_LIB): $(LIB_OBJS)
	$(CC) -shared $(LDFLAGS) $^ $(LIB_LDLIBS) -o $@

$(PROGRAM): $(BUILD)/obj/cli/main.o $(HARNESS_OBJS) $(LIB)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/%: tests/%.c $(HARNESS_OBJS) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

# ---- tests ----
# A sanitized shared library loaded into Python needs the sanitizer runtimes preloaded.
ifeq ($(SANITIZE),1)
PY_ENV = LD_PRELOAD="$$($(CC) -print-file-name=libasan.so) $$($(CC) -print-file-name=libubsan.so)" \
	ASAN_OPTIONS=detect_leaks=0
endif

test-unit: $(UNIT_BINS)
	@for t in $(UNIT_BINS); do echo "== $$t"; $$t || exit 1; done

test-check: $(PROGRAM)
	$(PROGRAM) check

test-oracle: $(SHARED_LIB)
	@test -n "$(PYTHON)" || { echo "no Python with numpy and scipy: run 'make deps'" >&2; exit 1; }
	$(PY_ENV) $(PYTHON) tests/oracle.py --lib $(SHARED_LIB)

test-cli: $(PROGRAM) data
	@test -n "$(PYTHON)" || { echo "no Python with numpy and scipy: run 'make deps'" >&2; exit 1; }
	PYTHON=$(PYTHON) bash tests/cli_errors.sh $(PROGRAM)
	$(PYTHON) tests/cli_apply.py $(PROGRAM)
	$(PYTHON) tests/cli_match.py $(PROGRAM)
	$(PYTHON) tests/test_hardening.py $(PROGRAM)
	$(PYTHON) tests/test_named_kernels.py $(PROGRAM)
	$(PYTHON) tests/test_first_hour.py $(PROGRAM)
	$(if $(filter 1,$(SANITIZE)),,$(PYTHON) tests/test_readme_examples.py)

test-bench: $(PROGRAM)
	@test -n "$(PYTHON)" || { echo "no Python with numpy and scipy: run 'make deps'" >&2; exit 1; }
	$(PYTHON) tests/test_bench.py $(PROGRAM)
	$(PYTHON) tests/test_report.py
	$(PYTHON) tests/test_compare_peers.py
	$(PYTHON) tests/test_check_targets.py
	$(PYTHON) tests/test_compare.py $(PROGRAM)

# The NumPy interface (python/convbench) on this build's library.
test-python: $(SHARED_LIB)
	@test -n "$(PYTHON)" || { echo "no Python with numpy and scipy: run 'make deps'" >&2; exit 1; }
	CONVBENCH_LIBRARY=$(abspath $(SHARED_LIB)) PYTHONPATH=$(CURDIR)/python:$(CURDIR)/tests \
		$(PY_ENV) $(PYTHON) tests/test_numpy_api.py

# The lessons redone with convbench (examples/), at small sizes, as checks; the sample
# pictures offline (test_make_data).
test-examples: $(SHARED_LIB) data
	$(PYTHON) tests/test_make_data.py
	@test -n "$(PYTHON)" || { echo "no Python with numpy and scipy: run 'make deps'" >&2; exit 1; }
	@for f in examples/[a-z]*.py; do echo "== $$f"; \
		CONVBENCH_LIBRARY=$(abspath $(SHARED_LIB)) $(PY_ENV) $(PYTHON) $$f --check || exit 1; done

test-suite: test-unit test-check test-oracle test-cli test-bench test-python test-examples \
	$(EXTRA_TESTS)

test-sanitized:
	$(MAKE) --no-print-directory BUILD=$(BUILD)/sanitized SANITIZE=1 test-suite

test: all
	$(MAKE) --no-print-directory test-suite
	$(MAKE) --no-print-directory test-sanitized
	@echo "make test: all suites passed"

# ---- main job ----
# The default sets with a per-cell time cap keep `make bench` under 6 minutes on 2 cores (5m29s
# with 16 table rows and data/match.txt at 0.1 s per cell, cap 1.5 s; 6m13s at 0.12 s and 2 s)
# (filters.txt, picture filters with named kernels, and the auto rows of every set included;
# the cap of 2 s per cell skips the reference-speed rows of the large problems); FULL=1 adds
# the smoke set and lifts the caps.  --resume: rerunning continues an interrupted
# run of the same day (delete the CSV to measure afresh).
BENCH_SETS = data/grid.txt,data/colour.txt,data/filterbank.txt,data/cnn.txt,data/filters.txt,data/match.txt
ifeq ($(FULL),1)
BENCH_ARGS ?= --problems data/smoke.txt,$(BENCH_SETS) --threads 1,2 --min-time 1 --max-cell-time 600
else
BENCH_ARGS ?= --problems $(BENCH_SETS) --threads 1,2 --min-time 0.1 --max-cell-time 1.5
endif
BENCH_CSV ?= results/$(shell hostname)-$(shell date -u +%Y-%m-%d).csv

bench: all
	@mkdir -p results
	$(PROGRAM) bench $(BENCH_ARGS) --out $(BENCH_CSV) --resume
	$(PYTHON) scripts/report.py $(BENCH_CSV)

data: all
	@test -n "$(PYTHON)" || { echo "no Python with numpy and scipy: run 'make deps'" >&2; exit 1; }
	$(PYTHON) scripts/make_data.py data

# The README's pictures: ascent blurred, sharpened and edge-detected by `convbench apply`; an
# eye of face.png found by `convbench match`, its score map, and found in a brightened copy.
examples: data
	$(PYTHON) scripts/make_examples.py $(PROGRAM) data data/examples/apply-ascent.png
	$(PYTHON) scripts/make_match_example.py $(PROGRAM) data data/examples/match-face.png

# Issues 4, 11 and 12's performance targets, measured: OpenCV and SciPy timed against the latest
# bench CSV (on the grid, and on the picture filters with GaussianBlur, sepFilter2D and boxFilter
# too), oneDNN on the CNN layers at 1 and 2 threads ($(ONEDNN_PEER), mk/onednn.mk), OpenCV
# matchTemplate on the template-matching problems, then each target's measured ratio printed
# (all written to results/).
# The peers files go beside the bench CSV (results/ by default), where check_targets reads them.
# The bench CSV: BENCH_CSV when given (make peers BENCH_CSV=...), else the newest bench CSV in
# results/ (peers files left out), whatever its date; the recipe says which.  Then the Python
# calling overhead (scripts/python_overhead.py) beside it.
PEER_SETS = data/grid.txt,data/filters.txt
ONEDNN_SET = data/cnn.txt
MATCH_SET = data/match.txt
NEWEST_BENCH_CSV = $(firstword $(shell ls -t results/*.csv 2>/dev/null | grep -v '/peers-'))
PEERS_BENCH = $(if $(filter command line environment,$(origin BENCH_CSV)),$(BENCH_CSV),$(or \
	$(NEWEST_BENCH_CSV),$(BENCH_CSV)))
PEERS_CSV = $(dir $(PEERS_BENCH))peers-$(notdir $(PEERS_BENCH))
peers: all $(ONEDNN_PEER)
	@test -f "$(PEERS_BENCH)" || { echo "make peers: no bench CSV ($(PEERS_BENCH)): run make bench first" >&2; exit 2; }
	@echo "make peers: against $(PEERS_BENCH)"
	$(PYTHON) scripts/compare_peers.py --bench $(PEERS_BENCH) --problems $(PEER_SETS) \
		--onednn $(ONEDNN_PEER) --cnn $(ONEDNN_SET) --match $(MATCH_SET) \
		--csv $(PEERS_CSV) --out $(PEERS_CSV:.csv=.md)
	$(PYTHON) scripts/check_targets.py $(PEERS_BENCH) --peers $(PEERS_CSV) --cnn $(ONEDNN_SET) \
		--match $(MATCH_SET) \
		--out $(PEERS_BENCH:.csv=-targets.txt)
	$(PYTHON) scripts/python_overhead.py --program $(PROGRAM) | tee $(PEERS_BENCH:.csv=-python-overhead.txt)

deps:
	bash scripts/install-deps.sh

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
