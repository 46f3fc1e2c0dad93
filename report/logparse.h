/*
 * logparse.h - one mail log line to one tlspolicy decision.
 */
#ifndef TLSPOLICY_REPORT_LOGPARSE_H
#define TLSPOLICY_REPORT_LOGPARSE_H

#include <stdbool.h>
#include "policy.h"
#include "tls.h"

/* Bounds of the copied values: the milter caps its own values below these. */
#define DECISION_NAME_MAX	256	/* host names, domains: 255 bytes and a NUL */
#define DECISION_ADDR_MAX	72	/* an IP address */
#define DECISION_TOKEN_MAX	72	/* queue ID, partner, cipher, selector name */

enum logparse_status {
	LOGPARSE_DECISION = 0,	/* a decision line of ours: d is filled */
	LOGPARSE_OTHER,		/* another program's line, or another line of ours */
	LOGPARSE_BAD,		/* our decision line, but cut or of another format */
};

struct decision {
	/* Where and when: from the syslog prefix. */
	bool dated;		/* false: no timestamp (the -f stderr form) */
	long day;		/* days since 1970-01-01 as written in the log */
	char mta_host[DECISION_NAME_MAX];	/* syslog host field; "" if none */
	char queue_id[DECISION_TOKEN_MAX];	/* "NOQUEUE" before one exists */

	/* The session. */
	char client_name[DECISION_NAME_MAX];	/* "unknown" when the MTA had none */
	char client_ip[DECISION_ADDR_MAX];
	char sender_domain[DECISION_NAME_MAX];	/* "" for the null sender */
	bool rcpt_stage;	/* rcpt= present: judged for one recipient */
	char rcpt_domain[DECISION_NAME_MAX];
	char partner[DECISION_TOKEN_MAX];	/* "" for non-partner mail */
	char selector[DECISION_TOKEN_MAX];	/* selector name without the pattern */
	enum tls_version tls_version;	/* TLS_VERSION_NONE for plaintext */
	char cipher[DECISION_TOKEN_MAX];
	int bits;		/* -1 when logged as unknown */
	enum tls_pfs pfs;

	/* The verdict. */
	enum verdict_result result;
	unsigned reasons;	/* REASON_* bits */
	enum policy_action action;	/* the policy's action (the would- action in testing) */
	bool testing;		/* logged as "would-ACTION" */
};

/*
 * logparse_set_year - the year given to syslog timestamps, which have none.
 */
void logparse_set_year(int year);

/*
 * logparse_line - classify one NUL-terminated line (without its newline).
 * Fills d only for LOGPARSE_DECISION.
 */
enum logparse_status logparse_line(const char *line, struct decision *d);

/* logparse_day_number - days since 1970-01-01 of a civil date. */
long logparse_day_number(int year, int month, int day);

/* logparse_day_text - "YYYY-MM-DD" of a day number into buf (11 bytes). */
void logparse_day_text(long day, char *buf, size_t size);

/* logparse_date - parse "YYYY-MM-DD" into a day number; -1 on error. */
int logparse_date(const char *text, long *day);

#endif
