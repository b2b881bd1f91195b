# Where the kernel's source comes from, for linux and linux-headers alike:
# $(eval $(call linux-source-facts,VAR)) sets those facts for package VAR.

LINUX_SOURCE_VERSION = $(call qstrip,$(TR_PACKAGE_LINUX_VERSION))
ifeq ($(TR_PACKAGE_LINUX_DEBIAN_6_1),y)
LINUX_SOURCE_FILE = linux-source-6.1.tar.xz
LINUX_SOURCE_DEBIAN_DEB = linux-source-6.1:usr/src/linux-source-6.1.tar.xz
else
LINUX_SOURCE_FILE = linux-$(LINUX_SOURCE_VERSION).tar.xz
LINUX_SOURCE_SITE = https://cdn.kernel.org/pub/linux/kernel/v$(firstword $(subst ., ,$(LINUX_SOURCE_VERSION))).x
# Versions without a pinned hash: kernel.org's signed list for the series,
# checked against the key that signs it and no other (see
# kernel.org-autosigner.gpg.txt; the tests give their own on make's
# command line).
LINUX_SOURCE_HASH_LIST = sha256sums.asc
LINUX_SOURCE_HASH_LIST_KEYRING = $(TOPDIR)/package/linux/kernel.org-autosigner.gpg
endif

define linux-source-facts
$(1)_VERSION = $$(LINUX_SOURCE_VERSION)
$(1)_SOURCE = $$(LINUX_SOURCE_FILE)
$(1)_SITE = $$(LINUX_SOURCE_SITE)
$(1)_HASH_FILE = $$(TOPDIR)/package/linux/linux.hash
$(1)_HASH_LIST = $$(LINUX_SOURCE_HASH_LIST)
$(1)_HASH_LIST_KEYRING = $$(LINUX_SOURCE_HASH_LIST_KEYRING)
$(1)_DEBIAN_DEB = $$(LINUX_SOURCE_DEBIAN_DEB)
$(1)_ADD_TOOLCHAIN_DEPENDENCY = NO
endef
