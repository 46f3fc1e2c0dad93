/*
 * textsafe.h - make untrusted text safe for headers, replies and logs.
 *
 * Every string that came from an SMTP session or a certificate goes
 * through text_safe_copy() before it reaches a tag header, an SMTP reply
 * or a log line: the result is one line of printable ASCII with no '%'.
 */
#ifndef TLSPOLICY_TEXTSAFE_H
#define TLSPOLICY_TEXTSAFE_H

#include <stddef.h>

/*
 * text_safe_copy - copy src into dst (size bytes, always NUL-terminated),
 * replacing CR, LF, NUL, other control bytes, bytes >= 0x7f, '%', and
 * the separators given in extra (may be NULL) by '?'.  Strings longer
 * than max_chars (0: no limit but size) are cut and end in "...".
 * Returns dst.  src may be NULL: then dst is "-".
 */
char *text_safe_copy(char *dst, size_t size, const char *src, size_t max_chars,
    const char *extra);

/*
 * text_safe_append - like text_safe_copy but appends to dst at *len,
 * advancing *len; the output stays NUL-terminated and never overflows.
 */
void text_safe_append(char *dst, size_t size, size_t *len, const char *src,
    size_t max_chars, const char *extra);

/*
 * text_put - append trusted text (no format) at *len, advancing *len;
 * truncates like text_append().
 */
void text_put(char *dst, size_t size, size_t *len, const char *text);

/* text_append - append trusted printf-style text; truncates safely. */
void text_append(char *dst, size_t size, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
