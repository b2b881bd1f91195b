# shellcheck shell=bash disable=SC2034 # its variables are start.sh's
# Sourced by board/qemu/start.sh: the machine QEMU emulates for each
# architecture tinyroot builds for (qemu.conf's QEMU_ARCH). arch_facts ARCH
# sets:
#   qemu_bin, qemu_package  the emulator, and the Debian package it is in
#   machines                the machine types it boots (--machine)
#   serial_console          the kernel's name of the board's serial port
#   cmdline_max             the kernel's COMMAND_LINE_SIZE, its NUL left out
#   cpu_args                the CPU to emulate, where the board has none
#   pvpanic_device          how a panic reaches QEMU: on ISA, or on PCI
#   pc                      y for the x86_64 PC: the KVM probe, qboot, the
#                           VGA screen, isa-debug-exit and the PC's own
#                           kernel options are its alone
# The virt boards load the kernel through QEMU itself: on aarch64 QEMU's
# own boot code enters the Image with the device tree; on riscv64 QEMU's
# default firmware, the OpenSBI (fw_dynamic) that qemu-system-data ships,
# runs first and leaves the kernel its SBI calls (console, power-off).
# aarch64's virt board has no default CPU that runs 64-bit code: Cortex-A57,
# a fixed ARMv8.0 core every aarch64 program runs on, boots as fast as
# -cpu max under TCG (start.sh --exec true: medians 0.67 s and 0.71 s over
# 8 interleaved runs each, 2026-12-04) and does not change with QEMU's
# version.
arch_facts() {
	case $1 in
	x86_64)
		qemu_bin=qemu-system-x86_64 qemu_package=qemu-system-x86 machines="pc q35 microvm"
		serial_console=ttyS0 cmdline_max=2047 cpu_args=() pvpanic_device=pvpanic pc=y
		;;
	aarch64)
		qemu_bin=qemu-system-aarch64 qemu_package=qemu-system-arm machines=virt
		serial_console=ttyAMA0 cmdline_max=2047 cpu_args=(-cpu cortex-a57)
		pvpanic_device=pvpanic-pci pc=n
		;;
	riscv64)
		qemu_bin=qemu-system-riscv64 qemu_package=qemu-system-misc machines=virt
		serial_console=ttyS0 cmdline_max=1023 cpu_args=() pvpanic_device=pvpanic-pci pc=n
		;;
	*) return 1 ;;
	esac
}
