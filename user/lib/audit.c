// SPDX-License-Identifier: GPL-2.0
/*
 * The audit trail: every command that changes protection (attach, detach,
 * apply, and the writing verbs: rate set|del, allow|deny add|del, cookies
 * set, mss set, tw on|off|set) leaves one syslog record when it ends,
 * with who ran it, what it was (the command line as typed), where (the
 * network namespace) and how it ended. syslog(3) goes to /dev/log, which
 * journald (or rsyslog) serves; facility authpriv, as sudo's, so that it
 * lands beside the logins of the same incident. A command killed before
 * it ends leaves no record of its own; the next command's recovery says
 * what it found.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include "lib.h"

/* @s as one shell word: as it is when plain, else in single quotes */
static size_t shell_word(char *buf, size_t len, const char *s)
{
	size_t o = 0;
	bool plain = *s;
	const char *p;

	for (p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("-_./:=,@%+", *p)))
			plain = false;
	if (plain)
		return snprintf(buf, len, "%s", s);
	o += snprintf(buf + o, o < len ? len - o : 0, "'");
	for (p = s; *p; p++) {
		if (*p == '\'')
			o += snprintf(buf + o, o < len ? len - o : 0, "'\\''");
		else if ((unsigned char)*p < 0x20 || *p == 0x7f)
			o += snprintf(buf + o, o < len ? len - o : 0, "?");
		else
			o += snprintf(buf + o, o < len ? len - o : 0, "%c", *p);
	}
	o += snprintf(buf + o, o < len ? len - o : 0, "'");
	return o;
}

static void user_name(uid_t uid, char *buf, size_t len)
{
	struct passwd pw, *res = NULL;
	char tmp[1024];

	if (!getpwuid_r(uid, &pw, tmp, sizeof(tmp), &res) && res)
		snprintf(buf, len, "%u(%s)", uid, pw.pw_name);
	else
		snprintf(buf, len, "%u", uid);
}

/* The uid the kernel's audit keeps for this login session, or -1. */
static long login_uid(void)
{
	FILE *f = fopen("/proc/self/loginuid", "r");
	unsigned long v;
	int n;

	if (!f)
		return -1;
	n = fscanf(f, "%lu", &v);
	fclose(f);
	return n == 1 && v != 4294967295UL ? (long)v : -1;
}

void xg_audit(int argc, char **argv, int status)
{
	char cmd[1024], who[96], login[96] = "", sudo[80] = "";
	const char *su = getenv("SUDO_USER"), *tty = ttyname(STDIN_FILENO);
	long luid = login_uid();
	size_t o = 0;
	int i;

	for (i = 0; i < argc && o < sizeof(cmd); i++) {
		if (i)
			cmd[o++] = ' ';
		o += shell_word(cmd + o, o < sizeof(cmd) ? sizeof(cmd) - o : 0,
				i ? argv[i] : "xdpguard");
	}
	if (o >= sizeof(cmd))
		strcpy(cmd + sizeof(cmd) - 4, "...");
	user_name(getuid(), who, sizeof(who));
	if (luid >= 0) {
		char n[64];

		user_name(luid, n, sizeof(n));
		snprintf(login, sizeof(login), " login_uid=%s", n);
	}
	if (su && *su)
		snprintf(sudo, sizeof(sudo), " sudo_user=%.60s", su);
	openlog("xdpguard", LOG_PID, LOG_AUTHPRIV);
	syslog(status ? LOG_WARNING : LOG_NOTICE,
	       "policy change: uid=%s%s%s tty=%s netns=%llu: %s: exit %d (%s)",
	       who, login, sudo, tty ? tty : "none",
	       (unsigned long long)xg_netns_cookie(), cmd, status,
	       status == XG_EXIT_OK ? "done" : status == XG_EXIT_USAGE ?
	       "refused: bad input, nothing changed" : "failed");
	closelog();
}
