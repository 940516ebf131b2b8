/*
 * cmd_dht_ping.c: `trackless dht ping HOST:PORT`: one KRPC ping (BEP 5)
 * from a private UDP socket, no DHT instance; prints the node's id,
 * version and the round trip time. Owns its socket for the call. Main
 * thread only.
 */
#include "cli/cmd_dht_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "dht/benc.h"
#include "dht/dht_event.h"
#include "base/digest.h"
#include "base/err.h"

static int resolve(const char *hostport, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[256], port_s[8];
	uint16_t port;
	if (dht_ev_parse_hostport(hostport, host, sizeof(host), &port) != 0)
		return -1;
	snprintf(port_s, sizeof(port_s), "%u", port);
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *res;
	int rc = getaddrinfo(host, port_s, &hints, &res);
	if (rc != 0) {
		fprintf(stderr, "trackless dht ping: %s: %s\n", host, gai_strerror(rc));
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = (socklen_t)res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static int bind_local(int fd, int af, const struct tl_cmd_dht_opts *o)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	socklen_t len;
	if (af == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(o->port);
		if (o->bind && inet_pton(AF_INET, o->bind, &s4->sin_addr) != 1)
			return -1;
		len = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(o->port);
		if (o->bind && inet_pton(AF_INET6, o->bind, &s6->sin6_addr) != 1)
			return -1;
		len = sizeof(*s6);
	}
	return bind(fd, (struct sockaddr *)&ss, len);
}

/* Prints the reply of a ping; returns true when it is our answer. */
static bool show_pong(const uint8_t *buf, size_t n, const uint8_t tid[4], const char *who,
    double rtt_ms, bool is_json)
{
	struct benc_tok toks[64];
	struct benc_doc d;
	if (benc_parse(buf, n, toks, 64, 8, 0, &d, NULL) != 0 || !benc_is(&d, 0, BENC_DICT))
		return false;
	const uint8_t *t, *id = NULL;
	size_t tlen, idlen = 0;
	if (!benc_get_str(&d, benc_dict_get(&d, 0, "t"), &t, &tlen) || tlen != 4 || memcmp(t, tid, 4) != 0)
		return false;
	bool is_error = benc_str_eq(&d, benc_dict_get(&d, 0, "y"), "e");
	long r = benc_dict_get(&d, 0, "r");
	if (benc_is(&d, r, BENC_DICT))
		benc_get_str(&d, benc_dict_get(&d, (size_t)r, "id"), &id, &idlen);
	char hex[41] = "";
	if (id && idlen == 20)
		tl_hex(id, 20, hex);
	const uint8_t *v;
	size_t vlen;
	char ver[16] = "";
	if (benc_get_str(&d, benc_dict_get(&d, 0, "v"), &v, &vlen) && vlen == 4)
		snprintf(ver, sizeof(ver), "%c%c %u.%u", v[0] >= 32 && v[0] < 127 ? v[0] : '?',
		    v[1] >= 32 && v[1] < 127 ? v[1] : '?', v[2], v[3]);
	if (is_json)
		printf("{\"node\":\"%s\",\"rtt_ms\":%.1f,\"id\":\"%s\",\"version\":\"%s\",\"error\":%s}\n", who,
		    rtt_ms, hex, ver, is_error ? "true" : "false");
	else if (is_error)
		printf("%s answered with a KRPC error in %.1f ms\n", who, rtt_ms);
	else
		printf("%s answered in %.1f ms: id %s%s%s\n", who, rtt_ms, hex[0] ? hex : "(none)",
		    ver[0] ? ", version " : "", ver);
	return true;
}

int tl_cmd_dht_ping(const struct tl_cmd_dht_opts *o)
{
	struct sockaddr_storage to;
	socklen_t tolen;
	if (resolve(o->target, &to, &tolen) != 0)
		return TL_EXIT_FAIL;
	char who[80];
	tl_cmd_dht_format_addr((struct sockaddr *)&to, who, sizeof(who));
	errno = 0;
	int fd = socket(to.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind_local(fd, to.ss_family, o) != 0) {
		fprintf(stderr, "trackless dht ping: local socket%s%s: %s\n", o->bind ? " on " : "",
		    o->bind ? o->bind : "", fd < 0 || errno ? strerror(errno) : "address of another family");
		if (fd >= 0)
			close(fd);
		return TL_EXIT_FAIL;
	}
	uint8_t id[20], tid[4], buf[1500];
	randombytes_buf(id, sizeof(id));
	randombytes_buf(tid, sizeof(tid));
	struct benc_w w;
	benc_w_init_fixed(&w, buf, sizeof(buf));
	benc_w_dict(&w);
	benc_w_cstr(&w, "a");
	benc_w_dict(&w);
	benc_w_cstr(&w, "id");
	benc_w_str(&w, id, 20);
	benc_w_end(&w);
	benc_w_cstr(&w, "q");
	benc_w_cstr(&w, "ping");
	benc_w_cstr(&w, "t");
	benc_w_str(&w, tid, 4);
	benc_w_cstr(&w, "y");
	benc_w_cstr(&w, "q");
	benc_w_end(&w);
	double t0 = tl_cmd_dht_now_s(), deadline = t0 + o->timeout_s;
	int rc = TL_EXIT_FAIL;
	if (sendto(fd, buf, w.len, 0, (struct sockaddr *)&to, tolen) < 0) {
		fprintf(stderr, "trackless dht ping: send to %s: %s\n", who, strerror(errno));
		goto out;
	}
	for (double left; (left = deadline - tl_cmd_dht_now_s()) > 0;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, (int)(left * 1000) + 1) <= 0)
			continue;
		struct sockaddr_storage from;
		socklen_t fromlen = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fromlen);
		if (n <= 0)
			continue;
		if (show_pong(buf, (size_t)n, tid, who, (tl_cmd_dht_now_s() - t0) * 1000, o->is_json)) {
			rc = TL_EXIT_OK;
			goto out;
		}
	}
	if (o->is_json)
		printf("{\"node\":\"%s\",\"timeout\":true}\n", who);
	else
		printf("%s did not answer within %.1f s\n", who, o->timeout_s);
out:
	close(fd);
	return rc;
}
