/*
 * Shared parts of the many-connection peers (zmq_many.c, nng_many.c): one
 * server process answers requests over tcp; one load-generator process opens
 * CONNECTIONS req sockets, each its own connection, keeps one request in
 * flight on each until COUNT requests have been answered in all, and prints
 * requests/s and the p50/p99 round-trip latency — the method of msperf's
 * remote_many/local_many, for bench/compare.sh.
 *
 * usage: <lib>_many local  URL SIZE COUNT [CONNECTIONS]   server, runs until killed
 *        <lib>_many remote URL SIZE COUNT [CONNECTIONS]   load generator, prints RESULT
 */
#ifndef MANY_H
#define MANY_H

#define _GNU_SOURCE
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *g_lib = "?";

static void
die(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s_many: ", g_lib);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(2);
}

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

static long
parse_pos(const char *s, const char *what, long max)
{
	char *end;
	long  v = strtol(s, &end, 10);
	if (end == s || *end != 0 || v < 0 || v > max)
		die("bad %s: %s", what, s);
	return v;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *) a, y = *(const double *) b;
	return x < y ? -1 : x > y;
}

/* nearest-rank percentile of n sorted values */
static double
percentile(const double *sorted, long n, int pct)
{
	long rank = (n * pct + 99) / 100;
	return sorted[(rank < 1 ? 1 : rank) - 1];
}

/* sorts the round trips and prints the RESULT line */
static void
report_many(const char *url, long size, long count, long conns, double elapsed,
    double *rtt)
{
	const char *p = strstr(url, "://");
	int         tl = p ? (int) (p - url) : (int) strlen(url);
	qsort(rtt, count, sizeof(double), cmp_double);
	printf("RESULT lib=%s test=many pattern=reqrep transport=%.*s size=%ld "
	       "count=%ld connections=%ld elapsed_s=%.6f req_s=%.0f p50_us=%.1f "
	       "p99_us=%.1f\n",
	    g_lib, tl, url, size, count, conns, elapsed, (double) count / elapsed,
	    percentile(rtt, count, 50) * 1e6, percentile(rtt, count, 99) * 1e6);
	fflush(stdout);
}

static void server(const char *url, long size, long conns);
static void load(const char *url, long size, long count, long conns);

static int
many_main(int argc, char **argv)
{
	if (argc != 5 && argc != 6) {
		fprintf(stderr,
		    "usage: %s_many local|remote URL SIZE COUNT [CONNECTIONS (64)]\n",
		    g_lib);
		return 2;
	}
	long size  = parse_pos(argv[3], "size", 1L << 30);
	long count = parse_pos(argv[4], "count", 1L << 30);
	long conns = argc == 6 ? parse_pos(argv[5], "connections", 4096) : 64;
	if (count < 1 || conns < 1)
		die("count and connections must be >= 1");
	signal(SIGPIPE, SIG_IGN);
	if (!strcmp(argv[1], "local"))
		server(argv[2], size, conns);
	else if (!strcmp(argv[1], "remote"))
		load(argv[2], size, count, conns);
	else
		die("unknown mode %s (local or remote)", argv[1]);
	return 0;
}

#endif
