/* ZeroMQ many-connection peer (see many.h): a REP server; the load generator
 * drives CONNECTIONS REQ sockets from one thread with zmq_poll. */
#include "many.h"

#include <zmq.h>

#define CHECK(expr)                                                        \
	do {                                                               \
		if ((expr) < 0)                                            \
			die("%s: %s", #expr, zmq_strerror(zmq_errno()));   \
	} while (0)

static void *g_ctx;

static void
server(const char *url, long size, long conns)
{
	(void) conns; /* one REP socket fair-queues every connection */
	void     *s = zmq_socket(g_ctx, ZMQ_REP);
	zmq_msg_t m;
	if (s == NULL)
		die("zmq_socket: %s", zmq_strerror(zmq_errno()));
	CHECK(zmq_bind(s, url));
	CHECK(zmq_msg_init(&m));
	for (;;) {
		CHECK(zmq_msg_recv(&m, s, 0));
		if ((long) zmq_msg_size(&m) != size)
			die("bad size %zu", zmq_msg_size(&m));
		CHECK(zmq_msg_send(&m, s, 0));
	}
}

static void
load(const char *url, long size, long count, long conns)
{
	void          **socks = calloc(conns, sizeof(void *));
	zmq_pollitem_t *items = calloc(conns, sizeof(zmq_pollitem_t));
	double         *sent  = calloc(conns, sizeof(double));
	double         *rtt   = malloc(count * sizeof(double));
	char           *out   = malloc(size + 1);
	char           *in    = malloc(size + 1);
	long            issued = 0, done = 0;
	int             zero   = 0;
	if (!socks || !items || !sent || !rtt || !out || !in)
		die("out of memory");
	memset(out, 'x', size);
	for (long i = 0; i < conns; i++) {
		if ((socks[i] = zmq_socket(g_ctx, ZMQ_REQ)) == NULL)
			die("zmq_socket: %s", zmq_strerror(zmq_errno()));
		CHECK(zmq_setsockopt(socks[i], ZMQ_LINGER, &zero, sizeof(zero)));
		CHECK(zmq_connect(socks[i], url));
		items[i].socket = socks[i];
		items[i].events = ZMQ_POLLIN;
	}
	/* one untimed round trip per socket: zmq_connect returns before the
	 * connection is up (msperf's and NNG's dials wait for it) */
	for (long i = 0; i < conns; i++)
		CHECK(zmq_send(socks[i], out, size, 0));
	for (long i = 0; i < conns; i++)
		CHECK(zmq_recv(socks[i], in, size + 1, 0));
	double t0 = now_s();
	for (long i = 0; i < conns && issued < count; i++, issued++) {
		sent[i] = now_s();
		CHECK(zmq_send(socks[i], out, size, 0));
	}
	while (done < count) {
		CHECK(zmq_poll(items, (int) conns, -1));
		for (long i = 0; i < conns; i++) {
			if (!(items[i].revents & ZMQ_POLLIN))
				continue;
			int n = zmq_recv(socks[i], in, size + 1, 0);
			if (n < 0)
				die("zmq_recv: %s", zmq_strerror(zmq_errno()));
			if (n != size)
				die("bad size %d", n);
			double t = now_s();
			rtt[done++] = t - sent[i];
			if (issued < count) {
				issued++;
				sent[i] = t;
				CHECK(zmq_send(socks[i], out, size, 0));
			}
		}
	}
	double elapsed = now_s() - t0;
	report_many(url, size, count, conns, elapsed, rtt);
	for (long i = 0; i < conns; i++)
		zmq_close(socks[i]);
}

int
main(int argc, char **argv)
{
	static char name[64];
	int         a, b, c;
	zmq_version(&a, &b, &c);
	snprintf(name, sizeof(name), "zmq-%d.%d.%d", a, b, c);
	g_lib = name;
	if (argc == 2 && !strcmp(argv[1], "--version")) {
		printf("%s\n", g_lib);
		return 0;
	}
	/* defaults, as the peer kit: one I/O thread */
	if ((g_ctx = zmq_ctx_new()) == NULL)
		die("zmq_ctx_new");
	int rc = many_main(argc, argv);
	zmq_ctx_term(g_ctx);
	return rc;
}
