#include "config.h"

/*
 * mdriver - a milter protocol (version 6) load driver that talks to a
 * milter socket the way Postfix's smtpd does.
 *
 * Usage: mdriver -s unix:PATH|inet:PORT@HOST [-n MESSAGES] [-c CONCURRENCY]
 *            [-m PER_CONNECTION] [-t plain|tls12rsa|tls12ecdhe|tls13]
 *            [-T TRAFFIC] [-k DISTINCT] [-H HEADER] [-P MILTER_PID] [-d USEC]
 *
 * Each connection: option negotiation (we offer every action and step;
 * the milter's answer decides which steps we send, which we do not wait
 * an answer for, and which macros go with each), CONNECT, HELO (and a
 * second HELO after "STARTTLS" with the TLS macros unless plaintext),
 * then PER_CONNECTION messages of MAIL, RCPT, DATA, five headers, EOH,
 * body, EOM, each preceded by its macro packet (also for a step the
 * milter skips, as Postfix does), with 'A' after each message, and QUIT
 * at the end.  Packets are written as Postfix's buffered stream writes
 * them: when a reply is awaited, and after DATA, where smtpd hands the
 * milter over to cleanup.  Every reply is read and checked: a
 * reject, tempfail or discard ends the message (counted), anything
 * unexpected or a timeout is an error and the connection is dropped.  At
 * EOM every modification is read until the final reply; a message is
 * "tagged" when an add/insert-header of HEADER (any name without -H)
 * came back.  Latency is from MAIL to the final EOM reply.
 *
 * Sessions come from a gen_policy.py traffic file (-T), one line per
 * connection in turn, or are made up over DISTINCT clients and sender
 * domains (-k).  With -P the milter's CPU time (utime + stime from
 * /proc/PID/stat) over the run is divided by the messages; the driver's
 * own CPU per message is reported beside it.
 *
 * Prints one line of key=value results; exit 0 when every message got a
 * final reply (errors=0), 1 otherwise, 2 on usage errors.
 */

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfapi.h>
#include <libmilter/mfdef.h>

#define MD_PACKET_MAX	65536		/* replies are small; more is an error */
#define MD_STAGES	7		/* SMFIM_CONNECT .. SMFIM_EOH */
#define MD_LIST_MAX	512
#define MD_TIMEOUT_S	10

/* What a run is asked to do. */
struct md_config {
	const char *socket;
	long messages;
	int concurrency;
	int per_conn;
	int profile;			/* index into md_profiles */
	long distinct;
	const char *header;		/* NULL: any added header counts */
	long pid;
	useconds_t pause;
	char **traffic;			/* lines of the traffic file, or NULL */
	size_t traffic_count;
};

/* One TLS profile as Postfix reports it in macros. */
struct md_profile {
	const char *name;
	const char *version;		/* NULL: plaintext */
	const char *cipher;
	const char *bits;
};

static const struct md_profile md_profiles[] = {
	{"plain", NULL, NULL, NULL},
	{"tls12rsa", "TLSv1.2", "AES256-GCM-SHA384", "256"},
	{"tls12ecdhe", "TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384", "256"},
	{"tls13", "TLSv1.3", "TLS_AES_256_GCM_SHA384", "256"},
};

/* Postfix's default macro lists, used for a stage the milter left alone. */
static const char *const md_default_lists[MD_STAGES] = {
	"j {daemon_name} {daemon_addr} v _",
	"{tls_version} {cipher} {cipher_bits} {cert_subject} {cert_issuer}",
	"i {auth_type} {auth_authen} {auth_author} {mail_addr} {mail_host} {mail_mailer}",
	"i {rcpt_addr} {rcpt_host} {rcpt_mailer}",
	"i",
	"i",
	"i",
};

/* Counters shared by the workers. */
struct md_totals {
	atomic_long next;		/* next message number to hand out */
	atomic_long next_conn;
	atomic_long accepted;		/* reached EOM and got continue/accept */
	atomic_long tagged;
	atomic_long rejected;
	atomic_long tempfailed;
	atomic_long discarded;
	atomic_long errors;
	double *latency;		/* seconds, by message number; < 0: none */
};

/* One milter connection and what was negotiated on it. */
struct md_conn {
	int fd;
	unsigned long protocol;
	char lists[MD_STAGES][MD_LIST_MAX];
	/* the session's facts */
	char client_ip[64];
	char client_name[256];
	bool verified;
	char sender[256];
	char rcpt[256];
	bool tls;			/* after STARTTLS */
	char queue_id[16];
	bool have_queue_id;
	char buf[MD_PACKET_MAX];	/* the latest packet from the milter */
	char out[8192];			/* packets not yet written */
	size_t outlen;
};

/* A message's end, as the milter decided it. */
enum md_outcome {
	MD_CONTINUE,
	MD_ACCEPT,
	MD_REJECT,
	MD_TEMPFAIL,
	MD_DISCARD,
	MD_ERROR,
};

static struct md_config md_cfg;
static struct md_totals md_tot;

/* md_now - monotonic seconds */
static double
md_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* md_usage - the synopsis, then exit 2 */
static void
md_usage(const char *why)
{
	if (why != NULL)
		fprintf(stderr, "mdriver: %s\n", why);
	fprintf(stderr, "usage: mdriver -s unix:PATH|inet:PORT@HOST [-n MESSAGES] "
	    "[-c CONCURRENCY] [-m PER_CONNECTION]\n"
	    "               [-t plain|tls12rsa|tls12ecdhe|tls13] [-T TRAFFIC] [-k DISTINCT]\n"
	    "               [-H HEADER] [-P MILTER_PID] [-d USEC]\n");
	exit(2);
}

/* ---------------------------------------------------------------- wire */

/* md_write_all - the whole buffer, or -1 */
static int
md_write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, buf, len)) <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* md_read_all - exactly len bytes, or -1 */
static int
md_read_all(int fd, char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = read(fd, buf, len)) <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * md_queue - one packet into the output buffer.  Like Postfix's stream
 * buffer it is written only when a reply is awaited (md_send), at the
 * hand-over after DATA, or when full: a macro packet, its command and
 * the packets of steps without a reply go out in one write(), where a
 * separate write for each would meet Nagle's algorithm over TCP.
 */
static int
md_queue(struct md_conn *conn, char cmd, const char *data, size_t len)
{
	uint32_t size = htonl((uint32_t)(len + 1));

	if (len + 5 > sizeof(conn->out))
		return -1;
	if (conn->outlen + len + 5 > sizeof(conn->out)) {
		if (md_write_all(conn->fd, conn->out, conn->outlen) < 0)
			return -1;
		conn->outlen = 0;
	}
	memcpy(conn->out + conn->outlen, &size, 4);
	conn->out[conn->outlen + 4] = cmd;
	if (len > 0)
		memcpy(conn->out + conn->outlen + 5, data, len);
	conn->outlen += len + 5;
	return 0;
}

/* md_send - queue one packet and write everything queued */
static int
md_send(struct md_conn *conn, char cmd, const char *data, size_t len)
{
	int status;

	if (md_queue(conn, cmd, data, len) < 0)
		return -1;
	if (md_cfg.pause > 0)
		usleep(md_cfg.pause);
	status = md_write_all(conn->fd, conn->out, conn->outlen);
	conn->outlen = 0;
	return status;
}

/* md_recv - one packet into buf (NUL-terminated); its command, or -1 */
static int
md_recv(struct md_conn *conn, char *buf, size_t size, size_t *len)
{
	uint32_t netlen;
	size_t n;
	char cmd;

	if (md_read_all(conn->fd, (char *)&netlen, 4) < 0)
		return -1;
	n = ntohl(netlen);
	if (n < 1 || n > MD_PACKET_MAX || n > size)
		return -1;
	if (md_read_all(conn->fd, buf, n) < 0)
		return -1;
	cmd = buf[0];
	memmove(buf, buf + 1, n - 1);
	buf[n - 1] = '\0';
	*len = n - 1;
	return (unsigned char)cmd;
}

/* md_put - append len bytes at *at in buf of size; false when full */
static bool
md_put(char *buf, size_t size, size_t *at, const void *data, size_t len)
{
	if (*at + len > size)
		return false;
	memcpy(buf + *at, data, len);
	*at += len;
	return true;
}

/* md_put_str - append a string with its NUL */
static bool
md_put_str(char *buf, size_t size, size_t *at, const char *text)
{
	return md_put(buf, size, at, text, strlen(text) + 1);
}

/* ---------------------------------------------------------------- macros */

/* md_macro - the value Postfix would give name in this session, or NULL */
static const char *
md_macro(const struct md_conn *conn, const char *name, char *buf, size_t size)
{
	const struct md_profile *tls = &md_profiles[md_cfg.profile];

	if (strcmp(name, "j") == 0)
		return "mx.bench.test";
	if (strcmp(name, "{daemon_name}") == 0)
		return "smtpd";
	if (strcmp(name, "{daemon_addr}") == 0 || strcmp(name, "{if_addr}") == 0)
		return "127.0.0.1";
	if (strcmp(name, "{if_name}") == 0)
		return "localhost";
	if (strcmp(name, "v") == 0)
		return "Postfix 3.7.11";
	if (strcmp(name, "_") == 0) {
		snprintf(buf, size, "%s [%s]", conn->verified ? conn->client_name : "unknown",
		    conn->client_ip);
		return buf;
	}
	if (strcmp(name, "{client_addr}") == 0)
		return conn->client_ip;
	if (strcmp(name, "{client_name}") == 0)
		return conn->verified ? conn->client_name : "unknown";
	if (strcmp(name, "{client_resolve}") == 0)
		return conn->verified ? "OK" : "FAIL";
	if (strcmp(name, "i") == 0)
		return conn->have_queue_id ? conn->queue_id : NULL;
	if (strcmp(name, "{mail_addr}") == 0)
		return conn->sender;
	if (strcmp(name, "{rcpt_addr}") == 0)
		return conn->rcpt;
	if (!conn->tls || tls->version == NULL)
		return NULL;
	if (strcmp(name, "{tls_version}") == 0)
		return tls->version;
	if (strcmp(name, "{cipher}") == 0)
		return tls->cipher;
	if (strcmp(name, "{cipher_bits}") == 0 || strcmp(name, "{alg_bits}") == 0)
		return tls->bits;
	return NULL;
}

/* md_send_macros - queue the 'D' packet of one stage, unless it would be empty */
static int
md_send_macros(struct md_conn *conn, int stage, char cmd)
{
	char list[MD_LIST_MAX], value[400], packet[4096];
	const char *val;
	size_t at = 0;
	char *name, *save = NULL;
	int count = 0;

	snprintf(list, sizeof(list), "%s",
	    conn->lists[stage][0] != '\0' ? conn->lists[stage] : md_default_lists[stage]);
	md_put(packet, sizeof(packet), &at, &cmd, 1);	/* the stage's command */
	for (name = strtok_r(list, " ,", &save); name != NULL; name = strtok_r(NULL, " ,", &save)) {
		if ((val = md_macro(conn, name, value, sizeof(value))) == NULL)
			continue;
		if (!md_put_str(packet, sizeof(packet), &at, name)
		    || !md_put_str(packet, sizeof(packet), &at, val))
			return -1;
		count++;
	}
	if (count == 0)
		return 0;
	return md_queue(conn, SMFIC_MACRO, packet, at);
}

/* ---------------------------------------------------------------- replies */

/* md_reply_outcome - a final reply's meaning */
static enum md_outcome
md_reply_outcome(int cmd, const char *text)
{
	switch (cmd) {
	case SMFIR_CONTINUE:
		return MD_CONTINUE;
	case SMFIR_ACCEPT:
		return MD_ACCEPT;
	case SMFIR_REJECT:
		return MD_REJECT;
	case SMFIR_TEMPFAIL:
		return MD_TEMPFAIL;
	case SMFIR_DISCARD:
		return MD_DISCARD;
	case SMFIR_REPLYCODE:
		return text[0] == '4' ? MD_TEMPFAIL : text[0] == '5' ? MD_REJECT : MD_ERROR;
	default:
		return MD_ERROR;
	}
}

/*
 * md_await - read until a final reply; at EOM modifications may come
 * first (headers noted in *tagged).  Progress packets are skipped.
 */
static enum md_outcome
md_await(struct md_conn *conn, bool eom, bool *tagged)
{
	const char *buf = conn->buf;
	const char *name;
	size_t len;
	int cmd;

	for (;;) {
		if ((cmd = md_recv(conn, conn->buf, sizeof(conn->buf), &len)) < 0)
			return MD_ERROR;
		if (cmd == SMFIR_PROGRESS)
			continue;
		if (!eom)
			return md_reply_outcome(cmd, buf);
		switch (cmd) {
		case SMFIR_ADDHEADER:
			name = buf;
			break;
		case SMFIR_INSHEADER:
			if (len < 5)
				return MD_ERROR;
			name = buf + 4;
			break;
		case SMFIR_CHGHEADER:
		case SMFIR_QUARANTINE:
		case SMFIR_ADDRCPT:
		case SMFIR_DELRCPT:
		case SMFIR_REPLBODY:
		case SMFIR_CHGFROM:
			continue;
		default:
			return md_reply_outcome(cmd, buf);
		}
		if (md_cfg.header == NULL || strcasecmp(name, md_cfg.header) == 0)
			*tagged = true;
	}
}

/*
 * md_step - macros, command, and the reply unless the milter waived it.
 * As Postfix does, the macros go out even for a step the milter skips,
 * and a step without a reply stays queued until the next write.
 */
static enum md_outcome
md_step(struct md_conn *conn, int stage, char cmd, const char *data, size_t len,
    unsigned long skip, unsigned long noreply)
{
	bool unused = false;

	if (stage >= 0 && md_send_macros(conn, stage, cmd) < 0)
		return MD_ERROR;
	if ((conn->protocol & skip) != 0)
		return MD_CONTINUE;
	if ((conn->protocol & noreply) != 0)
		return md_queue(conn, cmd, data, len) < 0 ? MD_ERROR : MD_CONTINUE;
	if (md_send(conn, cmd, data, len) < 0)
		return MD_ERROR;
	return md_await(conn, false, &unused);
}

/* ---------------------------------------------------------------- session */

/* md_parse_lists - the macro lists after the OPTNEG reply's three words */
static void
md_parse_lists(struct md_conn *conn, const char *buf, size_t len)
{
	size_t at = 12;
	uint32_t where;
	size_t n;

	while (at + 4 < len) {
		memcpy(&where, buf + at, 4);
		where = ntohl(where);
		at += 4;
		n = strnlen(buf + at, len - at);
		if (where < MD_STAGES)
			snprintf(conn->lists[where], MD_LIST_MAX, "%.*s", (int)n, buf + at);
		at += n + 1;
	}
}

/* md_negotiate - OPTNEG both ways */
static int
md_negotiate(struct md_conn *conn)
{
	const char *buf = conn->buf;
	uint32_t words[3];
	size_t len;

	words[0] = htonl(6);
	words[1] = htonl(SMFIF_ADDHDRS | SMFIF_CHGBODY | SMFIF_ADDRCPT | SMFIF_DELRCPT
	    | SMFIF_CHGHDRS | SMFIF_QUARANTINE | SMFIF_CHGFROM | SMFIF_ADDRCPT_PAR
	    | SMFIF_SETSYMLIST);
	words[2] = htonl(0x001fffff & ~SMFIP_RCPT_REJ);
	if (md_send(conn, SMFIC_OPTNEG, (const char *)words, sizeof(words)) < 0)
		return -1;
	if (md_recv(conn, conn->buf, sizeof(conn->buf), &len) != SMFIC_OPTNEG || len < 12)
		return -1;
	memcpy(words, buf, sizeof(words));
	conn->protocol = ntohl(words[2]);
	md_parse_lists(conn, buf, len);
	return 0;
}

/* md_open - a connected socket to the milter, or -1 */
static int
md_open(const char *spec)
{
	struct sockaddr_un sun;
	struct addrinfo hints, *res;
	struct timeval tv = {MD_TIMEOUT_S, 0};
	char port[32], *at;
	int fd = -1;

	if (strncmp(spec, "unix:", 5) == 0 || strncmp(spec, "local:", 6) == 0) {
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", strchr(spec, ':') + 1);
		if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0)
			return -1;
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
			goto fail;
	} else if (strncmp(spec, "inet:", 5) == 0) {
		snprintf(port, sizeof(port), "%s", spec + 5);
		if ((at = strchr(port, '@')) == NULL)
			return -1;
		*at = '\0';
		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_STREAM;
		if (getaddrinfo(strchr(spec, '@') + 1, port, &hints, &res) != 0)
			return -1;
		fd = socket(res->ai_family, SOCK_STREAM, 0);
		if (fd < 0 || connect(fd, res->ai_addr, res->ai_addrlen) < 0) {
			freeaddrinfo(res);
			goto fail;
		}
		freeaddrinfo(res);
	} else {
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	return -1;
}

/* md_pick_session - this connection's client and sender */
static void
md_pick_session(struct md_conn *conn, long number)
{
	char line[1024], *field[6], *p;
	size_t n = 0;
	long k;

	if (md_cfg.traffic != NULL) {
		snprintf(line, sizeof(line), "%s",
		    md_cfg.traffic[(size_t)number % md_cfg.traffic_count]);
		for (p = line; n < 6; p++) {
			field[n++] = p;
			if ((p = strchr(p, '\t')) == NULL)
				break;
			*p = '\0';
		}
		if (n >= 5) {
			snprintf(conn->client_ip, sizeof(conn->client_ip), "%s", field[0]);
			snprintf(conn->client_name, sizeof(conn->client_name), "%s", field[1]);
			conn->verified = strcmp(field[2], "1") == 0;
			snprintf(conn->sender, sizeof(conn->sender), "<%s>", field[3]);
			snprintf(conn->rcpt, sizeof(conn->rcpt), "<%s>", field[4]);
			return;
		}
	}
	k = number % md_cfg.distinct;
	snprintf(conn->client_ip, sizeof(conn->client_ip), "198.18.%ld.%ld", (k >> 8) & 255,
	    k & 255);
	snprintf(conn->client_name, sizeof(conn->client_name), "mx%ld.client.test", k);
	conn->verified = true;
	snprintf(conn->sender, sizeof(conn->sender), "<user@d%ld.sender.test>", k);
	snprintf(conn->rcpt, sizeof(conn->rcpt), "<postmaster@mx.bench.test>");
}

/* md_connect_helo - CONNECT, HELO, and HELO again after STARTTLS */
static enum md_outcome
md_connect_helo(struct md_conn *conn)
{
	char packet[512];
	size_t at = 0;
	uint16_t port = htons(25000);
	char family = strchr(conn->client_ip, ':') != NULL ? SMFIA_INET6 : SMFIA_INET;
	enum md_outcome outcome;

	md_put_str(packet, sizeof(packet), &at,
	    conn->verified ? conn->client_name : "unknown");
	md_put(packet, sizeof(packet), &at, &family, 1);
	md_put(packet, sizeof(packet), &at, &port, 2);
	md_put_str(packet, sizeof(packet), &at, conn->client_ip);
	outcome = md_step(conn, SMFIM_CONNECT, SMFIC_CONNECT, packet, at, SMFIP_NOCONNECT,
	    SMFIP_NR_CONN);
	if (outcome != MD_CONTINUE)
		return outcome;
	outcome = md_step(conn, SMFIM_HELO, SMFIC_HELO, "client.test", 12, SMFIP_NOHELO,
	    SMFIP_NR_HELO);
	if (outcome != MD_CONTINUE || md_profiles[md_cfg.profile].version == NULL)
		return outcome;
	conn->tls = true;
	return md_step(conn, SMFIM_HELO, SMFIC_HELO, "client.test", 12, SMFIP_NOHELO,
	    SMFIP_NR_HELO);
}

/* md_headers - five ordinary headers, then EOH */
static enum md_outcome
md_headers(struct md_conn *conn)
{
	static const char *const headers[][2] = {
		{"From", "Alice <alice@example.com>"},
		{"To", "postmaster@mx.bench.test"},
		{"Subject", "benchmark message"},
		{"Date", "Sat, 28 Nov 2026 12:00:00 +0000"},
		{"Message-ID", "<bench@client.test>"},
	};
	char packet[256];
	size_t i, at;
	enum md_outcome outcome;

	for (i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
		at = 0;
		md_put_str(packet, sizeof(packet), &at, headers[i][0]);
		md_put_str(packet, sizeof(packet), &at, headers[i][1]);
		outcome = md_step(conn, -1, SMFIC_HEADER, packet, at, SMFIP_NOHDRS,
		    SMFIP_NR_HDR);
		if (outcome != MD_CONTINUE)
			return outcome;
	}
	return md_step(conn, SMFIM_EOH, SMFIC_EOH, NULL, 0, SMFIP_NOEOH, SMFIP_NR_EOH);
}

/* md_envelope - MAIL, RCPT, DATA; the queue ID appears after the first RCPT */
static enum md_outcome
md_envelope(struct md_conn *conn, long number)
{
	enum md_outcome outcome;

	conn->have_queue_id = false;
	outcome = md_step(conn, SMFIM_ENVFROM, SMFIC_MAIL, conn->sender,
	    strlen(conn->sender) + 1, SMFIP_NOMAIL, SMFIP_NR_MAIL);
	if (outcome != MD_CONTINUE)
		return outcome;
	outcome = md_step(conn, SMFIM_ENVRCPT, SMFIC_RCPT, conn->rcpt,
	    strlen(conn->rcpt) + 1, SMFIP_NORCPT, SMFIP_NR_RCPT);
	if (outcome != MD_CONTINUE)
		return outcome;
	snprintf(conn->queue_id, sizeof(conn->queue_id), "B%09lX", number);
	conn->have_queue_id = true;
	outcome = md_step(conn, SMFIM_DATA, SMFIC_DATA, NULL, 0, SMFIP_NODATA, SMFIP_NR_DATA);
	if (outcome != MD_CONTINUE)
		return outcome;
	/*
	 * Postfix's smtpd flushes here and hands the milter socket to
	 * cleanup, which sends the rest: whatever is queued (the DATA
	 * macros at least) goes out alone.
	 */
	if (conn->outlen > 0 && md_write_all(conn->fd, conn->out, conn->outlen) < 0)
		return MD_ERROR;
	conn->outlen = 0;
	return MD_CONTINUE;
}

/* md_message - one whole message; its outcome and whether it was tagged */
static enum md_outcome
md_message(struct md_conn *conn, long number, bool *tagged)
{
	static const char body[] = "Hello,\r\n\r\nthis is a benchmark message.\r\n";
	enum md_outcome outcome;

	*tagged = false;
	if ((outcome = md_envelope(conn, number)) != MD_CONTINUE)
		return outcome;
	if ((outcome = md_headers(conn)) != MD_CONTINUE)
		return outcome;
	outcome = md_step(conn, -1, SMFIC_BODY, body, sizeof(body) - 1, SMFIP_NOBODY,
	    SMFIP_NR_BODY);
	if (outcome != MD_CONTINUE)
		return outcome;
	if (md_send_macros(conn, SMFIM_EOM, SMFIC_BODYEOB) < 0
	    || md_send(conn, SMFIC_BODYEOB, NULL, 0) < 0)
		return MD_ERROR;
	return md_await(conn, true, tagged);
}

/* md_count - add one message's outcome to the totals */
static void
md_count(enum md_outcome outcome, bool tagged)
{
	switch (outcome) {
	case MD_CONTINUE:
	case MD_ACCEPT:
		atomic_fetch_add(&md_tot.accepted, 1);
		if (tagged)
			atomic_fetch_add(&md_tot.tagged, 1);
		break;
	case MD_REJECT:
		atomic_fetch_add(&md_tot.rejected, 1);
		break;
	case MD_TEMPFAIL:
		atomic_fetch_add(&md_tot.tempfailed, 1);
		break;
	case MD_DISCARD:
		atomic_fetch_add(&md_tot.discarded, 1);
		break;
	case MD_ERROR:
		atomic_fetch_add(&md_tot.errors, 1);
		break;
	}
}

/*
 * md_connection - messages [first, first + count) on one milter
 * connection; returns how many were handled before an error.
 */
static long
md_connection(long first, long count)
{
	struct md_conn conn;
	enum md_outcome outcome;
	bool tagged;
	double start;
	long i = 0;

	memset(&conn, 0, sizeof(conn));
	md_pick_session(&conn, atomic_fetch_add(&md_tot.next_conn, 1));
	if ((conn.fd = md_open(md_cfg.socket)) < 0 || md_negotiate(&conn) < 0
	    || md_connect_helo(&conn) != MD_CONTINUE)
		goto done;
	for (; i < count; i++) {
		start = md_now();
		outcome = md_message(&conn, first + i, &tagged);
		md_tot.latency[first + i] = md_now() - start;
		md_count(outcome, tagged);
		if (outcome == MD_ERROR) {
			i++;
			goto done;
		}
		/*
		 * 'A' goes out with the next MAIL: written alone, Nagle would
		 * hold that MAIL until the milter's delayed ACK of the 'A',
		 * a stall of the driver, not of the milter.
		 */
		if (md_queue(&conn, SMFIC_ABORT, NULL, 0) < 0) {
			i++;
			goto done;
		}
	}
	md_send(&conn, SMFIC_QUIT, NULL, 0);
done:
	if (conn.fd >= 0)
		close(conn.fd);
	return i;
}

/* md_worker - take batches of messages until none are left */
static void *
md_worker(void *unused)
{
	long first, count, done;

	(void)unused;
	for (;;) {
		first = atomic_fetch_add(&md_tot.next, md_cfg.per_conn);
		if (first >= md_cfg.messages)
			return NULL;
		count = md_cfg.messages - first < md_cfg.per_conn ?
		    md_cfg.messages - first : md_cfg.per_conn;
		done = md_connection(first, count);
		/* Messages a dropped connection never got to are errors, not lost. */
		atomic_fetch_add(&md_tot.errors, count - done);
	}
}

/* ---------------------------------------------------------------- report */

/* md_cpu_ticks - utime + stime of pid, or -1 */
static long
md_cpu_ticks(long pid)
{
	char path[64], buf[2048], *p;
	unsigned long utime, stime;
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	/* The command name may hold spaces: count fields after its ')'. */
	if ((p = strrchr(buf, ')')) == NULL
	    || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
	    &utime, &stime) != 2)
		return -1;
	return (long)(utime + stime);
}

/* md_self_cpu_us - this driver's own CPU time: on a small machine it competes with the milter */
static double
md_self_cpu_us(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return -1;
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6
	    + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

/* md_cmp - qsort order of doubles */
static int
md_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* md_percentile - p-th percentile of the measured latencies, in ms */
static double
md_percentile(double *sorted, size_t n, double p)
{
	size_t i;

	if (n == 0)
		return 0;
	i = (size_t)(p * (double)(n - 1) + 0.5);
	return sorted[i] * 1000.0;
}

/* md_read_traffic - the traffic file's lines */
static void
md_read_traffic(const char *path)
{
	char line[1024];
	size_t cap = 0;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL)
		md_usage("cannot read the traffic file");
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (md_cfg.traffic_count == cap) {
			cap = cap ? cap * 2 : 256;
			md_cfg.traffic = realloc(md_cfg.traffic, cap * sizeof(char *));
		}
		if (md_cfg.traffic == NULL
		    || (md_cfg.traffic[md_cfg.traffic_count++] = strdup(line)) == NULL)
			md_usage("out of memory");
	}
	fclose(fp);
	if (md_cfg.traffic_count == 0)
		md_usage("empty traffic file");
}

/* md_options - the command line into md_cfg */
static void
md_options(int argc, char **argv)
{
	int ch;
	size_t i;

	md_cfg.messages = 1000;
	md_cfg.concurrency = 1;
	md_cfg.per_conn = 10;
	md_cfg.profile = 3;
	md_cfg.distinct = 100;
	md_cfg.pid = -1;
	while ((ch = getopt(argc, argv, "s:n:c:m:t:T:k:H:P:d:")) != -1) {
		switch (ch) {
		case 's': md_cfg.socket = optarg; break;
		case 'n': md_cfg.messages = atol(optarg); break;
		case 'c': md_cfg.concurrency = atoi(optarg); break;
		case 'm': md_cfg.per_conn = atoi(optarg); break;
		case 'k': md_cfg.distinct = atol(optarg); break;
		case 'H': md_cfg.header = optarg; break;
		case 'P': md_cfg.pid = atol(optarg); break;
		case 'd': md_cfg.pause = (useconds_t)atol(optarg); break;
		case 'T': md_read_traffic(optarg); break;
		case 't':
			for (i = 0; i < sizeof(md_profiles) / sizeof(md_profiles[0]); i++)
				if (strcmp(optarg, md_profiles[i].name) == 0)
					break;
			if (i == sizeof(md_profiles) / sizeof(md_profiles[0]))
				md_usage("unknown TLS profile");
			md_cfg.profile = (int)i;
			break;
		default:
			md_usage(NULL);
		}
	}
	if (md_cfg.socket == NULL || optind != argc)
		md_usage("-s SOCKET is required");
	if (md_cfg.messages < 1 || md_cfg.concurrency < 1 || md_cfg.concurrency > 4096
	    || md_cfg.per_conn < 1 || md_cfg.distinct < 1)
		md_usage("counts must be positive");
}

int
main(int argc, char **argv)
{
	pthread_t *threads;
	long cpu0, cpu1, measured = 0, i;
	double start, secs, cpu_us = -1;
	int t;

	signal(SIGPIPE, SIG_IGN);	/* a milter that hangs up is an error, not our death */
	md_options(argc, argv);
	md_tot.latency = calloc((size_t)md_cfg.messages, sizeof(double));
	threads = calloc((size_t)md_cfg.concurrency, sizeof(*threads));
	if (md_tot.latency == NULL || threads == NULL)
		md_usage("out of memory");
	for (i = 0; i < md_cfg.messages; i++)
		md_tot.latency[i] = -1;
	cpu0 = md_cfg.pid > 0 ? md_cpu_ticks(md_cfg.pid) : -1;
	start = md_now();
	for (t = 0; t < md_cfg.concurrency; t++)
		if (pthread_create(&threads[t], NULL, md_worker, NULL) != 0)
			md_usage("cannot start threads");
	for (t = 0; t < md_cfg.concurrency; t++)
		pthread_join(threads[t], NULL);
	secs = md_now() - start;
	cpu1 = md_cfg.pid > 0 ? md_cpu_ticks(md_cfg.pid) : -1;
	if (cpu0 >= 0 && cpu1 >= 0)
		cpu_us = (double)(cpu1 - cpu0) * 1e6 / (double)sysconf(_SC_CLK_TCK)
		    / (double)md_cfg.messages;
	for (i = 0; i < md_cfg.messages; i++)
		if (md_tot.latency[i] >= 0)
			md_tot.latency[measured++] = md_tot.latency[i];
	qsort(md_tot.latency, (size_t)measured, sizeof(double), md_cmp);
	printf("messages=%ld concurrency=%d per_conn=%d profile=%s accepted=%ld tagged=%ld "
	    "rejected=%ld tempfailed=%ld discarded=%ld errors=%ld secs=%.3f msgs_per_s=%.0f "
	    "p50_ms=%.3f p99_ms=%.3f milter_cpu_us=%.0f driver_cpu_us=%.0f\n",
	    md_cfg.messages, md_cfg.concurrency, md_cfg.per_conn,
	    md_profiles[md_cfg.profile].name, atomic_load(&md_tot.accepted),
	    atomic_load(&md_tot.tagged), atomic_load(&md_tot.rejected),
	    atomic_load(&md_tot.tempfailed), atomic_load(&md_tot.discarded),
	    atomic_load(&md_tot.errors), secs, (double)md_cfg.messages / secs,
	    md_percentile(md_tot.latency, (size_t)measured, 0.50),
	    md_percentile(md_tot.latency, (size_t)measured, 0.99), cpu_us,
	    md_self_cpu_us() / (double)md_cfg.messages);
	for (i = 0; i < (long)md_cfg.traffic_count; i++)
		free(md_cfg.traffic[i]);
	free(md_cfg.traffic);
	free(md_tot.latency);
	free(threads);
	return atomic_load(&md_tot.errors) == 0 ? 0 : 1;
}
