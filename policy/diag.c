/*
 * diag.c - the loader's diagnostics: a growable list of formatted lines.
 *
 * The loader never prints or logs; it appends "FILE:LINE:COL: message"
 * (or "FILE: message" when there is no position, line 0) to a struct
 * policy_diag that the caller owns, initializes with policy_diag_init()
 * and releases with policy_diag_free().  Warnings are kept in the same
 * list in file order but are not counted in diag->errors, so a caller
 * tests "errors == 0", not "count == 0".
 *
 * Out of memory while adding a line still counts an error: a policy
 * whose diagnostics could not be recorded must not load silently.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

/* policy_diag_init - an empty list. */
void
policy_diag_init(struct policy_diag *diag)
{
	diag->entries = NULL;
	diag->count = 0;
	diag->capacity = 0;
	diag->errors = 0;
}

/* policy_diag_free - release every line; the struct may be reused after init. */
void
policy_diag_free(struct policy_diag *diag)
{
	size_t i;

	if (diag == NULL)
		return;
	for (i = 0; i < diag->count; i++)
		free(diag->entries[i].text);
	free(diag->entries);
	policy_diag_init(diag);
}

/* diag_grow - make room for one more entry; -1 when memory is short. */
static int
diag_grow(struct policy_diag *diag)
{
	struct policy_diag_entry *entries;
	size_t capacity;

	if (diag->count < diag->capacity)
		return 0;
	capacity = diag->capacity == 0 ? 16 : diag->capacity * 2;
	entries = realloc(diag->entries, capacity * sizeof(*entries));
	if (entries == NULL)
		return -1;
	diag->entries = entries;
	diag->capacity = capacity;
	return 0;
}

/* diag_format - the whole line in a new string, or NULL. */
static char *
diag_format(bool warning, const char *file, unsigned line, unsigned column,
    const char *message)
{
	const char *kind = warning ? "warning: " : "";
	char *text;
	int len;

	if (line == 0)
		len = snprintf(NULL, 0, "%s: %s%s", file, kind, message);
	else
		len = snprintf(NULL, 0, "%s:%u:%u: %s%s", file, line, column, kind,
		    message);
	if (len < 0 || (text = malloc((size_t)len + 1)) == NULL)
		return NULL;
	if (line == 0)
		snprintf(text, (size_t)len + 1, "%s: %s%s", file, kind, message);
	else
		snprintf(text, (size_t)len + 1, "%s:%u:%u: %s%s", file, line, column,
		    kind, message);
	return text;
}

/* policy_diag_add - append one diagnostic; line 0 means "no position". */
void
policy_diag_add(struct policy_diag *diag, bool warning, const char *file,
    unsigned line, unsigned column, const char *fmt, ...)
{
	char *message = NULL;
	char *text = NULL;
	va_list ap;
	int len;

	if (!warning)
		diag->errors++;
	va_start(ap, fmt);
	len = vasprintf(&message, fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	text = diag_format(warning, file, line, column, message);
	free(message);
	if (text == NULL || diag_grow(diag) < 0) {
		free(text);
		return;
	}
	diag->entries[diag->count].warning = warning;
	diag->entries[diag->count].text = text;
	diag->count++;
}
