/* parse.h: tinyinit's pure functions (no system calls), unit-tested on the host. */
#ifndef TINYINIT_PARSE_H
#define TINYINIT_PARSE_H

#include <stdbool.h>
#include <stddef.h>

/* Decodes hex digits (either case) into out, NUL-terminated; out needs
 * strlen(hex) / 2 + 1 bytes. Returns NULL, or what is wrong with hex. */
const char *hex_decode(const char *hex, char *out);

/* "2 4 1 7", "2,4,1,7" or "3" (one to four numbers, separated by commas or
 * spaces) into the form /proc/sys/kernel/printk takes: "2 4 1 7", "3".
 * False, and out empty, if in is not that. */
bool loglevel_normalize(const char *in, char *out, size_t size);

/* The device names in /sys/class/tty/console/active ("tty0 ttyS0\n"), in its
 * order: the kernel lists the primary console (/dev/console) last. Returns
 * how many; 0 if there is none, more than max, or one is too long or not a
 * plain file name. */
#define CONSOLE_NAME_MAX 32
size_t console_names(const char *active, char names[][CONSOLE_NAME_MAX], size_t max);

/* The exec mode's report of a wait status: "tinyroot: exit status N\n", or
 * "tinyroot: exit status 128+S (signal S)\n" when killed by signal S.
 * Returns snprintf's result. */
int format_exit_status(int wstatus, char *out, size_t size);

/* An x86 I/O port number, 0 to 0xffff, in C notation ("0xf4", "244"). */
bool parse_io_port(const char *s, unsigned *port);

/* The next word of a text of boot parameters (words separated by
 * whitespace or NUL bytes, up to end, where a NUL must follow), NUL-
 * terminated in place; *cursor moves past it. NULL when none is left. */
char *next_word(char **cursor, char *end);

/* A word "tinyinit_NAME=VALUE" split in place into its name (word) and
 * *value. False for any other word. */
bool split_parameter(char *word, char **value);

/* At most RATELIMIT_BURST starts within any window_ms. */
#define RATELIMIT_BURST 5
struct ratelimit {
	long long window_ms;
	unsigned next;                      /* slot of the oldest start, once full */
	bool full;
	long long start[RATELIMIT_BURST];   /* the last starts' times */
};

/* True, and records a start at now_ms, when one is allowed. */
bool ratelimit_allow(struct ratelimit *r, long long now_ms);

#endif
