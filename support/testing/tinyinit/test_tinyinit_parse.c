/* Unit tests (cmocka) of tinyinit's pure functions, package/tinyinit/src/parse.c.
 * Built and run by test_tinyinit_build.py. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "parse.h"

static void hex_decodes_any_byte(void **state)
{
	char out[32];

	(void)state;
	assert_null(hex_decode("6563686f20272224780a", out));
	assert_string_equal(out, "echo '\"$x\n");
	assert_null(hex_decode("C3A9ff01", out));
	assert_memory_equal(out, "\xc3\xa9\xff\x01", 5);
	assert_null(hex_decode("", out));
	assert_string_equal(out, "");
}

static void hex_rejects_bad_input(void **state)
{
	char out[32];

	(void)state;
	assert_string_equal(hex_decode("abc", out), "odd number of hex digits");
	assert_string_equal(hex_decode("zz", out), "not a hex digit");
	assert_string_equal(hex_decode("6 ", out), "not a hex digit");
	assert_string_equal(hex_decode("0x41", out), "not a hex digit");
	assert_string_equal(hex_decode("410042", out), "a NUL byte cannot be part of a command");
}

static void loglevel_accepts_spaces_commas_and_one_number(void **state)
{
	char out[16];

	(void)state;
	assert_true(loglevel_normalize("2 4 1 7", out, sizeof out));
	assert_string_equal(out, "2 4 1 7");
	assert_true(loglevel_normalize("2,4,1,7", out, sizeof out));
	assert_string_equal(out, "2 4 1 7");
	assert_true(loglevel_normalize("3", out, sizeof out));
	assert_string_equal(out, "3");
	assert_true(loglevel_normalize("15,4", out, sizeof out));
	assert_string_equal(out, "15 4");
}

static void loglevel_rejects_the_rest(void **state)
{
	char out[16];
	const char *bad[] = { "", ",", "2,", ",2", "2,,4", "a", "2;4", "1 2 3 4 5", "123", "-1", "2 4\n" };

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		strcpy(out, "x");
		assert_false(loglevel_normalize(bad[i], out, sizeof out));
		assert_string_equal(out, "");   /* nothing half-done */
	}
	assert_false(loglevel_normalize("2 4 1 7", out, 7));   /* no room for the NUL */
	assert_true(loglevel_normalize("2 4 1 7", out, 8));
}

static void io_ports(void **state)
{
	unsigned port = 7;
	const char *bad[] = { "", "0x", "-1", "+4", " 4", "4 ", "0x10000", "65536", "f4", "0xf4z",
			      "99999999999999999999" };

	(void)state;
	assert_true(parse_io_port("0xf4", &port));
	assert_int_equal(port, 0xf4);
	assert_true(parse_io_port("244", &port));
	assert_int_equal(port, 244);
	assert_true(parse_io_port("0xffff", &port));
	assert_int_equal(port, 0xffff);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		port = 7;
		assert_false(parse_io_port(bad[i], &port));
		assert_int_equal(port, 7);   /* untouched */
	}
}

static void consoles_in_their_order(void **state)
{
	char names[2][CONSOLE_NAME_MAX];

	(void)state;
	assert_int_equal(console_names("tty0 ttyS0\n", names, 2), 2);
	assert_string_equal(names[0], "tty0");
	assert_string_equal(names[1], "ttyS0");
	assert_int_equal(console_names(" hvc0", names, 2), 1);
	assert_string_equal(names[0], "hvc0");
	assert_int_equal(console_names("", names, 2), 0);
	assert_int_equal(console_names(" \n", names, 2), 0);
	assert_int_equal(console_names("ttyS0 ../sda\n", names, 2), 0);
	assert_int_equal(console_names("ttyS0 ..", names, 2), 0);
	assert_int_equal(console_names("tty0 ttyS0 hvc0", names, 2), 0);   /* more than max */
	assert_int_equal(console_names("averyveryveryveryverylongname-32", names, 2), 0);
	assert_int_equal(console_names("averyveryveryveryverylongname31", names, 2), 1);
}

/* The wait status of a real child that runs f. */
static int status_of(void (*f)(void))
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		f();
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void exit_0(void) { _exit(0); }
static void exit_3(void) { _exit(3); }
static void exit_255(void) { _exit(255); }
static void killed_9(void) { raise(SIGKILL); _exit(0); }
static void killed_15(void) { raise(SIGTERM); _exit(0); }

static void exit_status_lines(void **state)
{
	char line[64];

	(void)state;
	format_exit_status(status_of(exit_0), line, sizeof line);
	assert_string_equal(line, "tinyroot: exit status 0\n");
	format_exit_status(status_of(exit_3), line, sizeof line);
	assert_string_equal(line, "tinyroot: exit status 3\n");
	format_exit_status(status_of(exit_255), line, sizeof line);
	assert_string_equal(line, "tinyroot: exit status 255\n");
	format_exit_status(status_of(killed_9), line, sizeof line);
	assert_string_equal(line, "tinyroot: exit status 137 (signal 9)\n");
	format_exit_status(status_of(killed_15), line, sizeof line);
	assert_string_equal(line, "tinyroot: exit status 143 (signal 15)\n");
}

static void ratelimit_allows_a_burst_per_window(void **state)
{
	struct ratelimit r = { .window_ms = 5000 };
	const long long starts[RATELIMIT_BURST] = { 1000, 2000, 3000, 4000, 4500 };

	(void)state;
	for (int i = 0; i < RATELIMIT_BURST; i++)
		assert_true(ratelimit_allow(&r, starts[i]));
	assert_false(ratelimit_allow(&r, 4600));
	assert_false(ratelimit_allow(&r, 5999));       /* first start + window - 1 */
	assert_true(ratelimit_allow(&r, 6000));        /* the first start left the window */
	assert_false(ratelimit_allow(&r, 6001));       /* the second (2000) is still in it */
	assert_true(ratelimit_allow(&r, 7000));
	for (int i = 0; i < RATELIMIT_BURST; i++)      /* after a quiet window, a full burst */
		assert_true(ratelimit_allow(&r, 20000 + i));
	assert_false(ratelimit_allow(&r, 20010));
}

static void ratelimit_spaced_starts_never_limited(void **state)
{
	struct ratelimit r = { .window_ms = 5000 };

	(void)state;
	for (int i = 0; i < 100; i++)
		assert_true(ratelimit_allow(&r, i * 1001LL));
}

static void words_split_on_whitespace_and_nul(void **state)
{
	/* As QEMU's fw_cfg hands them over: any spacing, a NUL maybe. */
	char text[] = "  tinyinit_a=1\ttinyinit_exec=6869\n\0tinyinit_b= ";
	char *end = text + sizeof text - 1, *cursor = text;

	(void)state;
	assert_string_equal(next_word(&cursor, end), "tinyinit_a=1");
	assert_string_equal(next_word(&cursor, end), "tinyinit_exec=6869");
	assert_string_equal(next_word(&cursor, end), "tinyinit_b=");
	assert_null(next_word(&cursor, end));
	assert_null(next_word(&cursor, end));

	char last[] = "x=1";    /* the last word ends at end, on the NUL after it */
	cursor = last;
	assert_string_equal(next_word(&cursor, last + 3), "x=1");
	assert_null(next_word(&cursor, last + 3));
	char none[] = " \n";
	cursor = none;
	assert_null(next_word(&cursor, none + 2));
}

static void parameters_are_tinyinit_name_equals_value(void **state)
{
	char good[] = "tinyinit_exec=6869", empty[] = "tinyinit_exec=", twice[] = "tinyinit_a=b=c";
	char *value;

	(void)state;
	assert_true(split_parameter(good, &value));
	assert_string_equal(good, "tinyinit_exec");
	assert_string_equal(value, "6869");
	assert_true(split_parameter(empty, &value));
	assert_string_equal(value, "");
	assert_true(split_parameter(twice, &value));
	assert_string_equal(twice, "tinyinit_a");
	assert_string_equal(value, "b=c");

	char *bad[] = { (char[]){ "tinyinit_exec" }, (char[]){ "tinyinit_=1" }, (char[]){ "init=/bin/sh" },
			(char[]){ "PATH=/tmp" }, (char[]){ "=x" } };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_false(split_parameter(bad[i], &value));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hex_decodes_any_byte),
		cmocka_unit_test(hex_rejects_bad_input),
		cmocka_unit_test(loglevel_accepts_spaces_commas_and_one_number),
		cmocka_unit_test(loglevel_rejects_the_rest),
		cmocka_unit_test(consoles_in_their_order),
		cmocka_unit_test(io_ports),
		cmocka_unit_test(exit_status_lines),
		cmocka_unit_test(ratelimit_allows_a_burst_per_window),
		cmocka_unit_test(ratelimit_spaced_starts_never_limited),
		cmocka_unit_test(words_split_on_whitespace_and_nul),
		cmocka_unit_test(parameters_are_tinyinit_name_equals_value),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
