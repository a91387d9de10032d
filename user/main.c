// SPDX-License-Identifier: GPL-2.0
/* xdpguard: XDP/tc/tracepoint mitigation and telemetry for edge hosts. */
#include <string.h>
#include "xdpguard.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "attach", cmd_attach, "IFACE [--mode native|skb] [--dry-run] ..." },
	{ "detach", cmd_detach, "IFACE | --all" },
	{ "status", cmd_status, "[-i IFACE] [--json]" },
	{ "rate", cmd_rate, "set|del|show [-i IFACE] [--port P] --pps N ..." },
	{ "allow", cmd_allow, "add|del|list [-i IFACE] CIDR..." },
	{ "deny", cmd_deny, "add|del|list [-i IFACE] CIDR... [--ttl D]" },
	{ "top", cmd_top, "[-i IFACE] [--once] [--json]" },
	{ "events", cmd_events, "[-i IFACE] [--json]" },
	{ "export", cmd_export, "--listen ADDR:PORT | --textfile PATH" },
	{ "save", cmd_save, "[-i IFACE] > FILE" },
	{ "apply", cmd_apply, "[-i IFACE] -f FILE" },
	{ "cookies", cmd_cookies, "set|show [-i IFACE] on|off|auto [--port P] ..." },
	{ "mss", cmd_mss, "set|show [-i IFACE] N|pmtu|off [--dir D]" },
	{ "pmtu", cmd_pmtu, "[-i IFACE] [--json]" },
	{ "tw", cmd_tw, "[show|on|off|set] [--json] [--top N] [--interval S]" },
	{ "sockets", cmd_sockets, "[--json]" },
	{ "dns", cmd_dns, "[-i IFACE] [--json]" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: xdpguard OBJECT COMMAND [ARGS]   (xdpguard OBJECT "
		"--help for more)\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  xdpguard %-7s %s\n", commands[i].name,
			commands[i].help);
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return XG_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return XG_EXIT_OK;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	usage(stderr);
	return xg_usage_err("unknown object '%s'", argv[1]);
}
