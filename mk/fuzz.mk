# libFuzzer targets, included by the main Makefile (which defines BUILD, CPPFLAGS, LIB_SRCS,
# HARNESS_SRCS, AVX2_FLAGS and AVX512_FLAGS).
#   make fuzz               builds $(BUILD)/fuzz/fuzz_* and runs each for FUZZ_SECONDS (60) with
#                           its seed corpus tests/corpus/<target>/ and regression inputs
#                           tests/corpus/regress/<target>/; new inputs go to $(BUILD)/fuzz/corpus/,
#                           crashes to $(BUILD)/fuzz/artifacts/; fails if any target crashed
#   make fuzz-npy           one target (npy, picture, problem_line, kernel_spec, impls)
#   make test-fuzz-regress  runs every seed and regression input once through its target (in
#                           `make test`)
# FUZZ_TARGETS='npy impls' picks targets, FUZZ_FLAGS='-jobs=2 ...' adds libFuzzer options.
# Needs clang with its fuzzer and sanitizer runtimes (Debian: clang, libclang-rt-14-dev) and
# LLVM's OpenMP runtime for clang's -fopenmp (libomp-dev).
#
# Everything the targets call is compiled again here with clang, coverage instrumentation and
# ASan+UBSan (UB aborts), into $(BUILD)/fuzz/obj/: the library, the harness, stb_image (see
# fuzz/stb_instrumented.c) and the fuzz targets themselves.

FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_TIMEOUT ?= 30
FUZZ_RSS_MB ?= 2048
FUZZ_FLAGS ?=
FUZZ_TARGETS ?= npy picture problem_line kernel_spec impls cli

# The fuzz build is sanitized either way, so `make test`'s second, sanitized pass
# (BUILD=build/sanitized SANITIZE=1) reuses the first pass's binaries instead of rebuilding.
FUZZ_DIR := $(if $(filter 1,$(SANITIZE)),$(patsubst %/sanitized,%,$(BUILD)),$(BUILD))/fuzz
FUZZ_SANITIZERS = -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
# FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION (libFuzzer's convention) lowers size caps that
# would cost seconds per input (formats/picture.c's picture size).
FUZZ_CFLAGS = -std=c11 -O1 -g -Wall -Wextra -pthread $(FUZZ_SANITIZERS) \
	-DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
# stb comes from fuzz/stb_instrumented.c (the headers behind -lstb), not from -lstb.
FUZZ_LDLIBS = -lpng -llapacke -lopenblas -lfftw3f_threads -lfftw3f -fopenmp -lm -pthread
FUZZ_OBJS := $(LIB_SRCS:%.c=$(FUZZ_DIR)/obj/%.o) $(HARNESS_SRCS:%.c=$(FUZZ_DIR)/obj/%.o) \
	$(FUZZ_DIR)/obj/fuzz/stb_instrumented.o
FUZZ_BINS = $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz_%)

.PHONY: fuzz fuzz-build test-fuzz-regress
EXTRA_TESTS += test-fuzz-regress

# The same per-file instruction sets and OpenMP as the main build (see the Makefile).  The
# SIMD files are built at -O0: their always-inline register-block templates take clang 14
# minutes per file at -O1 with ASan+UBSan+coverage, and seconds at -O0.
FUZZ_FILE_FLAGS =
FUZZ_SIMD_OPT = -O0
$(FUZZ_DIR)/obj/%_avx2.o: FUZZ_FILE_FLAGS += $(AVX2_FLAGS) $(FUZZ_SIMD_OPT)
$(FUZZ_DIR)/obj/%_avx512.o: FUZZ_FILE_FLAGS += $(AVX512_FLAGS) $(FUZZ_SIMD_OPT)
$(FUZZ_DIR)/obj/%_omp.o: FUZZ_FILE_FLAGS += -fopenmp
$(FUZZ_DIR)/obj/%_avx2_omp.o: FUZZ_FILE_FLAGS += $(AVX2_FLAGS) $(FUZZ_SIMD_OPT)
$(FUZZ_DIR)/obj/%_avx512_omp.o: FUZZ_FILE_FLAGS += $(AVX512_FLAGS) $(FUZZ_SIMD_OPT)
# the portable microkernel is the same template
$(FUZZ_DIR)/obj/src/methods/direct/direct__scalar.o: FUZZ_FILE_FLAGS += $(FUZZ_SIMD_OPT)

# The numeric code keeps edge coverage but not comparison tracing, which steers parsers and
# only slows loops (it took most of fuzz_impls's time).
$(FUZZ_DIR)/obj/src/%.o: FUZZ_FILE_FLAGS += -fno-sanitize-coverage=trace-cmp

# stb is held to memory safety (ASan, and UBSan's bounds checks, which caught a write past a
# table inside its decoder struct) but not to the arithmetic rules it bends knowingly and that
# we cannot change (NULL + 0 and memcpy(NULL, p, 0) for an empty PNG IDAT, shifts of negative
# JPEG coefficients).
$(FUZZ_DIR)/obj/fuzz/stb_instrumented.o: FUZZ_FILE_FLAGS += -w \
	-fno-sanitize=pointer-overflow,nonnull-attribute,shift,signed-integer-overflow

# The flags live in this file: objects follow its changes.
$(FUZZ_OBJS) $(FUZZ_TARGETS:%=$(FUZZ_DIR)/obj/fuzz/fuzz_%.o): mk/fuzz.mk

$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(FUZZ_FILE_FLAGS) -c $< -o $@

$(FUZZ_DIR)/fuzz_%: $(FUZZ_DIR)/obj/fuzz/fuzz_%.o $(FUZZ_OBJS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $^ $(FUZZ_LDLIBS) -o $@

fuzz-build: $(FUZZ_BINS)
# Objects named only in pattern rules count as intermediate: keep them.
.PRECIOUS: $(FUZZ_DIR)/obj/%.o

# $(call fuzz_session,TARGET): one session of FUZZ_SECONDS; writes only under $(FUZZ_DIR).
# Paths are absolute: fuzz_cli works in a folder of its own.
fuzz_session = $(abspath $(FUZZ_DIR))/fuzz_$(1) $(if $(wildcard fuzz/$(1).dict),-dict=$(abspath fuzz/$(1).dict)) \
	-max_total_time=$(FUZZ_SECONDS) -timeout=$(FUZZ_TIMEOUT) -rss_limit_mb=$(FUZZ_RSS_MB) \
	-artifact_prefix=$(abspath $(FUZZ_DIR))/artifacts/$(1)- -print_final_stats=1 $(FUZZ_FLAGS) \
	$(abspath $(FUZZ_DIR)/corpus/$(1) tests/corpus/$(1) $(wildcard tests/corpus/regress/$(1)))

fuzz: $(FUZZ_BINS)
	@mkdir -p $(FUZZ_DIR)/artifacts $(FUZZ_TARGETS:%=$(FUZZ_DIR)/corpus/%)
	@failed=; $(foreach t,$(FUZZ_TARGETS),echo "== fuzz_$(t): $(FUZZ_SECONDS) s"; \
		$(call fuzz_session,$(t)) || failed="$$failed $(t)";) \
	if [ -n "$$failed" ]; then \
		echo "make fuzz: crashed:$$failed (inputs in $(FUZZ_DIR)/artifacts/)" >&2; exit 1; fi

fuzz-%: $(FUZZ_DIR)/fuzz_%
	@mkdir -p $(FUZZ_DIR)/artifacts $(FUZZ_DIR)/corpus/$*
	$(call fuzz_session,$*)

# libFuzzer given files (not directories) runs each once and stops.  The log is shown only
# when an input fails.
test-fuzz-regress: $(FUZZ_BINS)
	@for t in $(FUZZ_TARGETS); do \
		files=$$(find $(CURDIR)/tests/corpus/$$t $(CURDIR)/tests/corpus/regress/$$t -type f 2>/dev/null | sort); \
		if [ -z "$$files" ]; then echo "test-fuzz-regress: no inputs for $$t" >&2; exit 1; fi; \
		echo "== fuzz_$$t: $$(echo "$$files" | wc -l) inputs"; \
		$(abspath $(FUZZ_DIR))/fuzz_$$t -timeout=$(FUZZ_TIMEOUT) $$files >$(FUZZ_DIR)/replay-$$t.log 2>&1 || \
			{ tail -n 40 $(FUZZ_DIR)/replay-$$t.log; echo "test-fuzz-regress: fuzz_$$t failed" >&2; exit 1; }; \
	done

-include $(shell find $(FUZZ_DIR)/obj -name '*.d' 2>/dev/null)
