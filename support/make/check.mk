# make check: the test suite, with Debian's pytest (the python3 first on
# PATH may not see Debian's python3-* packages). PYTEST_ARGS adds options,
# e.g. PYTEST_ARGS='-k download -x'.
# check-slow runs the slow ones too (the tutorial's defconfig kernel on each
# architecture, the reproducibility build compiled without the compiler
# cache, the initramfs built into the default kernel
# (relinked twice), and the builds that compile BusyBox, toybox or
# Dropbear for real once more: remote ccache storage, distcc, two
# manifests from two checkouts, BusyBox with musl (static and dynamic),
# toybox with musl and its small configuration, Dropbear in a second
# output directory and in the disk defconfig's build).
.PHONY: check check-slow
check:
	/usr/bin/python3 -m pytest $(TOPDIR)/support/testing -m "not slow" $(PYTEST_ARGS)

check-slow:
	/usr/bin/python3 -m pytest $(TOPDIR)/support/testing $(PYTEST_ARGS)

# make bench: speed and size beside the tutorial's recipe (support/scripts/bench;
# BENCH_ARGS='--skip-slow --runs 10 --write-docs').
.PHONY: bench
bench:
	$(Q)O=$(O) $(TOPDIR)/support/scripts/bench $(BENCH_ARGS)
