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
 */
#ifndef TLSPOLICY_YTREE_PIPE_H
#define TLSPOLICY_YTREE_PIPE_H

#include <stddef.h>

#include "yaml_tree.h"

struct ytree *ytree_pipe_parse(int fd, const char *data, size_t size,
    const struct ytree_options *options);

#endif
