# ticker: a build step that takes a few seconds and says what it makes, as
# the kernel's and BusyBox's builds do. Its source is this directory.

TICKER_VERSION = 1.0
TICKER_SITE_METHOD = local
TICKER_SITE = $(TICKER_PKGDIR)
TICKER_ADD_TOOLCHAIN_DEPENDENCY = NO

define TICKER_BUILD_CMDS
for i in $$(seq $(TR_PACKAGE_TICKER_LINES)); do sleep 1; echo "  CC      obj$$i.o"; done
endef
