"""make graph-build: the last build as a timeline, PNG and SVG, and the
failed steps the build-time log records for it."""
import subprocess

from conftest import TOPDIR

GRAPH_BUILD = TOPDIR / "support" / "scripts" / "graph-build"

# An earlier make, then, after a pause, the last one: alpha and beta build
# side by side (0-10 s and 5-15 s), gamma's download fails.
LOG = """\
1000.0 1030.0 old build
1000.0 1040.0 alpha build
2000.0 2010.0 alpha build
2005.0 2015.0 beta build
2001.0 2001.5 gamma download failed
"""


def graph(log_text, outdir):
    log = outdir.parent / f"{outdir.name}.log"
    log.write_text(log_text)
    subprocess.run([str(GRAPH_BUILD), str(log), str(outdir)], check=True)
    return (outdir / "build.svg").read_text()


def test_timeline_of_the_last_build_with_wall_time_and_failed_steps(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    svg = graph(LOG, first)
    assert "Build timeline: 15.0 s wall time" in svg  # not 20 s: the builds overlap
    assert ">failed</text>" in svg and ">build</text>" in svg
    assert ">gamma</text>" in svg and ">old</text>" not in svg  # old: an earlier make
    graph(LOG, second)
    for name in ("build.svg", "build.png"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    assert (first / "build.png").read_bytes().startswith(b"\x89PNG")


def test_failed_step_is_recorded_and_drawn(build, package_tree):
    tarball = package_tree.mirror / "goodbye-1.0.tar.gz"
    tarball.write_bytes(tarball.read_bytes()[:100])
    result = build.make("goodbye", check=False)
    assert result.returncode != 0
    assert "goodbye 1.0: Downloading failed, full log" in result.stdout
    log = (build.out / "build" / "build-time.log").read_text().splitlines()
    start, end, package, step, status = log[-1].split()
    assert (package, step, status) == ("goodbye", "download", "failed")
    assert float(start) <= float(end)
    build.make("graph-build")
    svg = (build.out / "graphs" / "build.svg").read_text()
    assert ">failed</text>" in svg and ">goodbye</text>" in svg
    assert (build.out / "graphs" / "build.png").exists()
