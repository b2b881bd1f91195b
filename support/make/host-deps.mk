# Before building anything: are the host tools there, and the bootloader
# files the images take (syslinux.mk)? One line names each missing one,
# and the command that installs them all. Then the checks of the build
# engines the configuration uses (ccache.mk, distcc.mk).
.PHONY: host-deps
host-deps:
	$(Q)$(TOPDIR)/support/scripts/check-host-deps build $(TARGET_CC) $(call uniq,$(HOST_TOOLS) $(BOOT_LOADER_FILES))
	$(Q)$(HOST_CHECKS)
