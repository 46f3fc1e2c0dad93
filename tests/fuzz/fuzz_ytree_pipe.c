/*
 * fuzz_ytree_pipe.c - libFuzzer target: the two-thread YAML parse does
 * exactly what the one-thread parse does.
 *
 * The input is a policy file's bytes.  It is parsed once with
 * ytree_parse() and then with ytree_pipe_parse_tuned() from memory,
 * all with "partners" streamed and every callback written down
 * (tests/unit/ytree_transcript.c: items node by node with positions,
 * reports with line, column and message, in order, then the final tree
 * or NULL).  Any difference aborts.  The pipe runs twice: with its
 * default sizes, where an input this small is one batch, and with
 * batches of a few bytes chosen from a hash of the input (1 to 4 ring
 * slots), so that batches change hands many times and stage A waits on
 * a full ring.  For one input in four the tiny pipe also loses its
 * records after a chosen call, as when out of memory: it must show the
 * calls before, then "out of memory while reading YAML", and no tree.
 * Everything is freed before returning (LeakSanitizer watches).
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yaml_tree.h"
#include "ytree_pipe.h"
#include "ytree_transcript.h"

#define STREAM_KEY	"partners"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* input_hash - FNV-1a of the input, to choose a tuning that stays the same for it. */
static uint32_t
input_hash(const uint8_t *data, size_t size)
{
	uint32_t hash = 2166136261u;
	size_t i;

	for (i = 0; i < size; i++)
		hash = (hash ^ data[i]) * 16777619u;
	return hash;
}

/* sequential - the one-thread transcript, as a pipe losing records after limit shows it. */
static struct transcript
sequential(const uint8_t *data, size_t size, size_t limit)
{
	struct ytree_options options;
	struct transcript t;
	struct ytree *tree;

	transcript_start(&t, &options, STREAM_KEY, limit);
	tree = ytree_parse((const char *)data, size, &options);
	transcript_tree(&t, tree);
	ytree_free(tree);
	return t;
}

/* piped - the two-thread transcript with tuning. */
static char *
piped(const uint8_t *data, size_t size, const struct ytree_pipe_tuning *tuning)
{
	struct ytree_options options;
	struct transcript t;
	struct ytree *tree;

	transcript_start(&t, &options, STREAM_KEY, 0);
	tree = ytree_pipe_parse_tuned(-1, (const char *)data, size, &options, tuning);
	transcript_tree(&t, tree);
	ytree_free(tree);
	return t.text.s;
}

/* expect_same - abort with both transcripts' first difference when they differ. */
static void
expect_same(const char *want, const char *got, const char *how)
{
	char why[400];

	if (strcmp(want, got) == 0)
		return;
	fprintf(stderr, "fuzz_ytree_pipe: %s: got %s\n", how,
	    transcript_difference(want, got, why, sizeof(why)));
	abort();
}

/* tiny_tuning - batches of a few bytes, chosen by hash. */
static struct ytree_pipe_tuning
tiny_tuning(uint32_t hash)
{
	static const size_t firsts[] = { 1, 16, 64, 256 };
	static const size_t blocks[] = { 0, 64, 256, 1024 };
	struct ytree_pipe_tuning tuning;

	memset(&tuning, 0, sizeof(tuning));
	tuning.first_batch = firsts[hash & 3];
	tuning.max_batch = tuning.first_batch * (1u << ((hash >> 2) & 3));
	tuning.block_size = blocks[(hash >> 4) & 3];
	tuning.slots = 1 + ((hash >> 6) & 3);
	return tuning;
}

/* LLVMFuzzerTestOneInput - sequential, default pipe, tiny pipe, maybe losing records. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t hash = input_hash(data, size);
	struct ytree_pipe_tuning tuning = tiny_tuning(hash);
	struct transcript want = sequential(data, size, 0);
	char *got;

	got = piped(data, size, &ytree_pipe_defaults);
	expect_same(want.text.s, got, "default pipe");
	free(got);
	if (((hash >> 8) & 3) == 0 && want.calls > 0) {
		tuning.max_records = 1 + (hash >> 10) % want.calls;
		free(want.text.s);
		want = sequential(data, size, tuning.max_records);
	}
	got = piped(data, size, &tuning);
	expect_same(want.text.s, got, tuning.max_records != 0 ? "tiny pipe losing "
	    "records" : "tiny pipe");
	free(got);
	free(want.text.s);
	return 0;
}
