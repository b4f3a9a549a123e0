# make install PREFIX=... (default /usr/local; DESTDIR for staging): the static and shared
# libraries, the public header, a pkg-config file, the convbench program, its problem sets and
# the Python package (into PREFIX/lib/python3/dist-packages, where Debian's Python looks for
# PREFIX=/usr/local; for another prefix, put that folder on PYTHONPATH).  Nothing needs root
# unless PREFIX does.  tests/test_install.py installs into a temporary prefix as an unprivileged
# user and builds the README's C example with pkg-config from there.
PREFIX ?= /usr/local
DESTDIR ?=
INSTALL_LIB = $(DESTDIR)$(PREFIX)/lib
INSTALL_PY = $(INSTALL_LIB)/python3/dist-packages/convbench
.PHONY: install test-install

install: $(LIB) $(SHARED_LIB) $(PROGRAM)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/include $(INSTALL_LIB)/pkgconfig \
		$(INSTALL_PY) $(DESTDIR)$(PREFIX)/share/convbench
	install -m 755 $(PROGRAM) $(DESTDIR)$(PREFIX)/bin/convbench
	install -m 644 $(LIB) $(INSTALL_LIB)/libconvbench.a
	install -m 755 $(SHARED_LIB) $(INSTALL_LIB)/libconvbench.so
	install -m 644 include/convbench.h $(DESTDIR)$(PREFIX)/include/convbench.h
	install -m 644 python/convbench/*.py $(INSTALL_PY)/
	install -m 644 data/*.txt $(DESTDIR)$(PREFIX)/share/convbench/
	printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$${prefix}/lib' 'includedir=$${prefix}/include' '' \
		'Name: convbench' \
		'Description: 2-D convolution computed many ways behind one table, checked and timed' \
		'Version: 0.12' 'Cflags: -I$${includedir}' \
		'Libs: -L$${libdir} -Wl,-rpath,$${libdir} -lconvbench' \
		'Libs.private: $(LIB_LDLIBS)' > $(INSTALL_LIB)/pkgconfig/convbench.pc
	chmod 644 $(INSTALL_LIB)/pkgconfig/convbench.pc

# Not in the sanitized pass: it packages the plain build (the sanitizers check the code).
ifneq ($(SANITIZE),1)
EXTRA_TESTS += test-install
endif
test-install: $(LIB) $(SHARED_LIB) $(PROGRAM)
	@test -n "$(PYTHON)" || { echo "no Python with numpy and scipy: run 'make deps'" >&2; exit 1; }
	$(PYTHON) tests/test_install.py --make "$(MAKE)" --build $(BUILD)
