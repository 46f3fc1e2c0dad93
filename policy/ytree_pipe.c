/*
 * ytree_pipe.c - parse YAML in a second thread while the caller compiles.
 *
 * Why: loading the 100,000-partner benchmark policy took 5.06 G
 * instructions, 3.92 G of them in libyaml's yaml_parser_parse() and
 * 0.26 G in yaml_event_delete(), about 0.85 G in building the nodes and
 * compiling the partners; by time, libyaml and its malloc()s were 55-60%.
 * In one thread a load could not get far below twice the time of libyaml
 * alone (0.45-0.78 s against 0.23-0.42 s on a 2-core machine).  Here
 * stage A, a thread of its own, runs libyaml and the tree builder, and
 * stage B, the calling thread, runs the caller's callbacks (the
 * compiler's cc_partner()) meanwhile.  Measured on a quiet moment of the
 * same machine: 0.32-0.34 s (one thread: 0.46-0.47 s, libyaml alone
 * 0.23-0.26 s), about 1.5% more instructions, peak RSS 32 MiB (one
 * thread: 31 MiB).  A, not B, is the slower stage: a load takes about
 * as long as A.  policy_compile.c uses this only for files of 1 MiB
 * and more, where it pays.
 *
 * How: A runs ytree_parse*() with its own callbacks and an item arena.
 * Each streamed item is built in that arena and left there, each report
 * is copied there, and both become records on one list in the order A
 * made them.  Once the arena holds a batch's worth, at the end of an
 * item, A hands arena and records over as one batch through a ring of
 * PIPE_SLOTS slots and waits when every slot is full, so memory stays
 * bounded whatever the size of the file.  B takes the batches in order,
 * makes the caller's calls from the records, and empties the batch's
 * arena, whose blocks stay there as spares; A takes them back with the
 * slot, so after the first few batches the pipe calls no malloc().
 * A's last batch says so; B then joins A and returns A's tree.  The
 * first batch is PIPE_FIRST_BATCH and each next one twice as big up to
 * PIPE_BATCH_BYTES, so that B starts early.  Why not bigger: batches of
 * 1 MiB kept 5 MiB of fresh memory in flight, whose page faults and
 * cache misses made a 10,000-partner load slower than one thread; why
 * not smaller: each hand-over may wake the other thread, which costs.
 *
 * Why the order is the same as in one thread: every call the sequential
 * parse makes (a report of the tree builder, an item) becomes a record,
 * the records form one list, and one thread replays it in order; the
 * compiler's own messages come from inside those calls.  Reports made
 * outside streamed items (a duplicate key under settings, an empty
 * document) wait in the current batch until the next item or the end.
 *
 * Errors: A's fatal errors (syntax, bad bytes, aliases...) are records
 * like any report and end A's parse, which ends the stream: B replays
 * them and returns NULL as ytree_parse() does.  When a record cannot be
 * allocated A drops the rest, and B reports "out of memory while
 * reading YAML" and returns NULL.  B never stops A early: the compiler
 * goes on after its errors so that one run shows them all, and the pipe
 * must report what the sequential parse reports.  When no thread can be
 * started the parse runs sequentially in the caller's thread.
 *
 * Tuning: ytree_pipe_parse_tuned() takes the sizes above, the slots in
 * use and two test switches from a struct ytree_pipe_tuning, so that the
 * tests and the fuzzer can make inputs of a few bytes hand over many
 * batches, fill the ring, start no thread or lose records; the defaults
 * are the constants below.
 *
 * Who owns what: the ring, its lock and its condition variable are on
 * the caller's stack and end once A is joined.  A slot belongs to A until
 * it is queued and to B until B has emptied it; slots change hands only
 * under the lock.  B reads A's tree after pthread_join().  A runs with
 * the asynchronous signals blocked, so that a signal the daemon waits
 * for in a thread of its own is never taken by A.
 */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>

#include "ytree_pipe.h"

#define PIPE_SLOTS		YTREE_PIPE_MAX_SLOTS
#define PIPE_BLOCK		(32 * 1024)
#define PIPE_FIRST_BATCH	(32 * 1024)
#define PIPE_BATCH_BYTES	(256 * 1024)

const struct ytree_pipe_tuning ytree_pipe_defaults = {
	.first_batch = PIPE_FIRST_BATCH,
	.max_batch = PIPE_BATCH_BYTES,
	.block_size = PIPE_BLOCK,
	.slots = PIPE_SLOTS,
	.max_records = 0,
	.no_thread = false,
};

/* One call for B to make: stream_item(item) or report(line, column, message). */
struct pipe_record {
	struct pipe_record *next;
	bool is_item;
	struct ynode item;		/* its nodes are in the same arena */
	unsigned line;
	unsigned column;
	char message[];
};

struct pipe_batch {
	struct yarena arena;		/* the records and the items' nodes */
	struct pipe_record *first;
	bool last;			/* A's final batch */
	bool failed;			/* A lost records: no memory */
};

struct pipe {
	/* Set before A starts. */
	const struct ytree_options *options;	/* the caller's, for B */
	struct ytree_options a_options;		/* A's: records into arena */
	size_t slots;			/* of the ring in use, 1 to PIPE_SLOTS */
	size_t max_batch;		/* batch_bytes stops growing here */
	size_t max_records;		/* 0: no limit; else fail after as many */
	int fd;
	const char *data;
	size_t size;

	/* A's own. */
	struct yarena arena;		/* the batch being filled */
	struct pipe_record *first;
	struct pipe_record **next;	/* where the next record is linked */
	size_t records;			/* made so far */
	size_t batch_bytes;		/* hand over at this size */
	bool failed;
	struct ytree *tree;		/* for B after the join */

	/* Shared, under lock. */
	pthread_mutex_t lock;
	pthread_cond_t changed;		/* a batch queued or emptied */
	struct pipe_batch ring[PIPE_SLOTS];
	size_t head;			/* the oldest queued batch */
	size_t queued;			/* batches queued, B's until emptied */
};

/* pipe_send - A queues the batch it filled and takes an emptied one. */
static void
pipe_send(struct pipe *p, bool last)
{
	struct pipe_batch *batch;
	struct yarena emptied;

	pthread_mutex_lock(&p->lock);
	while (p->queued == p->slots)
		pthread_cond_wait(&p->changed, &p->lock);
	batch = &p->ring[(p->head + p->queued) % p->slots];
	emptied = batch->arena;
	batch->arena = p->arena;
	batch->first = p->first;
	batch->last = last;
	batch->failed = p->failed;
	p->arena = emptied;
	p->first = NULL;
	p->next = &p->first;
	if (p->batch_bytes < p->max_batch)
		p->batch_bytes *= 2;
	p->queued++;
	pthread_cond_signal(&p->changed);
	pthread_mutex_unlock(&p->lock);
}

/* pipe_record_new - append a record with extra bytes of message, or NULL. */
static struct pipe_record *
pipe_record_new(struct pipe *p, size_t extra)
{
	struct pipe_record *r;

	if (p->failed)
		return NULL;
	/* max_records: the tests' way to run out of memory at a chosen record. */
	if ((p->max_records != 0 && p->records == p->max_records) ||
	    (r = yarena_alloc(&p->arena, sizeof(*r) + extra)) == NULL) {
		p->failed = true;
		return NULL;
	}
	p->records++;
	r->next = NULL;
	*p->next = r;
	p->next = &r->next;
	return r;
}

/* pipe_item - A's stream_item: record the item, whose nodes stay in the arena. */
static void
pipe_item(void *context, const struct ynode *item)
{
	struct pipe *p = context;
	struct pipe_record *r;

	if ((r = pipe_record_new(p, 0)) != NULL) {
		r->is_item = true;
		r->item = *item;
	}
	/* Only here, between items, does the arena hold no half-built item. */
	if (p->arena.taken >= p->batch_bytes)
		pipe_send(p, false);
}

/* pipe_report - A's report: record a copy of the message. */
static void
pipe_report(void *context, unsigned line, unsigned column, const char *message)
{
	struct pipe *p = context;
	struct pipe_record *r;
	size_t len = strlen(message);

	if ((r = pipe_record_new(p, len + 1)) == NULL)
		return;
	r->is_item = false;
	r->line = line;
	r->column = column;
	memcpy(r->message, message, len + 1);
}

/* pipe_run - stage A: parse, then queue the last batch. */
static void *
pipe_run(void *context)
{
	struct pipe *p = context;

	if (p->fd >= 0)
		p->tree = ytree_parse_fd(p->fd, &p->a_options);
	else
		p->tree = ytree_parse(p->data, p->size, &p->a_options);
	pipe_send(p, true);
	return NULL;
}

/* pipe_replay - stage B: the caller's calls for one batch, in order. */
static void
pipe_replay(const struct pipe *p, const struct pipe_batch *batch)
{
	const struct ytree_options *options = p->options;
	const struct pipe_record *r;

	for (r = batch->first; r != NULL; r = r->next) {
		if (r->is_item)
			options->stream_item(options->context, &r->item);
		else
			options->report(options->context, r->line, r->column, r->message);
	}
}

/* pipe_receive - stage B: replay batches until A's last; false when A lost records. */
static bool
pipe_receive(struct pipe *p)
{
	struct pipe_batch *batch;
	bool last = false;
	bool failed = false;

	while (!last) {
		pthread_mutex_lock(&p->lock);
		while (p->queued == 0)
			pthread_cond_wait(&p->changed, &p->lock);
		batch = &p->ring[p->head];
		pthread_mutex_unlock(&p->lock);

		pipe_replay(p, batch);
		last = batch->last;
		failed = batch->failed;
		yarena_reset(&batch->arena);

		pthread_mutex_lock(&p->lock);
		p->head = (p->head + 1) % p->slots;
		p->queued--;
		pthread_cond_signal(&p->changed);
		pthread_mutex_unlock(&p->lock);
	}
	return !failed;
}

/* pipe_init - an empty pipe for options and tuning; -1 when the lock cannot be made. */
static int
pipe_init(struct pipe *p, int fd, const char *data, size_t size,
    const struct ytree_options *options, const struct ytree_pipe_tuning *tuning)
{
	size_t i;

	memset(p, 0, sizeof(*p));
	p->options = options;
	p->slots = tuning->slots;
	if (p->slots < 1 || p->slots > PIPE_SLOTS)
		p->slots = PIPE_SLOTS;
	p->max_batch = tuning->max_batch;
	p->max_records = tuning->max_records;
	p->fd = fd;
	p->data = data;
	p->size = size;
	p->a_options.stream_key = options->stream_key;
	p->a_options.stream_item = options->stream_item != NULL ? pipe_item : NULL;
	p->a_options.report = pipe_report;
	p->a_options.context = p;
	p->a_options.item_arena = &p->arena;
	p->arena.block_size = tuning->block_size;
	for (i = 0; i < PIPE_SLOTS; i++)
		p->ring[i].arena.block_size = tuning->block_size;
	p->next = &p->first;
	p->batch_bytes = tuning->first_batch > 0 ? tuning->first_batch : 1;
	if (pthread_mutex_init(&p->lock, NULL) != 0)
		return -1;
	if (pthread_cond_init(&p->changed, NULL) != 0) {
		pthread_mutex_destroy(&p->lock);
		return -1;
	}
	return 0;
}

/* pipe_destroy - free the arenas, the lock and the condition variable. */
static void
pipe_destroy(struct pipe *p)
{
	size_t i;

	yarena_clear(&p->arena);
	for (i = 0; i < PIPE_SLOTS; i++)
		yarena_clear(&p->ring[i].arena);
	pthread_cond_destroy(&p->changed);
	pthread_mutex_destroy(&p->lock);
}

/* pipe_start - start stage A with the asynchronous signals blocked. */
static int
pipe_start(struct pipe *p, pthread_t *thread)
{
	sigset_t blocked;
	sigset_t old;
	int error;

	/* Faults stay deliverable: blocked, they would kill without a report. */
	sigfillset(&blocked);
	sigdelset(&blocked, SIGSEGV);
	sigdelset(&blocked, SIGBUS);
	sigdelset(&blocked, SIGFPE);
	sigdelset(&blocked, SIGILL);
	sigdelset(&blocked, SIGABRT);
	if (pthread_sigmask(SIG_BLOCK, &blocked, &old) != 0)
		return -1;
	error = pthread_create(thread, NULL, pipe_run, p);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return error != 0 ? -1 : 0;
}

/* ytree_pipe_parse - parse in stage A, call back in stage B (see ytree_pipe.h). */
struct ytree *
ytree_pipe_parse(int fd, const char *data, size_t size,
    const struct ytree_options *options)
{
	return ytree_pipe_parse_tuned(fd, data, size, options, &ytree_pipe_defaults);
}

/* ytree_pipe_parse_tuned - the same with the pipe's sizes from tuning. */
struct ytree *
ytree_pipe_parse_tuned(int fd, const char *data, size_t size,
    const struct ytree_options *options, const struct ytree_pipe_tuning *tuning)
{
	struct pipe p;
	pthread_t thread;
	bool complete;

	if (tuning->no_thread)
		goto alone;
	if (pipe_init(&p, fd, data, size, options, tuning) < 0)
		goto alone;
	if (pipe_start(&p, &thread) < 0) {
		pipe_destroy(&p);
		goto alone;
	}
	complete = pipe_receive(&p);
	pthread_join(thread, NULL);
	pipe_destroy(&p);
	if (!complete) {
		options->report(options->context, 0, 0,
		    "out of memory while reading YAML");
		ytree_free(p.tree);
		return NULL;
	}
	return p.tree;

alone:
	return fd >= 0 ? ytree_parse_fd(fd, options) : ytree_parse(data, size, options);
}
