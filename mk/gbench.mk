# Google Benchmark front end, included by the main Makefile (which defines CC, CXX, CPPFLAGS,
# CFLAGS, CXXFLAGS, LDFLAGS, LDLIBS, BUILD, HARNESS_OBJS, LIB, PROGRAM and PYTHON).
#   make gbench        builds $(BUILD)/convbench-gbench and writes results/gbench.json
#                      (GBENCH_PROBLEMS=FILE for another problem set, GBENCH_MIN_TIME=S,
#                      GBENCH_FLAGS='--benchmark_filter=views ...' for more options)
#   make test-gbench   checks the program's names, counters, filtering and errors
# Needs Debian's libbenchmark-dev (Google Benchmark 1.7).

GBENCH_PROGRAM := $(BUILD)/convbench-gbench
GBENCH_PROBLEMS ?= data/smoke.txt
GBENCH_MIN_TIME ?= 0.05
GBENCH_FLAGS ?=
GBENCH_OUT := results/gbench.json
GBENCH_LIBS = -lbenchmark -lpthread

# The main Makefile gives the sanitizers to C only; the shim is checked too.  Added once, in
# case the main Makefile comes to do it as well.
ifeq ($(SANITIZE),1)
ifeq ($(findstring -fsanitize=address,$(CXXFLAGS)),)
CXXFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif
endif

.PHONY: gbench test-gbench
EXTRA_TESTS += test-gbench

$(BUILD)/obj/gbench/gbench_shim.o: gbench/gbench_shim.cc
	@mkdir -p $(dir $@)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) -fPIC -c $< -o $@

$(BUILD)/obj/gbench/gbench_main.o: gbench/gbench_main.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

# Linked by the C++ driver, which brings the C++ runtime Google Benchmark needs.
$(GBENCH_PROGRAM): $(BUILD)/obj/gbench/gbench_main.o $(BUILD)/obj/gbench/gbench_shim.o \
		$(HARNESS_OBJS) $(LIB)
	$(CXX) $(LDFLAGS) $^ $(GBENCH_LIBS) $(LDLIBS) -o $@

# Written to an exclusive temporary file with an unpredictable name (mktemp) and renamed, so a
# failed run leaves no partial report and a planted link is never written through.
gbench: $(GBENCH_PROGRAM)
	@mkdir -p $(dir $(GBENCH_OUT))
	@tmp=$$(mktemp $(dir $(GBENCH_OUT)).$(notdir $(GBENCH_OUT)).tmp.XXXXXX) && \
	trap 'rm -f "$$tmp"' EXIT INT TERM && \
	$(GBENCH_PROGRAM) --problems $(GBENCH_PROBLEMS) --benchmark_min_time=$(GBENCH_MIN_TIME) \
		--benchmark_out="$$tmp" --benchmark_out_format=json $(GBENCH_FLAGS) && \
	chmod a+r "$$tmp" && mv -f "$$tmp" $(GBENCH_OUT) && echo "wrote $(GBENCH_OUT)"

# The test reads `convbench list` from the same build, and needs only Python's standard library.
test-gbench: $(GBENCH_PROGRAM) $(PROGRAM)
	$(or $(PYTHON),python3) tests/gbench_smoke.py $(GBENCH_PROGRAM) $(PROGRAM)
