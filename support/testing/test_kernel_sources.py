"""Kernel versions without a pinned hash (the tutorial's 5.15.6, custom):
verified against the sites' sha256sums list, else refused. kernel.org is out
of reach here, so a local fake tarball stands in for it."""
import hashlib
import shutil
import subprocess
import tarfile

import pytest

from conftest import IMAGE_DL_DIR, TOPDIR, Build

PATCH = TOPDIR / "package/linux/5.15.6/0001-libsubcmd-fix-use-after-free-for-realloc-0.patch"


def fake_kernel_tarball(tmp_path, version):
    """linux-<version>.tar.xz holding a pre-fix tools/lib/subcmd/subcmd-util.h
    (the file of a fixed tree with the 5.15.6 patch reverted)."""
    tree = tmp_path / f"linux-{version}"
    header = tree / "tools/lib/subcmd/subcmd-util.h"
    header.parent.mkdir(parents=True)
    header.write_text(
        "static inline void *xrealloc(void *ptr, size_t size)\n{\n\tvoid *ret = realloc(ptr, size);\n"
        "\tif (!ret)\n\t\tdie(\"Out of memory, realloc failed\");\n\treturn ret;\n}\n")
    subprocess.run(["patch", "-p1", "-R", "-i", str(PATCH)], cwd=tree, check=True,
                   stdout=subprocess.DEVNULL)
    tarball = tmp_path / "mirror" / f"linux-{version}.tar.xz"
    tarball.parent.mkdir(exist_ok=True)
    with tarfile.open(tarball, "w:xz") as tar:
        tar.add(tree, arcname=tree.name)
    return tarball


def kernel_only_build(tmp_path, version_symbols):
    b = Build(tmp_path / "out", tmp_path / "dl")
    b.make("qemu_x86_64_defconfig")
    b.set_config(TR_PACKAGE_BUSYBOX="n", TR_DEBIAN_ARCHIVE="n", **version_symbols)
    return b


def test_unpinned_version_verified_by_sha256sums(tmp_path):
    tarball = fake_kernel_tarball(tmp_path, "5.15.6")
    digest = hashlib.sha256(tarball.read_bytes()).hexdigest()
    (tarball.parent / "sha256sums.asc").write_text(
        f"0000000000000000000000000000000000000000000000000000000000000000  linux-5.15.5.tar.xz\n"
        f"{digest}  linux-5.15.6.tar.xz\n")
    b = kernel_only_build(tmp_path, {"TR_PACKAGE_LINUX_5_15_6": "y",
                                     "TR_PRIMARY_SITE": f'"file://{tarball.parent}"'})
    b.make("linux-patch")
    record = (b.dl_dir / "linux-5.15.6.tar.xz.sha256").read_text()
    assert record.startswith(digest) and "sha256sums.asc" in record
    assert "signature" in record  # checked, or said not to be
    header = (b.package_dir("linux", "5.15.6") / "src/tools/lib/subcmd/subcmd-util.h").read_text()
    assert "realloc(ptr, 1)" not in header, "the GCC 12 patch was not applied"
    assert "Applying" in (b.package_dir("linux", "5.15.6") / "patch.log").read_text()


def test_unpinned_version_with_a_wrong_list_is_refused(tmp_path):
    tarball = fake_kernel_tarball(tmp_path, "6.6.50")
    (tarball.parent / "sha256sums.asc").write_text("1" * 64 + "  linux-6.6.50.tar.xz\n")
    b = kernel_only_build(tmp_path, {"TR_PACKAGE_LINUX_CUSTOM": "y",
                                     "TR_PACKAGE_LINUX_CUSTOM_VERSION": '"6.6.50"',
                                     "TR_PRIMARY_SITE": f'"file://{tarball.parent}"'})
    result = b.make("linux-source", check=False)
    assert result.returncode != 0
    assert "sha256 mismatch" in result.stdout
    assert not (b.dl_dir / "linux-6.6.50.tar.xz").exists()


def test_unpinned_version_offline_is_refused_with_the_fix(tmp_path):
    b = kernel_only_build(tmp_path, {"TR_PACKAGE_LINUX_5_15_6": "y",
                                     "TR_PRIMARY_SITE": f'"file://{tmp_path}/empty"'})
    result = b.make("linux-source", check=False)
    assert result.returncode != 0
    line = next(line for line in result.stdout.splitlines() if "no sha256" in line)
    assert "linux-5.15.6.tar.xz" in line and "sha256sums.asc" in line
    assert "add a line 'sha256  <hex>  linux-5.15.6.tar.xz'" in line and "linux.hash" in line


def signed_list(tmp_path, text):
    """text clear-signed with a throwaway key in a private keyring; returns
    the keyring's directory (GNUPGHOME) and the signed text."""
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    gpg = ["gpg", "--batch", "--homedir", str(home), "--passphrase", "", "--pinentry-mode", "loopback"]
    subprocess.run(gpg + ["--quick-generate-key", "test@tinyroot.invalid", "default", "default",
                          "never"], check=True, capture_output=True)
    signed = subprocess.run(gpg + ["--clearsign"], input=text, text=True, check=True,
                            capture_output=True).stdout
    return home, signed


@pytest.mark.skipif(not shutil.which("gpg"), reason="gpg is not installed")
@pytest.mark.parametrize("tampered", [False, True])
def test_signed_list_is_checked(tmp_path, tampered):
    tarball = fake_kernel_tarball(tmp_path, "5.15.6")
    digest = hashlib.sha256(tarball.read_bytes()).hexdigest()
    home, signed = signed_list(tmp_path, f"{digest}  linux-5.15.6.tar.xz\n")
    if tampered:  # same hash line, altered text around it: the signature fails
        signed = signed.replace(f"{digest}  linux-5.15.6.tar.xz",
                                f"{digest}  linux-5.15.6.tar.xz\n{'2' * 64}  linux-9.9.tar.xz")
    (tarball.parent / "sha256sums.asc").write_text(signed)
    b = kernel_only_build(tmp_path, {"TR_PACKAGE_LINUX_5_15_6": "y",
                                     "TR_PRIMARY_SITE": f'"file://{tarball.parent}"'})
    result = b.make("linux-source", check=False, env={"GNUPGHOME": str(home)})
    if tampered:
        assert result.returncode != 0
        assert "bad OpenPGP signature" in result.stdout
        assert not (b.dl_dir / "linux-5.15.6.tar.xz").exists()
    else:
        assert result.returncode == 0, result.stdout
        record = (b.dl_dir / "linux-5.15.6.tar.xz.sha256").read_text()
        assert record.startswith(digest) and "signature checked" in record


@pytest.mark.parametrize("version,series", [("TR_PACKAGE_LINUX_6_12", "6.12.61"),
                                            ("TR_PACKAGE_LINUX_6_6", "6.6.119"),
                                            ("TR_PACKAGE_LINUX_6_1", "6.1.159"),
                                            ("TR_PACKAGE_LINUX_5_15", "5.15.197")])
def test_pinned_versions_come_from_kernel_org(tmp_path, version, series):
    """Offline here: the download must try kernel.org's directory for the
    series with the pinned hash (no hash list), and say so when it fails."""
    b = kernel_only_build(tmp_path, {version: "y", "TR_PRIMARY_SITE": '""'})
    result = b.make("linux-source", check=False, timeout=300)
    log = (b.package_dir("linux", series) / "download.log").read_text()
    major = series.split(".")[0]
    assert f"trying https://cdn.kernel.org/pub/linux/kernel/v{major}.x/linux-{series}.tar.xz" in log
    assert "sha256sums.asc" not in log
    if result.returncode != 0:  # no internet
        assert f"linux-{series}.tar.xz: no site could provide it" in result.stdout


@pytest.mark.parametrize("compression", ["LZ4", "ZSTD"])
def test_kernel_image_compression_choices_stick(tmp_path, compression):
    """The kernel image compression reaches the kernel's configuration (the
    default's gzip and the floppy's xz are built and booted elsewhere)."""
    b = Build(tmp_path / "out", IMAGE_DL_DIR)
    b.make("qemu_x86_64_defconfig")
    b.set_config(TR_PACKAGE_BUSYBOX="n", **{f"TR_PACKAGE_LINUX_COMPRESSION_{compression}": "y"})
    b.make("linux-configure")
    config = (b.package_dir("linux", "6.1-debian") / "src/.config").read_text().splitlines()
    assert f"CONFIG_KERNEL_{compression}=y" in config
    assert "CONFIG_KERNEL_GZIP=y" not in config
