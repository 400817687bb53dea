/* NNG many-connection peer (see many.h): a rep0 server with one context per
 * connection, each an aio state machine (NNG's asynchronous server idiom);
 * the load generator opens CONNECTIONS req0 sockets, each dialing, each an
 * aio state machine (send, receive, send the reply back as the next request). */
#include "many.h"

#include <pthread.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>

#define CHECK(expr)                                                        \
	do {                                                               \
		int rv_ = (expr);                                          \
		if (rv_ != 0)                                              \
			die("%s: %s", #expr, nng_strerror(rv_));           \
	} while (0)

static long g_size;

/* ---- server ---------------------------------------------------------- */

struct work {
	nng_ctx  ctx;
	nng_aio *aio;
	int      sending;
};

static void
work_cb(void *arg)
{
	struct work *w  = arg;
	int          rv = nng_aio_result(w->aio);
	if (w->sending) {
		if (rv != 0) /* the requester left: drop the reply */
			nng_msg_free(nng_aio_get_msg(w->aio));
		w->sending = 0;
		nng_ctx_recv(w->ctx, w->aio);
		return;
	}
	if (rv == NNG_ECLOSED)
		return;
	if (rv != 0)
		die("receive: %s", nng_strerror(rv));
	nng_msg *m = nng_aio_get_msg(w->aio);
	if ((long) nng_msg_len(m) != g_size)
		die("bad size %zu", nng_msg_len(m));
	w->sending = 1;
	nng_aio_set_msg(w->aio, m);
	nng_ctx_send(w->ctx, w->aio);
}

static void
server(const char *url, long size, long conns)
{
	nng_socket   s;
	struct work *works = calloc(conns, sizeof(struct work));
	if (!works)
		die("out of memory");
	g_size = size;
	CHECK(nng_rep0_open(&s));
	CHECK(nng_socket_set_size(s, NNG_OPT_RECVMAXSZ, 0));
	for (long i = 0; i < conns; i++) {
		CHECK(nng_ctx_open(&works[i].ctx, s));
		CHECK(nng_aio_alloc(&works[i].aio, work_cb, &works[i]));
		nng_ctx_recv(works[i].ctx, works[i].aio);
	}
	CHECK(nng_listen(s, url, NULL, 0));
	for (;;)
		pause();
}

/* ---- load generator --------------------------------------------------- */

struct conn {
	nng_socket s;
	nng_aio   *aio;
	int        sending;
	double     sent;
};

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t  g_cv = PTHREAD_COND_INITIALIZER;
static long            g_count, g_issued, g_done;
static double         *g_rtt;

static void
send_request(struct conn *c, nng_msg *m)
{
	c->sending = 1;
	c->sent    = now_s();
	nng_aio_set_msg(c->aio, m);
	nng_send_aio(c->s, c->aio);
}

static void
conn_cb(void *arg)
{
	struct conn *c  = arg;
	int          rv = nng_aio_result(c->aio);
	if (rv != 0)
		die("%s: %s", c->sending ? "send" : "receive", nng_strerror(rv));
	if (c->sending) {
		c->sending = 0;
		nng_recv_aio(c->s, c->aio);
		return;
	}
	double   t = now_s();
	nng_msg *m = nng_aio_get_msg(c->aio);
	if ((long) nng_msg_len(m) != g_size)
		die("bad size %zu", nng_msg_len(m));
	pthread_mutex_lock(&g_mu);
	g_rtt[g_done++] = t - c->sent;
	int more = g_issued < g_count;
	if (more)
		g_issued++;
	if (g_done == g_count)
		pthread_cond_signal(&g_cv);
	pthread_mutex_unlock(&g_mu);
	if (more)
		send_request(c, m); /* the echoed body is the next request */
	else
		nng_msg_free(m);
}

static void
load(const char *url, long size, long count, long conns)
{
	struct conn *cs = calloc(conns, sizeof(struct conn));
	g_rtt           = malloc(count * sizeof(double));
	if (!cs || !g_rtt)
		die("out of memory");
	g_size  = size;
	g_count = count;
	for (long i = 0; i < conns; i++) {
		CHECK(nng_req0_open(&cs[i].s));
		CHECK(nng_socket_set_size(cs[i].s, NNG_OPT_RECVMAXSZ, 0));
		CHECK(nng_aio_alloc(&cs[i].aio, conn_cb, &cs[i]));
		CHECK(nng_dial(cs[i].s, url, NULL, 0)); /* waits for the connection */
	}
	double t0 = now_s();
	pthread_mutex_lock(&g_mu);
	long first = conns < count ? conns : count;
	g_issued   = first;
	pthread_mutex_unlock(&g_mu);
	for (long i = 0; i < first; i++) {
		nng_msg *m;
		CHECK(nng_msg_alloc(&m, size));
		memset(nng_msg_body(m), 'x', size);
		send_request(&cs[i], m);
	}
	pthread_mutex_lock(&g_mu);
	while (g_done < g_count)
		pthread_cond_wait(&g_cv, &g_mu);
	pthread_mutex_unlock(&g_mu);
	double elapsed = now_s() - t0;
	report_many(url, size, count, conns, elapsed, g_rtt);
	for (long i = 0; i < conns; i++)
		nng_close(cs[i].s);
}

int
main(int argc, char **argv)
{
	static char name[64];
	snprintf(name, sizeof(name), "nng-%s", nng_version());
	g_lib = name;
	if (argc == 2 && !strcmp(argv[1], "--version")) {
		printf("%s\n", g_lib);
		return 0;
	}
	return many_main(argc, argv);
}
