"""Booting like hardware under UEFI: OVMF and systemd-boot start disk.img
and tinyroot.iso of the session's default build switched to UEFI boot and
a console on the screen too (screen_and_uefi_image: its kernel's EFI stub
and framebuffer compiled once, for these tests and the graphical
console's). A module of its own, so that test_bootable_images.py's build
is put back before these tests switch it."""
import subprocess

import pytest

from test_bootable_images import boot_argv, boots_to_the_initramfs, exec_through


@pytest.mark.parametrize("boot", ["uefi", "uefi-iso"])
def test_image_boots_under_uefi_without_kernel(screen_and_uefi_image, boot):
    """OVMF (its variables copied for the run) and systemd-boot, from
    disk.img's EFI system partition or the ISO's El Torito EFI image, start
    the kernel's EFI stub with the initramfs: to the shell of the serial
    line, the primary console."""
    argv = boot_argv(screen_and_uefi_image.out, "--boot", boot, "--display", "none")
    qemu = subprocess.run(argv + ["--dry-run"], text=True, check=True, stdout=subprocess.PIPE).stdout.splitlines()
    assert "-kernel" not in qemu and any(a.startswith("if=pflash") for a in qemu), qemu
    output, cmdline = boots_to_the_initramfs(argv, "UEFI")
    assert "BOOT_IMAGE=" not in cmdline, cmdline
    assert "SYSLINUX" not in output and "ISOLINUX" not in output


def test_exec_through_uefi_and_fw_cfg(screen_and_uefi_image):
    """--exec under OVMF and systemd-boot: the loader entry's command line
    (which has none of it), the command from QEMU's fw_cfg."""
    lines = exec_through(screen_and_uefi_image, "uefi", timeout=180)
    (cmdline,) = [line for line in lines if "initrd=" in line]
    assert "tinyinit_" not in cmdline and "BOOT_IMAGE=" not in cmdline, cmdline
