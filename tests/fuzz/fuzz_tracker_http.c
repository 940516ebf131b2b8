/* fuzz_tracker_http.c: HTTP tracker reply bodies (BEP 3, 7, 23, 24, 48).
 * The same bytes go through the announce and the scrape parser; whatever
 * is accepted must respect the caps and carry well-formed addresses. They
 * are also an announce URL (from a .torrent, so untrusted) for the URL
 * builders, whose output must stay capped and keep the URL's base. */
#include <stdlib.h>
#include <string.h>

#include "base/bounds.h"
#include "base/err.h"
#include "fuzz.h"
#include "proto/tracker_msg.h"

static void check_reply(const struct tl_tracker_reply *r)
{
	if (r->npeers > TL_MAX_TRACKER_PEERS || r->nfiles > TL_MAX_SCRAPE_HASHES)
		abort();
	for (size_t i = 0; i < r->npeers; i++) {
		char buf[64];
		int fam = r->peers[i].ss_family;
		if (fam != AF_INET && fam != AF_INET6)
			abort();
		tl_tracker_addr_str(&r->peers[i], buf, sizeof(buf));
	}
	const char *texts[] = { r->failure, r->warning, r->tracker_id };
	for (size_t i = 0; i < 3; i++) {
		if (!texts[i])
			continue;
		size_t n = strlen(texts[i]);
		if (n > TL_MAX_TRACKER_MSG)
			abort();
		for (size_t k = 0; k < n; k++)
			if (texts[i][k] < 0x20 || texts[i][k] > 0x7e)
				abort();
	}
}

static void check_urls(const uint8_t *data, size_t size)
{
	static char in[TL_MAX_TRACKER_URL + 1];
	size_t n = size < TL_MAX_TRACKER_URL ? size : TL_MAX_TRACKER_URL;
	memcpy(in, data, n);
	in[n] = '\0';
	struct tl_announce_req req;
	memset(&req, 0x5a, sizeof(req));
	req.event = TL_TRACKER_EV_STARTED;
	req.tracker_id = in;
	char *url = NULL;
	size_t base = strcspn(in, "#");
	if (tl_tracker_announce_url(in, &req, &url) == TL_OK) {
		if (strlen(url) >= TL_MAX_TRACKER_URL || strncmp(url, in, base) != 0)
			abort();
		free(url);
	}
	url = NULL;
	if (tl_tracker_scrape_url(in, &req.info_hash, 1, &url) == TL_OK) {
		if (strlen(url) >= TL_MAX_TRACKER_URL || !strstr(url, "scrape"))
			abort();
		free(url);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_urls(data, size);
	struct tl_tracker_reply r;
	const char *why = NULL;
	if (tl_tracker_parse_announce(data, size, &r, &why) == TL_OK)
		check_reply(&r);
	else if (!why || r.peers || r.failure)
		abort();
	tl_tracker_reply_clear(&r);
	why = NULL;
	if (tl_tracker_parse_scrape(data, size, &r, &why) == TL_OK)
		check_reply(&r);
	else if (!why || r.files)
		abort();
	tl_tracker_reply_clear(&r);
	return 0;
}
