/*
 * compile_value.c - the policy compiler's messages and value checks.
 *
 * Messages are kept with their position and the order they were found,
 * and handed to the caller's struct policy_diag sorted by position when
 * the load ends (cc_flush()).  The checkers each take one node and the
 * key it belongs to, and either return the value or report exactly what
 * is wrong: the expected type or values, what was found, and for a typo
 * the one close spelling ("did you mean ...").  Close means an edit
 * distance of at most 2, counting a transposition as one, and at most a
 * third of the word; when two words are equally close none is offered.
 *
 * The reply syntax lives here too: "NNN X.Y.Z text", "NNN text" or
 * "text", one line of printable ASCII without '%', with codes whose
 * class fits the action.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"

#define REPLY_TEXT_MAX	400

/* cc_add_message - keep one formatted message; out of memory still counts it. */
static void
cc_add_message(struct compiler *c, bool warning, unsigned line, unsigned column,
    char *text)
{
	struct message *grown;
	size_t cap;

	if (!warning)
		c->errors++;
	if (c->message_count == c->message_cap) {
		cap = c->message_cap == 0 ? 16 : c->message_cap * 2;
		if ((grown = realloc(c->messages, cap * sizeof(*grown))) == NULL) {
			free(text);
			return;
		}
		c->messages = grown;
		c->message_cap = cap;
	}
	c->messages[c->message_count].line = line;
	c->messages[c->message_count].column = column;
	c->messages[c->message_count].seq = c->message_count;
	c->messages[c->message_count].warning = warning;
	c->messages[c->message_count].text = text;
	c->message_count++;
}

/* cc_report - an error or warning at a position (line 0: none). */
void
cc_report(struct compiler *c, bool warning, unsigned line, unsigned column,
    const char *fmt, ...)
{
	char *text = NULL;
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vasprintf(&text, fmt, ap);
	va_end(ap);
	cc_add_message(c, warning, line, column, len < 0 ? NULL : text);
}

/* cc_error - an error at a node. */
void
cc_error(struct compiler *c, const struct ynode *at, const char *fmt, ...)
{
	char *text = NULL;
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vasprintf(&text, fmt, ap);
	va_end(ap);
	cc_add_message(c, false, at->line, at->column, len < 0 ? NULL : text);
}

/* cc_warn - a warning at a node. */
void
cc_warn(struct compiler *c, const struct ynode *at, const char *fmt, ...)
{
	char *text = NULL;
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vasprintf(&text, fmt, ap);
	va_end(ap);
	cc_add_message(c, true, at->line, at->column, len < 0 ? NULL : text);
}

/* cc_nomem - report running out of memory. */
void
cc_nomem(struct compiler *c, const struct ynode *at)
{
	cc_report(c, false, at != NULL ? at->line : 0, at != NULL ? at->column : 0,
	    "out of memory");
}

/* cc_tree_report - ytree_parse()'s messages join ours. */
void
cc_tree_report(void *context, unsigned line, unsigned column, const char *message)
{
	cc_report(context, false, line, column, "%s", message);
}

/* cc_message_order - by position, then by the order found. */
static int
cc_message_order(const void *a, const void *b)
{
	const struct message *x = a;
	const struct message *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->column != y->column)
		return x->column < y->column ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* cc_flush - hand the sorted messages to the caller's diagnostics. */
void
cc_flush(struct compiler *c, struct policy_diag *diag)
{
	struct message *m;
	size_t i;

	if (c->message_count > 1)
		qsort(c->messages, c->message_count, sizeof(*c->messages),
		    cc_message_order);
	for (i = 0; i < c->message_count; i++) {
		m = &c->messages[i];
		policy_diag_add(diag, m->warning, c->file, m->line, m->column, "%s",
		    m->text != NULL ? m->text : "out of memory");
		free(m->text);
	}
	free(c->messages);
	if (c->errors > 0 && diag->errors == 0)
		diag->errors = c->errors;	/* every message lost to memory */
}

/* ---------------------------------------------------------------- words */

/* cc_distance - edit distance with transpositions, ignoring ASCII case (short words). */
static size_t
cc_distance(const char *word, const char *other)
{
	char a[33];
	char b[33];
	size_t d[33][33];
	size_t la = strlen(word);
	size_t lb = strlen(other);
	size_t i;
	size_t j;
	size_t best;

	if (la > 32 || lb > 32)
		return SIZE_MAX;
	for (i = 0; i <= la; i++)
		a[i] = (char)tolower((unsigned char)word[i]);
	for (j = 0; j <= lb; j++)
		b[j] = (char)tolower((unsigned char)other[j]);
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

/* cc_suggest - the one allowed word closest to a typo; NULL when none or several are. */
static const char *
cc_suggest(const char *word, const char *const *allowed)
{
	const char *best = NULL;
	size_t best_distance = SIZE_MAX;
	bool tie = false;
	size_t d;
	size_t i;

	for (i = 0; allowed[i] != NULL; i++) {
		d = cc_distance(word, allowed[i]);
		if (d > 2 || d * 3 > strlen(allowed[i]) || d > best_distance)
			continue;
		tie = d == best_distance;
		best = allowed[i];
		best_distance = d;
	}
	return tie ? NULL : best;
}

/* cc_list - "a, b, c or d" into buf (at most count words, 0: all). */
static const char *
cc_list(const char *const *words, size_t count, char *buf, size_t size)
{
	size_t len = 0;
	size_t n = 0;
	size_t i;

	while (words[n] != NULL && (count == 0 || n < count))
		n++;
	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		len += (size_t)snprintf(buf + len, len < size ? size - len : 0, "%s%s",
		    i == 0 ? "" : i + 1 == n ? " or " : ", ", words[i]);
		if (len >= size)
			break;
	}
	return buf;
}

/* cc_got - what a node is, for "expected X, got Y". */
const char *
cc_got(const struct ynode *node, char *buf, size_t size)
{
	if (node->kind != YNODE_SCALAR || ynode_is_null(node))
		return ynode_kind_name(node);
	return ytree_quote(node->u.text, buf, size);
}

/* ---------------------------------------------------------------- keys and values */

/* cc_key_find - which allowed key this is, or -1; reports nothing. */
int
cc_key_find(const struct ynode *key, const char *const *allowed)
{
	size_t i;

	if (key->kind != YNODE_SCALAR)
		return -1;
	for (i = 0; allowed[i] != NULL; i++)
		if (strcmp(key->u.text, allowed[i]) == 0)
			return (int)i;
	return -1;
}

/*
 * cc_key - which allowed key this is; -1 after reporting an unknown one.
 * where says which mapping, for the message ("in require").
 */
int
cc_key(struct compiler *c, const struct ynode *key, const char *const *allowed,
    const char *where)
{
	char quoted[YTREE_QUOTE_SIZE];
	char list[256];
	const char *hint;
	size_t i;

	if (key->kind != YNODE_SCALAR)
		return -1;		/* the tree reported it */
	for (i = 0; allowed[i] != NULL; i++)
		if (strcmp(key->u.text, allowed[i]) == 0)
			return (int)i;
	ytree_quote(key->u.text, quoted, sizeof(quoted));
	if ((hint = cc_suggest(key->u.text, allowed)) != NULL)
		cc_error(c, key, "unknown key %s %s; did you mean \"%s\"?", quoted, where,
		    hint);
	else
		cc_error(c, key, "unknown key %s %s; expected %s", quoted, where,
		    cc_list(allowed, 0, list, sizeof(list)));
	return -1;
}

/* cc_collection - is node a usable mapping or list?  Null counts as empty (false, no error). */
bool
cc_collection(struct compiler *c, const struct ynode *node, enum ynode_kind kind,
    const char *name)
{
	char got[YTREE_QUOTE_SIZE];

	if (node->kind == kind)
		return true;
	if (ynode_is_null(node))
		return false;
	cc_error(c, node, "%s: expected %s, got %s", name,
	    kind == YNODE_MAPPING ? "a mapping" : "a list", cc_got(node, got, sizeof(got)));
	return false;
}

/* cc_string - a non-empty scalar's text, or NULL after reporting. */
const char *
cc_string(struct compiler *c, const struct ynode *node, const char *name)
{
	char got[YTREE_QUOTE_SIZE];

	if (node->kind != YNODE_SCALAR || ynode_is_null(node)) {
		cc_error(c, node, "%s: expected a string, got %s", name,
		    cc_got(node, got, sizeof(got)));
		return NULL;
	}
	if (node->u.text[0] == '\0') {
		cc_error(c, node, "%s: empty value", name);
		return NULL;
	}
	return node->u.text;
}

/* cc_bool - plain true or false; -1 after reporting anything else. */
int
cc_bool(struct compiler *c, const struct ynode *node, const char *name, bool *out)
{
	char got[YTREE_QUOTE_SIZE];

	if (node->kind == YNODE_SCALAR && node->plain) {
		if (strcmp(node->u.text, "true") == 0) {
			*out = true;
			return 0;
		}
		if (strcmp(node->u.text, "false") == 0) {
			*out = false;
			return 0;
		}
	}
	if (node->kind == YNODE_SCALAR && !node->plain)
		cc_error(c, node, "%s: expected true or false without quotes, got %s",
		    name, cc_got(node, got, sizeof(got)));
	else
		cc_error(c, node, "%s: expected true or false, got %s", name,
		    cc_got(node, got, sizeof(got)));
	return -1;
}

/* cc_int - a plain decimal integer in [min, max]; -1 after reporting. */
int
cc_int(struct compiler *c, const struct ynode *node, const char *name, int min, int max,
    int *out)
{
	char got[YTREE_QUOTE_SIZE];
	const char *p;
	long value = 0;

	if (node->kind == YNODE_SCALAR && node->plain && node->u.text[0] != '\0') {
		for (p = node->u.text; *p >= '0' && *p <= '9' && value <= max; p++)
			value = value * 10 + (*p - '0');
		if (*p == '\0' && value >= min && value <= max) {
			*out = (int)value;
			return 0;
		}
	}
	cc_error(c, node, "%s: expected an integer from %d to %d, got %s", name, min, max,
	    cc_got(node, got, sizeof(got)));
	return -1;
}

/* cc_enum - which of values the scalar spells; -1 after reporting. */
int
cc_enum(struct compiler *c, const struct ynode *node, const char *name,
    const char *const *values, size_t shown)
{
	char got[YTREE_QUOTE_SIZE];
	char list[256];
	const char *hint;
	size_t i;

	if (node->kind == YNODE_SCALAR && !ynode_is_null(node)) {
		for (i = 0; values[i] != NULL; i++)
			if (strcmp(node->u.text, values[i]) == 0)
				return (int)i;
		if ((hint = cc_suggest(node->u.text, values)) != NULL) {
			cc_error(c, node, "%s: unknown value %s; did you mean \"%s\"?", name,
			    cc_got(node, got, sizeof(got)), hint);
			return -1;
		}
	}
	cc_error(c, node, "%s: expected %s, got %s", name,
	    cc_list(values, shown, list, sizeof(list)), cc_got(node, got, sizeof(got)));
	return -1;
}

/* cc_token - text made only of allowed bytes, 1..max long; false if not. */
bool
cc_token(const char *text, const char *extra, size_t max)
{
	size_t i;
	unsigned char ch;

	for (i = 0; text[i] != '\0'; i++) {
		ch = (unsigned char)text[i];
		if (i >= max || !((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr(extra, ch) != NULL))
			return false;
	}
	return i > 0;
}

/* cc_strdup - copy a string into the policy's arena; NULL and a report when memory is short. */
char *
cc_strdup(struct compiler *c, const struct ynode *at, const char *text)
{
	char *copy = strarena_copy(&c->policy->strings, text, strlen(text));

	if (copy == NULL)
		cc_nomem(c, at);
	return copy;
}

/* cc_reply_chars - a reply is one line of printable ASCII without '%'. */
static int
cc_reply_chars(struct compiler *c, const struct ynode *node, const char *text)
{
	const unsigned char *p;

	if (strpbrk(text, "\r\n") != NULL) {
		cc_error(c, node, "reply: must be one line (it contains CR or LF)");
		return -1;
	}
	for (p = (const unsigned char *)text; *p != '\0'; p++) {
		if (*p < 0x20 || *p >= 0x7f) {
			cc_error(c, node, "reply: only printable ASCII characters are allowed");
			return -1;
		}
	}
	if (strchr(text, '%') != NULL) {
		cc_error(c, node, "reply: '%%' is not allowed in a reply");
		return -1;
	}
	return 0;
}

/* cc_digits - length of a run of 1..max digits at p, 0 if none or too long. */
size_t
cc_digits(const char *p, size_t max)
{
	size_t n = 0;

	while (p[n] >= '0' && p[n] <= '9')
		n++;
	return n <= max ? n : 0;
}

/* cc_reply_xcode - "X.Y.Z" at p; returns its length, 0 after reporting. */
static size_t
cc_reply_xcode(struct compiler *c, const struct ynode *node, const char *p,
    const char *rcode)
{
	char quoted[YTREE_QUOTE_SIZE];
	char xcode[64];
	size_t y;
	size_t z;
	size_t len;

	y = p[1] == '.' ? cc_digits(p + 2, 3) : 0;
	z = y > 0 && p[2 + y] == '.' ? cc_digits(p + 3 + y, 3) : 0;
	len = 3 + y + z;
	if (cc_digits(p, 1) != 1 || y == 0 || z == 0 || (p[len] != ' ' && p[len] != '\0')) {
		len = strcspn(p, " ");
		snprintf(xcode, sizeof(xcode), "%.*s", (int)(len < 40 ? len : 40), p);
		cc_error(c, node, "reply: bad enhanced status code %s; expected X.Y.Z, "
		    "as in %c.7.1", ytree_quote(xcode, quoted, sizeof(quoted)), rcode[0]);
		return 0;
	}
	if (p[0] != rcode[0]) {
		cc_error(c, node, "reply: enhanced code %.*s does not match reply code %s",
		    (int)len, p, rcode);
		return 0;
	}
	return len;
}

/*
 * cc_reply - "NNN X.Y.Z text", "NNN text" or "text", for defer (4xx,
 * 4.x.x) or reject (5xx, 5.x.x) only: Postfix drops a reply whose
 * classes disagree, and the milter could not honour one on a tag.
 */
void
cc_reply(struct compiler *c, const struct ynode *node, enum policy_action action,
    struct policy_custom_reply *out)
{
	char want = action == POLICY_ACTION_DEFER ? '4' : '5';
	const char *text;
	const char *p;
	size_t len;

	if ((text = cc_string(c, node, "reply")) == NULL || cc_reply_chars(c, node, text) < 0)
		return;
	if (action != POLICY_ACTION_DEFER && action != POLICY_ACTION_REJECT) {
		cc_error(c, node, "reply: a reply is only sent with action defer or reject, "
		    "not %s", policy_action_name(action));
		return;
	}
	p = text;
	if (*p >= '0' && *p <= '9') {
		if (cc_digits(p, 3) != 3 || (p[3] != ' ' && p[3] != '\0')) {
			cc_error(c, node, "reply: bad reply code; expected \"NNN X.Y.Z text\" "
			    "(as in \"%c%s text\") or a text that does not start with a "
			    "digit", want, want == '4' ? "51 4.7.1" : "50 5.7.1");
			return;
		}
		if (p[0] != '4' && p[0] != '5') {
			cc_error(c, node, "reply: code %.3s is not a failure code; use 4xx "
			    "with defer or 5xx with reject", p);
			return;
		}
		if (p[0] != want) {
			cc_error(c, node, "reply: code %.3s does not fit action %s; use a "
			    "%cxx code with a %c.x.x enhanced code", p,
			    policy_action_name(action), want, want);
			return;
		}
		memcpy(out->rcode, p, 3);
		out->rcode[3] = '\0';
		p += p[3] == ' ' ? 4 : 3;
		if (*p >= '0' && *p <= '9') {
			if ((len = cc_reply_xcode(c, node, p, out->rcode)) == 0)
				return;
			memcpy(out->xcode, p, len);
			out->xcode[len] = '\0';
			p += p[len] == ' ' ? len + 1 : len;
		}
	}
	while (*p == ' ')
		p++;
	if (*p == '\0') {
		cc_error(c, node, p == text ? "reply: empty reply" :
		    "reply: no text after the reply code");
		return;
	}
	if (strlen(p) > REPLY_TEXT_MAX) {
		cc_error(c, node, "reply: text longer than %d characters", REPLY_TEXT_MAX);
		return;
	}
	/* A duplicated block compiles twice: the last reply wins, none leaks. */
	out->text = cc_strdup(c, node, p);
	out->set = out->text != NULL;
}
