/* parse.c: tinyinit's pure functions; see parse.h. */
#include "parse.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

const char *hex_decode(const char *hex, char *out)
{
	size_t len = strlen(hex);

	if (len % 2)
		return "odd number of hex digits";
	for (size_t i = 0; i < len; i += 2) {
		int hi = hex_value(hex[i]), lo = hex_value(hex[i + 1]);

		if (hi < 0 || lo < 0)
			return "not a hex digit";
		if (hi == 0 && lo == 0)
			return "a NUL byte cannot be part of a command";
		out[i / 2] = (char)(hi << 4 | lo);
	}
	out[len / 2] = '\0';
	return NULL;
}

static bool normalize(const char *in, char *out, size_t size)
{
	size_t n = 0;
	int numbers = 0;

	while (*in) {
		size_t digits = strspn(in, "0123456789");

		/* printk takes up to four levels; each fits in two digits. */
		if (digits == 0 || digits > 2 || ++numbers > 4 || n + digits + 2 > size)
			return false;
		if (n)
			out[n++] = ' ';
		memcpy(out + n, in, digits);
		n += digits;
		in += digits;
		if (*in == ',' || *in == ' ') {
			if (!*++in)
				return false;   /* a trailing separator */
		} else if (*in) {
			return false;
		}
	}
	if (!numbers)
		return false;
	out[n] = '\0';
	return true;
}

bool loglevel_normalize(const char *in, char *out, size_t size)
{
	if (normalize(in, out, size))
		return true;
	if (size)
		out[0] = '\0';
	return false;
}

size_t console_names(const char *active, char names[][CONSOLE_NAME_MAX], size_t max)
{
	size_t n = 0;

	for (const char *p = active; *p;) {
		p += strspn(p, " \t\n");
		size_t len = strcspn(p, " \t\n");
		if (len == 0)
			break;
		if (n == max || len >= CONSOLE_NAME_MAX || memchr(p, '/', len) ||
		    (p[0] == '.' && (len == 1 || (len == 2 && p[1] == '.'))))
			return 0;
		memcpy(names[n], p, len);
		names[n++][len] = '\0';
		p += len;
	}
	return n;
}

bool parse_io_port(const char *s, unsigned *port)
{
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return false;
	errno = 0;
	unsigned long value = strtoul(s, &end, 0);
	if (errno || *end || value > 0xffff)
		return false;
	*port = (unsigned)value;
	return true;
}

static bool is_separator(char c)
{
	return c == '\0' || isspace((unsigned char)c);
}

char *next_word(char **cursor, char *end)
{
	char *p = *cursor, *word;

	while (p < end && is_separator(*p))
		p++;
	if (p == end)
		return NULL;
	word = p;
	while (p < end && !is_separator(*p))
		p++;
	if (p < end)
		*p++ = '\0';
	*cursor = p;
	return word;
}

bool split_parameter(char *word, char **value)
{
	static const char prefix[] = "tinyinit_";
	char *equals = strchr(word, '=');

	if (strncmp(word, prefix, sizeof prefix - 1) != 0 || !equals ||
	    equals == word + sizeof prefix - 1)
		return false;
	*equals = '\0';
	*value = equals + 1;
	return true;
}

int format_exit_status(int wstatus, char *out, size_t size)
{
	if (WIFSIGNALED(wstatus))
		return snprintf(out, size, "tinyroot: exit status %d (signal %d)\n",
				128 + WTERMSIG(wstatus), WTERMSIG(wstatus));
	return snprintf(out, size, "tinyroot: exit status %d\n", WEXITSTATUS(wstatus));
}

bool ratelimit_allow(struct ratelimit *r, long long now_ms)
{
	if (r->full && now_ms - r->start[r->next] < r->window_ms)
		return false;
	r->start[r->next] = now_ms;
	r->next = (r->next + 1) % RATELIMIT_BURST;
	if (r->next == 0)
		r->full = true;
	return true;
}
