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
#include <stdio.h>
#include <string.h>

#include "textsafe.h"

#define TEXT_SAFE_MARK	"..."

/*
 * The bytes that become '?': controls, DEL, 8-bit, '%' and those of
 * extra, as a mask over all 256.  The tag header and the log line put
 * about twenty values through here for every message, and a strchr()
 * for each byte was most of their cost; one bit test is all that is left.
 */
struct text_safe_mask {
	unsigned long long bits[4];
};

/* text_safe_mask_init - mark the unsafe bytes, extra's among them */
static void
text_safe_mask_init(struct text_safe_mask *mask, const char *extra)
{
	unsigned char c;

	mask->bits[0] = 0xffffffffULL | 1ULL << '%';	/* 0x00-0x1f and '%' */
	mask->bits[1] = 1ULL << (0x7f - 64);		/* DEL */
	mask->bits[2] = mask->bits[3] = ~0ULL;		/* 0x80-0xff */
	for (; extra != NULL && *extra != '\0'; extra++) {
		c = (unsigned char)*extra;
		mask->bits[c >> 6] |= 1ULL << (c & 63);
	}
}

/* text_safe_byte - whether c may be copied as it is */
static int
text_safe_byte(unsigned char c, const struct text_safe_mask *mask)
{
	return (mask->bits[c >> 6] & (1ULL << (c & 63))) == 0;
}

/* text_safe_copy_len - text_safe_copy(), returning the length written */
static size_t
text_safe_copy_len(char *dst, size_t size, const char *src, size_t max_chars,
    const char *extra)
{
	struct text_safe_mask mask;
	size_t limit, length, keep, i;

	if (size == 0)
		return 0;
	if (src == NULL)
		src = "-";
	text_safe_mask_init(&mask, extra);
	limit = size - 1;
	if (max_chars != 0 && max_chars < limit)
		limit = max_chars;
	length = strlen(src);
	keep = length;
	if (length > limit)
		keep = limit > strlen(TEXT_SAFE_MARK) ? limit - strlen(TEXT_SAFE_MARK) : 0;
	for (i = 0; i < keep; i++)
		dst[i] = text_safe_byte((unsigned char)src[i], &mask) ? src[i] : '?';
	if (length > limit) {
		/* The mark may itself be cut short when limit is tiny. */
		for (; i < limit; i++)
			dst[i] = '.';
	}
	dst[i] = '\0';
	return i;
}

/* text_safe_copy - copy src into dst, replacing unsafe bytes with '?' */
char *
text_safe_copy(char *dst, size_t size, const char *src, size_t max_chars,
    const char *extra)
{
	text_safe_copy_len(dst, size, src, max_chars, extra);
	return dst;
}

/* text_safe_append - text_safe_copy() at the end of dst, advancing *len */
void
text_safe_append(char *dst, size_t size, size_t *len, const char *src,
    size_t max_chars, const char *extra)
{
	if (text_full(dst, size, len))
		return;
	*len += text_safe_copy_len(dst + *len, size - *len, src, max_chars, extra);
}

/* text_append - append trusted printf-style text; truncates safely */
void
text_append(char *dst, size_t size, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int written;

	if (text_full(dst, size, len))
		return;
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
