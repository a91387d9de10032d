// SPDX-License-Identifier: GPL-2.0
/*
 * The record writer (user/lib/rec.c) that events writes every record
 * through: one list of fields as a text line, a JSON line (the JSON
 * writer: escapes, null, arrays) and journal fields (NAME=value iovecs,
 * upper-cased names, MESSAGE= the text line first, nulls left out, lists
 * comma-joined), and a record past its buffers cut, never overrun.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include "../harness.h"
#include "lib/lib.h"

/* A deny_hit-like record with each kind of field. */
static void one(struct xg_rec *r, const char *src)
{
	static const char *const two[] = { "198.18.0.1", "2001:db8::1" };

	xg_rec_begin(r);
	xg_rec_word(r, "time", "T1", "T1");
	xg_rec_word(r, "type", "deny_hit", "deny_hit");
	xg_rec_word(r, "interface", NULL, "host");
	xg_rec_hide(r, true);
	xg_rec_u64(r, "netns", 4026531840ULL);
	xg_rec_null(r, "family");
	xg_rec_hide(r, false);
	xg_rec_str(r, "src", src);
	xg_rec_null(r, "sport");
	xg_rec_u64(r, "hits", 7);
	xg_rec_float(r, "pct", 12.34, 1);
	xg_rec_strs(r, "old", NULL, 0);
	xg_rec_strs(r, "new", two, 2);
	xg_rec_journal(r, "PRIORITY=5");
	xg_rec_end(r);
}

static int out_is(FILE *f, char **buf, const char *want)
{
	fflush(f);
	ASSERT(!strcmp(*buf, want), "got '%s', want '%s'", *buf, want);
	return 0;
}

static int t_text(void)
{
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	struct xg_rec *r = xg_rec_new(XG_REC_TEXT, f);
	int ret;

	ASSERT(f && r, "no writer");
	one(r, "198.19.0.37");
	ret = out_is(f, &buf, "T1 deny_hit host src=198.19.0.37 hits=7 "
		     "pct=12.3 old=- new=198.18.0.1,2001:db8::1\n");
	xg_rec_free(r);
	fclose(f);
	free(buf);
	return ret;
}

static int t_json(void)
{
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	struct xg_rec *r = xg_rec_new(XG_REC_JSON, f);
	const char *rec = "{\"time\":\"T1\",\"type\":\"deny_hit\",\"interface\""
		":null,\"netns\":4026531840,\"family\":null,\"src\":%s,"
		"\"sport\":null,\"hits\":7,\"pct\":12.3,\"old\":[],\"new\":"
		"[\"198.18.0.1\",\"2001:db8::1\"]}\n";
	char want[1024], w1[512], w2[512];
	int ret;

	ASSERT(f && r, "no writer");
	one(r, "198.19.0.37");
	one(r, "a\"b\n");	/* escaped by the JSON writer */
	snprintf(w1, sizeof(w1), rec, "\"198.19.0.37\"");
	snprintf(w2, sizeof(w2), rec, "\"a\\\"b\\u000a\"");
	snprintf(want, sizeof(want), "%s%s", w1, w2);
	xg_rec_free(r);		/* no newline of its own after lines */
	ret = out_is(f, &buf, want);
	fclose(f);
	free(buf);
	return ret;
}

static int t_json_none(void)
{
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	struct xg_rec *r = xg_rec_new(XG_REC_JSON, f);
	int ret;

	ASSERT(f && r, "no writer");
	xg_rec_free(r);
	ret = out_is(f, &buf, "");
	fclose(f);
	free(buf);
	return ret;
}

static int t_journal(void)
{
	static const char *const want[] = {
		"MESSAGE=T1 deny_hit host src=198.19.0.37 hits=7 pct=12.3 "
		"old=- new=198.18.0.1,2001:db8::1",
		"TIME=T1", "TYPE=deny_hit", "NETNS=4026531840",
		"SRC=198.19.0.37", "HITS=7", "PCT=12.3", "OLD=",
		"NEW=198.18.0.1,2001:db8::1", "PRIORITY=5",
	};
	struct xg_rec *r = xg_rec_new(XG_REC_JOURNAL, stdout);
	const struct iovec *iov;
	int n, i;

	ASSERT(r, "no writer");
	one(r, "198.19.0.37");
	n = xg_rec_iov(r, &iov);
	for (i = 0; i < n && i < (int)ARRAY_SIZE(want); i++)
		ASSERT(iov[i].iov_len == strlen(want[i]) &&
		       !memcmp(iov[i].iov_base, want[i], iov[i].iov_len),
		       "field %d: got '%.*s', want '%s'", i,
		       (int)iov[i].iov_len, (char *)iov[i].iov_base, want[i]);
	ASSERT(n == ARRAY_SIZE(want), "%d fields, want %zu", n,
	       ARRAY_SIZE(want));
	/* the next record starts afresh */
	one(r, "198.19.0.38");
	n = xg_rec_iov(r, &iov);
	ASSERT(n == ARRAY_SIZE(want) &&
	       !memcmp(iov[4].iov_base, "SRC=198.19.0.38", 15),
	       "second record: %d fields", n);
	xg_rec_free(r);
	return 0;
}

/* a value longer than every buffer: cut, the record still ends */
static int t_long(void)
{
	struct xg_rec *r = xg_rec_new(XG_REC_JOURNAL, stdout);
	const struct iovec *iov;
	size_t big = 20000;
	char *s = malloc(big + 1);
	int n, i;

	ASSERT(r && s, "no writer");
	memset(s, 'x', big);
	s[big] = '\0';
	xg_rec_begin(r);
	xg_rec_word(r, "type", "t", "t");
	for (i = 0; i < 100; i++)
		xg_rec_str(r, "name", s + big - 100);	/* past the iovecs */
	xg_rec_str(r, "name", s);			/* past the buffer */
	xg_rec_end(r);
	n = xg_rec_iov(r, &iov);
	ASSERT(n >= 2 && n <= 64, "%d fields", n);
	ASSERT(!memcmp(iov[0].iov_base, "MESSAGE=t name=", 15) &&
	       iov[0].iov_len < 4200, "MESSAGE of %zu bytes", iov[0].iov_len);
	for (i = 1; i < n; i++)
		ASSERT(iov[i].iov_len < 200, "field %d of %zu bytes", i,
		       iov[i].iov_len);
	free(s);
	xg_rec_free(r);
	return 0;
}

int main(void)
{
	static const struct test tests[] = {
		{ "rec_text_line", t_text },
		{ "rec_json_lines_through_the_writer", t_json },
		{ "rec_json_no_record_no_line", t_json_none },
		{ "rec_journal_fields", t_journal },
		{ "rec_long_values_cut", t_long },
	};

	harness_init();
	return harness_run(tests, ARRAY_SIZE(tests), NULL) ? 1 : 0;
}
