/*
 * daemon - the one start-up path of the milter (milter-regex's main()
 * order): check who we are -> block signals -> cipher table -> policy
 * (fatal with every diagnostic) -> RLIMIT_NOFILE -> register -> open the
 * socket and give it its owner and mode (TCP_NODELAY for inet) -> drop
 * privileges -> detach unless -f -> pid file -> reload thread ->
 * smfi_main().
 *
 * Signals: SIGHUP, SIGINT, SIGTERM and SIGUSR1 are blocked before any
 * thread exists, so every thread inherits the mask.  libmilter's own
 * signal thread sigwait()s the first three and stops the milter on any
 * of them (SIGHUP too: it is libmilter's, not a reload).  Our reload
 * thread sigwait()s SIGUSR1 and calls holder_reload(), which swaps the
 * policy only when the new file is valid.
 *
 * Ownership: the policy belongs to holder.c; the cipher table lives as
 * long as the process, because libmilter may still be running a
 * connection thread when smfi_main() returns.
 *
 * Errors before smfi_main() are fatal (exit 1) with the reason on
 * stderr or syslog; smfi_main() failing returns 1.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "callbacks.h"
#include "daemon.h"
#include "holder.h"
#include "log.h"
#include "options.h"
#include "policy.h"
#include "tls.h"

#define DAEMON_SOCKET_MODE	0660
#define DAEMON_SCAN_FDS		1024	/* highest descriptor searched for the listener */

/* The account named by -u, resolved once. */
struct daemon_ids {
	bool set;
	uid_t uid;
	gid_t gid;
};

static atomic_bool daemon_stopping;

/* daemon_resolve_user - -u user[:group], and the refusal to serve as root */
static void
daemon_resolve_user(const struct options *opts, struct daemon_ids *ids)
{
	char user[256];
	const char *group;
	struct passwd *pw;
	struct group *gr;

	memset(ids, 0, sizeof(*ids));
	if (opts->user != NULL) {
		snprintf(user, sizeof(user), "%s", opts->user);
		user[strcspn(user, ":")] = '\0';
		group = strchr(opts->user, ':');
		if ((pw = getpwnam(user)) == NULL)
			fatal("-u %s: no such user", user);
		ids->set = true;
		ids->uid = pw->pw_uid;
		ids->gid = pw->pw_gid;
		if (group != NULL) {
			if ((gr = getgrnam(group + 1)) == NULL)
				fatal("-u %s: no such group", opts->user);
			ids->gid = gr->gr_gid;
		}
	}
	if (opts->allow_root)
		return;
	if ((ids->set && ids->uid == 0) || (!ids->set && geteuid() == 0))
		fatal("refusing to serve as root: give -u user[:group] to drop privileges "
		    "after the socket is open, or -R to run as root anyway");
}

/* daemon_block_signals - before any thread: every thread inherits the mask */
static void
daemon_block_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	if ((errno = pthread_sigmask(SIG_BLOCK, &set, NULL)) != 0)
		fatal("cannot block signals: %s", strerror(errno));
	signal(SIGPIPE, SIG_IGN);
}

/* daemon_load_policy - the first policy, or exit with every diagnostic */
static struct policy *
daemon_load_policy(const char *path)
{
	struct policy_diag diag;
	struct policy *policy;
	size_t i;

	policy_diag_init(&diag);
	policy = policy_load_file(path, &diag);
	for (i = 0; i < diag.count; i++) {
		if (diag.entries[i].warning)
			log_warn("%s", diag.entries[i].text);
		else
			log_err("%s", diag.entries[i].text);
	}
	if (policy == NULL || diag.errors > 0)
		fatal("%s: %zu error(s) in the policy; not starting", path, diag.errors);
	policy_diag_free(&diag);
	return policy;
}

/* daemon_raise_nofile - one descriptor per MTA connection: take all we may */
static void
daemon_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		log_warn("cannot raise the descriptor limit to %llu: %s",
		    (unsigned long long)rl.rlim_max, strerror(errno));
}

/* daemon_unix_path - the path of a unix socket spec, NULL for inet */
static const char *
daemon_unix_path(const char *spec)
{
	const char *colon = strchr(spec, ':');

	if (colon == NULL)
		return spec;
	if (strncmp(spec, "unix:", 5) == 0 || strncmp(spec, "local:", 6) == 0)
		return colon + 1;
	return NULL;
}

/* daemon_secure_unix_socket - 0660, owned by the -u account */
static void
daemon_secure_unix_socket(const char *path, const struct daemon_ids *ids)
{
	if (chmod(path, DAEMON_SOCKET_MODE) != 0)
		fatal("chmod %s: %s", path, strerror(errno));
	if (ids->set && chown(path, ids->uid, ids->gid) != 0)
		fatal("chown %s: %s", path, strerror(errno));
}

/* daemon_is_tcp_listener - a listening TCP socket (the one libmilter made) */
static bool
daemon_is_tcp_listener(int fd)
{
	int value, domain;
	socklen_t len = sizeof(value);

	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &value, &len) != 0 || value == 0)
		return false;
	len = sizeof(domain);
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0)
		return false;
	len = sizeof(value);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &value, &len) != 0)
		return false;
	return (domain == AF_INET || domain == AF_INET6) && value == SOCK_STREAM;
}

/*
 * daemon_nodelay_listeners - TCP_NODELAY on the inet listener.  Linux
 * copies it to every accepted socket; without it the reply that follows
 * an inserted header waits for the MTA's delayed ACK (about 40 ms).
 */
static void
daemon_nodelay_listeners(void)
{
	int fd, on = 1, found = 0;

	for (fd = 3; fd < DAEMON_SCAN_FDS; fd++) {
		if (!daemon_is_tcp_listener(fd))
			continue;
		found++;
		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) != 0)
			log_warn("TCP_NODELAY on the milter socket: %s", strerror(errno));
	}
	if (found == 0)
		log_warn("no listening TCP socket found for TCP_NODELAY");
}

/* daemon_open_socket - libmilter's socket, with our mode, owner and options */
static void
daemon_open_socket(const char *spec, const struct daemon_ids *ids)
{
	static char conn[1024];
	const char *path = daemon_unix_path(spec);
	mode_t old_mask;

	if ((size_t)snprintf(conn, sizeof(conn), "%s", spec) >= sizeof(conn))
		fatal("-p %s: socket name too long", spec);
	if (smfi_setconn(conn) != MI_SUCCESS)
		fatal("-p %s: libmilter does not accept this socket", spec);
	/* Created 0660 from the start: no moment when anyone may connect. */
	old_mask = umask(0117);
	errno = 0;
	if (smfi_opensocket(true) != MI_SUCCESS)
		fatal("cannot open the milter socket %s%s%s", spec, errno != 0 ? ": " : "",
		    errno != 0 ? strerror(errno) : "");
	umask(old_mask);
	if (path != NULL)
		daemon_secure_unix_socket(path, ids);
	else
		daemon_nodelay_listeners();
}

/* drop_privileges - become the -u account for good (each step checked) */
static void
drop_privileges(const struct daemon_ids *ids)
{
	if (!ids->set)
		return;
	if (geteuid() != 0) {
		if (geteuid() == ids->uid && getegid() == ids->gid)
			return;
		fatal("-u needs root to change the user");
	}
	if (setgroups(1, &ids->gid) != 0)
		fatal("setgroups(%lu): %s", (unsigned long)ids->gid, strerror(errno));
	if (setgid(ids->gid) != 0)
		fatal("setgid(%lu): %s", (unsigned long)ids->gid, strerror(errno));
	if (setuid(ids->uid) != 0)
		fatal("setuid(%lu): %s", (unsigned long)ids->uid, strerror(errno));
	if (ids->uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))
		fatal("could regain root after dropping privileges");
}

/* daemon_detach - become a background daemon (no -f) */
static void
daemon_detach(void)
{
	pid_t pid;
	int fd;

	if ((pid = fork()) < 0)
		fatal("fork: %s", strerror(errno));
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		fatal("setsid: %s", strerror(errno));
	if ((pid = fork()) < 0)
		fatal("fork: %s", strerror(errno));
	if (pid > 0)
		_exit(0);
	if (chdir("/") != 0)
		fatal("chdir /: %s", strerror(errno));
	if ((fd = open("/dev/null", O_RDWR)) < 0)
		fatal("/dev/null: %s", strerror(errno));
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
	log_detach();
}

/* daemon_write_pidfile - our process ID, for kill -USR1 */
static void
daemon_write_pidfile(const char *path)
{
	FILE *fp;

	if ((fp = fopen(path, "w")) == NULL)
		fatal("pid file %s: %s", path, strerror(errno));
	fprintf(fp, "%ld\n", (long)getpid());
	if (fclose(fp) != 0)
		fatal("pid file %s: %s", path, strerror(errno));
}

/* daemon_reload_main - the reload thread: SIGUSR1 reloads the policy */
static void *
daemon_reload_main(void *arg)
{
	const char *path = arg;
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (atomic_load(&daemon_stopping))
			break;
		log_info("SIGUSR1: reloading %s", path);
		holder_reload(path);
	}
	return NULL;
}

/* daemon_serve - the reload thread around smfi_main() */
static int
daemon_serve(const char *policy_file)
{
	pthread_t reload;
	int status;

	if ((errno = pthread_create(&reload, NULL, daemon_reload_main,
	    (void *)(uintptr_t)policy_file)) != 0)
		fatal("cannot start the reload thread: %s", strerror(errno));
	status = smfi_main();
	atomic_store(&daemon_stopping, true);
	pthread_kill(reload, SIGUSR1);
	pthread_join(reload, NULL);
	return status;
}

/* daemon_run - start, serve, stop */
int
daemon_run(const struct options *opts)
{
	struct daemon_ids ids;
	struct smfiDesc desc;
	struct cipher_table *table;
	struct policy *policy;
	char err[256];
	int status;

	log_init(opts->foreground);
	daemon_resolve_user(opts, &ids);
	daemon_block_signals();
	if ((table = cipher_table_new(err, sizeof(err))) == NULL)
		fatal("cannot index OpenSSL's ciphers: %s", err);
	policy = daemon_load_policy(opts->policy_file);
	log_info("policy %s: %zu partners, %zu selectors, mode %s", opts->policy_file,
	    policy_partner_count(policy), policy_selector_count(policy),
	    policy_mode_name(policy_mode(policy)));
	holder_init(policy);
	daemon_raise_nofile();
	callbacks_init(table, daemon_unix_path(opts->socket) != NULL, &desc);
	if (smfi_register(desc) != MI_SUCCESS)
		fatal("smfi_register failed");
	daemon_open_socket(opts->socket, &ids);
	drop_privileges(&ids);
	if (!opts->foreground)
		daemon_detach();
	if (opts->pidfile != NULL)
		daemon_write_pidfile(opts->pidfile);
	log_info("listening on %s", opts->socket);
	status = daemon_serve(opts->policy_file);
	log_info("stopped");
	holder_shutdown();
	/* libmilter leaves its unix socket behind; best effort after -u. */
	if (daemon_unix_path(opts->socket) != NULL)
		unlink(daemon_unix_path(opts->socket));
	if (opts->pidfile != NULL)
		unlink(opts->pidfile);
	return status == MI_SUCCESS ? 0 : 1;
}
