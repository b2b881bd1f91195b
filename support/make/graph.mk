# make graph-build: the build's time per package and step, drawn from the
# build-time log, into $(O)/graphs/build.svg.
.PHONY: graph-build
graph-build:
	$(if $(wildcard $(BUILD_TIME_LOG)),,$(error no $(BUILD_TIME_LOG) yet: run make first))
	$(Q)mkdir -p $(O)/graphs
	$(Q)$(TOPDIR)/support/scripts/graph-build $(BUILD_TIME_LOG) $(O)/graphs/build.svg
	@echo "tinyroot: $(O)/graphs/build.svg"

