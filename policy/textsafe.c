/*
 * textsafe.c - make untrusted text safe for headers, replies and logs.
 *
 * Anything an SMTP client or a certificate can influence (host names,
 * HELO, addresses, cipher names, certificate DNs) may hold CR/LF to
 * inject headers or reply lines, '%' that libmilter or a printf would
 * interpret, 8-bit bytes a header may not carry, or separators that
 * would let a value pose as another key=value pair.  Every such byte
 * becomes '?', and a value longer than its cap is cut and marked "...",
 * so a hostile fact costs at most a bounded number of printable bytes.
 *
 * The caller owns every buffer; nothing here allocates.  Output is
 * always NUL-terminated when size > 0.
 */
#include "config.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "textsafe.h"

#define TEXT_SAFE_MARK	"..."

/* text_safe_byte - whether c may be copied as it is */
static bool
text_safe_byte(unsigned char c, const char *extra)
{
	if (c < 0x20 || c >= 0x7f || c == '%')
		return false;
	return extra == NULL || strchr(extra, c) == NULL;
}

/* text_safe_copy - copy src into dst, replacing unsafe bytes with '?' */
char *
text_safe_copy(char *dst, size_t size, const char *src, size_t max_chars,
    const char *extra)
{
	size_t limit, length, keep, i;

	if (size == 0)
		return dst;
	if (src == NULL)
		src = "-";
	limit = size - 1;
	if (max_chars != 0 && max_chars < limit)
		limit = max_chars;
	length = strlen(src);
	keep = length;
	if (length > limit)
		keep = limit > strlen(TEXT_SAFE_MARK) ? limit - strlen(TEXT_SAFE_MARK) : 0;
	for (i = 0; i < keep; i++)
		dst[i] = text_safe_byte((unsigned char)src[i], extra) ? src[i] : '?';
	if (length > limit) {
		/* The mark may itself be cut short when limit is tiny. */
		for (; i < limit; i++)
			dst[i] = '.';
	}
	dst[i] = '\0';
	return dst;
}

/* text_safe_append - text_safe_copy() at the end of dst, advancing *len */
void
text_safe_append(char *dst, size_t size, size_t *len, const char *src,
    size_t max_chars, const char *extra)
{
	if (size == 0)
		return;
	if (*len >= size - 1) {
		*len = size - 1;
		dst[*len] = '\0';
		return;
	}
	text_safe_copy(dst + *len, size - *len, src, max_chars, extra);
	*len += strlen(dst + *len);
}

/* text_append - append trusted printf-style text; truncates safely */
void
text_append(char *dst, size_t size, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int written;

	if (size == 0)
		return;
	if (*len >= size - 1) {
		*len = size - 1;
		dst[*len] = '\0';
		return;
	}
	va_start(ap, fmt);
	written = vsnprintf(dst + *len, size - *len, fmt, ap);
	va_end(ap);
	if (written < 0) {
		dst[*len] = '\0';
		return;
	}
	if ((size_t)written >= size - *len)
		*len = size - 1;
	else
		*len += (size_t)written;
}
