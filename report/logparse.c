/*
 * logparse.c - one mail log line to one tlspolicy decision.
 *
 * The milter's decision line is "QUEUEID: tlspolicy: key=value ..." behind
 * whatever prefix the logger puts in front: a classic syslog timestamp
 * ("Nov 28 17:30:03 host tlspolicy-milter[123]: "), an RFC 5424/ISO one
 * ("2026-11-28T17:30:03.123456+00:00 host tlspolicy-milter[123]: "), or
 * none at all in the foreground ("tlspolicy-milter: "), or both when
 * journald logs the foreground daemon's standard error under systemd
 * ("... tlspolicy-milter[123]: tlspolicy-milter: QUEUEID: ...").  The tag
 * finds our lines; lines of other programs and our other lines (warnings,
 * reloads) are LOGPARSE_OTHER.  A line that says "tlspolicy:" after the
 * queue ID but lacks a key, repeats one or has a value the milter never
 * writes (a cut line, an older format) is LOGPARSE_BAD, never a guess.
 * Unknown keys are skipped, so a later version may add some.
 *
 * Classic syslog timestamps carry no year: logparse_set_year() gives it.
 * Days are the date as written, whatever the time zone.
 *
 * Every value is copied into the fixed buffers of struct decision;
 * nothing here allocates.  Not thread-safe (the reason names are looked
 * up once).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logparse.h"

#define LOGPARSE_TAG		"tlspolicy-milter"
#define LOGPARSE_REASONS	10	/* REASON_NO_TLS .. REASON_MISSING_MACROS */

/* The keys a decision line must have, one bit each. */
enum {
	KEY_CLIENT = 1u << 0, KEY_HELO = 1u << 1, KEY_SENDER = 1u << 2,
	KEY_RCPT = 1u << 3, KEY_PARTNER = 1u << 4, KEY_SELECTOR = 1u << 5,
	KEY_TLS = 1u << 6, KEY_CIPHER = 1u << 7, KEY_BITS = 1u << 8,
	KEY_PFS = 1u << 9, KEY_VERDICT = 1u << 10, KEY_REASONS = 1u << 11,
	KEY_ACTION = 1u << 12,
};
#define KEYS_REQUIRED	(0x1fffu & ~(unsigned)KEY_RCPT)

static int logparse_year = 1970;
static char logparse_reason_names[LOGPARSE_REASONS][32];
static bool logparse_reasons_ready;

static const char *const logparse_months[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

/* logparse_set_year - the year of classic syslog timestamps */
void
logparse_set_year(int year)
{
	logparse_year = year;
}

/* logparse_day_number - days since 1970-01-01 (proleptic Gregorian) */
long
logparse_day_number(int year, int month, int day)
{
	long y = year - (month <= 2);
	long era = (y >= 0 ? y : y - 399) / 400;
	long yoe = y - era * 400;
	long doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

/* logparse_day_text - "YYYY-MM-DD" of a day number */
void
logparse_day_text(long day, char *buf, size_t size)
{
	long z = day + 719468;
	long era = (z >= 0 ? z : z - 146096) / 146097;
	long doe = z - era * 146097;
	long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long mp = (5 * doy + 2) / 153;
	long d = doy - (153 * mp + 2) / 5 + 1;
	long m = mp < 10 ? mp + 3 : mp - 9;
	long y = yoe + era * 400 + (m <= 2);

	snprintf(buf, size, "%04ld-%02ld-%02ld", y, m, d);
}

/* logparse_digits - n decimal digits at p into *out; -1 if not */
static int
logparse_digits(const char *p, size_t n, int *out)
{
	int value = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)p[i]))
			return -1;
		value = value * 10 + (p[i] - '0');
	}
	*out = value;
	return 0;
}

/* logparse_iso_date - "YYYY-MM-DD" at p: day number, -1 if not a date */
static int
logparse_iso_date(const char *p, long *day)
{
	int y, m, d;

	if (logparse_digits(p, 4, &y) != 0 || p[4] != '-' || logparse_digits(p + 5, 2, &m) != 0
	    || p[7] != '-' || logparse_digits(p + 8, 2, &d) != 0)
		return -1;
	if (m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	*day = logparse_day_number(y, m, d);
	return 0;
}

/* logparse_date - a --since/--until argument */
int
logparse_date(const char *text, long *day)
{
	if (strlen(text) != 10)
		return -1;
	return logparse_iso_date(text, day);
}

/* logparse_classic_date - "Mmm dd HH:MM:SS " at p: day number, end of stamp */
static const char *
logparse_classic_date(const char *p, long *day)
{
	int month, mday;

	for (month = 0; month < 12; month++)
		if (strncmp(p, logparse_months[month], 3) == 0)
			break;
	if (month == 12 || p[3] != ' ')
		return NULL;
	p += 4;
	if (*p == ' ')
		p++;
	if (logparse_digits(p, 2, &mday) == 0)
		p += 2;
	else if (logparse_digits(p, 1, &mday) == 0)
		p += 1;
	else
		return NULL;
	if (*p != ' ' || strlen(p) < 9 || p[3] != ':' || p[6] != ':' || p[9] != ' ')
		return NULL;
	if (mday < 1 || mday > 31)
		return NULL;
	*day = logparse_day_number(logparse_year, month + 1, mday);
	return p + 10;
}

/* logparse_find_tag - our program tag, and where the message after it starts */
static const char *
logparse_find_tag(const char *line, const char **message)
{
	const char *p = line, *tag, *q;

	while ((tag = strstr(p, LOGPARSE_TAG)) != NULL) {
		q = tag + sizeof(LOGPARSE_TAG) - 1;
		p = tag + 1;
		if (tag != line && tag[-1] != ' ')
			continue;
		if (*q == '[') {
			q++;
			if (!isdigit((unsigned char)*q))
				continue;
			while (isdigit((unsigned char)*q))
				q++;
			if (*q++ != ']')
				continue;
		}
		if (q[0] == ':' && q[1] == ' ') {
			*message = q + 2;
			return tag;
		}
	}
	return NULL;
}

/* logparse_copy - copy [p, p+n) into buf; -1 if it does not fit */
static int
logparse_copy(char *buf, size_t size, const char *p, size_t n)
{
	if (n >= size)
		return -1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return 0;
}

/* logparse_prefix - the timestamp and host in front of the tag */
static void
logparse_prefix(const char *line, const char *tag, struct decision *d)
{
	const char *host;
	const char *end = tag;

	d->dated = false;
	d->mta_host[0] = '\0';
	if (tag == line)
		return;
	if (logparse_iso_date(line, &d->day) == 0 && (line[10] == 'T' || line[10] == ' ')) {
		host = strchr(line + 11, ' ');
		if (host == NULL || host >= tag)
			return;
		host++;
	} else if ((host = logparse_classic_date(line, &d->day)) == NULL)
		return;
	d->dated = true;
	while (end > host && end[-1] == ' ')
		end--;
	if (end > host && memchr(host, ' ', (size_t)(end - host)) == NULL)
		(void)logparse_copy(d->mta_host, sizeof(d->mta_host), host, (size_t)(end - host));
}

/* logparse_reason - the reason bit of one name; 0 if none */
static unsigned
logparse_reason(const char *p, size_t n)
{
	size_t i;

	if (!logparse_reasons_ready) {
		for (i = 0; i < LOGPARSE_REASONS; i++)
			verdict_reasons_format(1u << i, logparse_reason_names[i],
			    sizeof(logparse_reason_names[i]));
		logparse_reasons_ready = true;
	}
	for (i = 0; i < LOGPARSE_REASONS; i++)
		if (strlen(logparse_reason_names[i]) == n
		    && memcmp(logparse_reason_names[i], p, n) == 0)
			return 1u << i;
	return 0;
}

/* logparse_reasons - "-" or "no-pfs,weak-cipher" */
static int
logparse_reasons(const char *v, size_t n, unsigned *reasons)
{
	const char *end = v + n, *comma;
	unsigned bit;

	*reasons = 0;
	if (n == 1 && *v == '-')
		return 0;
	while (v < end) {
		comma = memchr(v, ',', (size_t)(end - v));
		if (comma == NULL)
			comma = end;
		if ((bit = logparse_reason(v, (size_t)(comma - v))) == 0)
			return -1;
		*reasons |= bit;
		v = comma + 1;
	}
	return *reasons != 0 ? 0 : -1;
}

/* logparse_client - "NAME[IP]" */
static int
logparse_client(const char *v, size_t n, struct decision *d)
{
	const char *open;
	size_t i;

	if (n < 3 || v[n - 1] != ']')
		return -1;
	for (open = NULL, i = 0; i < n; i++)
		if (v[i] == '[')
			open = v + i;
	if (open == NULL || open == v)
		return -1;
	if (logparse_copy(d->client_name, sizeof(d->client_name), v, (size_t)(open - v)) != 0)
		return -1;
	return logparse_copy(d->client_ip, sizeof(d->client_ip), open + 1,
	    (size_t)(v + n - 1 - open - 1));
}

/* logparse_address - "<local@domain>", "<>" or "-": the domain, lower case */
static int
logparse_address(const char *v, size_t n, char *domain, size_t size)
{
	const char *at = NULL;
	size_t i;

	domain[0] = '\0';
	if (n == 1 && *v == '-')
		return 0;
	if (n < 2 || v[0] != '<' || v[n - 1] != '>')
		return -1;
	for (i = 1; i + 1 < n; i++)
		if (v[i] == '@')
			at = v + i;
	if (at == NULL)
		return 0;
	if (logparse_copy(domain, size, at + 1, (size_t)(v + n - 1 - at - 1)) != 0)
		return -1;
	for (i = 0; domain[i] != '\0'; i++)
		domain[i] = (char)tolower((unsigned char)domain[i]);
	return 0;
}

/* logparse_is - the value is exactly this word */
static bool
logparse_is(const char *v, size_t n, const char *word)
{
	return strlen(word) == n && memcmp(v, word, n) == 0;
}

/* logparse_selector - "name" or "name:pattern": the name must be ours */
static int
logparse_selector(const char *v, size_t n, struct decision *d)
{
	const char *colon = memchr(v, ':', n);
	size_t len = colon != NULL ? (size_t)(colon - v) : n;
	int s;

	for (s = POLICY_SELECTOR_NONE; s <= POLICY_SELECTOR_MISSING_MACROS; s++)
		if (logparse_is(v, len, policy_selector_name((enum policy_selector)s)))
			return logparse_copy(d->selector, sizeof(d->selector), v, len);
	return -1;
}

/* logparse_tls - "none", "unknown" or a version name */
static int
logparse_tls(const char *v, size_t n, struct decision *d)
{
	char name[16];

	if (logparse_copy(name, sizeof(name), v, n) != 0)
		return -1;
	if (strcmp(name, "none") == 0)
		d->tls_version = TLS_VERSION_NONE;
	else if (strcmp(name, "unknown") == 0)
		d->tls_version = TLS_VERSION_UNKNOWN;
	else if ((d->tls_version = tls_version_parse(name)) == TLS_VERSION_UNKNOWN)
		return -1;
	return 0;
}

/* logparse_bits - "unknown" or 0..65535 */
static int
logparse_bits(const char *v, size_t n, struct decision *d)
{
	int bits;

	if (logparse_is(v, n, "unknown")) {
		d->bits = -1;
		return 0;
	}
	if (n < 1 || n > 5 || logparse_digits(v, n, &bits) != 0)
		return -1;
	d->bits = bits;
	return 0;
}

/* logparse_pfs - "yes", "no" or "unknown" */
static int
logparse_pfs(const char *v, size_t n, struct decision *d)
{
	if (logparse_is(v, n, "yes"))
		d->pfs = TLS_PFS_YES;
	else if (logparse_is(v, n, "no"))
		d->pfs = TLS_PFS_NO;
	else if (logparse_is(v, n, "unknown"))
		d->pfs = TLS_PFS_UNKNOWN;
	else
		return -1;
	return 0;
}

/* logparse_verdict - one of the result names */
static int
logparse_verdict(const char *v, size_t n, struct decision *d)
{
	int r;

	for (r = VERDICT_PASS; r <= VERDICT_TEMPERROR; r++) {
		if (logparse_is(v, n, verdict_result_name((enum verdict_result)r))) {
			d->result = (enum verdict_result)r;
			return 0;
		}
	}
	return -1;
}

/* logparse_action - "reject" or "would-reject" */
static int
logparse_action(const char *v, size_t n, struct decision *d)
{
	char name[16];

	d->testing = n > 6 && memcmp(v, "would-", 6) == 0;
	if (d->testing) {
		v += 6;
		n -= 6;
	}
	if (logparse_copy(name, sizeof(name), v, n) != 0)
		return -1;
	return policy_action_parse(name, &d->action);
}

/* logparse_partner - "none" or a name */
static int
logparse_partner(const char *v, size_t n, struct decision *d)
{
	if (logparse_is(v, n, "none")) {
		d->partner[0] = '\0';
		return 0;
	}
	return logparse_copy(d->partner, sizeof(d->partner), v, n);
}

/* logparse_key - the bit of a key; 0 for a key this version does not know */
static unsigned
logparse_key(const char *k, size_t n)
{
	static const struct {
		const char *name;
		unsigned bit;
	} keys[] = {
		{"client", KEY_CLIENT}, {"helo", KEY_HELO}, {"sender", KEY_SENDER},
		{"rcpt", KEY_RCPT}, {"partner", KEY_PARTNER}, {"selector", KEY_SELECTOR},
		{"tls", KEY_TLS}, {"cipher", KEY_CIPHER}, {"bits", KEY_BITS},
		{"pfs", KEY_PFS}, {"verdict", KEY_VERDICT}, {"reasons", KEY_REASONS},
		{"action", KEY_ACTION},
	};
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (logparse_is(k, n, keys[i].name))
			return keys[i].bit;
	return 0;
}

/* logparse_value - store one known key's value */
static int
logparse_value(unsigned key, const char *v, size_t n, struct decision *d)
{
	char ignored[DECISION_NAME_MAX];

	switch (key) {
	case KEY_CLIENT:
		return logparse_client(v, n, d);
	case KEY_HELO:
		return logparse_copy(ignored, sizeof(ignored), v, n);
	case KEY_SENDER:
		return logparse_address(v, n, d->sender_domain, sizeof(d->sender_domain));
	case KEY_RCPT:
		d->rcpt_stage = true;
		return logparse_address(v, n, d->rcpt_domain, sizeof(d->rcpt_domain));
	case KEY_PARTNER:
		return logparse_partner(v, n, d);
	case KEY_SELECTOR:
		return logparse_selector(v, n, d);
	case KEY_TLS:
		return logparse_tls(v, n, d);
	case KEY_CIPHER:
		return logparse_copy(d->cipher, sizeof(d->cipher), v, n);
	case KEY_BITS:
		return logparse_bits(v, n, d);
	case KEY_PFS:
		return logparse_pfs(v, n, d);
	case KEY_VERDICT:
		return logparse_verdict(v, n, d);
	case KEY_REASONS:
		return logparse_reasons(v, n, &d->reasons);
	default:
		return logparse_action(v, n, d);
	}
}

/* logparse_fields - the key=value tokens after "tlspolicy: " */
static enum logparse_status
logparse_fields(const char *p, struct decision *d)
{
	const char *end, *eq;
	unsigned seen = 0, key;

	d->rcpt_stage = false;
	d->rcpt_domain[0] = '\0';
	while (*p != '\0') {
		end = strchr(p, ' ');
		if (end == NULL)
			end = p + strlen(p);
		eq = memchr(p, '=', (size_t)(end - p));
		if (eq == NULL || eq == p)
			return LOGPARSE_BAD;
		key = logparse_key(p, (size_t)(eq - p));
		if (key != 0) {
			if ((seen & key) != 0
			    || logparse_value(key, eq + 1, (size_t)(end - eq - 1), d) != 0)
				return LOGPARSE_BAD;
			seen |= key;
		}
		p = *end == ' ' ? end + 1 : end;
	}
	if ((seen & KEYS_REQUIRED) != KEYS_REQUIRED)
		return LOGPARSE_BAD;
	/* The milter never writes a fail without a reason, nor a pass with one. */
	if (d->result == VERDICT_FAIL && d->reasons == 0)
		return LOGPARSE_BAD;
	if ((d->result == VERDICT_PASS || d->result == VERDICT_EXEMPT) && d->reasons != 0)
		return LOGPARSE_BAD;
	return LOGPARSE_DECISION;
}

/* logparse_line - classify one line, fill d for a decision */
enum logparse_status
logparse_line(const char *line, struct decision *d)
{
	const char *message, *tag, *colon;
	static const char marker[] = ": tlspolicy:";

	if ((tag = logparse_find_tag(line, &message)) == NULL)
		return LOGPARSE_OTHER;
	/* Under systemd (-f) journald puts its own tag before our stderr one. */
	if (strncmp(message, LOGPARSE_TAG ": ", sizeof(LOGPARSE_TAG) + 1) == 0)
		message += sizeof(LOGPARSE_TAG) + 1;
	colon = strchr(message, ':');
	if (colon == NULL || colon == message || memchr(message, ' ', (size_t)(colon - message)))
		return LOGPARSE_OTHER;
	if (strncmp(colon, marker, sizeof(marker) - 1) != 0)
		return LOGPARSE_OTHER;
	if (logparse_copy(d->queue_id, sizeof(d->queue_id), message,
	    (size_t)(colon - message)) != 0)
		return LOGPARSE_BAD;
	logparse_prefix(line, tag, d);
	colon += sizeof(marker) - 1;
	if (*colon != ' ')
		return LOGPARSE_BAD;
	return logparse_fields(colon + 1, d);
}
