// SPDX-License-Identifier: GPL-2.0
/*
 * One record, three outputs, from one list of fields (events writes its
 * records through it, docs/events.md):
 *
 *  - text: the head words, then " name=value" per field; a null field is
 *    left out, a list is comma-joined ("-" when empty);
 *  - JSON: one object per line through the JSON writer (json.c), a null
 *    field is null, a list an array;
 *  - journal: NAME=value fields for sd_journal_sendv(), the name upper-
 *    cased as journald requires, MESSAGE= the text line; a null field is
 *    left out, a list is comma-joined (empty when empty).
 *
 * Fields "hidden" (xg_rec_hide) are in JSON and the journal, not in text.
 * The buffers are fixed: a record past them is cut, never overrun.
 */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include "lib.h"

#define REC_TEXT	4096
#define REC_FIELDS	(8192 + REC_TEXT + 16)	/* the fields, then MESSAGE= */
#define REC_IOV		64

struct xg_rec {
	enum xg_rec_mode mode;
	FILE *f;
	struct xg_jw *w;
	bool hide, words_done;
	char text[REC_TEXT];
	size_t tlen;
	char fields[REC_FIELDS];
	size_t flen;
	struct iovec iov[REC_IOV];
	int niov;
};

struct xg_rec *xg_rec_new(enum xg_rec_mode mode, FILE *f)
{
	struct xg_rec *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->mode = mode;
	r->f = f;
	if (mode == XG_REC_JSON) {
		r->w = xg_jw_new_lines(f);
		if (!r->w) {
			free(r);
			return NULL;
		}
	}
	return r;
}

void xg_rec_free(struct xg_rec *r)
{
	if (!r)
		return;
	xg_jw_free(r->w);
	free(r);
}

void xg_rec_begin(struct xg_rec *r)
{
	r->tlen = 0;
	r->text[0] = '\0';
	r->flen = 0;
	r->niov = 1;		/* [0]: MESSAGE=, made by xg_rec_end */
	r->hide = false;
	r->words_done = false;
	if (r->w)
		xg_jw_object(r->w);
}

static void text_add(struct xg_rec *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void text_add(struct xg_rec *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (r->tlen >= sizeof(r->text) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(r->text + r->tlen, sizeof(r->text) - r->tlen, fmt, ap);
	va_end(ap);
	if (n > 0)
		r->tlen += n;
	if (r->tlen >= sizeof(r->text))
		r->tlen = sizeof(r->text) - 1;
}

/* NAME=value into the journal fields; @v NULL: left out */
static void field_add(struct xg_rec *r, const char *name, const char *v)
{
	size_t start = r->flen, i, room;
	int n;

	if (r->mode != XG_REC_JOURNAL || !v || r->niov >= REC_IOV)
		return;
	room = sizeof(r->fields) - REC_TEXT - 16 - r->flen;
	n = snprintf(r->fields + start, room, "%s=%s", name, v);
	if (n < 0 || (size_t)n >= room)
		return;		/* past the buffer: left out */
	for (i = start; r->fields[i] != '='; i++)
		r->fields[i] = toupper((unsigned char)r->fields[i]);
	r->iov[r->niov].iov_base = r->fields + start;
	r->iov[r->niov].iov_len = n;
	r->niov++;
	r->flen += n;
}

/*
 * A head word: in text the bare @word (the words come first, in order),
 * in JSON and the journal the field @name = @v (NULL: null, left out).
 */
void xg_rec_word(struct xg_rec *r, const char *name, const char *v,
		 const char *word)
{
	text_add(r, "%s%s", r->tlen ? " " : "", word);
	if (r->w)
		xg_jw_str_field(r->w, name, v);
	field_add(r, name, v);
}

/* Fields from now on are not in text (on) or are again (off). */
void xg_rec_hide(struct xg_rec *r, bool on)
{
	r->hide = on;
}

/* @v NULL: null in JSON, left out of text and the journal */
void xg_rec_str(struct xg_rec *r, const char *name, const char *v)
{
	if (v && !r->hide)
		text_add(r, " %s=%s", name, v);
	if (r->w)
		xg_jw_str_field(r->w, name, v);
	field_add(r, name, v);
}

void xg_rec_null(struct xg_rec *r, const char *name)
{
	xg_rec_str(r, name, NULL);
}

void xg_rec_u64(struct xg_rec *r, const char *name, unsigned long long v)
{
	char b[24];

	snprintf(b, sizeof(b), "%llu", v);
	if (!r->hide)
		text_add(r, " %s=%s", name, b);
	if (r->w)
		xg_jw_u64_field(r->w, name, v);
	field_add(r, name, b);
}

/* @prec decimals; not finite: null (left out) */
void xg_rec_float(struct xg_rec *r, const char *name, double v, int prec)
{
	char b[64];

	if (!isfinite(v)) {
		xg_rec_null(r, name);
		return;
	}
	snprintf(b, sizeof(b), "%.*f", prec, v);
	if (!r->hide)
		text_add(r, " %s=%s", name, b);
	if (r->w)
		xg_jw_float_field(r->w, name, v, prec);
	field_add(r, name, b);
}

/* a list: an array in JSON, comma-joined in text ("-" if empty) and in
 * the journal */
void xg_rec_strs(struct xg_rec *r, const char *name, const char *const *v,
		 int n)
{
	char b[1024];
	size_t o = 0;
	int i;

	b[0] = '\0';
	for (i = 0; i < n && o < sizeof(b); i++)
		o += snprintf(b + o, sizeof(b) - o, "%s%s", i ? "," : "", v[i]);
	if (!r->hide)
		text_add(r, " %s=%s", name, n ? b : "-");
	if (r->w) {
		xg_jw_name(r->w, name);
		xg_jw_array(r->w);
		for (i = 0; i < n; i++)
			xg_jw_str(r->w, v[i]);
		xg_jw_array_end(r->w);
	}
	field_add(r, name, b);
}

/* A journal-only field, as given ("PRIORITY=5"). */
void xg_rec_journal(struct xg_rec *r, const char *field)
{
	const char *eq = strchr(field, '=');
	char name[64];

	if (!eq || eq - field >= (long)sizeof(name))
		return;
	memcpy(name, field, eq - field);
	name[eq - field] = '\0';
	field_add(r, name, eq + 1);
}

/*
 * The record is complete: text and JSON are written to the stream (not
 * flushed: the caller flushes once per batch); the journal's fields are
 * ready for xg_rec_iov().
 */
void xg_rec_end(struct xg_rec *r)
{
	size_t room = sizeof(r->fields) - r->flen;
	int n;

	switch (r->mode) {
	case XG_REC_TEXT:
		fputs(r->text, r->f);
		fputc('\n', r->f);
		break;
	case XG_REC_JSON:
		xg_jw_object_end(r->w);
		xg_jw_line(r->w);
		break;
	case XG_REC_JOURNAL:
		n = snprintf(r->fields + r->flen, room, "MESSAGE=%s", r->text);
		if (n < 0)
			n = 0;
		if ((size_t)n >= room)
			n = room - 1;	/* room > REC_TEXT: never 0 */
		r->iov[0].iov_base = r->fields + r->flen;
		r->iov[0].iov_len = n;
		r->flen += n;
		break;
	}
}

/* The journal fields of the record ended last (MESSAGE= first): how many. */
int xg_rec_iov(const struct xg_rec *r, const struct iovec **iov)
{
	*iov = r->iov;
	return r->mode == XG_REC_JOURNAL ? r->niov : 0;
}

/* The text line of the record ended last. */
const char *xg_rec_text(const struct xg_rec *r)
{
	return r->text;
}
