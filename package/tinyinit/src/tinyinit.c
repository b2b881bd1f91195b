/*
 * tinyinit: tinyroot's PID 1. Mounts the virtual filesystems, runs
 * /etc/init.d/rcS, then a shell on each console (or, in exec mode, one
 * command on the primary one), reaps every process, and shuts down on the
 * signals BusyBox's poweroff, reboot and halt send. Described in
 * docs/manual.md (The C init).
 *
 * All signals stay blocked in PID 1 and are taken with sigtimedwait, so
 * everything happens in one loop (wait_for) and nothing in signal handlers.
 * (Not signalfd: it needs CONFIG_SIGNALFD, which tinyconfig leaves out.)
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "parse.h"

/* Build-time defaults (the package layer passes its menu's choices). */
#ifndef TINYINIT_LOGLEVEL
#define TINYINIT_LOGLEVEL "2 4 1 7"
#endif
#ifndef TINYINIT_SHELL
#define TINYINIT_SHELL "/bin/sh"
#endif
#ifndef TINYINIT_RESPAWN
#define TINYINIT_RESPAWN 0
#endif
#ifndef TINYINIT_GRACE_MS
#define TINYINIT_GRACE_MS 2000
#endif

/* Respawns: at most RATELIMIT_BURST within this window, then a pause as long. */
#define RESPAWN_WINDOW_MS 5000
/* How long to wait for SIGKILLed processes to go (they may sit in the kernel). */
#define KILL_WAIT_MS 2000
#define DEFAULT_PATH "/sbin:/usr/sbin:/bin:/usr/bin"
/* The most consoles /sys/class/tty/console/active lists. */
#define MAX_CONSOLES 16

struct config {
	const char *root;       /* prefix of every path: "" but in test builds */
	const char *console;    /* the console device; NULL: look it up */
	const char *other_console; /* the tests': a second console's device */
	char shell[256];
	char loglevel[16];      /* empty: leave printk alone */
	bool respawn;
	char *exec;             /* exec mode's command; NULL: interactive shell */
	bool exec_invalid;      /* tinyinit_exec was given but is not valid hex */
	bool debug_exit;        /* tinyinit_debug_exit: power off by a write to */
	unsigned debug_exit_port; /* QEMU's isa-debug-exit device at this port */
};

/* What is mounted, in this order, and unmounted in reverse. */
static const struct mount_spec {
	const char *type, *path, *data;
	unsigned long flags;
} mounts[] = {
	{ "proc", "/proc", NULL, MS_NOSUID | MS_NODEV | MS_NOEXEC },
	{ "sysfs", "/sys", NULL, MS_NOSUID | MS_NODEV | MS_NOEXEC },
	{ "devtmpfs", "/dev", NULL, MS_NOSUID },
	{ "devpts", "/dev/pts", "mode=0620,ptmxmode=0666", MS_NOSUID | MS_NOEXEC },
	{ "tmpfs", "/dev/shm", "mode=1777", MS_NOSUID | MS_NODEV },
	{ "tmpfs", "/tmp", "mode=1777", MS_NOSUID | MS_NODEV },
	{ "tmpfs", "/run", "mode=0755", MS_NOSUID | MS_NODEV },
};
#define NMOUNTS (sizeof mounts / sizeof mounts[0])

enum event { EV_EXITED, EV_TIMEOUT, EV_SHUTDOWN };

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A message on stderr (the console), in one write so that lines from init
 * and its children do not mix. */
static void say(const char *fmt, ...)
{
	char line[PATH_MAX + 256] = "tinyinit: ";
	size_t n = strlen(line);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line + n, sizeof line - n - 1, fmt, ap);
	va_end(ap);
	n = strlen(line);
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0) {
		/* Nowhere to report that. */
	}
}

/* "tinyinit: <what> <path>: <strerror(errno)>" */
static void report(const char *what, const char *path)
{
	int err = errno;

	say("%s %s: %s", what, path, strerror(err));
	errno = err;
}

/* The one place paths are made: root prefix + printf-style path. */
static bool mkpath(const struct config *cfg, char out[PATH_MAX], const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static bool mkpath(const struct config *cfg, char out[PATH_MAX], const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(out, PATH_MAX, "%s", cfg->root);

	if (n >= 0 && n < PATH_MAX) {
		va_start(ap, fmt);
		int m = vsnprintf(out + n, PATH_MAX - (size_t)n, fmt, ap);
		va_end(ap);
		if (m >= 0 && m < PATH_MAX - n)
			return true;
	}
	say("path too long: %s...", out);
	return false;
}

static long long now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0) {
		report("clock_gettime", "CLOCK_MONOTONIC");
		return 0;
	}
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Reads a small file's start, without trailing whitespace; quiet when missing. */
static bool read_small_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		if (errno != ENOENT)
			report("open", path);
		return false;
	}
	ssize_t n = read(fd, buf, size - 1);
	if (n < 0)
		report("read", path);
	if (close(fd) < 0)
		report("close", path);
	if (n < 0)
		return false;
	while (n > 0 && strchr(" \t\n", buf[n - 1]))
		n--;
	buf[n] = '\0';
	return true;
}

/* Copies an environment variable into out (if set and it fits), then removes
 * it so that children do not see init's parameters. */
static bool take_env(const char *name, char *out, size_t size)
{
	const char *value = getenv(name);
	bool ok = value && strlen(value) < size;

	if (value && !ok)
		say("ignoring %s: too long", name);
	if (ok)
		strcpy(out, value);
	if (value && unsetenv(name) < 0)
		report("unsetenv", name);
	return ok;
}

static void read_exec(struct config *cfg)
{
	const char *hex = getenv("tinyinit_exec");

	/* Empty ("tinyinit_exec=" on the command line): the interactive shell. */
	if (hex && *hex) {
		cfg->exec = malloc(strlen(hex) / 2 + 1);
		const char *err = cfg->exec ? hex_decode(hex, cfg->exec) : strerror(errno);
		if (err) {
			say("tinyinit_exec: %s; the command is not run", err);
			free(cfg->exec);
			cfg->exec = NULL;
			cfg->exec_invalid = true;
		}
	}
	if (hex && unsetenv("tinyinit_exec") < 0)
		report("unsetenv", "tinyinit_exec");
}

/* tinyinit_loglevel, else the built-in default; empty: leave printk alone. */
static void read_loglevel(struct config *cfg)
{
	char value[256];

	if (take_env("tinyinit_loglevel", value, sizeof value)) {
		if (!*value || loglevel_normalize(value, cfg->loglevel, sizeof cfg->loglevel))
			return;
		say("ignoring tinyinit_loglevel=%s: expected e.g. 2,4,1,7 or 3", value);
	}
	if (*TINYINIT_LOGLEVEL &&
	    !loglevel_normalize(TINYINIT_LOGLEVEL, cfg->loglevel, sizeof cfg->loglevel))
		say("ignoring the built-in console log level \"%s\"", TINYINIT_LOGLEVEL);
}

/* The built-in defaults, and where the tests' builds redirect the init. */
static void config_defaults(struct config *cfg)
{
	*cfg = (struct config){ .root = "", .shell = TINYINIT_SHELL,
				.respawn = TINYINIT_RESPAWN };
#ifdef TINYINIT_TEST_HOOKS
	/* Only in the tests' builds: the kernel hands unknown boot parameters to
	 * PID 1 as environment variables, and these would redirect the image's
	 * init. */
	const char *root = getenv("TINYINIT_ROOT"), *console = getenv("TINYINIT_CONSOLE");
	const char *other = getenv("TINYINIT_OTHER_CONSOLE");
	if (root)
		cfg->root = root;
	if (console && *console)
		cfg->console = console;
	if (other && *other)
		cfg->other_console = other;
#endif
}

/* The boot parameters (tinyinit_*), from the environment. */
static void read_parameters(struct config *cfg)
{
	char value[256];

	if (take_env("tinyinit_shell", value, sizeof value) && *value)
		strcpy(cfg->shell, value);

	read_loglevel(cfg);

	if (take_env("tinyinit_respawn", value, sizeof value)) {
		if (strcmp(value, "0") == 0 || strcmp(value, "1") == 0)
			cfg->respawn = value[0] == '1';
		else
			say("ignoring tinyinit_respawn=%s: expected 0 or 1", value);
	}

	read_exec(cfg);

	/* Only start.sh passes it, with the device: on real hardware (or on the
	 * host, where the namespace tests run) the port is somebody else's. */
	if (take_env("tinyinit_debug_exit", value, sizeof value)) {
		cfg->debug_exit = parse_io_port(value, &cfg->debug_exit_port);
		if (!cfg->debug_exit)
			say("ignoring tinyinit_debug_exit=%s: expected an I/O port, 0 to 0xffff", value);
	}

	/* The kernel gives init no PATH; the shells have their own default, but
	 * rcS and the commands it runs may not. */
	if (setenv("PATH", DEFAULT_PATH, 0) < 0)
		report("setenv", "PATH");
}

/* A whole file, NUL-terminated, its length in *len; NULL, quietly when it
 * does not exist. */
static char *read_whole_file(const char *path, size_t *len)
{
	size_t size = 0;
	char *text = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		if (errno != ENOENT)
			report("open", path);
		return NULL;
	}
	*len = 0;
	for (;;) {
		if (*len == size) {
			size = size ? 2 * size : 4096;
			char *bigger = realloc(text, size + 1);
			if (!bigger) {
				report("realloc for", path);
				break;
			}
			text = bigger;
		}
		ssize_t n = read(fd, text + *len, size - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			report("read", path);
			break;
		}
		if (n == 0) {
			text[*len] = '\0';
			if (close(fd) < 0)
				report("close", path);
			return text;
		}
		*len += (size_t)n;
	}
	free(text);
	if (close(fd) < 0)
		report("close", path);
	return NULL;
}

/* Boot parameters from QEMU's fw_cfg: start.sh --exec passes them so on
 * the firmware paths, where the command line is the bootloader's, in the
 * image. The same tinyinit_NAME=VALUE words as on the kernel command line,
 * whose own words win. The sysfs file exists with CONFIG_FW_CFG_SYSFS. */
static void take_firmware_parameters(const struct config *cfg)
{
	char path[PATH_MAX], *word, *value;
	size_t len;

	if (!mkpath(cfg, path, "/sys/firmware/qemu_fw_cfg/by_name/opt/tinyroot/tinyinit/raw"))
		return;
	char *text = read_whole_file(path, &len), *cursor = text;
	if (!text)
		return;
	while ((word = next_word(&cursor, text + len))) {
		if (!split_parameter(word, &value))
			say("ignoring %s in %s: expected tinyinit_NAME=VALUE", word, path);
		else if (setenv(word, value, 0) < 0)
			report("setenv", word);
	}
	free(text);
}

/* True if path is a mount point: on another device than its parent. */
static bool is_mounted(const char *path)
{
	char parent[PATH_MAX];
	struct stat st, pst;

	if (snprintf(parent, sizeof parent, "%s/..", path) >= (int)sizeof parent)
		return false;
	return stat(path, &st) == 0 && stat(parent, &pst) == 0 && st.st_dev != pst.st_dev;
}

/* Mounts what is not mounted yet; mounted[i] says which ones to unmount. */
static void mount_all(const struct config *cfg, bool mounted[NMOUNTS])
{
	char path[PATH_MAX];

	for (size_t i = 0; i < NMOUNTS; i++) {
		const struct mount_spec *m = &mounts[i];

		mounted[i] = false;
		if (!mkpath(cfg, path, "%s", m->path))
			continue;
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			report("mkdir", path);
		if (is_mounted(path))
			continue;
		if (mount(m->type, path, m->type, m->flags, m->data) < 0) {
			char what[32];
			snprintf(what, sizeof what, "mount %s", m->type);
			report(what, path);
			continue;
		}
		mounted[i] = true;
	}
}

/* Unmounts in reverse order. All are virtual filesystems, with nothing to
 * write back, so one still busy (a process that SIGKILL could not end) is
 * detached rather than remounted read-only. */
static void unmount_all(const struct config *cfg, bool mounted[NMOUNTS])
{
	char path[PATH_MAX];

	for (size_t i = NMOUNTS; i-- > 0;) {
		if (!mounted[i] || !mkpath(cfg, path, "%s", mounts[i].path))
			continue;
		if (umount2(path, 0) == 0) {
			mounted[i] = false;
		} else if (errno == EBUSY && umount2(path, MNT_DETACH) == 0) {
			say("unmount %s: busy: detached it", path);
			mounted[i] = false;
		} else {
			report("unmount", path);
		}
	}
}

static int open_tty(const char *path)
{
	int fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		report("open", path);
	return fd;
}

/* The consoles the kernel writes to, the primary one last; 0 if it names
 * none that can be used. */
static size_t active_consoles(const struct config *cfg, char names[MAX_CONSOLES][CONSOLE_NAME_MAX])
{
	char active[MAX_CONSOLES * CONSOLE_NAME_MAX], path[PATH_MAX];

	if (!mkpath(cfg, path, "/sys/class/tty/console/active") ||
	    !read_small_file(path, active, sizeof active))
		return 0;
	return console_names(active, names, MAX_CONSOLES);
}

/* The console device. /dev/console cannot serve as a controlling terminal's
 * name, so, as BusyBox's cttyhack, open the real device behind it: the
 * primary console. */
static int open_console(const struct config *cfg)
{
	char names[MAX_CONSOLES][CONSOLE_NAME_MAX], path[PATH_MAX];

	if (cfg->console)
		return open_tty(cfg->console);
	size_t n = active_consoles(cfg, names);
	if (n > 0 && mkpath(cfg, path, "/dev/%s", names[n - 1])) {
		int fd = open_tty(path);
		if (fd >= 0)
			return fd;
	}
	return mkpath(cfg, path, "/dev/console") ? open_tty(path) : -1;
}

/* The kernel gives init the console as fds 0, 1 and 2, unless it found no
 * /dev/console; then fill them here, so that messages go somewhere. */
static void ensure_stdio(const struct config *cfg)
{
	for (int fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) >= 0)
			continue;
		int c = open_console(cfg);
		if (c < 0)
			c = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (c < 0)
			return;
		if (c == fd) {   /* opened right there, but close-on-exec */
			if (fcntl(fd, F_SETFD, 0) < 0)
				report("fcntl", "console");
			continue;
		}
		if (dup2(c, fd) < 0)
			report("dup2", "console");
		if (close(c) < 0)
			report("close", "console");
	}
}

static void set_loglevel(const struct config *cfg)
{
	char path[PATH_MAX];

	if (!*cfg->loglevel || !mkpath(cfg, path, "/proc/sys/kernel/printk"))
		return;
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0) {
		report("open", path);
		return;
	}
	size_t len = strlen(cfg->loglevel);
	if (write(fd, cfg->loglevel, len) != (ssize_t)len)
		report("write", path);
	if (close(fd) < 0)
		report("close", path);
}

static void set_hostname(const struct config *cfg)
{
	char path[PATH_MAX], name[65];

	if (!mkpath(cfg, path, "/etc/hostname") || !read_small_file(path, name, sizeof name))
		return;
	name[strcspn(name, " \t\n")] = '\0';
	if (*name && sethostname(name, strlen(name)) < 0)
		report("sethostname", name);
}

/* Every signal's default action. In PID 1 too: an inherited SIG_IGN for
 * SIGCHLD would make the kernel reap children unseen, and init would never
 * learn that the shell exited. */
static void default_signal_actions(void)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };

	/* Some numbers are reserved by the C library (EINVAL): skip them. */
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP && sigaction(sig, &dfl, NULL) < 0 &&
		    errno != EINVAL)
			report("sigaction", "SIG_DFL");
}

/* In the child: a new session, default signal handling, and, for a shell,
 * the console as controlling terminal so that job control and Ctrl-C work. */
static void child_setup(const struct config *cfg, bool on_console)
{
	sigset_t none;

	default_signal_actions();
	if (sigemptyset(&none) < 0 || sigprocmask(SIG_SETMASK, &none, NULL) < 0)
		report("sigprocmask", "SIG_SETMASK");
	if (setsid() < 0)
		report("setsid", "child");
	if (!on_console)
		return;

	/* Without a console the shell still runs, on init's stdio. */
	int fd = open_console(cfg);
	if (fd < 0)
		return;
	/* 1: take it even if another session still has it. */
	if (ioctl(fd, TIOCSCTTY, 1) < 0)
		report("ioctl TIOCSCTTY", "console");
	for (int i = 0; i < 3; i++)
		if (dup2(fd, i) < 0)
			report("dup2", "console");
	if (fd > 2 && close(fd) < 0)
		report("close", "console");
}

/* Starts file with argv in a child; returns its pid, or -1. */
static pid_t spawn(const struct config *cfg, const char *file, char *const argv[], bool on_console)
{
	pid_t pid = fork();

	if (pid < 0)
		report("fork for", file);
	if (pid != 0)
		return pid;
	child_setup(cfg, on_console);
	execv(file, argv);
	report("exec", file);
	_exit(127);
}

/* Reaps every child that has exited. Returns 1 if pid was among them (its
 * wait status in *status), -1 if no child is left, else 0. */
static int reap(pid_t pid, int *status)
{
	int found = 0, st;

	for (;;) {
		pid_t w = waitpid(-1, &st, WNOHANG);

		if (w > 0 && w == pid) {
			found = 1;
			*status = st;
		}
		if (w > 0)
			continue;
		if (w < 0 && errno != ECHILD)
			report("waitpid", "-1");
		return found ? 1 : (w < 0 && errno == ECHILD ? -1 : 0);
	}
}

/* The next signal, waiting at most timeout_ms (-1: forever); 0 if none. */
static int next_signal(const sigset_t *sigs, int timeout_ms)
{
	struct timespec ts = { timeout_ms / 1000, timeout_ms % 1000 * 1000000L };
	int sig = sigtimedwait(sigs, NULL, timeout_ms < 0 ? NULL : &ts);

	if (sig < 0 && errno != EAGAIN && errno != EINTR)
		report("sigtimedwait", "all signals");
	return sig < 0 ? 0 : sig;
}

/* The signals BusyBox's poweroff, halt and reboot (without -f) send to PID 1,
 * and SIGINT, the kernel's Ctrl-Alt-Del. 0: not a shutdown signal. */
static int shutdown_command(int sig)
{
	switch (sig) {
	case SIGUSR2:
		return RB_POWER_OFF;
	case SIGUSR1:
		return (int)RB_HALT_SYSTEM;
	case SIGTERM:
	case SIGINT:
		return RB_AUTOBOOT;
	default:
		return 0;
	}
}

/* Reaps children until pid exits (EV_EXITED, its wait status in *status), a
 * shutdown signal arrives (EV_SHUTDOWN, its reboot command in *cmd) or
 * timeout_ms passes (EV_TIMEOUT; -1: never). pid 0 waits for no child. */
static enum event wait_for(const sigset_t *sigs, pid_t pid, int timeout_ms, int *status,
			   int *cmd)
{
	long long deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;

	for (;;) {
		if (reap(pid, status) == 1)
			return EV_EXITED;
		long long left = deadline < 0 ? -1 : deadline - now_ms();
		if (deadline >= 0 && left <= 0)
			return EV_TIMEOUT;
		*cmd = shutdown_command(next_signal(sigs, (int)left));
		if (*cmd)
			return EV_SHUTDOWN;
	}
}

/* Sends sig to every other process, then reaps until none is left or
 * timeout_ms passes. Signals that arrive meanwhile are dropped. */
static void signal_all(const sigset_t *sigs, int sig, int timeout_ms)
{
	int status;
	long long deadline = now_ms() + timeout_ms;

	if (kill(-1, sig) < 0 && errno != ESRCH)
		report("kill", "-1");
	/* A stopped process handles SIGTERM only once continued. */
	if (sig == SIGTERM && kill(-1, SIGCONT) < 0 && errno != ESRCH)
		report("kill", "-1");
	while (reap(0, &status) != -1) {
		long long left = deadline - now_ms();
		if (left <= 0)
			return;
		next_signal(sigs, (int)left);
	}
}

static const char *reboot_name(int cmd)
{
	return cmd == RB_POWER_OFF ? "RB_POWER_OFF" :
	       cmd == (int)RB_HALT_SYSTEM ? "RB_HALT_SYSTEM" : "RB_AUTOBOOT";
}

/* reboot(2) from a child: when power-off or halt returns, the kernel ends
 * the calling process, and PID 1 must never end. (In a child PID namespace
 * the call ends the namespace's init instead, as SIGHUP or SIGINT would.) */
static void do_reboot(const sigset_t *sigs, int cmd)
{
	int status, ignored;
	pid_t pid = fork();

	if (pid < 0) {
		report("fork for reboot", reboot_name(cmd));
		return;
	}
	if (pid == 0)
		_exit(reboot(cmd) < 0 ? errno : 0);
	while (wait_for(sigs, pid, -1, &status, &ignored) != EV_EXITED)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
		errno = WEXITSTATUS(status);
		report("reboot", reboot_name(cmd));
	}
}

/* A byte written to QEMU's isa-debug-exit port ends QEMU at once, with
 * status (byte << 1) | 1: faster than the kernel's ACPI power-off. Returns
 * only if the write failed. Before unmount_all: /dev/port is on devtmpfs. */
static void debug_exit(const struct config *cfg)
{
	char path[PATH_MAX];
	const unsigned char byte = 0;

	if (!mkpath(cfg, path, "/dev/port"))
		return;
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		report("open", path);
		return;
	}
	if (pwrite(fd, &byte, 1, (off_t)cfg->debug_exit_port) != 1)
		report("write", path);
	if (close(fd) < 0)
		report("close", path);
}

/* The initramfs's filesystem types (linux/magic.h): memory only. */
#define RAMFS_MAGIC 0x858458f6
#define TMPFS_MAGIC 0x01021994

/* A root filesystem on a disk that is mounted read-write gets remounted
 * read-only, so that everything is on the disk before reboot(2) and it is
 * clean at the next boot. One mounted read-only (the disk image's default,
 * and squashfs always) and the initramfs, which has no disk, are left as
 * they are. */
static void remount_root_read_only(const struct config *cfg)
{
	char path[PATH_MAX];
	struct statfs st;

	if (!mkpath(cfg, path, "/"))
		return;
	/* (a test build's root is a directory, a mount point only if the test made it one) */
	if (cfg->root[0] && !is_mounted(path))
		return;
	if (statfs(path, &st) < 0) {
		report("statfs", path);
		return;
	}
	if ((st.f_flags & ST_RDONLY) || st.f_type == RAMFS_MAGIC || st.f_type == TMPFS_MAGIC)
		return;
	if (mount(NULL, path, NULL, MS_REMOUNT | MS_RDONLY, NULL) < 0)
		report("remount read-only", path);
}

static void shutdown_system(const struct config *cfg, const sigset_t *sigs, bool mounted[NMOUNTS],
			    int cmd)
{
	signal_all(sigs, SIGTERM, TINYINIT_GRACE_MS);
	signal_all(sigs, SIGKILL, KILL_WAIT_MS);
	sync();
	if (cfg->debug_exit && cmd == RB_POWER_OFF)
		debug_exit(cfg);
	unmount_all(cfg, mounted);
	remount_root_read_only(cfg);
	do_reboot(sigs, cmd);
}

/* Runs /etc/init.d/rcS, if there is one, to its end. Returns a shutdown
 * command if one arrived meanwhile, else 0. */
static int run_rcs(const struct config *cfg, const sigset_t *sigs)
{
	char path[PATH_MAX];
	int status, cmd;

	if (!mkpath(cfg, path, "/etc/init.d/rcS"))
		return 0;
	if (access(path, X_OK) < 0) {
		if (errno != ENOENT)
			report("not running", path);
		return 0;
	}
	char *argv[] = { path, NULL };
	pid_t pid = spawn(cfg, path, argv, false);
	if (pid < 0)
		return 0;
	if (wait_for(sigs, pid, -1, &status, &cmd) == EV_SHUTDOWN)
		return cmd;
	if (WIFSIGNALED(status))
		say("%s killed by signal %d", path, WTERMSIG(status));
	else if (WEXITSTATUS(status) != 0)
		say("%s exited with status %d", path, WEXITSTATUS(status));
	return 0;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* Exec mode: <shell> -c <command> on the console, then the status line. */
static int run_exec(const struct config *cfg, const sigset_t *sigs)
{
	char shell[PATH_MAX], line[64];
	int status, cmd;

	if (!mkpath(cfg, shell, "%s", cfg->shell))
		return RB_POWER_OFF;
	char *argv[] = { (char *)base_name(cfg->shell), "-c", cfg->exec, NULL };
	pid_t pid = spawn(cfg, shell, argv, true);
	if (pid < 0)
		return RB_POWER_OFF;
	if (wait_for(sigs, pid, -1, &status, &cmd) == EV_SHUTDOWN)
		return cmd;
	int len = format_exit_status(status, line, sizeof line);
	if (write(STDOUT_FILENO, line, (size_t)len) != len)
		report("write", "exit status");
	return RB_POWER_OFF;
}

/* The console shell, as a login shell ("-sh"); respawned if so configured,
 * at most RATELIMIT_BURST times in RESPAWN_WINDOW_MS. The running shell's
 * pid goes to *running, if given. */
static int run_shell(const struct config *cfg, const sigset_t *sigs, pid_t *running)
{
	char shell[PATH_MAX], arg0[sizeof cfg->shell + 1];
	struct ratelimit limit = { .window_ms = RESPAWN_WINDOW_MS };
	int status, cmd;

	if (!mkpath(cfg, shell, "%s", cfg->shell))
		return RB_POWER_OFF;
	snprintf(arg0, sizeof arg0, "-%s", base_name(cfg->shell));
	char *argv[] = { arg0, NULL };
	for (;;) {
		if (!ratelimit_allow(&limit, now_ms())) {
			say("%s respawning too fast: waiting %d s", shell, RESPAWN_WINDOW_MS / 1000);
			if (wait_for(sigs, 0, RESPAWN_WINDOW_MS, &status, &cmd) == EV_SHUTDOWN)
				return cmd;
			continue;
		}
		pid_t pid = spawn(cfg, shell, argv, true);
		if (running)
			*running = pid;
		if (pid > 0 && wait_for(sigs, pid, -1, &status, &cmd) == EV_SHUTDOWN)
			return cmd;
		if (!cfg->respawn)
			return RB_POWER_OFF;
	}
}

/* A child of init's that keeps a shell on tty, respawned (run_shell) until
 * the shutdown's SIGTERM, then hung up. */
static void keep_shell_on(const struct config *cfg, const sigset_t *sigs, const char *tty)
{
	pid_t pid = fork();

	if (pid < 0)
		report("fork for a shell on", tty);
	if (pid != 0)
		return;
	/* Else the shell would run on init's stdio, beside the primary one's. */
	int fd = open_tty(tty);
	if (fd < 0)
		_exit(1);
	bool terminal = isatty(fd);
	if (close(fd) < 0)
		report("close", tty);
	if (!terminal) {
		say("%s is not a terminal: no shell on it", tty);
		_exit(1);
	}
	struct config keeper = *cfg;
	pid_t shell = -1;
	keeper.console = tty;
	keeper.respawn = true;
	run_shell(&keeper, sigs, &shell);
	/* Hang it up, as a terminal that went away: an interactive shell
	 * ignores the shutdown's SIGTERM. (setsid: its group is its pid.) */
	if (shell > 0 && kill(-shell, SIGHUP) < 0 && errno != ESRCH)
		report("kill -HUP", tty);
	_exit(0);
}

/* A shell on each console but the primary one too (console=tty0
 * console=ttyS0: on tty0, the screen), so that a PC's screen and keyboard
 * have one beside the serial line's. */
static void keep_shells_on_other_consoles(const struct config *cfg, const sigset_t *sigs)
{
	char names[MAX_CONSOLES][CONSOLE_NAME_MAX], path[PATH_MAX];
	size_t n = cfg->console ? 0 : active_consoles(cfg, names);

	for (size_t i = 0; i + 1 < n; i++)
		if (mkpath(cfg, path, "/dev/%s", names[i]))
			keep_shell_on(cfg, sigs, path);
	if (cfg->other_console)
		keep_shell_on(cfg, sigs, cfg->other_console);
}

int main(void)
{
	struct config cfg;
	bool mounted[NMOUNTS];
	sigset_t all;
	int cmd;

	/* Run by mistake on a running system, the shutdown would kill everything. */
	if (getpid() != 1) {
		say("must run as process 1");
		return 1;
	}
	if (sigfillset(&all) < 0 || sigprocmask(SIG_BLOCK, &all, NULL) < 0)
		report("sigprocmask", "SIG_BLOCK");
	default_signal_actions();
	config_defaults(&cfg);
	mount_all(&cfg, mounted);
	take_firmware_parameters(&cfg);
	read_parameters(&cfg);
	ensure_stdio(&cfg);
	set_loglevel(&cfg);
	set_hostname(&cfg);
	/* Ctrl-Alt-Del becomes SIGINT. EINVAL in a child PID namespace: harmless. */
	if (reboot(RB_DISABLE_CAD) < 0 && errno != EINVAL)
		report("reboot", "RB_DISABLE_CAD");

	cmd = run_rcs(&cfg, &all);
	if (!cmd && !cfg.exec && !cfg.exec_invalid)
		keep_shells_on_other_consoles(&cfg, &all);
	if (!cmd)
		cmd = cfg.exec_invalid ? RB_POWER_OFF :
		      cfg.exec ? run_exec(&cfg, &all) : run_shell(&cfg, &all, NULL);
	/* Only a failed reboot(2) gets past shutdown_system: stay, and try again
	 * on the next shutdown signal. */
	for (;;) {
		int status;

		shutdown_system(&cfg, &all, mounted, cmd);
		while (wait_for(&all, 0, -1, &status, &cmd) != EV_SHUTDOWN)
			;
	}
}
