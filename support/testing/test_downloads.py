"""Downloads: sites in order, verification, atomicity, and every bad input."""
import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from conftest import TOPDIR, Build, error_lines, make_tarball, path_without, sha256


def no_partial_files(dl_dir):
    return [p.name for p in dl_dir.iterdir() if ".part" in p.name] if dl_dir.exists() else []


def test_upstream_site_over_http(build, http_mirror):
    build.set_config(TR_PRIMARY_SITE='""', TR_TEST_UPSTREAM_SITE=f'"{http_mirror}"')
    build.make()
    origin = (build.package_dir("hello") / "source-origin").read_text()
    assert origin.startswith(f"{http_mirror}/hello-1.0.tar.gz ")
    assert (build.dl_dir / "hello-1.0.tar.gz").exists()


def test_sites_in_order_primary_then_upstream_then_backup(build, package_tree, http_mirror):
    # The primary mirror lacks the files, upstream is closed: the backup serves.
    build.set_config(TR_PRIMARY_SITE=f'"file://{package_tree.root}/empty"',
                     TR_BACKUP_SITE=f'"{http_mirror}"')
    build.make()
    log = (build.package_dir("hello") / "download.log").read_text()
    tried = [line.split("trying ")[1] for line in log.splitlines() if "trying " in line]
    assert tried[0].startswith(f"file://{package_tree.root}/empty")
    assert tried[1].startswith("http://127.0.0.1:9/")
    assert tried[2].startswith(http_mirror)


def test_download_dir_is_tried_first_and_shared(build, tmp_path, package_tree):
    build.make()
    other = Build(tmp_path / "other", build.dl_dir, external=package_tree.external)
    other.make("test_defconfig")
    other.set_config(TR_PRIMARY_SITE='"file:///nonexistent"')
    other.make()
    assert "trying" not in (other.package_dir("hello") / "download.log").read_text()


def test_dl_dir_from_environment_overrides_config(build, tmp_path):
    build.set_config(TR_DL_DIR=f'"{tmp_path}/from-config"')
    build.make("hello-source")
    assert (build.dl_dir / "hello-1.0.tar.gz").exists()
    assert not (tmp_path / "from-config").exists()
    build.make("goodbye-source", env={"TR_DL_DIR": ""})  # empty: the configuration's
    assert (tmp_path / "from-config" / "goodbye-1.0.tar.gz").exists()


def test_make_source_then_build_offline(build):
    build.make("source")
    build.set_config(TR_PRIMARY_SITE='"file:///nonexistent"')
    build.make()
    assert (build.target("/usr/bin/hello")).exists()


@pytest.mark.parametrize("damage", ["corrupted", "truncated"])
def test_bad_tarball_is_refused_and_not_kept(build, package_tree, damage):
    tarball = package_tree.mirror / "goodbye-1.0.tar.gz"
    expected = sha256(tarball)
    data = tarball.read_bytes()
    tarball.write_bytes(data[:-20] + b"x" * 20 if damage == "corrupted" else data[: len(data) // 2])
    result = build.make(check=False)
    assert result.returncode != 0
    mismatch = [line for line in result.stdout.splitlines() if "sha256 mismatch" in line]
    assert mismatch and expected in mismatch[0] and sha256(tarball) in mismatch[0]
    assert "goodbye-1.0.tar.gz" in mismatch[0]
    assert not (build.dl_dir / "goodbye-1.0.tar.gz").exists()
    assert no_partial_files(build.dl_dir) == []
    assert not (build.package_dir("goodbye") / ".stamp_downloaded").exists()


def test_corrupted_copy_in_download_dir_is_replaced(build):
    build.make("goodbye-source")
    copy = build.dl_dir / "goodbye-1.0.tar.gz"
    good = copy.read_bytes()
    copy.write_bytes(b"garbage")
    build.make("goodbye-dirclean")
    build.make("goodbye")
    assert copy.read_bytes() == good


def test_missing_hash_entry(build, package_tree):
    package_tree.add_tarball("hello", "2.0", pin=False)
    build.set_config(TR_PACKAGE_HELLO_VERSION='"2.0"')
    result = build.make(check=False)
    assert result.returncode != 0
    lines = [line for line in error_lines(result.stdout) if "no sha256" in line]
    assert lines and "hello-2.0.tar.gz" in lines[0] and "hello.hash" in lines[0]
    assert "add a line" in lines[0]
    assert not (build.dl_dir / "hello-2.0.tar.gz").exists()


def test_every_site_failing_names_each_site(build, package_tree):
    build.set_config(TR_PRIMARY_SITE=f'"file://{package_tree.root}/nowhere"',
                     TR_BACKUP_SITE='"http://127.0.0.1:9/backup"')
    start = time.monotonic()
    result = build.make(check=False)
    assert time.monotonic() - start < 60, "an unreachable site must fail fast"
    assert result.returncode != 0
    line = next(line for line in error_lines(result.stdout) if "no site could provide" in line)
    assert f"file://{package_tree.root}/nowhere" in line
    assert "http://127.0.0.1:9/unreachable" in line and "http://127.0.0.1:9/backup" in line


def test_download_dir_not_writable(build, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = build.make(env={"TR_DL_DIR": str(blocker / "dl")}, check=False)
    assert result.returncode != 0
    lines = [line for line in error_lines(result.stdout) if "not writable" in line]
    assert lines and str(blocker / "dl") in lines[0] and "TR_DL_DIR" in lines[0]


def test_missing_host_tool_is_named_with_the_fix(build, tmp_path):
    result = build.make(env={"PATH": path_without("cpio", tmp_path / "bin")}, check=False)
    assert result.returncode != 0
    lines = [line for line in error_lines(result.stdout) if "missing host tools" in line]
    assert lines and "cpio" in lines[0] and "install-host-deps" in lines[0]


def test_musl_without_musl_gcc_is_named(build, tmp_path):
    build.set_config(TR_TOOLCHAIN_MUSL="y")
    result = build.make(env={"PATH": path_without("musl-gcc", tmp_path / "bin")}, check=False)
    assert result.returncode != 0
    lines = [line for line in error_lines(result.stdout) if "missing host tools" in line]
    assert lines and "musl-gcc" in lines[0] and "install-host-deps" in lines[0]


class StallingServer:
    """Serves the first half of a file, then stalls until stopped."""

    def __init__(self, data):
        self.data = data
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.stop = threading.Event()
        self.served = threading.Event()
        threading.Thread(target=self.serve, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def serve(self):
        conn, _ = self.sock.accept()
        conn.recv(4096)
        conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n" % len(self.data))
        conn.sendall(self.data[: len(self.data) // 2])
        self.served.set()
        self.stop.wait(60)
        conn.close()


def interrupt(build, wait_for, timeout=30):
    """Starts make, waits for wait_for(make's process group), sends Ctrl-C
    to that process group. make gets SIGINT's default action, as one typed
    at a terminal has, even where the suite runs with SIGINT ignored (an
    asynchronous command of a non-interactive shell inherits that, and so
    would make's steps: the Ctrl-C would reach no one)."""
    env = dict(os.environ, TR_DL_DIR=str(build.dl_dir))
    proc = subprocess.Popen(["make", f"O={build.out}"], cwd=TOPDIR, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + timeout
    while not wait_for(proc.pid):
        assert time.monotonic() < deadline and proc.poll() is None, "never reached the step"
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)
    proc.communicate(timeout=30)
    return proc.returncode


def test_ctrl_c_during_download_then_resume(build, package_tree):
    tarball = package_tree.mirror / "goodbye-1.0.tar.gz"
    server = StallingServer(tarball.read_bytes())
    build.set_config(TR_PRIMARY_SITE='""', TR_TEST_UPSTREAM_SITE=f'"{server.url}"',
                     TR_PACKAGE_HELLO="n")
    try:
        assert interrupt(build, lambda _: server.served.is_set()) != 0
    finally:
        server.stop.set()
    assert not (build.dl_dir / "goodbye-1.0.tar.gz").exists()
    assert no_partial_files(build.dl_dir) == []
    assert not (build.package_dir("goodbye") / ".stamp_downloaded").exists()
    build.set_config(TR_PRIMARY_SITE=f'"file://{package_tree.mirror}"')
    build.make()
    assert build.target("/usr/bin/goodbye").exists()


def sleeping(seconds, process_group):
    """Whether the test package's build step, in make's process group, is in
    its sleep: a Ctrl-C sent while the step is still starting could reach
    the shell before it forks the sleep, which would then outlive make's
    wait. (Any other sleep on the machine, an earlier test's among them,
    does not count.)"""
    wanted = f"sleep\0{seconds}\0".encode()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if Path(f"/proc/{pid}/cmdline").read_bytes() == wanted and \
                    os.getpgid(int(pid)) == process_group:
                return True
        except OSError:  # gone meanwhile
            pass
    return False


def test_ctrl_c_during_build_then_resume(build):
    build.set_config(TR_TEST_BUILD_SECONDS="30", TR_PACKAGE_HELLO="n")
    log = build.package_dir("goodbye") / "build.log"
    assert interrupt(build, lambda make: log.exists() and sleeping(30, make)) != 0
    assert not (build.package_dir("goodbye") / ".stamp_built").exists()
    build.set_config(TR_TEST_BUILD_SECONDS="0")
    build.make()
    assert build.target("/usr/bin/goodbye").exists()


def test_concurrent_builds_share_the_download_dir(tmp_path, package_tree):
    """Two builds at once, one download directory: the lock makes the second
    wait, then take the first one's verified copy instead of fetching again."""
    import functools
    import http.server
    from conftest import QuietHandler

    requests = []

    class SlowHandler(QuietHandler):
        def do_GET(self):
            requests.append(self.path)
            time.sleep(1.5)
            super().do_GET()

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(SlowHandler, directory=str(package_tree.mirror)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    builds = []
    try:
        for name in ("one", "two"):
            b = Build(tmp_path / name, tmp_path / "dl", external=package_tree.external)
            b.make("test_defconfig")
            b.set_config(TR_PRIMARY_SITE='""', TR_TEST_UPSTREAM_SITE=f'"{url}"')
            builds.append(b)
        env = dict(os.environ, TR_DL_DIR=str(tmp_path / "dl"))
        procs = [subprocess.Popen(["make", f"O={b.out}", f"TR_EXTERNAL={b.external}", "hello-source"],
                                  cwd=TOPDIR, env=env, text=True, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT) for b in builds]
        outputs = [p.communicate(timeout=120)[0] for p in procs]
    finally:
        server.shutdown()
        server.server_close()
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert requests.count("/hello-1.0.tar.gz") == 1, requests
    assert sha256(tmp_path / "dl" / "hello-1.0.tar.gz") == sha256(package_tree.mirror / "hello-1.0.tar.gz")
    assert no_partial_files(tmp_path / "dl") == []


def debian_file(build, package_tree, name="hello_1.0+dfsg.orig.tar.gz"):
    """hello's source repacked under Debian's kind of name, pinned under that
    name and kept in the download directory (as an earlier download from the
    Debian archive leaves it); no site has hello's own tarball."""
    tarball = make_tarball(TOPDIR / "support/testing/sources/hello", "hello", "1.0", package_tree.root)
    repacked = build.dl_dir / name
    build.dl_dir.mkdir(parents=True, exist_ok=True)
    tarball.rename(repacked)
    package_tree.pin("hello", name, sha256(repacked))
    (package_tree.mirror / "hello-1.0.tar.gz").unlink()
    build.set_config(TR_TEST_DEBIAN_ORIG=f'"{name}"', TR_PRIMARY_SITE=f'"file://{package_tree.mirror}"')
    return repacked


def test_debian_repacked_file_builds_offline_under_its_own_name(build, package_tree):
    repacked = debian_file(build, package_tree)
    build.make()
    assert build.target("/usr/bin/hello").exists()
    hello = build.package_dir("hello")
    assert (hello / "source-name").read_text().strip() == repacked.name
    assert (hello / "source-origin").read_text().split() == [str(build.dl_dir), sha256(repacked)]
    assert not (build.dl_dir / "hello-1.0.tar.gz").exists()


def test_corrupted_debian_file_is_removed_and_not_used(build, package_tree):
    repacked = debian_file(build, package_tree)
    repacked.write_bytes(b"garbage")
    result = build.make(check=False)
    assert result.returncode != 0
    line = next(line for line in error_lines(result.stdout) if "no site could provide" in line)
    assert f"{repacked.name} from {build.dl_dir}: sha256 mismatch" in line and "removed" in line
    assert not repacked.exists()
    assert not (build.package_dir("hello") / ".stamp_downloaded").exists()
