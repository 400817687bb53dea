/*
 * One load generator for every many-connection server (see many.h): a single
 * thread on epoll that opens CONNECTIONS plain TCP connections, speaks the
 * server's own wire on each, keeps DEPTH requests in flight per connection
 * (environment MANY_DEPTH, 1 to 64, default 1) until COUNT requests have been
 * answered, and prints the RESULT line.
 *
 * With a depth above 1 the requests a reply frees are written together, so a
 * read and a write serve several requests on both sides: the system calls,
 * which cost more than the rest, are shared, and the server's own work per
 * request is what is left to compare (how its I/O threads scale with cores).
 *
 * Driving msperf local_many, nng_many local and zmq_many local with this same
 * generator compares the servers alone, and it costs the machine so little
 * (no library, no locks, one thread) that a server's extra I/O threads get
 * the cores: what bench/compare.sh's many case needs on a small machine,
 * where the library's own load generator takes as much CPU as the server.
 *
 * usage: wire_many ms|sp|zmtp LABEL tcp://HOST:PORT SIZE COUNT [CONNECTIONS]
 *   ms    multisocket frames, requests as Req sends them (msperf local_many)
 *   sp    the SP tcp mapping, as NNG's req0 (nng_many local)
 *   zmtp  ZMTP 3.0 with the NULL mechanism, as a ZeroMQ REQ (zmq_many local)
 * LABEL is the lib= of the RESULT line.
 */
#include "many.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/socket.h>

enum wire { WIRE_MS, WIRE_SP, WIRE_ZMTP };

#define MAX_DEPTH 64

struct conn {
	int      fd;
	uint32_t next;             /* the last request id issued (ms, sp) */
	int      inflight;         /* requests sent and not yet answered */
	uint32_t ids[MAX_DEPTH];   /* their ids (ms, sp: replies may come in any order) */
	double   sent[MAX_DEPTH];  /* and when they were sent (zmtp: in order, slot 0 first) */
	size_t   have;             /* bytes in buf */
	uint8_t  buf[65536];
};

static enum wire g_wire;
static long      g_size;
static uint8_t  *g_body;

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24, p[1] = v >> 16, p[2] = v >> 8, p[3] = v;
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

static uint64_t
get64(const uint8_t *p)
{
	return (uint64_t) get32(p) << 32 | get32(p + 4);
}

/* writes all of buf, waiting for room if the socket is full */
static void
write_all(int fd, const uint8_t *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n > 0) {
			buf += n, len -= n;
		} else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };
			poll(&p, 1, 1000);
		} else {
			die("send: %s", strerror(errno));
		}
	}
}

/* reads exactly len bytes (blocking socket; handshakes only) */
static void
read_exact(int fd, uint8_t *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = recv(fd, buf, len, 0);
		if (n <= 0)
			die("handshake: %s", n == 0 ? "peer closed" : strerror(errno));
		buf += n, len -= n;
	}
}

static int
dial(const char *url)
{
	char host[256], port[16];
	if (sscanf(url, "tcp://%255[^:]:%15[0-9]", host, port) != 2)
		die("bad url %s (tcp://host:port)", url);
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *ai;
	if (getaddrinfo(host, port, &hints, &ai) != 0)
		die("cannot resolve %s", host);
	int fd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0)
		die("connect %s: %s", url, strerror(errno));
	freeaddrinfo(ai);
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* the wire's opening exchange, on the still blocking socket */
static void
handshake(int fd)
{
	if (g_wire == WIRE_SP) {
		/* SP header: 0x00 'S' 'P' 0x00, protocol REQ0 (0x30), reserved; the server answers REP0 (0x31) */
		const uint8_t mine[8] = { 0, 'S', 'P', 0, 0, 0x30, 0, 0 };
		uint8_t       theirs[8];
		write_all(fd, mine, 8);
		read_exact(fd, theirs, 8);
		if (memcmp(theirs, "\0SP\0\0\x31\0\0", 8) != 0)
			die("not an SP REP0 server");
	} else if (g_wire == WIRE_ZMTP) {
		/* greeting: signature, version 3.0, mechanism NULL, as-server 0, filler */
		uint8_t greeting[64] = { 0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 3, 0, 'N', 'U', 'L', 'L' };
		uint8_t theirs[64];
		write_all(fd, greeting, 64);
		read_exact(fd, theirs, 64);
		if (theirs[0] != 0xFF || theirs[9] != 0x7F || theirs[10] < 3)
			die("not a ZMTP 3 peer");
		/* READY with Socket-Type=REQ: a short command frame */
		static const uint8_t ready[] = { 0x04, 25, 5, 'R', 'E', 'A', 'D', 'Y', 11, 'S', 'o', 'c', 'k', 'e',
			't', '-', 'T', 'y', 'p', 'e', 0, 0, 0, 3, 'R', 'E', 'Q' };
		write_all(fd, ready, sizeof(ready));
		uint8_t head[2];
		read_exact(fd, head, 2);
		if (!(head[0] & 0x04))
			die("expected the server's READY command");
		uint8_t cmd[255];
		if (head[0] & 0x02)
			die("long READY command not expected");
		read_exact(fd, cmd, head[1]);
	}
	/* ms: nothing; the server's hello arrives as an internal frame, skipped by the reader */
}

/* appends one request to out (which has room for it) and records it on c; returns its size */
static size_t
put_request(struct conn *c, uint8_t *out)
{
	size_t   n  = 0;
	uint32_t id = c->next = (c->next + 1) | 0x80000000u;
	switch (g_wire) {
	case WIRE_MS: /* to-one frame: flags 0, ttl 16, no path, length; content = request id + body */
		out[0] = 0, out[1] = 16, out[2] = 0, out[3] = 0;
		put32(out + 4, 4 + g_size);
		put32(out + 8, id);
		n = 12;
		break;
	case WIRE_SP: /* 64-bit length, then the request id (high bit set) and the body */
		memset(out, 0, 4);
		put32(out + 4, 4 + g_size);
		put32(out + 8, id);
		n = 12;
		break;
	case WIRE_ZMTP: /* empty delimiter frame (MORE), then the body frame */
		out[0] = 0x01, out[1] = 0;
		out[2] = 0x00, out[3] = g_size;
		n = 4;
		break;
	}
	memcpy(out + n, g_body, g_size);
	c->ids[c->inflight]  = id;
	c->sent[c->inflight] = now_s();
	c->inflight++;
	return n + g_size;
}

/* sends `count` new requests on c in one write */
static void
send_requests(struct conn *c, long count)
{
	uint8_t out[MAX_DEPTH * (12 + 255)];
	size_t  n = 0;
	for (long i = 0; i < count; i++)
		n += put_request(c, out + n);
	write_all(c->fd, out, n);
}

/* takes the request a reply answers off c's list; returns when it was sent */
static double
answered(struct conn *c, uint32_t id)
{
	int at = 0;
	if (g_wire != WIRE_ZMTP) {
		while (at < c->inflight && c->ids[at] != id)
			at++;
		if (at == c->inflight)
			die("a reply to no request in flight");
	}
	double sent = c->sent[at];
	memmove(c->ids + at, c->ids + at + 1, (c->inflight - at - 1) * sizeof(uint32_t));
	memmove(c->sent + at, c->sent + at + 1, (c->inflight - at - 1) * sizeof(double));
	c->inflight--;
	return sent;
}

/*
 * Whether buf holds a whole reply: stores its size in *used (bytes to drop),
 * whether it answers a request in *answer (0: an internal or command frame to
 * skip) and the request id it carries in *id (ms, sp).
 */
static int
parse(struct conn *c, size_t *used, int *answer, uint32_t *id)
{
	const uint8_t *b = c->buf;
	size_t         have = c->have;
	*answer = 0;
	switch (g_wire) {
	case WIRE_MS: {
		if (have < 8)
			return 0;
		size_t start = 8 + 4 * ((size_t) b[2] + b[3]);
		size_t total = start + get32(b + 4);
		if (total > sizeof(c->buf))
			die("reply of %zu bytes", total);
		if (have < total)
			return 0;
		*used = total;
		if (b[0] & 0x04) /* internal: the server's hello */
			return 1;
		if (total - start != 4 + (size_t) g_size)
			die("bad reply");
		*id     = get32(b + start);
		*answer = 1;
		return 1;
	}
	case WIRE_SP: {
		if (have < 8)
			return 0;
		uint64_t length = get64(b);
		if (length > sizeof(c->buf) - 8)
			die("reply of %llu bytes", (unsigned long long) length);
		if (have < 8 + length)
			return 0;
		if (length != 4 + (uint64_t) g_size)
			die("bad reply");
		*id     = get32(b + 8);
		*used   = 8 + length;
		*answer = 1;
		return 1;
	}
	case WIRE_ZMTP: {
		/* frames until one without MORE; commands (0x04) stand alone */
		size_t at = 0, body = 0;
		for (;;) {
			if (have < at + 2)
				return 0;
			uint8_t flags = b[at];
			size_t  head = flags & 0x02 ? 9 : 2;
			if (have < at + head)
				return 0;
			size_t size = flags & 0x02 ? get64(b + at + 1) : b[at + 1];
			if (at + head + size > sizeof(c->buf))
				die("reply frame of %zu bytes", size);
			if (have < at + head + size)
				return 0;
			at += head + size;
			if (flags & 0x04) { /* a command */
				*used = at;
				return 1;
			}
			body = size;
			if (!(flags & 0x01))
				break;
		}
		if (body != (size_t) g_size)
			die("bad reply");
		*used   = at;
		*answer = 1;
		return 1;
	}
	}
	return 0;
}

static void
load(const char *url, long size, long count, long conns)
{
	struct conn *cs  = calloc(conns, sizeof(struct conn));
	double      *rtt = malloc(count * sizeof(double));
	g_body           = malloc(size);
	if (!cs || !rtt || !g_body)
		die("out of memory");
	if (size > 255 || size < 1)
		die("size must be 1...255");
	memset(g_body, 'x', size);
	g_size = size;
	int ep = epoll_create1(0);
	for (long i = 0; i < conns; i++) {
		cs[i].fd = dial(url);
		handshake(cs[i].fd);
		fcntl(cs[i].fd, F_SETFL, fcntl(cs[i].fd, F_GETFL) | O_NONBLOCK);
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &cs[i] };
		if (epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev) != 0)
			die("epoll_ctl: %s", strerror(errno));
	}
	long   depth  = getenv("MANY_DEPTH") ? parse_pos(getenv("MANY_DEPTH"), "MANY_DEPTH", MAX_DEPTH) : 1;
	long   issued = 0, done = 0;
	double t0     = now_s();
	if (depth < 1)
		die("MANY_DEPTH must be 1...%d", MAX_DEPTH);
	for (long i = 0; i < conns && issued < count; i++) {
		long n = count - issued < depth ? count - issued : depth;
		send_requests(&cs[i], n);
		issued += n;
	}
	struct epoll_event evs[256];
	while (done < count) {
		int n = epoll_wait(ep, evs, 256, 30000);
		if (n == 0)
			die("no reply in 30 s");
		for (int e = 0; e < n; e++) {
			struct conn *c = evs[e].data.ptr;
			ssize_t      r = recv(c->fd, c->buf + c->have, sizeof(c->buf) - c->have, 0);
			if (r == 0)
				die("server closed a connection");
			if (r < 0) {
				if (errno == EAGAIN || errno == EINTR)
					continue;
				die("recv: %s", strerror(errno));
			}
			c->have += r;
			size_t   used, at = 0;
			int      answer;
			uint32_t id = 0;
			long     freed = 0;
			for (;;) {
				/* parse reads from c->buf: move what is left to the front first */
				if (at > 0) {
					memmove(c->buf, c->buf + at, c->have - at);
					c->have -= at;
					at = 0;
				}
				if (!parse(c, &used, &answer, &id))
					break;
				at = used;
				if (!answer)
					continue;
				rtt[done++] = now_s() - answered(c, id);
				freed++;
			}
			long more = count - issued < freed ? count - issued : freed;
			if (more > 0) {
				send_requests(c, more);
				issued += more;
			}
		}
	}
	double elapsed = now_s() - t0;
	report_many(url, size, count, conns, elapsed, rtt);
	for (long i = 0; i < conns; i++)
		close(cs[i].fd);
}

static void
server(const char *url, long size, long conns)
{
	(void) url, (void) size, (void) conns;
	die("wire_many is a load generator only (remote)");
}

int
main(int argc, char **argv)
{
	if (argc < 3)
		die("usage: wire_many ms|sp|zmtp LABEL tcp://HOST:PORT SIZE COUNT [CONNECTIONS]");
	if (!strcmp(argv[1], "ms"))
		g_wire = WIRE_MS;
	else if (!strcmp(argv[1], "sp"))
		g_wire = WIRE_SP;
	else if (!strcmp(argv[1], "zmtp"))
		g_wire = WIRE_ZMTP;
	else
		die("unknown wire %s (ms, sp or zmtp)", argv[1]);
	g_lib = argv[2];
	/* many_main's argument layout: mode URL SIZE COUNT [CONNECTIONS] */
	argv[2] = "remote";
	return many_main(argc - 1, argv + 1);
}
