# Removing what the build made.
.PHONY: clean distclean
clean:
	$(Q)rm -rf $(BUILD_DIR) $(IMAGES_DIR) $(IMAGES_DIR).tmp $(O)/target

# As Buildroot: also the configuration, and the downloads when they are in
# the default place (a TR_DL_DIR elsewhere is shared and kept).
distclean: clean
	$(Q)rm -rf $(CONFIG) $(CONFIG).old $(O)/.tr-external
	$(Q)if [ "$(O)" = "$(TOPDIR)/output" ]; then rm -rf $(O); fi
	$(Q)if [ "$(DL_DIR)" = "$(TOPDIR)/dl" ]; then rm -rf $(DL_DIR); fi
