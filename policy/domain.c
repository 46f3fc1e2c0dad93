/*
 * domain.c - domain names as the policy writes them and as sessions send them.
 *
 * domain_normalize() checks a name from the policy file and brings it to
 * the one spelling the indexes use: lower case, no trailing dot.  Labels
 * are letters, digits, '-' and '_' (SRV-style and some real host names
 * carry underscores), 1-63 bytes each, 253 bytes in all, and may not
 * start or end with '-'.  Internationalized names must be written as
 * A-labels ("xn--..."): the loader does no Punycode, so a UTF-8 name is
 * refused with a hint rather than silently never matching.  A last
 * label of digits only is refused too: it is an IP address written in
 * a domain list, which would never match.  With wildcard set, a leading
 * "*." is kept; '*' anywhere else is an error.
 *
 * domain_lookup_key() is the lenient twin for names from the SMTP
 * session: it only lower-cases, strips one trailing dot and refuses what
 * cannot be a name, so that anything it accepts can be looked up.
 *
 * Neither allocates: the caller passes the output buffer.  Errors are a
 * short English reason in err, without the name itself (the caller
 * quotes it).
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "policy_int.h"

#define DOMAIN_MAX	253
#define LABEL_MAX	63

/* domain_byte_ok - may this (lower-case) byte appear inside a label? */
static bool
domain_byte_ok(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	    ch == '-' || ch == '_';
}

/* domain_lower - ASCII lower case, leaving every other byte alone. */
static unsigned char
domain_lower(unsigned char ch)
{
	return ch >= 'A' && ch <= 'Z' ? (unsigned char)(ch - 'A' + 'a') : ch;
}

/* domain_bad_byte - explain why ch cannot be part of a name. */
static void
domain_bad_byte(unsigned char ch, char *err, size_t errlen)
{
	if (ch >= 0x80)
		snprintf(err, errlen, "non-ASCII character; write "
		    "internationalized names as A-labels (xn--...)");
	else if (ch == '*')
		snprintf(err, errlen, "'*' is allowed only as the whole first "
		    "label, as in \"*.example.org\"");
	else if (ch < 0x20 || ch == 0x7f)
		snprintf(err, errlen, "control character 0x%02X", ch);
	else
		snprintf(err, errlen, "character '%c' is not allowed", ch);
}

/* domain_check_label - one label of a normalized name. */
static int
domain_check_label(const char *label, size_t len, char *err, size_t errlen)
{
	if (len == 0) {
		snprintf(err, errlen, "empty label");
		return -1;
	}
	if (len > LABEL_MAX) {
		snprintf(err, errlen, "label longer than %d characters", LABEL_MAX);
		return -1;
	}
	if (len == 4 && strncmp(label, "xn--", 4) == 0) {
		snprintf(err, errlen, "empty A-label \"xn--\"");
		return -1;
	}
	if (label[0] == '-' || label[len - 1] == '-') {
		snprintf(err, errlen, "label \"%.*s\" starts or ends with '-'",
		    (int)len, label);
		return -1;
	}
	return 0;
}

/* domain_check_labels - every label of name (already lower-case, no trailing dot). */
static int
domain_check_labels(const char *name, char *err, size_t errlen)
{
	const char *label = name;
	const char *dot;
	size_t i;
	bool digits = true;

	for (;;) {
		dot = strchr(label, '.');
		if (domain_check_label(label, dot ? (size_t)(dot - label) : strlen(label),
		    err, errlen) < 0)
			return -1;
		if (dot == NULL)
			break;
		label = dot + 1;
	}
	for (i = 0; label[i] != '\0'; i++)
		if (label[i] < '0' || label[i] > '9')
			digits = false;
	if (digits) {
		snprintf(err, errlen, "the last label is all digits; "
		    "IP addresses belong in client_ips");
		return -1;
	}
	return 0;
}

/* domain_copy_lower - lower-case text into out, one trailing dot dropped; -1 on a bad byte. */
static int
domain_copy_lower(const char *text, size_t len, char *out, char *err, size_t errlen)
{
	size_t i;
	unsigned char ch;

	if (len > 0 && text[len - 1] == '.')
		len--;
	for (i = 0; i < len; i++) {
		ch = domain_lower((unsigned char)text[i]);
		if (!domain_byte_ok(ch) && ch != '.') {
			domain_bad_byte(ch, err, errlen);
			return -1;
		}
		out[i] = (char)ch;
	}
	out[len] = '\0';
	return 0;
}

/* domain_normalize - check a policy name and write its canonical form. */
int
domain_normalize(const char *text, bool wildcard, char *out, size_t size,
    char *err, size_t errlen)
{
	size_t prefix = 0;
	size_t len;

	if (text[0] == '*') {
		if (!wildcard) {
			snprintf(err, errlen, "wildcards are not allowed here");
			return -1;
		}
		if (text[1] != '.' && text[1] != '\0') {
			domain_bad_byte('*', err, errlen);
			return -1;
		}
		prefix = text[1] == '.' ? 2 : 1;
	}
	len = strlen(text + prefix);
	if (len == 0 || (len == 1 && text[prefix] == '.')) {
		snprintf(err, errlen, prefix ? "a wildcard needs a suffix, as in "
		    "\"*.example.org\"" : "empty name");
		return -1;
	}
	if (len - (text[prefix + len - 1] == '.') > DOMAIN_MAX) {
		snprintf(err, errlen, "name longer than %d characters", DOMAIN_MAX);
		return -1;
	}
	if (size < prefix + len + 1) {
		snprintf(err, errlen, "name too long");
		return -1;
	}
	memcpy(out, text, prefix);
	if (domain_copy_lower(text + prefix, len, out + prefix, err, errlen) < 0)
		return -1;
	return domain_check_labels(out + prefix, err, errlen);
}

/* domain_lookup_key - lower-case a session's name for lookup; -1 if it cannot be a name. */
int
domain_lookup_key(const char *name, char *out, size_t size)
{
	size_t len = strlen(name);
	size_t i;
	size_t label = 0;
	unsigned char ch;

	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > DOMAIN_MAX || len + 1 > size)
		return -1;
	for (i = 0; i < len; i++) {
		ch = domain_lower((unsigned char)name[i]);
		if (ch == '.') {
			if (label == 0)
				return -1;
			label = 0;
		} else if (!domain_byte_ok(ch) || ++label > LABEL_MAX) {
			return -1;
		}
		out[i] = (char)ch;
	}
	if (label == 0)
		return -1;
	out[len] = '\0';
	return 0;
}
