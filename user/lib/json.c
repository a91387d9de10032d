// SPDX-License-Identifier: GPL-2.0
/*
 * The one JSON writer (bpftool's json_writer is the model): objects and
 * arrays nest, commas and escapes are the writer's business, a command
 * only says names and values. The style every command follows
 * (docs/json.md): snake_case names with their unit (_pps, _ns, _bytes,
 * _seconds), ratios 0..1, null for "never" or "unknown", prefixes
 * masked, one object per interface in an "interfaces" array whatever
 * their number.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "lib.h"

#define JW_DEPTH 16

struct xg_jw {
	FILE *f;
	int depth;
	bool first[JW_DEPTH];	/* nothing written yet at this depth */
	bool named;		/* a name was written, its value is next */
	bool lines;		/* JSON lines: xg_jw_line() ends each */
};

struct xg_jw *xg_jw_new(FILE *f)
{
	struct xg_jw *w = calloc(1, sizeof(*w));

	if (w) {
		w->f = f;
		w->first[0] = true;
	}
	return w;
}

/* A writer of JSON lines (xg_jw_line ends each): nothing when none. */
struct xg_jw *xg_jw_new_lines(FILE *f)
{
	struct xg_jw *w = xg_jw_new(f);

	if (w)
		w->lines = true;
	return w;
}

/* Free @w; the document ends with a newline. */
void xg_jw_free(struct xg_jw *w)
{
	if (!w)
		return;
	if (!w->lines || !w->first[0])
		fputc('\n', w->f);
	fflush(w->f);
	free(w);
}

/*
 * End the top-level value with a newline and start the next one (JSON
 * lines: one document per line, as events writes them). Not flushed.
 */
void xg_jw_line(struct xg_jw *w)
{
	fputc('\n', w->f);
	w->depth = 0;
	w->named = false;
	w->first[0] = true;
}

static void sep(struct xg_jw *w)
{
	if (w->named) {
		w->named = false;
		return;
	}
	if (!w->first[w->depth])
		fputc(',', w->f);
	w->first[w->depth] = false;
}

static void open_(struct xg_jw *w, char c)
{
	sep(w);
	fputc(c, w->f);
	if (w->depth < JW_DEPTH - 1)
		w->depth++;
	w->first[w->depth] = true;
}

static void close_(struct xg_jw *w, char c)
{
	fputc(c, w->f);
	if (w->depth > 0)
		w->depth--;
}

void xg_jw_object(struct xg_jw *w) { open_(w, '{'); }
void xg_jw_object_end(struct xg_jw *w) { close_(w, '}'); }
void xg_jw_array(struct xg_jw *w) { open_(w, '['); }
void xg_jw_array_end(struct xg_jw *w) { close_(w, ']'); }

void xg_jw_name(struct xg_jw *w, const char *name)
{
	sep(w);
	xg_json_str(w->f, name);
	fputc(':', w->f);
	w->named = true;
}

void xg_jw_str(struct xg_jw *w, const char *s)
{
	sep(w);
	if (s)
		xg_json_str(w->f, s);
	else
		fputs("null", w->f);
}

void xg_jw_u64(struct xg_jw *w, unsigned long long v)
{
	sep(w);
	fprintf(w->f, "%llu", v);
}

void xg_jw_s64(struct xg_jw *w, long long v)
{
	sep(w);
	fprintf(w->f, "%lld", v);
}

/* a number with @prec decimals; not a number or infinite: null */
void xg_jw_float(struct xg_jw *w, double v, int prec)
{
	sep(w);
	if (isfinite(v))
		fprintf(w->f, "%.*f", prec, v);
	else
		fputs("null", w->f);
}

void xg_jw_bool(struct xg_jw *w, bool v)
{
	sep(w);
	fputs(v ? "true" : "false", w->f);
}

void xg_jw_null(struct xg_jw *w)
{
	sep(w);
	fputs("null", w->f);
}

void xg_jw_str_field(struct xg_jw *w, const char *n, const char *s)
{
	xg_jw_name(w, n);
	xg_jw_str(w, s);
}

void xg_jw_u64_field(struct xg_jw *w, const char *n, unsigned long long v)
{
	xg_jw_name(w, n);
	xg_jw_u64(w, v);
}

void xg_jw_s64_field(struct xg_jw *w, const char *n, long long v)
{
	xg_jw_name(w, n);
	xg_jw_s64(w, v);
}

void xg_jw_float_field(struct xg_jw *w, const char *n, double v, int prec)
{
	xg_jw_name(w, n);
	xg_jw_float(w, v, prec);
}

void xg_jw_bool_field(struct xg_jw *w, const char *n, bool v)
{
	xg_jw_name(w, n);
	xg_jw_bool(w, v);
}

void xg_jw_null_field(struct xg_jw *w, const char *n)
{
	xg_jw_name(w, n);
	xg_jw_null(w);
}

/* seconds since @then_ns (same clock as @now_ns), or null when never (0) */
void xg_jw_ago_field(struct xg_jw *w, const char *n, __u64 then_ns,
		     __u64 now_ns)
{
	xg_jw_name(w, n);
	if (!then_ns || then_ns > now_ns)
		xg_jw_null(w);
	else
		xg_jw_u64(w, (now_ns - then_ns) / 1000000000ULL);
}
