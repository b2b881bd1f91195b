# The kernel's user-space headers, for musl: same source as linux, but keyed
# on the kernel version only, so the kernel's configuration never rebuilds
# what is compiled against them.

include $(TOPDIR)/package/linux/linux-source.mk
$(eval $(call linux-source-facts,LINUX_HEADERS))

define LINUX_HEADERS_INSTALL_STAGING_CMDS
$(MAKE) -C $(SRC_DIR) ARCH=$(KERNEL_ARCH) INSTALL_HDR_PATH=$(STAGING_DIR)/usr headers_install
endef
