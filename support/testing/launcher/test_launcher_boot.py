"""start.sh --boot: the bootable images through the firmware instead of
-kernel, on a fake images directory (--dry-run), and what each path
refuses. test_bootable_images.py boots real images."""
import pytest

from test_launcher import dry_run, error_line, option, run, write_images

# (the disk is a virtio device that SeaBIOS boots first: bootindex, no -boot)
PATHS = [
    ("disk", "disk.img", "if=none,id=disk,snapshot=on", None),
    ("iso", "tinyroot.iso", "if=ide,media=cdrom,readonly=on", "order=d"),
    ("floppy", "floppy.img", "if=floppy,snapshot=on", "order=a"),
]
OVMF_CODE = "if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd"


def with_image(tmp_path, name, **conf):
    out = write_images(tmp_path / "out", **conf)
    (out / "images" / name).write_bytes(b"")
    return out


@pytest.mark.parametrize("boot, image, drive, order", PATHS)
def test_image_boots_through_the_bios(tmp_path, boot, image, drive, order):
    out = with_image(tmp_path, image)
    argv = dry_run(out, "--boot", boot)
    # SeaBIOS (no -bios: qboot loads no disk) and the image's own command line
    assert "-kernel" not in argv and "-initrd" not in argv and "-append" not in argv and "-bios" not in argv
    assert option(argv, "-drive") == [f"file={out}/images/{image},format=raw,{drive}"]
    assert option(argv, "-boot") == ([order] if order else [])
    devices = option(argv, "-device")
    firmware_devices = devices[:devices.index("pvpanic")]  # (start.sh's own come after the boot's)
    assert firmware_devices == (["virtio-blk-pci,drive=disk,bootindex=0"] if boot == "disk" else [])


@pytest.mark.parametrize("boot, image, drive, order", PATHS)
def test_default_is_qemu_conf_boot_and_exec_takes_the_kernel(tmp_path, boot, image, drive, order):
    out = with_image(tmp_path, image, QEMU_BOOT=boot)
    assert option(dry_run(out), "-drive") == [f"file={out}/images/{image},format=raw,{drive}"]
    for args in (["--exec", "true"], ["--append", "foo"]):
        assert "-kernel" in dry_run(out, *args)
    assert option(dry_run(out, "--boot=kernel"), "-kernel")


def test_without_qemu_boot_the_kernel_boots(tmp_path):
    out = with_image(tmp_path, "disk.img", QEMU_BOOT=None)
    assert "-kernel" in dry_run(out)


@pytest.mark.parametrize("boot, image, drive, order", PATHS)
def test_missing_image_names_the_menu_entry(tmp_path, boot, image, drive, order):
    out = write_images(tmp_path / "out")
    line = error_line(run("--output", out, "--boot", boot))
    assert f"no {out}/images/{image}" in line and "TR_IMAGE_" in line and "menuconfig" in line, line


@pytest.mark.parametrize("args, named", [
    (["--append", "foo"], "--append"),
    (["--machine", "microvm"], "microvm"),
])
def test_what_a_firmware_path_cannot_do_is_refused(tmp_path, args, named):
    out = with_image(tmp_path, "tinyroot.iso")
    result = run("--output", out, "--boot", "iso", *args)
    assert result.returncode == 2
    line = error_line(result)
    assert line.startswith("start.sh: --boot iso: ") and named in line, line


@pytest.mark.parametrize("boot, image, drive, order", PATHS)
def test_exec_goes_through_fw_cfg_on_a_firmware_path(tmp_path, boot, image, drive, order):
    """The command, in hex, and the power-off port go to the C init as
    fw_cfg's opt/tinyroot/tinyinit; the bootloader's command line stays."""
    out = with_image(tmp_path, image, QEMU_FW_CFG_CAPABLE="y", QEMU_CONSOLE="both")
    argv = dry_run(out, "--boot", boot, "--exec", "echo 'a,b'")
    assert "-kernel" not in argv and "-append" not in argv
    assert option(argv, "-drive") == [f"file={out}/images/{image},format=raw,{drive}"]
    assert option(argv, "-fw_cfg") == [
        "name=opt/tinyroot/tinyinit,string=tinyinit_debug_exit=0xf4 tinyinit_exec=" + "echo 'a,b'".encode().hex()]
    assert "isa-debug-exit,iobase=0xf4,iosize=1" in option(argv, "-device")
    # the serial console, where start.sh reads the exit status
    assert option(argv, "-serial") == ["mon:stdio"] and "-vga" not in argv
    # a command of 64 KiB fits; one byte more is refused before QEMU starts
    room = (131071 - len("name=opt/tinyroot/tinyinit,string=tinyinit_debug_exit=0xf4 tinyinit_exec=")) // 2
    assert len(option(dry_run(out, "--boot", boot, "--exec", "x" * room), "-fw_cfg")[0]) == 131071
    result = run("--output", out, "--boot", boot, "--accel", "tcg", "--exec", "x" * (room + 1))
    assert result.returncode == 1
    assert error_line(result) == (f"start.sh: --exec: the command is too long for QEMU's fw_cfg argument: {room + 1} "
                                  f"bytes, at most {room} (it goes hex-encoded, 2 characters a byte, in one argument "
                                  "of at most 131071 bytes)")
    assert "-fw_cfg" not in dry_run(out, "--boot", boot, "--serial")


@pytest.mark.parametrize("conf, named", [
    ({"QEMU_FW_CFG_CAPABLE": "n"}, "this kernel has no CONFIG_FW_CFG_SYSFS"),
    ({"QEMU_FW_CFG_CAPABLE": None}, "this kernel has no CONFIG_FW_CFG_SYSFS"),
    ({"QEMU_FW_CFG_CAPABLE": "y", "QEMU_CONSOLE": "graphical"}, "console is the screen alone"),
])
def test_exec_on_a_firmware_path_needs_fw_cfg_and_the_serial_console(tmp_path, conf, named):
    out = with_image(tmp_path, "disk.img", **conf)
    result = run("--output", out, "--boot", "disk", "--exec", "true")
    assert result.returncode == 1
    line = error_line(result)
    assert line.startswith("start.sh: --exec with --boot disk: ") and named in line and "--boot kernel" in line, line


def test_floppy_needs_the_pc(tmp_path):
    out = with_image(tmp_path, "floppy.img")
    assert "q35 has no floppy controller" in error_line(run("--output", out, "--boot", "floppy", "--machine", "q35"))
    assert option(dry_run(out, "--boot", "floppy", "--machine", "pc"), "-M") == ["pc"]


def test_virt_boards_boot_the_kernel_only(tmp_path):
    out = with_image(tmp_path, "disk.img", QEMU_ARCH="riscv64", QEMU_KERNEL="Image", QEMU_MACHINE="virt")
    assert "boots the kernel directly" in error_line(run("--output", out, "--boot", "disk"))


@pytest.mark.parametrize("value", ["usb", ""])
def test_bad_boot_values(tmp_path, value):
    out = with_image(tmp_path, "disk.img")
    result = run("--output", out, "--boot", value)
    assert result.returncode == 2 and "--boot: expected kernel, disk, uefi, iso, uefi-iso or floppy" in error_line(result)


def test_bad_qemu_conf_boot(tmp_path):
    out = with_image(tmp_path, "disk.img", QEMU_BOOT="usb")
    assert "QEMU_BOOT must be kernel, disk, uefi, iso, uefi-iso or floppy, not 'usb'" in error_line(run("--output", out))


@pytest.mark.parametrize("boot, image, drive", [
    ("uefi", "disk.img", "if=none,id=disk,snapshot=on"),
    ("uefi-iso", "tinyroot.iso", "if=ide,media=cdrom,readonly=on"),
])
def test_uefi_paths_run_ovmf_with_a_copy_of_its_variables(tmp_path, boot, image, drive):
    out = with_image(tmp_path, image, QEMU_UEFI="y")
    drives = option(dry_run(out, "--boot", boot), "-drive")
    assert drives[0] == f"file={out}/images/{image},format=raw,{drive}" and drives[1] == OVMF_CODE, drives
    assert drives[2].startswith("if=pflash,format=raw,unit=1,file=") and drives[2].endswith("/OVMF_VARS.fd")
    assert "/usr/share/OVMF" not in drives[2]


def test_uefi_refused_for_images_built_without_it(tmp_path):
    out = with_image(tmp_path, "tinyroot.iso", QEMU_UEFI="n")
    line = error_line(run("--output", out, "--boot", "uefi-iso"))
    assert "has no UEFI bootloader" in line and "TR_IMAGE_UEFI" in line, line


@pytest.mark.parametrize("bus, devices", [
    ("ahci", ["ahci,id=ahci", "ide-hd,drive=disk,bus=ahci.0,bootindex=0"]),
    ("nvme", ["nvme,drive=disk,serial=tinyroot,bootindex=0"]),
    ("usb", ["qemu-xhci,id=xhci", "usb-storage,drive=disk,bus=xhci.0,bootindex=0"]),
])
def test_disk_bus_attaches_disk_img_on_a_real_pcs_controller(tmp_path, bus, devices):
    out = with_image(tmp_path, "disk.img")
    attached = option(dry_run(out, "--boot", "disk", "--disk-bus", bus), "-device")
    assert attached[:attached.index("pvpanic")] == devices
    result = run("--output", out, "--boot", "disk", "--disk-bus", "scsi")
    assert result.returncode == 2 and "--disk-bus: expected virtio, ahci, nvme or usb" in error_line(result)
    for boot in ("kernel", "iso"):
        result = run("--output", out, "--boot", boot, "--disk-bus", bus)
        assert result.returncode == 2 and f"--boot {boot} attaches no disk.img" in error_line(result)
