// SPDX-License-Identifier: GPL-2.0
/*
 * xdpguard: XDP/tc/tracepoint mitigation and telemetry for edge hosts.
 *
 * The dispatcher: `xdpguard OBJECT [VERB] [ARGS]`. It resolves the object
 * and the verb (iproute2-style prefixes), supplies the default verb,
 * turns -i IFACE into the positional IFACE where a command takes one,
 * and runs the common preamble once (privilege, then the session's
 * recovery when bpffs holds pins), then calls the command (user/cmd).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include "cmd/cmd.h"

#ifndef XG_VERSION
#define XG_VERSION "unknown"
#endif

enum {
	PRE_ROOT	= 1 << 0,	/* privileged: XG_CAPS_READ to read,
					 * XG_CAPS_ADMIN to change */
	PRE_SESSION	= 1 << 1,	/* recovery first (pinned state) */
	IFACE_ARG	= 1 << 2,	/* takes IFACE: -i IFACE becomes it */
	NO_SHOW_VERB	= 1 << 3,	/* reads only: "show" is dropped */
	WRITES		= 1 << 4,	/* changes protection: audited */
};

struct object {
	const char *name;
	int (*fn)(int argc, char **argv);
	unsigned int flags;
	/* the verbs the command takes, its default first; NULL: none */
	const char *const *verbs;
	const char *help;
};

static const char *const v_rate[] = { "show", "set", "del", NULL };
static const char *const v_list[] = { "list", "add", "del", NULL };
static const char *const v_set[] = { "show", "set", NULL };
static const char *const v_tw[] = { "show", "on", "off", "set", NULL };
static const char *const v_show[] = { "show", NULL };

/* in the order of `xdpguard --help`; prefixes are resolved in any order */
static const struct object objects[] = {
	{ "attach", cmd_attach,
	  PRE_ROOT | PRE_SESSION | IFACE_ARG | WRITES, NULL,
	  "[-i] IFACE [--mode native|skb] [--dry-run] [--replace] ..." },
	{ "detach", cmd_detach,
	  PRE_ROOT | PRE_SESSION | IFACE_ARG | WRITES, NULL,
	  "[-i] IFACE | --all" },
	{ "status", cmd_status, PRE_ROOT | PRE_SESSION | NO_SHOW_VERB, v_show,
	  "[show] [-i IFACE] [--json]" },
	{ "rate", cmd_rate, PRE_ROOT | PRE_SESSION, v_rate,
	  "[show|set|del] [-i IFACE] [--port P] [--pps N] [--burst N]" },
	{ "allow", cmd_allow, PRE_ROOT | PRE_SESSION, v_list,
	  "[list|add|del] [-i IFACE] CIDR..." },
	{ "deny", cmd_deny, PRE_ROOT | PRE_SESSION, v_list,
	  "[list|add|del] [-i IFACE] CIDR... [--ttl D]" },
	{ "cookies", cmd_cookies, PRE_ROOT | PRE_SESSION, v_set,
	  "[show|set] [-i IFACE] [on|off|auto] [--port P] [--threshold N]" },
	{ "mss", cmd_mss, PRE_ROOT | PRE_SESSION, v_set,
	  "[show|set] [-i IFACE] [N|pmtu|off] [--dir D]" },
	{ "pmtu", cmd_pmtu, PRE_ROOT | PRE_SESSION | NO_SHOW_VERB, v_show,
	  "[show] [-i IFACE] [--json]" },
	{ "top", cmd_top, PRE_ROOT | PRE_SESSION, NULL,
	  "[-i IFACE] [--once] [--json]" },
	{ "events", cmd_events, PRE_ROOT | PRE_SESSION, NULL,
	  "[-i IFACE] [--json]" },
	{ "export", cmd_export, PRE_ROOT | PRE_SESSION, NULL,
	  "--listen ADDR:PORT | --textfile PATH" },
	{ "save", cmd_save, PRE_ROOT | PRE_SESSION, NULL,
	  "[-i IFACE] > FILE" },
	{ "apply", cmd_apply, PRE_ROOT | PRE_SESSION | WRITES, NULL,
	  "[-i IFACE] -f FILE [--dry-run]" },
	{ "tw", cmd_tw, PRE_ROOT, v_tw,
	  "[show|on|off|set] [--json] [--top N] [--interval S]" },
	{ "sockets", cmd_sockets, PRE_ROOT | NO_SHOW_VERB, v_show,
	  "[show] [--json]" },
	{ "dns", cmd_dns, PRE_ROOT | PRE_SESSION | NO_SHOW_VERB, v_show,
	  "[show] [-i IFACE] [--json]" },
};

#define N_OBJECTS (sizeof(objects) / sizeof(objects[0]))

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: xdpguard OBJECT [VERB] [ARGS]   (xdpguard OBJECT "
		"--help for more)\n"
		"       xdpguard --version\n"
		"Objects and verbs may be shortened to a prefix (xdpguard st, "
		"xdpguard de li);\nthe first verb listed is the default.\n");
	for (i = 0; i < N_OBJECTS; i++)
		fprintf(f, "  xdpguard %-7s %s\n", objects[i].name,
			objects[i].help);
	fprintf(f, "xdpguard %s (pins layout %d)\n", XG_VERSION,
		XG_ABI_VERSION);
}

static bool prefix_of(const char *word, const char *name)
{
	return *word && !strncmp(word, name, strlen(word));
}

/* "show" and "list" name one verb: whichever the command knows */
static const char *verb_find(const char *const *verbs, const char *word)
{
	const char *hit = NULL;
	int i, n = 0;

	for (i = 0; verbs[i]; i++)
		if (!strcmp(word, verbs[i]))
			return verbs[i];
	if (!strcmp(word, "list") || !strcmp(word, "show"))
		return verbs[0];
	for (i = 0; verbs[i]; i++)
		if (prefix_of(word, verbs[i])) {
			hit = verbs[i];
			n++;
		}
	if (!n && (prefix_of(word, "list") || prefix_of(word, "show")))
		return verbs[0];
	return n == 1 ? hit : NULL;
}

/* the verbs @word is a prefix of, as a list ("" lists them all) */
static void verb_candidates(const char *const *verbs, const char *word,
			    char *buf, size_t len)
{
	size_t off = 0;
	int i;

	buf[0] = 0;
	for (i = 0; verbs[i]; i++)
		if ((!*word || prefix_of(word, verbs[i])) && off < len)
			off += snprintf(buf + off, len - off, "%s%s",
					off ? ", " : "", verbs[i]);
}

/*
 * The object @word names: exactly, or as the prefix of one. A prefix of
 * several is taken by the one whose verb follows it (`de li`: deny
 * list, since detach takes none); otherwise it is a usage error listing
 * them. NULL after the error is said.
 */
static const struct object *object_find(const char *word, const char *next)
{
	const struct object *hit = NULL, *by_verb = NULL;
	char names[256];
	size_t i, off = 0;
	int n = 0, nv = 0;

	for (i = 0; i < N_OBJECTS; i++)
		if (!strcmp(word, objects[i].name))
			return &objects[i];
	for (i = 0; i < N_OBJECTS; i++) {
		if (!prefix_of(word, objects[i].name))
			continue;
		hit = &objects[i];
		n++;
		off += snprintf(names + off, sizeof(names) - off, "%s%s",
				off ? ", " : "", objects[i].name);
		if (next && next[0] != '-' && objects[i].verbs &&
		    verb_find(objects[i].verbs, next)) {
			by_verb = &objects[i];
			nv++;
		}
	}
	if (n == 1)
		return hit;
	if (nv == 1)
		return by_verb;
	usage(stderr);
	if (!n)
		xg_usage_err("unknown object '%s'", word);
	else
		xg_usage_err("'%s' is ambiguous: %s", word, names);
	return NULL;
}

static bool wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return true;
	return false;
}

static bool bpffs_here(void)
{
	struct statfs sf;

	return !statfs("/sys/fs/bpf", &sf) && sf.f_type == BPF_FS_MAGIC;
}

int main(int argc, char **argv)
{
	const struct object *o;
	const char *verb = NULL;
	char cands[128];
	bool help, writes;
	char **av;
	int ac, i, j;

	if (argc < 2) {
		usage(stderr);
		return XG_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return XG_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V") ||
	    !strcmp(argv[1], "version")) {
		printf("xdpguard %s (pins layout %d)\n", XG_VERSION,
		       XG_ABI_VERSION);
		return XG_EXIT_OK;
	}
	o = object_find(argv[1], argc > 2 ? argv[2] : NULL);
	if (!o)
		return XG_EXIT_USAGE;
	xg_cmd = o->name;

	/* the command's own argv: room for a default verb */
	av = calloc(argc + 2, sizeof(*av));
	if (!av)
		return XG_EXIT_FAIL;
	ac = 0;
	av[ac++] = (char *)o->name;
	i = 2;
	if (o->verbs) {
		if (i < argc && argv[i][0] != '-' &&
		    (verb = verb_find(o->verbs, argv[i]))) {
			i++;
		} else if (i < argc && argv[i][0] != '-' &&
			   !(o->flags & NO_SHOW_VERB) && o->verbs[1]) {
			verb_candidates(o->verbs, argv[i], cands,
					sizeof(cands));
			free(av);
			if (cands[0])
				return xg_usage_err("'%s %s' is ambiguous: %s",
						    o->name, argv[i], cands);
			verb_candidates(o->verbs, "", cands, sizeof(cands));
			return xg_usage_err("unknown verb '%s %s' (accepted: "
					    "%s)", o->name, argv[i], cands);
		} else {
			verb = o->verbs[0];	/* the default */
		}
		if (!(o->flags & NO_SHOW_VERB))
			av[ac++] = (char *)verb;
	}
	for (; i < argc; i++) {
		/* -i IFACE, -iIFACE, --interface[=]IFACE: the positional */
		if (o->flags & IFACE_ARG) {
			if ((!strcmp(argv[i], "-i") ||
			     !strcmp(argv[i], "--interface")) && i + 1 < argc) {
				av[ac++] = argv[++i];
				continue;
			}
			if (!strncmp(argv[i], "-i", 2) && argv[i][2]) {
				av[ac++] = argv[i] + 2;
				continue;
			}
			if (!strncmp(argv[i], "--interface=", 12)) {
				av[ac++] = argv[i] + 12;
				continue;
			}
		}
		av[ac++] = argv[i];
	}
	av[ac] = NULL;

	/* what changes protection: a writing object, or a verb other than
	 * the default (show/list) one */
	help = wants_help(ac, av);
	writes = (o->flags & WRITES) || (verb && verb != o->verbs[0]);
	/* the preamble, once; --help needs none */
	if (!help) {
		if ((o->flags & PRE_ROOT) &&
		    xg_need_caps(writes ? XG_CAPS_ADMIN : XG_CAPS_READ)) {
			free(av);
			return XG_EXIT_FAIL;
		}
		if ((o->flags & PRE_SESSION) && bpffs_here())
			xg_session_begin();
	}
	j = o->fn(ac, av);
	/* the audit trail: what changes protection, or tried to */
	if (!help && writes)
		xg_audit(argc, argv, j);
	free(av);
	return j;
}
