"""Kernel versions without a pinned hash (the tutorial's 5.15.6, custom):
verified against the sites' sha256sums list, signed by the one key trusted
for it, else refused. kernel.org is out of reach here, so a local fake
tarball stands in for it."""
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
    b.set_config(TR_USERLAND_NONE="y", TR_PACKAGE_BUSYBOX="n", TR_DEBIAN_ARCHIVE="n", **version_symbols)
    return b


AUTOSIGNER = "B8868C80BA62A1FFFAF5FDA9632D3A06589DA6B1"
SHIPPED_KEYRING = TOPDIR / "package/linux/kernel.org-autosigner.gpg"


class Signer:
    """A throwaway OpenPGP key in a private GNUPGHOME, and its public key as
    a binary keyring, the form the download checks lists against."""

    def __init__(self, home):
        home.mkdir(mode=0o700)
        self.home = home
        self.gpg = ["gpg", "--batch", "--homedir", str(home), "--passphrase", "",
                    "--pinentry-mode", "loopback"]
        subprocess.run(self.gpg + ["--quick-generate-key", f"{home.name}@tinyroot.invalid",
                                   "default", "default", "never"], check=True, capture_output=True)
        colons = subprocess.run(self.gpg + ["--with-colons", "--list-keys"], check=True,
                                capture_output=True, text=True).stdout
        self.fingerprint = next(line.split(":")[9] for line in colons.splitlines()
                                if line.startswith("fpr:"))
        self.keyring = home / "public.gpg"
        with open(self.keyring, "wb") as f:
            subprocess.run(self.gpg + ["--export", self.fingerprint], check=True, stdout=f)
        # Trusted by gpg and by gpgv's default keyring, as a user's own key would be.
        shutil.copy(self.keyring, home / "trustedkeys.gpg")

    def clearsign(self, text):
        return subprocess.run(self.gpg + ["--clearsign"], input=text, text=True, check=True,
                              capture_output=True).stdout


@pytest.fixture(scope="module")
def signers(tmp_path_factory):
    """Two throwaway keys: the one a test trusts, and a stranger's."""
    if not shutil.which("gpg"):
        pytest.skip("gpg is not installed")
    base = tmp_path_factory.mktemp("signers")
    return Signer(base / "trusted"), Signer(base / "stranger")


def signed_by(signer):
    """make's command-line overrides: signer's key, not kernel.org's, signs
    the lists, and kernel.org itself (out of reach) is not tried."""
    return [f"LINUX_SOURCE_HASH_LIST_KEYRING={signer.keyring}", "LINUX_SOURCE_SITE="]


def kept(b, version):
    """What the download left of linux-<version> in the download directory."""
    return sorted(p.name for p in b.dl_dir.iterdir() if f"linux-{version}." in p.name)


def test_unpinned_version_verified_by_sha256sums(tmp_path, signers):
    trusted, _ = signers
    tarball = fake_kernel_tarball(tmp_path, "5.15.6")
    digest = hashlib.sha256(tarball.read_bytes()).hexdigest()
    (tarball.parent / "sha256sums.asc").write_text(trusted.clearsign(
        f"0000000000000000000000000000000000000000000000000000000000000000  linux-5.15.5.tar.xz\n"
        f"{digest}  linux-5.15.6.tar.xz\n"))
    b = kernel_only_build(tmp_path, {"TR_PACKAGE_LINUX_5_15_6": "y",
                                     "TR_PRIMARY_SITE": f'"file://{tarball.parent}"'})
    b.make("linux-patch", *signed_by(trusted))
    record = (b.dl_dir / "linux-5.15.6.tar.xz.sha256").read_text()
    assert record.startswith(digest) and "sha256sums.asc" in record
    assert f"signature checked (key {trusted.fingerprint})" in record
    header = (b.package_dir("linux", "5.15.6") / "src/tools/lib/subcmd/subcmd-util.h").read_text()
    assert "realloc(ptr, 1)" not in header, "the GCC 12 patch was not applied"
    assert "Applying" in (b.package_dir("linux", "5.15.6") / "patch.log").read_text()


def test_unpinned_version_with_a_wrong_list_is_refused(tmp_path, signers):
    trusted, _ = signers
    tarball = fake_kernel_tarball(tmp_path, "6.6.50")
    (tarball.parent / "sha256sums.asc").write_text(
        trusted.clearsign("1" * 64 + "  linux-6.6.50.tar.xz\n"))
    b = kernel_only_build(tmp_path, {"TR_PACKAGE_LINUX_CUSTOM": "y",
                                     "TR_PACKAGE_LINUX_CUSTOM_VERSION": '"6.6.50"',
                                     "TR_PRIMARY_SITE": f'"file://{tarball.parent}"'})
    result = b.make("linux-source", *signed_by(trusted), check=False)
    assert result.returncode != 0
    assert "sha256 mismatch" in result.stdout
    assert kept(b, "6.6.50") == []


def test_unpinned_version_offline_is_refused_with_the_fix(tmp_path):
    b = kernel_only_build(tmp_path, {"TR_PACKAGE_LINUX_5_15_6": "y",
                                     "TR_PRIMARY_SITE": f'"file://{tmp_path}/empty"'})
    result = b.make("linux-source", check=False)
    assert result.returncode != 0
    line = next(line for line in result.stdout.splitlines() if "no sha256" in line)
    assert "linux-5.15.6.tar.xz" in line and "sha256sums.asc" in line
    assert f"signed by the key in {SHIPPED_KEYRING}" in line
    assert "add a line 'sha256  <hex>  linux-5.15.6.tar.xz'" in line and "linux.hash" in line


@pytest.mark.parametrize("list_kind,refusal", [
    ("signed", None),
    ("tampered", "bad OpenPGP signature; not used"),
    ("unsigned", "no OpenPGP signature; not used"),
    ("signed by a stranger", "signed by another key; not used"),
])
def test_signed_list_is_checked(tmp_path, signers, list_kind, refusal):
    """Only a list signed by the keyring's key is used: altered, unsigned, or
    signed by another key (even one in the user's own keyring), it is refused."""
    trusted, stranger = signers
    tarball = fake_kernel_tarball(tmp_path, "5.15.6")
    digest = hashlib.sha256(tarball.read_bytes()).hexdigest()
    text = f"{digest}  linux-5.15.6.tar.xz\n"
    signed = {"signed": trusted.clearsign(text),
              # same hash line, altered text around it: the signature fails
              "tampered": trusted.clearsign(text).replace(
                  text, text + f"{'2' * 64}  linux-9.9.tar.xz\n"),
              "unsigned": text,
              "signed by a stranger": stranger.clearsign(text)}[list_kind]
    (tarball.parent / "sha256sums.asc").write_text(signed)
    b = kernel_only_build(tmp_path, {"TR_PACKAGE_LINUX_5_15_6": "y",
                                     "TR_PRIMARY_SITE": f'"file://{tarball.parent}"'})
    result = b.make("linux-source", *signed_by(trusted), check=False,
                    env={"GNUPGHOME": str(stranger.home)})
    if refusal:
        assert result.returncode != 0
        line = next(line for line in result.stdout.splitlines() if "no sha256" in line)
        assert f"file://{tarball.parent}/sha256sums.asc ({refusal}" in line, line
        assert kept(b, "5.15.6") == []
    else:
        assert result.returncode == 0, result.stdout
        record = (b.dl_dir / "linux-5.15.6.tar.xz.sha256").read_text()
        assert record.startswith(digest) and "signature checked" in record


@pytest.mark.parametrize("where", ["before", "after"])
def test_unsigned_lines_around_a_signed_list_are_not_used(tmp_path, signers, where):
    """gpg accepts a clear-signed file with unsigned text around the signed
    part: a mirror's line for the tarball there must not be believed."""
    trusted, _ = signers
    tarball = fake_kernel_tarball(tmp_path, "5.15.6")
    digest = hashlib.sha256(tarball.read_bytes()).hexdigest()
    signed = trusted.clearsign(f"{digest}  linux-5.15.6.tar.xz\n")
    tarball.write_bytes(b"a forged kernel tarball\n")
    forged = hashlib.sha256(tarball.read_bytes()).hexdigest()
    forged_line = f"{forged}  linux-5.15.6.tar.xz\n"
    (tarball.parent / "sha256sums.asc").write_text(
        forged_line + signed if where == "before" else signed + forged_line)
    b = kernel_only_build(tmp_path, {"TR_PACKAGE_LINUX_5_15_6": "y",
                                     "TR_PRIMARY_SITE": f'"file://{tarball.parent}"'})
    result = b.make("linux-source", *signed_by(trusted), check=False)
    assert result.returncode != 0
    log = (b.package_dir("linux", "5.15.6") / "download.log").read_text()
    assert f"sha256 {digest} from file://{tarball.parent}/sha256sums.asc" in log
    assert f"sha256 mismatch: expected {digest}" in result.stdout
    assert f"sha256 {forged}" not in log
    assert kept(b, "5.15.6") == []


@pytest.mark.skipif(not shutil.which("gpg"), reason="gpg is not installed")
def test_the_shipped_key_is_kernel_orgs_autosigner(tmp_path):
    """package/linux's keyring holds kernel.org's checksum autosigner, and
    only it, in the binary form gpgv reads."""
    assert not SHIPPED_KEYRING.read_bytes().startswith(b"-----"), "gpgv needs it dearmored"
    colons = subprocess.run(["gpg", "--batch", "--homedir", str(tmp_path), "--show-keys",
                             "--with-colons", str(SHIPPED_KEYRING)],
                            check=True, capture_output=True, text=True).stdout.splitlines()
    assert [line.split(":")[9] for line in colons if line.startswith("fpr:")] == [AUTOSIGNER]
    assert any("<autosigner@kernel.org>" in line for line in colons if line.startswith("uid:"))


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


@pytest.fixture(scope="module")
def kernel_to_configure(tmp_path_factory):
    """The default kernel alone, in one output directory for every choice of
    compression: its source is extracted once."""
    b = Build(tmp_path_factory.mktemp("compression") / "out", IMAGE_DL_DIR)
    b.make("qemu_x86_64_defconfig")
    b.set_config(TR_USERLAND_NONE="y", TR_PACKAGE_BUSYBOX="n")
    return b


@pytest.mark.parametrize("compression", ["LZ4", "ZSTD"])
def test_kernel_image_compression_choices_stick(kernel_to_configure, compression):
    """The kernel image compression reaches the kernel's configuration (the
    default's gzip and the floppy's xz are built and booted elsewhere)."""
    b = kernel_to_configure
    b.set_config(**{f"TR_PACKAGE_LINUX_COMPRESSION_{compression}": "y"})
    b.make("linux-configure")
    config = (b.package_dir("linux", "6.1-debian") / "src/.config").read_text().splitlines()
    # (the second choice is made over the first: nothing of the first stays)
    chosen = [c for c in ("GZIP", "XZ", "LZ4", "ZSTD") if f"CONFIG_KERNEL_{c}=y" in config]
    assert chosen == [compression], chosen
