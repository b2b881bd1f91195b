"""Fixtures shared by the test suite.

Builds happen in pytest's temporary directories with O=, never in the tree.
The package-layer tests use the external tree in support/testing/external:
small packages whose tarballs are made here, on the fly, and served from a
file:// mirror or an HTTP server on 127.0.0.1.
"""
import contextlib
import functools
import http.server
import json
import os
import re
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import tarfile
import threading
from pathlib import Path

import pytest

from vm import read_qemu_conf

TOPDIR = Path(__file__).resolve().parents[2]
# The tests start their distccd and read ccache's counters with make
# bench's own helpers (support/scripts/bench_build_engines.py).
sys.path.insert(0, str(TOPDIR / "support" / "scripts"))
from bench_build_engines import counted  # noqa: E402 (support/scripts, on the path above)
TESTING = TOPDIR / "support" / "testing"
TEST_PACKAGES = ("libgreet", "hello", "goodbye")


# The builds made in the background (BackgroundBuilds), each a defconfig and
# the settings a module's tests want of it, by name. The fixture <name>_image
# takes one; arch_image, test_arch.py's, the one its parameter names.
BACKGROUND_DEFCONFIGS = {
    "aarch64": ("qemu_aarch64_virt_defconfig", {}),
    "riscv64": ("qemu_riscv64_virt_defconfig", {}),
    "floppy": ("qemu_x86_64_floppy_defconfig", {}),
}


def background_builds_taken(item):
    """The background builds a test takes, by name."""
    names = [f.removesuffix("_image") for f in item.fixturenames
             if f.endswith("_image") and f.removesuffix("_image") in BACKGROUND_DEFCONFIGS]
    if "arch_image" in item.fixturenames:
        names.append(item.callspec.params["arch_image"])
    return names


def runs_late(item):
    """0 for most tests; 1 for those that take disk_defconfig_image (the
    default build, switched and not put back); 2 for those that take a
    background build."""
    if background_builds_taken(item):
        return 2
    return 1 if "disk_defconfig_image" in item.fixturenames else 0


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """The tests that take a background build last (in their order), so that
    the builds have the whole session to be made (background_builds); before
    them, the ones that take the default build switched to the disk
    defconfig, after every other test that takes the default build."""
    items.sort(key=runs_late)
    switched_under = [item.nodeid for item in items if runs_late(item) == 2 and "default_image" in item.fixturenames]
    assert not switched_under, f"these would find the default build switched by disk_defconfig_image: {switched_under}"


@pytest.fixture(autouse=True)
def session_cache_home(tmp_path_factory, monkeypatch):
    """What the tools cache per user (start.sh's KVM verdict) goes to one
    directory of the session's, not to the home of the user running it."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "cache-home"))


# One compiler cache for the session's builds (kept beside the kept builds
# with TR_TEST_BUILD_DIR); set by the session_ccache fixture.
SESSION_CCACHE_DIR = None


@pytest.fixture(autouse=True, scope="session")
def session_ccache(tmp_path_factory):
    global SESSION_CCACHE_DIR
    kept = os.environ.get("TR_TEST_BUILD_DIR")
    SESSION_CCACHE_DIR = Path(kept) / "ccache" if kept else tmp_path_factory.mktemp("ccache")
    return SESSION_CCACHE_DIR


# make -jN, N the machine's cores: a package's single-threaded steps
# (extracting, configuring, linking) overlap another's compilation.
SIDE_BY_SIDE = f"-j{os.cpu_count()}"


def make_failed(cmd, returncode, output):
    return AssertionError(f"{' '.join(cmd)} failed ({returncode}):\n{output}")


def background_builds_needed(items):
    """The background builds the selected tests take, in the order they are
    first taken."""
    needed = []
    for item in items:
        needed += [name for name in background_builds_taken(item) if name not in needed]
    return needed


class BackgroundBuilds:
    """Defconfig builds made one after the other in a thread of their own,
    scheduled only when a core would otherwise idle (the kernel's SCHED_IDLE
    policy, and the idle class for the disk): they take the core that a
    booting VM, a configure script or an archive's extraction leaves idle,
    and the tests' own builds and boots keep theirs."""

    def __init__(self):
        self.queue, self.done, self.process, self.stopped = [], {}, None, False
        self.lock = threading.Condition()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def plan(self, builds):
        """builds: (name, Build, defconfig, settings), in the order they are
        needed."""
        self.queue = list(builds)

    def start(self):
        """Once: after the default image, whose build leaves no core idle
        (a background build would only slow it), or when a test asks first."""
        with self.lock:
            if not self.thread.is_alive() and not self.done and not self.stopped:
                self.thread.start()

    def run(self):
        for name, build, defconfig, settings in self.queue:
            try:
                self.make(build, defconfig)
                build.set_config(**settings)
                self.make(build, SIDE_BY_SIDE)
                outcome = build
            except Exception as error:  # handed to the test that takes the build
                outcome = error
            with self.lock:
                self.done[name] = outcome
                self.lock.notify_all()

    def make(self, build, *args):
        cmd = ["chrt", "--idle", "0", "ionice", "-c", "3", *build.command(*args)]
        with self.lock:
            if self.stopped:
                raise RuntimeError("the test session ended first")
            # its own process group, to be stopped whole
            self.process = subprocess.Popen(cmd, cwd=TOPDIR, env=build.environment(), text=True,
                                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                            process_group=0)
        output = self.process.communicate()[0]
        if self.process.returncode != 0:
            raise make_failed(cmd, self.process.returncode, output)

    def result(self, name):
        """The build, once made; its failure, raised."""
        assert name in [planned for planned, *_ in self.queue], f"{name}: no test selected needs it"
        self.start()
        with self.lock:
            self.lock.wait_for(lambda: name in self.done)
            outcome = self.done[name]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def stop(self):
        with self.lock:
            self.stopped = True
            if self.process is not None and self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGTERM)
        if self.thread.is_alive():
            self.thread.join()


BACKGROUND = BackgroundBuilds()


@pytest.fixture(autouse=True, scope="session")
def background_builds(request, tmp_path_factory):
    """The background builds (BACKGROUND_DEFCONFIGS) that a selected test
    takes, started after the default image (default_image); their tests run
    last (pytest_collection_modifyitems) and wait for them. Through a
    compiler cache of their own: the tests that count the session cache's
    hits and misses count their own builds' alone."""
    cache = session_build_dir(tmp_path_factory, "ccache-background")
    BACKGROUND.plan((name, Build(session_build_dir(tmp_path_factory, name), IMAGE_DL_DIR, ccache=True,
                                 ccache_dir=cache), *BACKGROUND_DEFCONFIGS[name])
                    for name in background_builds_needed(request.session.items))
    yield BACKGROUND
    BACKGROUND.stop()


class Build:
    """One O= build directory and the make that drives it. With ccache=True
    its compilations go through the session's compiler cache (or
    ccache_dir)."""

    def __init__(self, out, dl_dir, external=None, ccache=False, ccache_dir=None):
        self.out = Path(out)
        self.dl_dir = Path(dl_dir)
        self.external = external
        self.ccache = ccache
        self.ccache_dir = ccache_dir

    @property
    def config_path(self):
        return self.out / ".config"

    def command(self, *args):
        cmd = ["make", f"O={self.out}"]
        if self.external is not None:
            cmd.append(f"TR_EXTERNAL={self.external}")
        return cmd + list(args)

    def environment(self, env=None):
        full_env = dict(os.environ, TR_DL_DIR=str(self.dl_dir))
        if self.ccache:
            full_env.update(TR_CCACHE="y", TR_CCACHE_DIR=str(self.ccache_dir or SESSION_CCACHE_DIR))
        full_env.pop("MAKEFLAGS", None)
        full_env.update(env or {})
        return full_env

    def make(self, *args, check=True, env=None, timeout=3600, cwd=TOPDIR):
        cmd = self.command(*args)
        result = subprocess.run(cmd, cwd=cwd, env=self.environment(env), text=True, timeout=timeout,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if check and result.returncode != 0:
            raise make_failed(cmd, result.returncode, result.stdout)
        return result

    def make_all(self, **kwargs):
        """The whole build, its packages side by side (SIDE_BY_SIDE), as a
        user builds. The session's shared builds are made so."""
        return self.make(SIDE_BY_SIDE, **kwargs)

    def config(self):
        """The .config as a dict: SYMBOL -> value (n for "is not set")."""
        values = {}
        for line in self.config_path.read_text().splitlines():
            if m := re.match(r"^(TR_\w+)=(.*)$", line):
                values[m[1]] = m[2].strip('"') if m[2].startswith('"') else m[2]
            elif m := re.match(r"^# (TR_\w+) is not set$", line):
                values[m[1]] = "n"
        return values

    def set_config(self, **symbols):
        """Edits .config as a user would; strings need their quotes. A changed
        line moves to the end: of two members of a choice set to y, kconfig
        keeps the last one."""
        lines = self.config_path.read_text().splitlines()
        for name, value in symbols.items():
            pattern = re.compile(rf"^(# )?{name}( is not set|=.*)$")
            lines = [line for line in lines if not pattern.match(line)]
            lines.append(f"# {name} is not set" if value == "n" else f"{name}={value}")
        self.config_path.write_text("\n".join(lines) + "\n")

    def package_dir(self, name, version="1.0"):
        return self.out / "build" / f"{name}-{version}"

    def target(self, path):
        return self.out / "target" / path.lstrip("/")

    def qemu_conf(self):
        return read_qemu_conf(self.out / "images")

    def initramfs_cpio(self):
        """The initramfs archive, uncompressed, whatever its compression."""
        path = self.out / "images" / self.qemu_conf()["QEMU_INITRD"]
        unpack = {".gz": ["gzip", "-dc"], ".lz4": ["lz4", "-dc"], ".xz": ["xz", "-dc"],
                  ".zst": ["zstd", "-dc"], ".bz2": ["bzip2", "-dc"], ".lzma": ["xz", "-dc"]}
        if path.suffix not in unpack:
            return path.read_bytes()
        return subprocess.run(unpack[path.suffix] + [str(path)], check=True,
                              stdout=subprocess.PIPE).stdout


def error_lines(output):
    return [line for line in output.splitlines() if line.startswith("tinyroot:")]


def path_without(tool, bin_dir):
    """A PATH of one directory: links to every program on PATH but tool."""
    bin_dir.mkdir()
    for directory in os.environ["PATH"].split(":"):
        if not os.path.isdir(directory):
            continue
        for name in os.listdir(directory):
            if name != tool and not (bin_dir / name).exists():
                (bin_dir / name).symlink_to(os.path.join(directory, name))
    return str(bin_dir)


BUILD_ENGINES = ("ccache", "distcc")


# What only a build with a kernel writes in its images directory.
KERNEL_FILES = ("bzImage", "vmlinux", "Image")


def images_differ(expected, other, kernel_less=False):
    """The files of two images directories that differ. The manifests may
    differ only in the build engines their tools list (ccache, distcc): a
    build with them makes the same images. With kernel_less, other is
    expected's configuration built without the kernel: expected's kernel
    files, the kernel's entry in its manifest and the kernel's lines of its
    qemu.conf aside."""
    names = sorted(p.name for p in expected.iterdir() if not (kernel_less and p.name in KERNEL_FILES))
    assert sorted(p.name for p in other.iterdir()) == names
    def content(path):
        if path.name == "manifest.json":
            manifest = json.loads(path.read_text())
            manifest["tools"] = [t for t in manifest["tools"] if t["name"] not in BUILD_ENGINES]
            if kernel_less:
                manifest["packages"] = [p for p in manifest["packages"] if p["name"] != "linux"]
            return manifest
        if kernel_less and path.name == "qemu.conf":
            return path.read_text().splitlines()
        return path.read_bytes()
    def differs(name):
        mine, theirs = content(expected / name), content(other / name)
        if kernel_less and name == "qemu.conf":
            # the same lines, in the same order, but for the kernel's
            return [line for line in mine if line in theirs] != theirs
        return mine != theirs
    return [n for n in names if differs(n)]


def copy_of_the_tree(dest):
    """The tinyroot tree (its history included, for SOURCE_DATE_EPOCH) at
    dest: another checkout of the same commit, with the same changes."""
    dest.mkdir(parents=True)
    parts = [".git", "Makefile", "Config.in", "package", "board", "configs", "support"]
    subprocess.run(["cp", "-a"] + [str(TOPDIR / p) for p in parts] + [str(dest)], check=True)
    return dest


def make_tarball(sources, name, version, mirror):
    """name-version.tar.gz of support/testing/sources/name (or `sources`)."""
    tarball = Path(mirror) / f"{name}-{version}.tar.gz"
    with tarfile.open(tarball, "w:gz") as tar:
        for path in sorted(Path(sources).iterdir()):
            tar.add(path, arcname=f"{name}-{version}/{path.name}")
    return tarball


def sha256(path):
    import hashlib
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


class PackageTree:
    """A copy of the external test tree with a mirror of its tarballs."""

    def __init__(self, root):
        self.root = Path(root)
        self.external = self.root / "external"
        self.mirror = self.root / "mirror"
        self.mirror.mkdir(parents=True)
        subprocess.run(["cp", "-a", str(TESTING / "external"), str(self.external)], check=True)
        for name in TEST_PACKAGES:
            self.add_tarball(name, "1.0")
        (self.external / "configs").mkdir(exist_ok=True)
        self.defconfig = self.external / "configs" / "test_defconfig"
        # Only the test packages: no kernel, no BusyBox; the shell-script init.
        self.defconfig.write_text(
            "TR_INIT_SCRIPT=y\n"
            "# TR_PACKAGE_LINUX is not set\n"
            "TR_USERLAND_NONE=y\n"
            "TR_PRIMARY_SITE=\"file://%s\"\n"
            "TR_PACKAGE_HELLO=y\n"
            "TR_PACKAGE_GOODBYE=y\n" % self.mirror)

    def add_tarball(self, name, version, sources=None, pin=True):
        tarball = make_tarball(sources or TESTING / "sources" / name, name, version, self.mirror)
        if pin:
            self.pin(name, tarball.name, sha256(tarball))
        return tarball

    def pin(self, name, filename, digest):
        hash_file = self.external / "package" / name / f"{name}.hash"
        lines = [line for line in (hash_file.read_text().splitlines() if hash_file.exists() else [])
                 if not line.endswith(f"  {filename}")]
        lines.append(f"# made by the test suite\nsha256  {digest}  {filename}")
        hash_file.write_text("\n".join(lines) + "\n")


@pytest.fixture
def package_tree(tmp_path):
    return PackageTree(tmp_path / "tree")


@pytest.fixture
def build(tmp_path, package_tree):
    """A configured (not yet built) build of the test packages."""
    b = Build(tmp_path / "out", tmp_path / "dl", external=package_tree.external)
    b.make("test_defconfig")
    return b


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def http_mirror(package_tree):
    """The mirror served over HTTP on 127.0.0.1; yields its base URL."""
    handler = functools.partial(QuietHandler, directory=str(package_tree.mirror))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


# Builds of the real image share one download directory (the tree's dl/, or
# TR_TEST_DL_DIR), so the kernel and BusyBox are fetched once.
IMAGE_DL_DIR = Path(os.environ.get("TR_TEST_DL_DIR", TOPDIR / "dl"))


def session_build_dir(tmp_path_factory, name):
    """Where a session's shared build goes: a fresh temporary directory, or,
    to iterate on the tests, TR_TEST_BUILD_DIR/name, kept between runs."""
    kept = os.environ.get("TR_TEST_BUILD_DIR")
    return Path(kept) / name if kept else tmp_path_factory.mktemp(name) / "out"


@pytest.fixture(scope="session")
def default_image(tmp_path_factory, background_builds):
    """qemu_x86_64_defconfig, built once per session, through the session's
    compiler cache; then the background builds start. Tests that change its
    configuration put it back (but disk_defconfig_image, its last)."""
    b = Build(session_build_dir(tmp_path_factory, "default"), IMAGE_DL_DIR, ccache=True)
    b.make("qemu_x86_64_defconfig")
    b.make_all()
    background_builds.start()
    return b


@pytest.fixture(scope="session")
def disk_defconfig_image(default_image):
    """The default build switched to qemu_x86_64_disk_defconfig, for the
    tests of the bootable images' root filesystem on disk, of UEFI boot and
    of the screen. The kernel has the disks already (Kernel → Disks); it
    gets a real PC's drivers, the VGA and framebuffer consoles, the
    keyboard and the EFI stub, and compiles again only the files these
    touch. Not put back, which would compile them once more: its tests are
    the session's last to take the default build
    (pytest_collection_modifyitems)."""
    from test_packages import steps_run
    default_image.make("qemu_x86_64_disk_defconfig")
    ran = steps_run(default_image.make_all().stdout)
    assert {package for package, _ in ran} == {"linux", "rootfs"}, ran
    return default_image


def default_configuration(out, ccache=False, **symbols):
    """qemu_x86_64_defconfig in out with symbols set; not built yet."""
    b = Build(out, IMAGE_DL_DIR, ccache=ccache)
    b.make("qemu_x86_64_defconfig")
    b.set_config(**symbols)
    return b


def with_kernel(rootfs, kernel, dest):
    """An output directory for start.sh --output (dest): the images of a
    build without a kernel (its initramfs, its settings) and another build's
    kernel, with what that kernel can do (the kernel's lines of qemu.conf)."""
    images = Path(dest) / "images"
    shutil.copytree(rootfs.out / "images", images)
    own = rootfs.qemu_conf()
    for name in ("bzImage", "vmlinux", "Image"):
        if (kernel.out / "images" / name).exists():
            shutil.copy(kernel.out / "images" / name, images)
    with open(images / "qemu.conf", "a") as conf:
        conf.writelines(f"{name}={shlex.quote(value)}\n" for name, value in kernel.qemu_conf().items()
                        if name not in own)
    return Path(dest)


def group_writable_checkout(dest):
    """A copy of the tree as a checkout made under umask 0002 would have it."""
    copy_of_the_tree(dest)
    for root, dirs, files in os.walk(dest):
        for name in dirs + files:
            path = os.path.join(root, name)
            if not os.path.islink(path):
                os.chmod(path, os.stat(path).st_mode | stat.S_IWGRP)


def estonian_locale(dest):
    """et_EE.UTF-8 (day names unlike English, a decimal comma), made for the
    test alone: LOCPATH points the C library at it."""
    subprocess.run(["localedef", "-i", "et_EE", "-f", "UTF-8", str(dest / "et_EE.UTF-8")],
                   check=True, capture_output=True)
    env = {"LOCPATH": str(dest), "LC_ALL": "et_EE.UTF-8", "LANG": "et_EE.UTF-8"}
    probe = subprocess.run(["date", "-d", "@0", "+%a"], env=dict(os.environ, **env),
                           capture_output=True, text=True, check=True).stdout.strip()
    assert probe != "Thu", "the test locale did not take effect"
    return env


def another_builders_environment(dest):
    """The environment of another builder: an Estonian locale (made in
    dest) and a timezone 14 hours from UTC; to be used under umask 0002."""
    return dict(estonian_locale(dest), TZ="XXX-14")


def images_step_again_elsewhere(build, dest):
    """build's images step done again as another builder would do it
    (another_builders_environment, made in dest, under umask 0002); make's
    output."""
    (build.out / "build" / "rootfs" / ".stamp_images").unlink()
    old_umask = os.umask(0o002)
    try:
        return build.make(env=another_builders_environment(dest)).stdout
    finally:
        os.umask(old_umask)


@contextlib.contextmanager
def put_back_after(build, **settings):
    """Within: a test's change of build's configuration; after: settings
    set, build made again, and its images the bytes they were before."""
    def images():
        return {p.name: p.read_bytes() for p in (build.out / "images").iterdir()}
    before = images()
    try:
        yield
    finally:
        build.set_config(**settings)
        build.make()
    assert images() == before


def build_elsewhere(dest, ccache, **symbols):
    """qemu_x86_64_defconfig (with symbols set) built in dest as another
    builder would build it: from a group-writable copy of the tree, under
    umask 0002, in another_builders_environment, into a new output
    directory."""
    checkout = dest / "checkout"
    group_writable_checkout(checkout)
    env = another_builders_environment(dest)
    other = Build(dest / "out", IMAGE_DL_DIR, ccache=ccache)
    old_umask = os.umask(0o002)
    try:
        other.make("qemu_x86_64_defconfig", cwd=checkout, env=env)
        other.set_config(**symbols)
        other.make_all(cwd=checkout, env=env)
    finally:
        os.umask(old_umask)
    return other


class CountedBuild:
    """A build and what it added to the session's compiler cache."""

    def __init__(self, build, hits, misses, rate):
        self.build, self.hits, self.misses, self.rate = build, hits, misses, rate


@pytest.fixture(scope="session")
def elsewhere_build(default_image, tmp_path_factory):
    """build_elsewhere of the default configuration without its kernel,
    after the default image, through the session's compiler cache: the
    reproducibility test compares its initramfs with the default's, the
    ccache test counts its hits. (A kernel of its own, compiled for real,
    is make check-slow's: test_reproducible.py.)"""
    dest = tmp_path_factory.mktemp("elsewhere")
    return CountedBuild(*counted(SESSION_CCACHE_DIR,
                                 lambda: build_elsewhere(dest, ccache=True, TR_PACKAGE_LINUX="n")))


@pytest.fixture(scope="session")
def rootfs_build(tmp_path_factory):
    """The default configuration without the kernel, for variants of the
    initramfs: they boot with the default image's kernel. Through the
    session's compiler cache, as its variants recompile BusyBox."""
    b = default_configuration(session_build_dir(tmp_path_factory, "rootfs"), ccache=True, TR_PACKAGE_LINUX="n")
    b.make_all()
    return b
