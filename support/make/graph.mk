# make graph-build: the last build as a timeline of its steps, drawn from the
# build-time log, into $(O)/graphs/build.png and build.svg.
.PHONY: graph-build
graph-build:
	$(if $(wildcard $(BUILD_TIME_LOG)),,$(error no $(BUILD_TIME_LOG) yet: run make first))
	$(Q)mkdir -p $(O)/graphs
	$(Q)$(TOPDIR)/support/scripts/graph-build $(BUILD_TIME_LOG) $(O)/graphs
	@echo "tinyroot: $(O)/graphs/build.png $(O)/graphs/build.svg"
