# Before building anything: are the host tools there? One line per missing
# tool, and the command that installs them all.
.PHONY: host-deps
host-deps:
	$(Q)$(TOPDIR)/support/scripts/check-host-deps build $(TARGET_CC)
