# The tutorial's entry points: build what is missing, then boot through the
# one launcher, board/qemu/start.sh, with the console mode forced (ssh: none).
#   make run          serial console in the terminal
#   make graphical    a QEMU window with the console on the VGA screen
#   make ssh          headless, logged in over SSH (the dropbear package)
# RUN_ARGS adds launcher options (e.g. RUN_ARGS='--display none --mem 512' or
# RUN_ARGS='--net restricted --forward 2222:22 --share /tmp/x'), QEMU_ARGS
# extra QEMU arguments (e.g. QEMU_ARGS='-smp 2').
.PHONY: run graphical ssh
run graphical ssh: world
	$(Q)$(TOPDIR)/board/qemu/start.sh --output $(O) --$(if $(filter run,$@),serial,$@) \
		$(RUN_ARGS) $(if $(QEMU_ARGS),-- $(QEMU_ARGS))
