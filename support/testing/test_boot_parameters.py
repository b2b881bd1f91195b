"""Boot parameters reach the image's init as environment variables: the
kernel hands every unknown name=value to PID 1. tinyinit's test hooks must
not be among the variables it honours there."""
import subprocess

from conftest import TOPDIR

START = str(TOPDIR / "board/qemu/start.sh")


def test_tinyinit_test_hooks_are_not_in_the_image(default_image):
    """TINYINIT_ROOT and TINYINIT_CONSOLE are compiled only into the tests'
    builds (-DTINYINIT_TEST_HOOKS): on the kernel command line they would
    redirect every path the init uses."""
    result = subprocess.run(
        [START, "--output", str(default_image.out), "--accel", "tcg",
         "--append", "TINYINIT_ROOT=/nonexistent TINYINIT_CONSOLE=/nonexistent",
         "--net", "none", "--exec", "echo hooks-ignored"],
        text=True, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "hooks-ignored" in result.stdout.splitlines(), result.stdout
    assert "tinyinit:" not in result.stdout
