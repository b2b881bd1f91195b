"""The package layer: steps, stamps, exact rebuilds, the assembled target."""
import re
import subprocess

from conftest import TOPDIR


def run(path):
    return subprocess.run([str(path)], text=True, check=True, stdout=subprocess.PIPE).stdout


def cpio_names(build):
    data = build.initramfs_cpio()
    listing = subprocess.run(["cpio", "-t", "--quiet"], input=data, check=True,
                             stdout=subprocess.PIPE).stdout.decode()
    return set(listing.split())


def steps_run(output):
    """('hello', 'Building') for each progress line of a make run."""
    labels = "Downloading|Extracting|Patching|Configuring|Building|Installing|Assembling|Packing"
    return set(re.findall(rf"^>>> (\S+)(?: \S+)? ({labels})", output, re.M))


def test_build_installs_packages_and_their_dependency(build):
    out = build.make().stdout
    assert run(build.target("/usr/bin/hello")) == "Hello, world!\n"
    assert run(build.target("/usr/bin/goodbye")) == "goodbye\n"
    assert {("libgreet", "Installing"), ("hello", "Building"), ("rootfs", "Packing")} <= steps_run(out)
    # libgreet installs only to staging: nothing of it in the target.
    assert not build.target("/usr/lib/libgreet.a").exists()
    assert {"usr/bin/hello", "usr/bin/goodbye", "usr/share/hello/message.txt"} <= cpio_names(build)
    for step in ("download", "extract", "patch", "configure", "build", "install"):
        assert (build.package_dir("hello") / f"{step}.log").exists()
    log = (build.out / "build" / "build-time.log").read_text().split("\n")
    assert any(line.endswith(" hello build") for line in log)


def test_noop_make_does_nothing_and_says_so(build):
    build.make()
    stamps = {p: p.stat().st_mtime_ns for p in (build.out / "build").rglob(".stamp_*")}
    timelog = (build.out / "build" / "build-time.log").read_text()
    # No network either: the mirror is gone.
    build.set_config(TR_PRIMARY_SITE='"file:///nonexistent"')
    build.make()  # the site is not a symbol of any package: nothing rebuilds
    out = build.make().stdout
    assert "nothing to do" in out
    assert steps_run(out) == set()
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps
    assert (build.out / "build" / "build-time.log").read_text() == timelog


def test_package_symbol_change_rebuilds_only_that_package(build):
    build.make()
    goodbye = build.target("/usr/bin/goodbye")
    goodbye_install = build.package_dir("goodbye") / "target/usr/bin/goodbye"
    before = goodbye_install.stat().st_mtime_ns
    build.set_config(TR_PACKAGE_HELLO_MESSAGE='"there"')
    out = build.make().stdout
    assert run(build.target("/usr/bin/hello")) == "Hello, there!\n"
    assert build.target("/usr/share/hello/message.txt").read_text() == "there\n"
    ran = steps_run(out)
    assert ("hello", "Configuring") in ran and ("hello", "Building") in ran
    assert not any(pkg in ("goodbye", "libgreet") for pkg, _ in ran)
    assert goodbye_install.stat().st_mtime_ns == before
    assert run(goodbye) == "goodbye\n"


def test_rebuilt_dependency_rebuilds_its_dependents(build):
    build.make()
    build.set_config(TR_PACKAGE_LIBGREET_GREETING='"Hi"')
    ran = steps_run(build.make().stdout)
    assert ("libgreet", "Building") in ran and ("hello", "Building") in ran
    assert not any(pkg == "goodbye" for pkg, _ in ran)
    assert run(build.target("/usr/bin/hello")) == "Hi, world!\n"


def test_version_change_builds_the_new_version(build, package_tree):
    build.make()
    package_tree.add_tarball("hello", "1.1")
    build.set_config(TR_PACKAGE_HELLO_VERSION='"1.1"')
    ran = steps_run(build.make().stdout)
    assert ("hello", "Downloading") in ran
    assert (build.package_dir("hello", "1.1") / ".stamp_installed").exists()
    assert not any(pkg == "goodbye" for pkg, _ in ran)


def test_deselected_package_leaves_the_target(build):
    build.make()
    assert build.target("/usr/bin/goodbye").exists()
    build.set_config(TR_PACKAGE_GOODBYE="n")
    build.make()
    assert not build.target("/usr/bin/goodbye").exists()
    assert "usr/bin/goodbye" not in cpio_names(build)
    assert build.target("/usr/bin/hello").exists()


def test_patches_are_applied_in_order_and_tracked(build, package_tree):
    build.make()
    pkgdir = package_tree.external / "package" / "goodbye"
    (pkgdir / "1.0").mkdir()
    patch = """--- a/goodbye.c
+++ b/goodbye.c
@@ -3,6 +3,6 @@
 
 int main(void)
 {
-\tputs(WORDS);
+\tputs(WORDS " (patched)");
 \treturn 0;
 }
"""
    (pkgdir / "1.0" / "0001-patched.patch").write_text(patch)
    ran = steps_run(build.make().stdout)
    assert ("goodbye", "Extracting") in ran and ("goodbye", "Patching") in ran
    assert run(build.target("/usr/bin/goodbye")) == "goodbye (patched)\n"
    # Edited in place: the same name, another change.
    (pkgdir / "1.0" / "0001-patched.patch").write_text(patch.replace("(patched)", "(edited)"))
    build.make()
    assert run(build.target("/usr/bin/goodbye")) == "goodbye (edited)\n"
    (pkgdir / "1.0" / "0001-patched.patch").unlink()
    build.make()
    assert run(build.target("/usr/bin/goodbye")) == "goodbye\n"


def test_parallel_build_respects_dependencies(build):
    # Each build step sleeps: independent packages must overlap under -j.
    build.set_config(TR_TEST_BUILD_SECONDS="2")
    build.make("-j3")
    spans = {}
    for line in (build.out / "build" / "build-time.log").read_text().splitlines():
        start, end, package, step = line.split()
        spans[(package, step)] = (float(start), float(end))
    assert spans[("libgreet", "install")][1] <= spans[("hello", "configure")][0]
    goodbye, libgreet = spans[("goodbye", "build")], spans[("libgreet", "build")]
    assert goodbye[0] < libgreet[1] and libgreet[0] < goodbye[1], "builds did not overlap"
    assert run(build.target("/usr/bin/hello")) == "Hello, world!\n"


def test_override_srcdir_builds_and_resyncs_local_sources(build, tmp_path):
    build.make()
    src = tmp_path / "goodbye-src"
    subprocess.run(["cp", "-a", str(TOPDIR / "support/testing/sources/goodbye"), str(src)], check=True)
    (src / "goodbye.c").write_text((src / "goodbye.c").read_text().replace("WORDS", '"mine"'))
    (build.out / "local.mk").write_text(f"GOODBYE_OVERRIDE_SRCDIR = {src}\n")
    build.make()
    assert run(build.target("/usr/bin/goodbye")) == "mine\n"
    source = (src / "goodbye.c").read_text()
    (src / "goodbye.c").write_text(source.replace('puts("mine")', 'puts("local")'))
    ran = steps_run(build.make().stdout)
    assert ("goodbye", "Building") in ran and not any(p == "hello" for p, _ in ran)
    assert run(build.target("/usr/bin/goodbye")) == "local\n"
    assert "nothing to do" in build.make().stdout
    # Without the override, the tarball's source again.
    (build.out / "local.mk").unlink()
    ran = steps_run(build.make().stdout)
    assert ("goodbye", "Extracting") in ran and not any(p == "hello" for p, _ in ran)
    assert run(build.target("/usr/bin/goodbye")) == "goodbye\n"


def test_per_package_targets(build):
    build.make("hello-source")
    assert (build.package_dir("hello") / ".stamp_downloaded").exists()
    assert not (build.package_dir("hello") / ".stamp_extracted").exists()
    build.make("hello")
    assert (build.package_dir("hello") / ".stamp_installed").exists()
    assert not (build.package_dir("goodbye") / ".stamp_downloaded").exists()
    ran = steps_run(build.make("hello-rebuild").stdout)
    assert ran == {("hello", "Building"), ("hello", "Installing")}
    ran = steps_run(build.make("hello-reconfigure").stdout)
    assert ran == {("hello", "Configuring"), ("hello", "Building"), ("hello", "Installing")}
    build.make("hello-dirclean")
    assert not build.package_dir("hello").exists()


def test_clean_and_distclean(build):
    build.make()
    build.make("clean")
    assert not (build.out / "build" / "hello-1.0").exists() and build.config_path.exists()
    build.make("distclean")
    assert not build.config_path.exists()
    assert (build.dl_dir / "hello-1.0.tar.gz").exists(), "a TR_DL_DIR download dir is kept"


def test_graph_build_draws_every_package(build):
    build.make()
    build.make("graph-build")
    svg = (build.out / "graphs" / "build.svg").read_text()
    assert "<svg" in svg
    for name in ("hello", "goodbye", "libgreet", "rootfs"):
        assert f">{name}</text>" in svg


def test_sub_makes_do_not_inherit_o_and_v(build):
    build.make("V=1")
    log = (build.package_dir("goodbye") / "build.log").read_text()
    assert "what tinyroot's make passed down: O=[] V=[]" in log


def test_hash_line_of_another_version_changes_nothing(build, package_tree):
    build.make()
    package_tree.pin("hello", "hello-9.9.tar.gz", "0" * 64)
    out = build.make().stdout
    assert "nothing to do" in out, out


def test_dl_dir_from_environment_reaches_sub_makes(build, tmp_path):
    """<pkg>-rebuild runs make again: it must download where its parent would."""
    build.make("hello-rebuild")
    assert (build.dl_dir / "hello-1.0.tar.gz").exists()
    assert not (TOPDIR / "hello-1.0.tar.gz").exists() and not (TOPDIR / '""').exists()


def test_failing_step_names_the_step_the_log_and_its_last_lines(build, tmp_path):
    src = tmp_path / "goodbye-src"
    subprocess.run(["cp", "-a", str(TOPDIR / "support/testing/sources/goodbye"), str(src)], check=True)
    (src / "goodbye.c").write_text((src / "goodbye.c").read_text().replace("return 0;", "return 0"))
    (build.out / "local.mk").write_text(f"GOODBYE_OVERRIDE_SRCDIR = {src}\n")
    result = build.make(check=False)
    assert result.returncode != 0
    log = build.package_dir("goodbye") / "build.log"
    assert f"tinyroot: goodbye 1.0: Building failed, full log: {log}" in result.stdout
    assert "tinyroot: goodbye 1.0: Building failed (exit status" in result.stdout
    tail = result.stdout.split("last lines of")[1]
    assert "error: expected" in tail                   # the compiler's words, from the log
    assert not (build.package_dir("goodbye") / ".stamp_built").exists()


def test_overlay_and_post_build_script(build, tmp_path):
    overlay = tmp_path / "overlay"
    (overlay / "etc").mkdir(parents=True)
    (overlay / "etc" / "motd").write_text("overlaid\n")
    (overlay / "etc" / "board_defconfig").write_text("a file, not a make goal\n")
    script = tmp_path / "post-build.sh"
    script.write_text('#!/bin/sh\necho "$TARGET_DIR" >"$1/etc/post-build-ran"\n')
    script.chmod(0o755)
    config_before = build.config()
    build.set_config(TR_ROOTFS_OVERLAY=f'"{overlay}"', TR_ROOTFS_POST_BUILD_SCRIPT=f'"{script}"')
    build.make()
    assert build.target("/etc/motd").read_text() == "overlaid\n"
    assert build.target("/etc/board_defconfig").exists()
    assert build.target("/etc/post-build-ran").read_text().strip() == str(build.out / "target")
    assert {"etc/motd", "etc/post-build-ran"} <= cpio_names(build)
    assert build.config()["TR_PACKAGE_HELLO"] == config_before["TR_PACKAGE_HELLO"]
    # An edit in the overlay repacks the image, and only that.
    (overlay / "etc" / "motd").write_text("edited\n")
    assert steps_run(build.make().stdout) == {("rootfs", "Assembling"), ("rootfs", "Packing")}
    assert build.target("/etc/motd").read_text() == "edited\n"
