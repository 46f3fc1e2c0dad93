/*
 * test_logparse.c - one mail log line to one tlspolicy decision (report/).
 */
#include "config.h"

#include <string.h>

#include "logparse.h"
#include "unit.h"

#define TAIL " partner=bank selector=sender_domains:bank.example tls=TLSv1.2" \
	" cipher=AES256-GCM-SHA384 bits=256 pfs=no verdict=fail reasons=no-pfs action=reject"
#define BODY "Q1: tlspolicy: client=mx.bank.example[192.0.2.1] helo=mx sender=<a@Bank.Example>" TAIL

static const struct {
	const char *label;
	const char *line;
	enum logparse_status want;
	const char *want_day;	/* NULL: undated */
	const char *want_host;
} line_cases[] = {
	{"classic syslog", "Nov 28 17:30:03 mx tlspolicy-milter[123]: " BODY,
	    LOGPARSE_DECISION, "2026-11-28", "mx"},
	{"classic, one-digit day", "Nov  8 17:30:03 mx2 tlspolicy-milter[1]: " BODY,
	    LOGPARSE_DECISION, "2026-11-08", "mx2"},
	{"iso stamp", "2025-01-02T03:04:05.123456+01:00 relay tlspolicy-milter[9]: " BODY,
	    LOGPARSE_DECISION, "2025-01-02", "relay"},
	{"stderr form", "tlspolicy-milter: " BODY, LOGPARSE_DECISION, NULL, ""},
	{"journald of -f", "Nov 28 17:30:03 mx tlspolicy-milter[5]: tlspolicy-milter: " BODY,
	    LOGPARSE_DECISION, "2026-11-28", "mx"},
	{"no pid", "Nov 28 17:30:03 mx tlspolicy-milter: " BODY, LOGPARSE_DECISION,
	    "2026-11-28", "mx"},
	{"other program", "Nov 28 17:30:03 mx postfix/smtpd[1]: connect from a[192.0.2.1]",
	    LOGPARSE_OTHER, NULL, NULL},
	{"other program naming us", "Nov 28 17:30:03 mx sshd[1]: x-tlspolicy-milter[1]: " BODY,
	    LOGPARSE_OTHER, NULL, NULL},
	{"our warning", "Nov 28 17:30:03 mx tlspolicy-milter[1]: warning: reload failed",
	    LOGPARSE_OTHER, NULL, NULL},
	{"empty", "", LOGPARSE_OTHER, NULL, NULL},
	{"cut in the middle", "Nov 28 17:30:03 mx tlspolicy-milter[1]: Q1: tlspolicy: "
	    "client=mx.bank.example[192.0.2.1] helo=mx sender=<a@b> partner=bank sel",
	    LOGPARSE_BAD, NULL, NULL},
	{"cut action", "tlspolicy-milter: Q1: tlspolicy: client=a[192.0.2.1] helo=h sender=<> "
	    "partner=none selector=none tls=none cipher=none bits=0 pfs=no verdict=fail "
	    "reasons=no-tls action=rej", LOGPARSE_BAD, NULL, NULL},
	{"repeated key", "tlspolicy-milter: " BODY " verdict=pass", LOGPARSE_BAD, NULL, NULL},
	{"unknown key skipped", "tlspolicy-milter: " BODY " future=1", LOGPARSE_DECISION, NULL, ""},
	{"token without =", "tlspolicy-milter: " BODY " stray", LOGPARSE_BAD, NULL, NULL},
	{"bad version", "tlspolicy-milter: Q1: tlspolicy: client=a[1] helo=h sender=<> "
	    "partner=none selector=none tls=TLSv9 cipher=x bits=1 pfs=no verdict=pass "
	    "reasons=- action=accept", LOGPARSE_BAD, NULL, NULL},
	{"fail without reason", "tlspolicy-milter: Q1: tlspolicy: client=a[1] helo=h sender=<> "
	    "partner=none selector=none tls=none cipher=none bits=0 pfs=no verdict=fail "
	    "reasons=- action=tag", LOGPARSE_BAD, NULL, NULL},
	{"pass with reason", "tlspolicy-milter: Q1: tlspolicy: client=a[1] helo=h sender=<> "
	    "partner=none selector=none tls=none cipher=none bits=0 pfs=no verdict=pass "
	    "reasons=no-tls action=accept", LOGPARSE_BAD, NULL, NULL},
	{"client without brackets", "tlspolicy-milter: Q1: tlspolicy: client=a helo=h "
	    "sender=<>" TAIL, LOGPARSE_BAD, NULL, NULL},
	{"bad month", "Noz 28 17:30:03 mx tlspolicy-milter[1]: " BODY, LOGPARSE_DECISION,
	    NULL, ""},
};

START_TEST(test_line)
{
	struct decision d;
	enum logparse_status got;
	char day[16];

	logparse_set_year(2026);
	got = logparse_line(line_cases[_i].line, &d);
	ck_assert_msg(got == line_cases[_i].want, "%s: got status %d, want %d",
	    line_cases[_i].label, (int)got, (int)line_cases[_i].want);
	if (got != LOGPARSE_DECISION)
		return;
	if (line_cases[_i].want_day == NULL) {
		ck_assert_msg(!d.dated, "%s: got dated, want undated", line_cases[_i].label);
	} else {
		ck_assert_msg(d.dated, "%s: got undated, want %s", line_cases[_i].label,
		    line_cases[_i].want_day);
		logparse_day_text(d.day, day, sizeof(day));
		ck_assert_msg(strcmp(day, line_cases[_i].want_day) == 0, "%s: got %s, want %s",
		    line_cases[_i].label, day, line_cases[_i].want_day);
	}
	ck_assert_msg(strcmp(d.mta_host, line_cases[_i].want_host) == 0,
	    "%s: got host \"%s\", want \"%s\"", line_cases[_i].label, d.mta_host,
	    line_cases[_i].want_host);
}
END_TEST

START_TEST(test_fields)
{
	struct decision d;
	const char *line = "tlspolicy-milter: NOQUEUE: tlspolicy: client=unknown[2001:db8::1] "
	    "helo=h sender=<> rcpt=<Store@Archive.Example> partner=shop "
	    "selector=recipient_domains:archive.example tls=unknown cipher=unknown "
	    "bits=unknown pfs=unknown verdict=fail reasons=unknown-version,unknown-cipher "
	    "action=would-quarantine";

	ck_assert_msg(logparse_line(line, &d) == LOGPARSE_DECISION, "got not a decision");
	ck_assert_msg(strcmp(d.queue_id, "NOQUEUE") == 0, "queue id: got %s", d.queue_id);
	ck_assert_msg(strcmp(d.client_name, "unknown") == 0, "name: got %s", d.client_name);
	ck_assert_msg(strcmp(d.client_ip, "2001:db8::1") == 0, "ip: got %s", d.client_ip);
	ck_assert_msg(d.sender_domain[0] == '\0', "sender: got %s, want empty", d.sender_domain);
	ck_assert_msg(d.rcpt_stage, "rcpt: got MAIL stage, want RCPT");
	ck_assert_msg(strcmp(d.rcpt_domain, "archive.example") == 0, "rcpt: got %s",
	    d.rcpt_domain);
	ck_assert_msg(strcmp(d.partner, "shop") == 0, "partner: got %s", d.partner);
	ck_assert_msg(strcmp(d.selector, "recipient_domains") == 0, "selector: got %s",
	    d.selector);
	ck_assert_msg(d.tls_version == TLS_VERSION_UNKNOWN, "tls: got %d", (int)d.tls_version);
	ck_assert_msg(d.bits == -1, "bits: got %d, want -1", d.bits);
	ck_assert_msg(d.pfs == TLS_PFS_UNKNOWN, "pfs: got %d", (int)d.pfs);
	ck_assert_msg(d.reasons == (REASON_UNKNOWN_VERSION | REASON_UNKNOWN_CIPHER),
	    "reasons: got %#x", d.reasons);
	ck_assert_msg(d.testing && d.action == POLICY_ACTION_QUARANTINE,
	    "action: got %d testing %d, want would-quarantine", (int)d.action, d.testing);
}
END_TEST

static const struct {
	const char *text;
	long want;	/* -1: not a date */
} date_cases[] = {
	{"1970-01-01", 0}, {"1970-01-02", 1}, {"2000-03-01", 11017},
	{"2026-11-28", 20785}, {"2026-13-01", -1}, {"2026-11-2", -1}, {"26-11-28xx", -1},
};

START_TEST(test_date)
{
	char text[16];
	long day = -1;
	int status = logparse_date(date_cases[_i].text, &day);

	if (date_cases[_i].want < 0) {
		ck_assert_msg(status != 0, "%s: got a date, want an error", date_cases[_i].text);
		return;
	}
	ck_assert_msg(status == 0 && day == date_cases[_i].want, "%s: got %ld, want %ld",
	    date_cases[_i].text, day, date_cases[_i].want);
	logparse_day_text(day, text, sizeof(text));
	ck_assert_msg(strcmp(text, date_cases[_i].text) == 0, "day %ld: got %s, want %s", day,
	    text, date_cases[_i].text);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *suite = suite_create("logparse");
	TCase *tc = tcase_create("logparse");

	tcase_add_loop_test(tc, test_line, 0, sizeof(line_cases) / sizeof(line_cases[0]));
	tcase_add_test(tc, test_fields);
	tcase_add_loop_test(tc, test_date, 0, sizeof(date_cases) / sizeof(date_cases[0]));
	suite_add_tcase(suite, tc);
	return suite;
}
