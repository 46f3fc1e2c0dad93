/*
 * daemon - the one start-up path of the milter (milter-regex's main()
 * order): check who we are -> block signals -> cipher table -> policy,
 * read as root (fatal with every diagnostic) -> RLIMIT_NOFILE ->
 * register -> replace a stale unix socket, refuse a live one or a file
 * that is no socket -> open the socket and give it its owner and mode
 * (TCP_NODELAY for inet) -> detach unless -f -> pid file, as root ->
 * drop privileges -> reload thread -> smfi_main().
 *
 * Privileges: as root the milter refuses to start without -u (and with
 * a -u that names root): it needs root only to open the socket in a
 * directory the MTA can reach and to write the pid file, so everything
 * after that, every connection and every reload, runs as the -u user.
 * A reload therefore reads the policy as that user; a start-up warning
 * says when it cannot.
 *
 * Files: the unix socket is created 0660 (umask, then chmod) and given
 * to the -u user and group.  An existing path is removed only when it
 * is a socket nobody listens on (a crash left it); libmilter's own
 * removal would take over a live milter's socket, so it is not used.
 * The pid file is written 0644 as root, never through a symbolic link
 * and never into a file that is not a plain one of ours.
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
#include <sys/un.h>
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
#define DAEMON_PIDFILE_MODE	0644
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
	if (opts->user == NULL) {
		if (geteuid() == 0)
			fatal("refusing to serve as root: give -u user[:group] (for example "
			    "-u tlspolicy-milter:postfix); the socket and pid file are made "
			    "as root, then privileges are dropped to that user");
		return;
	}
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
	if (ids->uid == 0)
		fatal("-u %s: that is root; refusing to serve as root: name an "
		    "unprivileged user", opts->user);
	/* Checked now, before anything is created, not at the drop. */
	if (geteuid() != 0 && (geteuid() != ids->uid || getegid() != ids->gid))
		fatal("-u %s: changing the user needs root", opts->user);
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

/*
 * daemon_clear_stale_socket - make room for our unix socket, safely: a
 * socket nobody listens on (a crash or kill -9 left it) is removed; a
 * live one belongs to another milter and a file that is no socket is
 * somebody's data, so both stop the start.
 */
static void
daemon_clear_stale_socket(const char *path)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd, rc, saved;

	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return;
		fatal("socket %s: %s", path, strerror(errno));
	}
	if (!S_ISSOCK(st.st_mode))
		fatal("socket %s: the path exists and is not a socket; not removing it", path);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		fatal("socket %s: path too long", path);
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		fatal("socket: %s", strerror(errno));
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	saved = errno;
	close(fd);
	/* EAGAIN: a listener whose backlog is full is alive all the same. */
	if (rc == 0 || saved == EAGAIN || saved == EINPROGRESS)
		fatal("socket %s: another milter is listening there; not taking it over "
		    "(stop it first, or give another -p)", path);
	if (saved != ECONNREFUSED)
		fatal("socket %s: cannot tell whether it is in use: %s", path, strerror(saved));
	if (unlink(path) != 0 && errno != ENOENT)
		fatal("socket %s: cannot remove the stale socket: %s", path, strerror(errno));
	log_info("removed the stale socket %s (nothing was listening)", path);
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
	if (path != NULL)
		daemon_clear_stale_socket(path);
	/* Created 0660 from the start: no moment when anyone may connect. */
	old_mask = umask(0117);
	errno = 0;
	/* false: whatever appeared since the check above makes bind() fail. */
	if (smfi_opensocket(false) != MI_SUCCESS)
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
	if (!ids->set || geteuid() != 0)
		return;		/* already that user: daemon_resolve_user() checked */
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

/*
 * daemon_write_pidfile - our process ID, for kill -USR1.  Written as
 * root before the drop, so the -u user cannot rewrite it to make an
 * init script signal another process.  O_NOFOLLOW and the checks refuse
 * a symbolic link, a file with other links and a file of someone else;
 * our own stale pid file (the -u user could not remove it) is reused.
 */
static void
daemon_write_pidfile(const char *path)
{
	char line[32];
	struct stat st;
	int fd, len;

	fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC,
	    DAEMON_PIDFILE_MODE);
	if (fd < 0 && errno == ELOOP)
		fatal("pid file %s: is a symbolic link; not following it", path);
	if (fd < 0)
		fatal("pid file %s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0)
		fatal("pid file %s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode) || st.st_nlink != 1 || st.st_uid != geteuid())
		fatal("pid file %s: exists and is not a plain file of ours "
		    "(type, links or owner); not writing into it", path);
	if (fchmod(fd, DAEMON_PIDFILE_MODE) != 0 || ftruncate(fd, 0) != 0)
		fatal("pid file %s: %s", path, strerror(errno));
	len = snprintf(line, sizeof(line), "%ld\n", (long)getpid());
	if (write(fd, line, (size_t)len) != len || close(fd) != 0)
		fatal("pid file %s: %s", path, strerror(errno));
}

/*
 * daemon_check_reloadable - after the drop: can this user read the
 * policy again?  Start-up read it as root; a reload will not.
 */
static void
daemon_check_reloadable(const char *path, const struct options *opts)
{
	if (opts->user == NULL || access(path, R_OK) == 0)
		return;
	log_warn("%s: not readable by %s (%s): a reload (SIGUSR1) will fail and keep "
	    "the current policy; make the file and its directories readable by that user",
	    path, opts->user, strerror(errno));
}

/*
 * daemon_policy_path - the policy file as reloads will find it: without
 * -f the daemon moves to "/", so a relative name is made absolute now.
 * Symbolic links are kept: a reload follows the link as it is then.
 */
static const char *
daemon_policy_path(const struct options *opts)
{
	static char path[4096];
	char cwd[4096 - 256];

	if (opts->foreground || opts->policy_file[0] == '/')
		return opts->policy_file;
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		fatal("getcwd: %s", strerror(errno));
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", cwd, opts->policy_file)
	    >= sizeof(path))
		fatal("-c %s: path too long", opts->policy_file);
	return path;
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
	const char *policy_file;
	char err[256];
	int status;

	log_init(opts->foreground);
	daemon_resolve_user(opts, &ids);
	daemon_block_signals();
	if ((table = cipher_table_new(err, sizeof(err))) == NULL)
		fatal("cannot index OpenSSL's ciphers: %s", err);
	policy_file = daemon_policy_path(opts);
	policy = daemon_load_policy(policy_file);
	log_info("policy %s: %zu partners, %zu selectors, mode %s", policy_file,
	    policy_partner_count(policy), policy_selector_count(policy),
	    policy_mode_name(policy_mode(policy)));
	holder_init(policy);
	daemon_raise_nofile();
	callbacks_init(table, daemon_unix_path(opts->socket) != NULL, &desc);
	if (smfi_register(desc) != MI_SUCCESS)
		fatal("smfi_register failed");
	daemon_open_socket(opts->socket, &ids);
	if (!opts->foreground)
		daemon_detach();
	if (opts->pidfile != NULL)
		daemon_write_pidfile(opts->pidfile);
	drop_privileges(&ids);
	daemon_check_reloadable(policy_file, opts);
	log_info("listening on %s%s%s", opts->socket, ids.set ? " as " : "",
	    ids.set ? opts->user : "");
	status = daemon_serve(policy_file);
	log_info("stopped");
	holder_shutdown();
	/*
	 * Best effort: after -u the directories are usually root's, so the
	 * socket may stay (the next start removes it as stale) and so may
	 * the pid file (the next start rewrites it).
	 */
	if (daemon_unix_path(opts->socket) != NULL)
		unlink(daemon_unix_path(opts->socket));
	if (opts->pidfile != NULL)
		unlink(opts->pidfile);
	return status == MI_SUCCESS ? 0 : 1;
}
