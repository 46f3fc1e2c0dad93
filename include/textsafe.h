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
#include <string.h>

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
 * text_full - true when nothing more fits after *len in dst (size
 * bytes); then *len is clamped to size - 1 and dst terminated, as every
 * appending function here leaves it.
 */
static inline int
text_full(char *dst, size_t size, size_t *len)
{
	if (size == 0)
		return 1;
	if (*len < size - 1)
		return 0;
	*len = size - 1;
	dst[*len] = '\0';
	return 1;
}

/*
 * text_put - append trusted text (no format) at *len, advancing *len;
 * truncates like text_append().  Inline because the tag header and the
 * log line make some 45 such calls a message, most with a literal whose
 * strlen() and memcpy() the compiler then turns into a few moves.
 */
static inline void
text_put(char *dst, size_t size, size_t *len, const char *text)
{
	size_t n;

	if (text_full(dst, size, len))
		return;
	n = strlen(text);
	if (n > size - 1 - *len)
		n = size - 1 - *len;
	memcpy(dst + *len, text, n);
	*len += n;
	dst[*len] = '\0';
}

/* text_append - append trusted printf-style text; truncates safely. */
void text_append(char *dst, size_t size, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
