# The oneDNN peer, included by the main Makefile (which defines CC, CPPFLAGS, CFLAGS, LDFLAGS,
# LDLIBS, BUILD, HARNESS_OBJS, LIB, PYTHON and EXTRA_TESTS).
#   $(ONEDNN_PEER)        peers/: oneDNN's convolution timed on problem files, checked against
#                         convbench's reference (`make peers` runs it on data/cnn.txt through
#                         scripts/compare_peers.py --onednn)
#   make test-onednn-peer its check passes on correct results and catches a wrong one
# Needs Debian's libdnnl-dev (oneDNN 2.x, built with OpenMP).  Only this program links
# libdnnl: the library and the convbench program do not depend on it.

ONEDNN_PEER := $(BUILD)/onednn_peer
ONEDNN_OBJS := $(BUILD)/obj/peers/onednn_peer.o $(BUILD)/obj/peers/onednn_conv.o
ONEDNN_LIBS = -ldnnl

.PHONY: test-onednn-peer
EXTRA_TESTS += test-onednn-peer

# omp_set_num_threads sets oneDNN's thread count (its CPU runtime is OpenMP).
$(ONEDNN_OBJS): CPPFLAGS += -Ipeers
$(ONEDNN_OBJS): CFLAGS += -fopenmp

$(ONEDNN_PEER): $(ONEDNN_OBJS) $(HARNESS_OBJS) $(LIB)
	$(CC) $(LDFLAGS) $^ $(ONEDNN_LIBS) $(LDLIBS) -o $@

test-onednn-peer: $(ONEDNN_PEER)
	@test -n "$(PYTHON)" || { echo "no Python with numpy and scipy: run 'make deps'" >&2; exit 1; }
	$(PYTHON) tests/test_onednn_peer.py $(ONEDNN_PEER)
