# Before building anything: are the host tools there? One line per missing
# tool, and the command that installs them all. Then the checks of the
# build engines the configuration uses (ccache.mk, distcc.mk).
.PHONY: host-deps
host-deps:
	$(Q)$(TOPDIR)/support/scripts/check-host-deps build $(TARGET_CC) $(HOST_TOOLS)
	$(Q)$(HOST_CHECKS)
