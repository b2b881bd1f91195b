# shellcheck shell=bash disable=SC2034,SC2154 # its variables are start.sh's
# Sourced by board/qemu/start.sh: --boot, what QEMU boots.
#   kernel  QEMU loads the kernel and the initramfs itself (-kernel,
#           -initrd, -append): the fastest, and the only path where
#           start.sh chooses the kernel command line (--append, --ssh;
#           --exec, which the firmware paths pass through fw_cfg)
#   disk    images/disk.img as a virtio disk (or, --disk-bus, on a real
#           PC's AHCI, NVMe or USB controller), through the PC's BIOS
#           (SeaBIOS) and syslinux; the kernel finds a root filesystem
#           on it through the same controller
#   uefi    the same disk under UEFI firmware (Debian's OVMF) and
#           systemd-boot: its code read-only, its variables in a copy
#           made for this run
#   iso     images/tinyroot.iso as a CD-ROM, through SeaBIOS and isolinux
#   uefi-iso  the same CD-ROM under OVMF and systemd-boot
#   floppy  images/floppy.img as drive A:, through SeaBIOS and syslinux
# On the firmware paths the bootloader reads the kernel command line the
# build wrote into its configuration; the images are opened with
# snapshot=on or read-only, so what the VM writes never changes the built
# file. The default is qemu.conf's QEMU_BOOT: the first image the
# configuration built (disk, iso, floppy), else the kernel.

# OVMF as Debian installs it: never the .secboot variant, which needs SMM.
ovmf_code=/usr/share/OVMF/OVMF_CODE_4M.fd
ovmf_vars=/usr/share/OVMF/OVMF_VARS_4M.fd

# The image file of a firmware path, and its entry in the menu.
boot_image_of() {
	case $1 in
	disk | uefi) echo disk.img ;;
	iso | uefi-iso) echo tinyroot.iso ;;
	floppy) echo floppy.img ;;
	esac
}
boot_menu_entry_of() {
	case $1 in
	disk | uefi) echo "Disk image (TR_IMAGE_DISK)" ;;
	iso | uefi-iso) echo "ISO image (TR_IMAGE_ISO)" ;;
	floppy) echo "Floppy image (TR_IMAGE_FLOPPY)" ;;
	esac
}

# boot_check BOOT KERNEL_OPTION...: refuses what that path cannot do,
# before QEMU starts; KERNEL_OPTIONs are the options given that need the
# kernel command line.
boot_check() {
	local boot=$1 image
	shift
	if [ -n "$opt_disk_bus" ] && [ "$boot" != disk ] && [ "$boot" != uefi ]; then
		usage_error "--disk-bus: --boot $boot attaches no disk.img: use --boot disk or uefi"
	fi
	[ "$boot" != kernel ] || return 0
	image=$(boot_image_of "$boot")
	[ "$pc" = y ] || usage_error "--boot $boot: the $QEMU_ARCH virt board boots the kernel directly: use --boot kernel"
	[ -f "$images/$image" ] ||
		die "--boot $boot: no $images/$image: turn on Filesystem images → $(boot_menu_entry_of "$boot") in '$make_cmd menuconfig' and build with '$make_cmd'"
	if [ "$boot" = uefi ] || [ "$boot" = uefi-iso ]; then
		[ "$QEMU_UEFI" = y ] ||
			die "--boot $boot: $images/$image has no UEFI bootloader: turn on Filesystem images → UEFI boot too (TR_IMAGE_UEFI) in '$make_cmd menuconfig' and build with '$make_cmd'"
		if [ ! -f "$ovmf_code" ] || [ ! -f "$ovmf_vars" ]; then
			die "--boot $boot: no UEFI firmware ($ovmf_code): install Debian's ovmf (apt-get install ovmf)"
		fi
	fi
	if [ "$machine" = microvm ]; then
		usage_error "--boot $boot: microvm has no firmware disk, CD-ROM, floppy or UEFI boot: use --machine pc or q35"
	fi
	if [ "$boot" = floppy ] && [ "$machine" = q35 ]; then
		usage_error "--boot floppy: q35 has no floppy controller: use --machine pc"
	fi
	if [ $# -gt 0 ]; then
		usage_error "--boot $boot: $1 needs the kernel command line, and $image's bootloader reads it from the image: use --boot kernel"
	fi
	# --exec: the command reaches the C init through QEMU's fw_cfg, which the
	# kernel must show in sysfs, and its exit status is read on the serial
	# console.
	if [ "$have_exec" = y ]; then
		[ "$QEMU_FW_CFG_CAPABLE" = y ] ||
			die "--exec with --boot $boot: the command reaches the init through QEMU's fw_cfg, and this kernel has no CONFIG_FW_CFG_SYSFS: add it (Kernel → Extra configuration fragments) and build with '$make_cmd', or use --boot kernel"
		[ "$QEMU_CONSOLE" != graphical ] ||
			die "--exec with --boot $boot: $image's console is the screen alone, where the command's exit status cannot be read: choose System → Console: serial or both and build with '$make_cmd', or use --boot kernel"
	fi
}

# exec_through_firmware_args: --exec's command for the C init, added to
# boot_args as QEMU's fw_cfg file opt/tinyroot/tinyinit: the same words as
# on the kernel command line, the power-off port and the command in hex (no
# comma, which QEMU's option syntax would need doubled). One argument of a
# program is at most 128 KiB.
exec_through_firmware_args() {
	local prefix="name=opt/tinyroot/tinyinit,string=tinyinit_debug_exit=$debug_exit_port tinyinit_exec=" room bytes
	room=$(((131071 - $(byte_length "$prefix")) / 2))
	bytes=$(byte_length "$opt_exec")
	[ "$bytes" -le "$room" ] ||
		die "--exec: the command is too long for QEMU's fw_cfg argument: $bytes bytes, at most $room (it goes hex-encoded, 2 characters a byte, in one argument of at most 131071 bytes)"
	boot_args+=(-fw_cfg "$prefix$(hex_encode "$opt_exec")")
}

# The QEMU arguments that boot (boot_args), the kernel path's aside.
boot_firmware_args() {
	local file disk cdrom
	file=$(qemu_escape "$images/$(boot_image_of "$1")")
	disk=(-drive "file=$file,format=raw,if=none,id=disk,snapshot=on")
	case ${opt_disk_bus:-virtio} in
	virtio) disk+=(-device "virtio-blk-pci,drive=disk,bootindex=0") ;;
	ahci) disk+=(-device "ahci,id=ahci" -device "ide-hd,drive=disk,bus=ahci.0,bootindex=0") ;;
	nvme) disk+=(-device "nvme,drive=disk,serial=tinyroot,bootindex=0") ;;
	usb) disk+=(-device "qemu-xhci,id=xhci" -device "usb-storage,drive=disk,bus=xhci.0,bootindex=0") ;;
	esac
	cdrom=(-drive "file=$file,format=raw,if=ide,media=cdrom,readonly=on")
	case $1 in
	disk) boot_args=("${disk[@]}") ;;
	uefi) boot_args=("${disk[@]}") && uefi_firmware_args ;;
	iso) boot_args=("${cdrom[@]}" -boot order=d) ;;
	uefi-iso) boot_args=("${cdrom[@]}") && uefi_firmware_args ;;
	floppy) boot_args=(-drive "file=$file,format=raw,if=floppy,snapshot=on" -boot order=a) ;;
	esac
	if [ "$have_exec" = y ]; then
		exec_through_firmware_args
	fi
}

# OVMF as two flash drives, added to boot_args: its code read-only, its
# variables (the boot entries it writes) in a copy for this run.
uefi_firmware_args() {
	make_tmp
	cp "$ovmf_vars" "$tmp/OVMF_VARS.fd"
	boot_args+=(-drive "if=pflash,format=raw,unit=0,readonly=on,file=$(qemu_escape "$ovmf_code")"
		-drive "if=pflash,format=raw,unit=1,file=$(qemu_escape "$tmp/OVMF_VARS.fd")")
}
