/*
 * ytree_pipe.h - ytree_parse() with libyaml in a second thread, private to policy/.
 *
 * ytree_pipe_parse() gives the same result as ytree_parse_fd() (fd >= 0)
 * or ytree_parse() (fd < 0: data, size): the same tree, and the same
 * calls of options->stream_item and options->report with the same
 * arguments in the same order, all made in the calling thread.  Only
 * the work of libyaml and of building the nodes moves to the other
 * thread.  options->item_arena must be NULL.  When no thread can be
 * started the parse runs in the calling thread.
 *
 * ytree_pipe_parse_tuned() is the same with the pipe's sizes taken from
 * tuning instead of ytree_pipe_defaults, for the tests and the fuzzer:
 * batches of a few bytes make a small input hand over many of them.
 * Only what the pipe does inside changes, never what the caller sees,
 * except through the two test switches: max_records makes stage A fail
 * as when out of memory once it has made that many records (the caller
 * sees the calls for those, then "out of memory while reading YAML",
 * and NULL), and no_thread runs the parse as when no thread can be
 * started.
 */
#ifndef TLSPOLICY_YTREE_PIPE_H
#define TLSPOLICY_YTREE_PIPE_H

#include <stdbool.h>
#include <stddef.h>

#include "yaml_tree.h"

#define YTREE_PIPE_MAX_SLOTS	4	/* batches in flight at most */

struct ytree_pipe_tuning {
	size_t first_batch;	/* bytes of items in the first batch (about) */
	size_t max_batch;	/* each next batch twice as big until this size */
	size_t block_size;	/* bytes per arena block; 0: yarena's default */
	size_t slots;		/* ring slots, 1 to YTREE_PIPE_MAX_SLOTS */
	size_t max_records;	/* 0: no limit; else no memory after as many calls */
	bool no_thread;		/* parse in the calling thread */
};

extern const struct ytree_pipe_tuning ytree_pipe_defaults;

struct ytree *ytree_pipe_parse(int fd, const char *data, size_t size,
    const struct ytree_options *options);
struct ytree *ytree_pipe_parse_tuned(int fd, const char *data, size_t size,
    const struct ytree_options *options, const struct ytree_pipe_tuning *tuning);

#endif
