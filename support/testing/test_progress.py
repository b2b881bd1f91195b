"""The progress line of a step: kept up to date on a terminal (elapsed
time, kbuild's files so far, the last run's duration), plain lines
elsewhere. The ticker test package's build prints "  CC      objN.o" once a
second for four seconds."""
import os
import re

import pexpect

from conftest import TOPDIR

ERASE = "\x1b[K"  # the end of every in-place update


def make_on_terminal(build, *args):
    """make under a pseudo-terminal: (exit status, output)."""
    env = dict(os.environ, TR_DL_DIR=str(build.dl_dir), TERM="xterm")
    env.pop("MAKEFLAGS", None)
    child = pexpect.spawn("make", [f"O={build.out}", f"TR_EXTERNAL={build.external}", *args],
                          cwd=str(TOPDIR), env=env, encoding="utf-8", timeout=600)
    output = child.read()
    child.close()
    return child.exitstatus, output


def test_terminal_shows_elapsed_time_files_and_last_time(build):
    build.set_config(TR_PACKAGE_TICKER="y")
    status, out = make_on_terminal(build, "ticker")
    assert status == 0, out
    counts = [int(n) for n in re.findall(r"\r>>> ticker 1\.0 Building \(\d+ s, (\d+) files?\)", out)]
    assert counts and counts == sorted(counts) and counts[-1] >= 1, out
    assert re.search(rf"\r>>> ticker 1\.0 Building{re.escape(ERASE)} \(4\.\d s\)\r\n", out), out
    assert "last time" not in out
    status, out = make_on_terminal(build, "ticker-rebuild")
    assert status == 0, out
    assert re.search(r"\r>>> ticker 1\.0 Building \(\d+ s, .*about 4 s last time\)", out), out


def test_plain_lines_when_not_a_terminal(build):
    build.set_config(TR_PACKAGE_TICKER="y")
    for target in ("ticker", "ticker-rebuild"):
        out = build.make(target).stdout
        assert "\r" not in out and "\x1b" not in out
        assert re.search(r"^>>> ticker 1\.0 Building \(4\.\d s\)$", out, re.M), out


def test_parallel_build_on_a_terminal_prints_whole_lines(build):
    build.set_config(TR_PACKAGE_TICKER="y")
    status, out = make_on_terminal(build, "-j2", "ticker")
    assert status == 0, out
    assert ERASE not in out
    assert re.search(r"^>>> ticker 1\.0 Building done \(4\.\d s\)\r$", out, re.M), out


def test_failure_on_a_terminal_is_reported_as_ever(build, package_tree):
    tarball = package_tree.mirror / "goodbye-1.0.tar.gz"
    tarball.write_bytes(tarball.read_bytes()[:100])
    status, out = make_on_terminal(build, "goodbye")
    assert status != 0
    assert re.search(r"^tinyroot: goodbye 1\.0: Downloading failed, full log: ", out, re.M), out
    assert not (build.package_dir("goodbye") / ".stamp_downloaded").exists()
