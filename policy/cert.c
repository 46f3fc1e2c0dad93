/*
 * cert.c - compare a policy's client_cert issuer/subject with what the
 * MTA reported, and decode Sendmail's xtext DNs.
 *
 * The MTAs report certificate names in different shapes:
 *   Postfix   {cert_subject} = "client.partner.test"          (CN only)
 *   Sendmail  {cert_subject} = "/C=DE/O=Partner+20Test+20Org/CN=client.partner.test"
 *             (X509_NAME_oneline() order, "+XX" xtext escapes, which
 *             facts.c decodes with cert_xtext_decode() before storing)
 * and an administrator may write a DN the way "openssl x509 -subject"
 * prints it ("C = DE, O = Org, CN = x"), the RFC 4514 way ("CN=x,O=Org,
 * C=DE", most specific first) or the Sendmail way.
 *
 * So a wanted value without '=' is a CN, compared case-insensitively
 * with the last CN= of the actual DN, or with the whole actual value
 * when that is a bare CN (Postfix).  A wanted value with '=' is a DN:
 * both sides are split into attribute=value parts, either at '/' (when
 * the text starts with '/') or at ',', and must agree part by part,
 * case-insensitively, in the same order or in exactly reversed order
 * (the two printing conventions disagree on the order, and a CA-issued
 * name is not made ambiguous by reading it backwards).  A separator
 * only counts when an attribute name and '=' follow it, so a value that
 * contains '/' or ',' is not split; RFC 4514 backslash escapes are
 * honoured on comparison.
 *
 * cert_name_matches() runs for every judged message: it allocates
 * nothing and only reads its arguments.
 */
#include "config.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy_int.h"

#define CERT_MAX_PARTS	32

struct cert_span {
	const char *text;
	size_t len;
};

struct cert_part {
	struct cert_span attr;
	struct cert_span value;
};

/* cert_trim - strip blanks around a span */
static struct cert_span
cert_trim(const char *text, size_t len)
{
	struct cert_span span;

	while (len > 0 && isspace((unsigned char)*text)) {
		text++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)text[len - 1])
	    && !(len > 1 && text[len - 2] == '\\'))
		len--;
	span.text = text;
	span.len = len;
	return span;
}

/* cert_attr_length - length of "NAME" when text is "  NAME =", else 0 */
static size_t
cert_attr_length(const char *text)
{
	const char *p = text;

	while (*p == ' ')
		p++;
	if (!isalpha((unsigned char)*p))
		return 0;
	while (isalnum((unsigned char)*p) || *p == '.' || *p == '-' || *p == '_')
		p++;
	while (*p == ' ')
		p++;
	return *p == '=' ? (size_t)(p - text) : 0;
}

/* cert_next_separator - the next separator that starts a new part */
static const char *
cert_next_separator(const char *text, char separator)
{
	const char *p;

	for (p = text; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0') {
			p++;
			continue;
		}
		if (*p == separator && cert_attr_length(p + 1) > 0)
			return p;
	}
	return p;
}

/*
 * cert_split - split a DN into parts; returns the count, or -1 when the
 * text is not a DN (a part without '=', or too many parts).
 */
static int
cert_split(const char *text, struct cert_part *parts, int max)
{
	char separator = ',';
	const char *end, *equals;
	int count = 0;

	if (*text == '/') {
		separator = '/';
		text++;
	}
	while (*text != '\0') {
		end = cert_next_separator(text, separator);
		equals = memchr(text, '=', (size_t)(end - text));
		if (equals == NULL || count == max)
			return -1;
		parts[count].attr = cert_trim(text, (size_t)(equals - text));
		parts[count].value = cert_trim(equals + 1, (size_t)(end - equals - 1));
		if (parts[count].attr.len == 0)
			return -1;
		count++;
		text = *end == '\0' ? end : end + 1;
	}
	return count;
}

/* cert_span_equal - case-insensitive, with backslash escapes resolved */
static bool
cert_span_equal(struct cert_span a, struct cert_span b)
{
	size_t i = 0, j = 0;

	while (i < a.len && j < b.len) {
		if (a.text[i] == '\\' && i + 1 < a.len)
			i++;
		if (b.text[j] == '\\' && j + 1 < b.len)
			j++;
		if (tolower((unsigned char)a.text[i]) != tolower((unsigned char)b.text[j]))
			return false;
		i++;
		j++;
	}
	return i == a.len && j == b.len;
}

/* cert_parts_equal - parts agree one by one, in order or reversed */
static bool
cert_parts_equal(const struct cert_part *want, const struct cert_part *have,
    int count, bool reversed)
{
	int i, k;

	for (i = 0; i < count; i++) {
		k = reversed ? count - 1 - i : i;
		if (!cert_span_equal(want[i].attr, have[k].attr)
		    || !cert_span_equal(want[i].value, have[k].value))
			return false;
	}
	return true;
}

/* cert_bare_cn - the actual value as a single CN part (Postfix) */
static int
cert_bare_cn(const char *actual, struct cert_part *part)
{
	part->attr.text = "CN";
	part->attr.len = 2;
	part->value = cert_trim(actual, strlen(actual));
	return 1;
}

/* cert_parse_actual - split what the MTA reported; a bare CN is one part */
static int
cert_parse_actual(const char *actual, struct cert_part *parts, int max)
{
	if (strchr(actual, '=') == NULL)
		return cert_bare_cn(actual, parts);
	return cert_split(actual, parts, max);
}

/* cert_cn_matches - wanted CN vs the last CN of actual */
static bool
cert_cn_matches(const char *wanted, const char *actual)
{
	struct cert_part parts[CERT_MAX_PARTS];
	struct cert_span want = cert_trim(wanted, strlen(wanted));
	struct cert_span cn = {"CN", 2};
	int count, i;

	count = cert_parse_actual(actual, parts, CERT_MAX_PARTS);
	for (i = count - 1; i >= 0; i--)
		if (cert_span_equal(parts[i].attr, cn))
			return cert_span_equal(want, parts[i].value);
	/* A CN-only value that happens to hold '=' is still a CN. */
	return cert_span_equal(want, cert_trim(actual, strlen(actual)));
}

/* cert_name_matches - policy value vs session fact */
bool
cert_name_matches(const char *wanted, const char *actual)
{
	struct cert_part want[CERT_MAX_PARTS], have[CERT_MAX_PARTS];
	int want_count, have_count;

	if (wanted == NULL)
		return true;
	if (actual == NULL || *actual == '\0')
		return false;
	if (strchr(wanted, '=') == NULL)
		return cert_cn_matches(wanted, actual);
	want_count = cert_split(wanted, want, CERT_MAX_PARTS);
	have_count = cert_parse_actual(actual, have, CERT_MAX_PARTS);
	if (want_count <= 0 || want_count != have_count)
		return false;
	return cert_parts_equal(want, have, want_count, false)
	    || cert_parts_equal(want, have, want_count, true);
}

/* cert_hex - value of one hex digit, -1 if it is none */
static int
cert_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* cert_xtext_decode - decode Sendmail's "+XX" escapes into a new string */
char *
cert_xtext_decode(const char *text)
{
	char *out, *o;
	int hi, lo;

	if (text == NULL || (out = malloc(strlen(text) + 1)) == NULL)
		return NULL;
	for (o = out; *text != '\0'; text++) {
		if (*text == '+' && (hi = cert_hex(text[1])) >= 0
		    && (lo = cert_hex(text[2])) >= 0 && (hi != 0 || lo != 0)) {
			/* "+00" stays literal: a C string cannot hold NUL. */
			*o++ = (char)(hi * 16 + lo);
			text += 2;
		} else
			*o++ = *text;
	}
	*o = '\0';
	return out;
}
