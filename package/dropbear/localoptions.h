/* tinyroot's build options over default_options.h.
 *
 * No password logins at all: root logs in with a key. (Debian's musl has no
 * crypt(), which password logins need.) */
#define DROPBEAR_SVR_PASSWORD_AUTH 0
