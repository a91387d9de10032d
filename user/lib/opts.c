// SPDX-License-Identifier: GPL-2.0
/*
 * Options declared as tables: each command lists its options (name, key,
 * type, bounds, default, the verbs it belongs to, its words for --help)
 * and xg_opts_parse() does the rest: defaults first, then the command
 * line through getopt_long, every value checked, positional arguments in
 * order, -h/--help. A bad value is "bad --NAME 'VALUE' (WHAT)", exit 2,
 * before anything is done; an option of another verb is named as such.
 */
#include <getopt.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "lib.h"

#define MAX_OPTS 40

static bool verb_ok(const struct xg_opt *o, const char *verb)
{
	const char *p;
	size_t n;

	if (!o->verbs || !verb)
		return true;
	n = strlen(verb);
	for (p = o->verbs; (p = strstr(p, verb)); p += n)
		if ((p == o->verbs || p[-1] == ' ') &&
		    (p[n] == ' ' || !p[n]))
			return true;
	return false;
}

/* @s into the field of @o in @dst; 0, or -1 (bad value) */
static int opt_set(const struct xg_opt *o, const char *s, void *dst)
{
	char *f = (char *)dst + o->off;
	__u64 ns;
	__u32 v;
	__u16 port;
	int i;

	switch (o->type) {
	case XG_OPT_FLAG:
		*(bool *)f = true;
		return 0;
	case XG_OPT_STR:
		*(const char **)f = s;
		return 0;
	case XG_OPT_U32:
		if (xg_parse_u32(s, o->min, o->max, &v))
			return -1;
		*(__u32 *)f = v;
		return 0;
	case XG_OPT_PORT:
		if (xg_parse_port(s, &port))
			return -1;
		*(__u16 *)f = port;
		return 0;
	case XG_OPT_DURATION:
		if (xg_parse_duration(s, &ns) || (o->max && ns > o->max) ||
		    ns < o->min)
			return -1;
		*(__u64 *)f = ns;
		return 0;
	case XG_OPT_CHOICE:
		for (i = 0; o->choices[i]; i++)
			if (!strcmp(s, o->choices[i])) {
				*(__u32 *)f = i;
				return 0;
			}
		return -1;
	case XG_OPT_IFACE:
		if (!xg_ifname_ok(s))
			return -1;
		*(const char **)f = s;
		return 0;
	}
	return -1;
}

static const char *opt_what(const struct xg_opt *o, char *buf, size_t len)
{
	size_t off = 0;
	int i;

	if (o->type == XG_OPT_IFACE)
		return "an interface name: 1..15 bytes, no '/', no space, "
		       "not . or ..";
	if (o->type != XG_OPT_CHOICE || o->help)
		return o->help ? o->help : "";
	off += snprintf(buf, len, "accepted: ");
	for (i = 0; o->choices[i] && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
				o->choices[i]);
	return buf;
}

/* The option lines of --help, from the table. */
void xg_opts_help(FILE *f, const struct xg_opt *opts)
{
	char flag[40], what[160];
	const struct xg_opt *o;

	for (o = opts; o->name; o++) {
		if (o->hidden)
			continue;
		snprintf(flag, sizeof(flag), "%s%c%s--%s%s%s",
			 o->key ? "-" : "", o->key ? o->key : ' ',
			 o->key ? ", " : "  ", o->name,
			 o->type == XG_OPT_FLAG ? "" : " ",
			 o->type == XG_OPT_FLAG ? "" : o->arg ? o->arg : "X");
		fprintf(f, "  %-24s %s", flag + (o->key ? 0 : 1),
			opt_what(o, what, sizeof(what)));
		if (o->def)
			fprintf(f, " (default %s)", o->def);
		if (o->verbs)
			fprintf(f, " [%s]", o->verbs);
		fputc('\n', f);
	}
}

/*
 * Parse @argv (argv[0] the object; argv[1] the verb when @verb is set)
 * against @opts into @dst. Returns -1 to go on, or the exit status:
 * 0 after --help, 2 after a usage error (said, with @usage on stderr).
 */
int xg_opts_parse(int argc, char **argv, const char *verb,
		  const struct xg_opt *opts, void *dst, struct xg_args *a,
		  const char *usage)
{
	struct option lo[MAX_OPTS + 2];
	char shorts[2 * MAX_OPTS + 4], what[160];
	const struct xg_opt *o;
	int n = 0, ns = 0, c, i, idx;

	memset(a, 0, sizeof(*a));
	a->verb = verb;
	a->pos = calloc(argc + 1, sizeof(*a->pos));
	if (!a->pos)
		return XG_EXIT_FAIL;
	shorts[ns++] = '-';	/* positionals in order, as code 1 */
	shorts[ns++] = ':';	/* a missing value, as ':' */
	shorts[ns++] = 'h';
	for (o = opts; o->name && n < MAX_OPTS; o++, n++) {
		if (o->def && opt_set(o, o->def, dst)) {
			xg_err("internal: default '%s' of --%s", o->def,
			       o->name);
			return XG_EXIT_FAIL;
		}
		lo[n].name = o->name;
		lo[n].has_arg = o->type == XG_OPT_FLAG ? no_argument :
			required_argument;
		lo[n].flag = NULL;
		lo[n].val = 256 + n;
		if (o->key) {
			shorts[ns++] = o->key;
			if (o->type != XG_OPT_FLAG)
				shorts[ns++] = ':';
		}
	}
	lo[n].name = "help";
	lo[n].has_arg = no_argument;
	lo[n].flag = NULL;
	lo[n].val = 'h';
	memset(&lo[n + 1], 0, sizeof(lo[n + 1]));
	shorts[ns] = 0;

	opterr = 0;
	optind = verb ? 2 : 1;
	while ((c = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		if (c == 1) {
			a->pos[a->npos++] = optarg;
			continue;
		}
		if (c == 'h') {
			fputs(usage, stdout);
			xg_opts_help(stdout, opts);
			return XG_EXIT_OK;
		}
		idx = -1;
		if (c >= 256)
			idx = c - 256;
		else
			for (i = 0; i < n; i++)
				if (opts[i].key == c)
					idx = i;
		if (idx < 0) {
			fputs(usage, stderr);
			xg_opts_help(stderr, opts);
			if (c == ':')
				return xg_usage_err("option '%s' needs a value",
						    argv[optind - 1]);
			return xg_usage_err("unknown option '%s'",
					    argv[optind - 1]);
		}
		o = &opts[idx];
		if (!verb_ok(o, verb))
			return xg_usage_err("--%s belongs to %s %s, not %s %s",
					    o->name, argv[0], o->verbs,
					    argv[0], verb);
		if (o->type == XG_OPT_IFACE && !xg_ifname_ok(optarg))
			return xg_ifname_check(optarg);
		if (opt_set(o, optarg, dst))
			return xg_usage_err("bad --%s '%s' (%s)", o->name,
					    optarg, opt_what(o, what,
							     sizeof(what)));
		a->given |= 1ULL << idx;
	}
	return -1;
}

/* Whether the option named @name was on the command line. */
bool xg_opt_given(const struct xg_args *a, const struct xg_opt *opts,
		  const char *name)
{
	return a->given & xg_opt_bit(opts, name);
}

/* The bit of xg_args.given that stands for the option named @name. */
__u64 xg_opt_bit(const struct xg_opt *opts, const char *name)
{
	int i;

	for (i = 0; opts[i].name; i++)
		if (!strcmp(opts[i].name, name))
			return 1ULL << i;
	return 0;
}

void xg_args_free(struct xg_args *a)
{
	free(a->pos);
	a->pos = NULL;
}

/*
 * xg_opts_parse() for a command that takes no positional argument: -1 to
 * go on (*given, if not NULL: the options given), or the exit status.
 */
int xg_opts_only(int argc, char **argv, const char *verb,
		 const struct xg_opt *opts, void *dst, __u64 *given,
		 const char *usage)
{
	struct xg_args a;
	int ret;

	ret = xg_opts_parse(argc, argv, verb, opts, dst, &a, usage);
	if (ret >= 0)
		return ret;
	if (a.npos)
		ret = xg_usage_err("unexpected argument '%s'", a.pos[0]);
	if (given)
		*given = a.given;
	xg_args_free(&a);
	return ret;
}

struct iface_json {
	const char *ifname;
	bool json;
};

static const struct xg_opt iface_json_opts[] = {
	{ "interface", 'i', XG_OPT_IFACE, offsetof(struct iface_json, ifname),
	  .arg = "IFACE" },
	{ "json", 0, XG_OPT_FLAG, offsetof(struct iface_json, json),
	  .help = "JSON output" },
	{}
};

/*
 * The options of a command that takes [-i IFACE] [--json] and nothing
 * else. Returns -1 to go on, otherwise the exit status (0 after --help).
 */
int xg_opts_iface_json(int argc, char **argv, const char *usage,
		       const char **ifname, bool *json)
{
	struct iface_json o = {};
	int ret;

	ret = xg_opts_only(argc, argv, NULL, iface_json_opts, &o, NULL, usage);
	*ifname = o.ifname;
	*json = o.json;
	return ret;
}
