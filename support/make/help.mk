# make help: every target and variable, grouped as the kernel does.
.PHONY: help
help:
	@echo 'Configuration:'
	@echo '  <name>_defconfig       - configure from configs/<name>_defconfig (see list-defconfigs)'
	@echo '  list-defconfigs        - list the defconfigs (of the tree and of TR_EXTERNAL)'
	@echo '  menuconfig             - configure with ncurses menus'
	@echo '  nconfig                - configure with the newer ncurses menus'
	@echo '  config                 - configure line by line'
	@echo '  oldconfig              - update .config, asking about new options'
	@echo '  olddefconfig           - update .config, new options at their defaults'
	@echo '  savedefconfig          - write the minimal configuration back to the defconfig it'
	@echo '                           came from (TR_DEFCONFIG), else ./defconfig ($$O/defconfig for O=)'
	@echo
	@echo 'Building:'
	@echo '  all                    - download, verify and build everything selected (default)'
	@echo '  source                 - download every selected source: the build then needs no network'
	@echo '  <pkg>                  - build and install one package and what it depends on'
	@echo '  <pkg>-source           - download (or, for local sources, sync) its source'
	@echo '  <pkg>-extract          - ... and extract it'
	@echo '  <pkg>-patch            - ... and apply its patches'
	@echo '  <pkg>-configure        - ... and configure it'
	@echo '  <pkg>-build            - ... and build it'
	@echo '  <pkg>-rebuild          - build and install it again'
	@echo '  <pkg>-reconfigure      - configure, build and install it again'
	@echo '  <pkg>-dirclean         - remove its build directory'
	@echo
	@echo 'Running (board/qemu/start.sh; --help there for its options):'
	@echo '  run                    - build what is missing, boot with the serial console in this terminal'
	@echo '  graphical              - build what is missing, boot with the console in a QEMU window'
	@echo '                           RUN_ARGS: launcher options, e.g. RUN_ARGS="--display none --mem 512"'
	@echo '                           QEMU_ARGS: extra QEMU arguments, e.g. QEMU_ARGS="-smp 2"'
	@echo
	@echo 'Measuring:'
	@echo '  graph-build            - draw time per package and step into $$O/graphs/build.svg'
	@echo
	@echo 'Cleaning:'
	@echo '  clean                  - remove everything built (keep .config and downloads)'
	@echo '  distclean              - also remove .config, and dl/ when downloads are kept there'
	@echo
	@echo 'Testing:'
	@echo '  check                  - run the test suite (support/testing): builds and boots for real'
	@echo
	@echo 'Variables:'
	@echo '  O=dir                  - build out of tree: .config and every generated file go to dir'
	@echo '  V=1                    - show full commands and their output (default: a line per step)'
	@echo '  TR_DL_DIR=dir          - download directory (environment; overrides the configuration)'
	@echo '  TR_DL_REFRESH=y        - ask apt again for sources vouched for by the Debian archive'
	@echo '  TR_EXTERNAL=dir        - add an external tree of packages and defconfigs (remembered)'
	@echo '  TR_DEFCONFIG=file      - with defconfig: the file to load (as <name>_defconfig)'
	@echo '  -jN                    - build up to N independent packages at once; inside a package,'
	@echo '                           the configuration (Build options) sets the job count'
	@echo
	@echo 'Files:'
	@echo '  $$O/.config, $$O/images/ (kernel, initramfs), $$O/target/ (root filesystem),'
	@echo '  $$O/build/<pkg>-<version>/ (source, stamps, <step>.log), $$O/build/build-time.log,'
	@echo '  local.mk (beside .config for O=, else in the tree): <PKG>_OVERRIDE_SRCDIR = dir'
	@echo
	@echo 'Documentation: docs/manual.md'
