/* scrape.c: see scrape.h. */
#include "cli/scrape.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <event2/event.h>

#include "base/err.h"
#include "base/json.h"
#include "base/mem.h"

/* One tracker's answer. */
struct result {
	bool is_done;
	char *error;            /* NULL: counts valid */
	struct tl_scrape_entry e;
};

struct scrape_run {
	struct event_base *base;
	size_t pending;
};

struct slot {
	struct scrape_run *run;
	struct result *res;
};

static void done_cb(void *arg, const char *error, const struct tl_scrape_entry *e)
{
	struct slot *sl = arg;
	sl->res->is_done = true;
	if (error)
		sl->res->error = tl_strdup(error);
	else
		sl->res->e = *e;
	if (--sl->run->pending == 0)
		event_base_loopbreak(sl->run->base);
}

static void print_json(const struct tl_infohash *ih, const struct tl_strk_urls *urls,
    const struct result *res)
{
	char hex[41];
	struct tl_json j;
	tl_hex(ih->b, 20, hex);
	tl_json_init(&j);
	tl_json_begin_object(&j);
	tl_json_key(&j, "infohash");
	tl_json_string(&j, hex);
	tl_json_key(&j, "trackers");
	tl_json_begin_array(&j);
	for (size_t i = 0; i < urls->n; i++) {
		tl_json_begin_object(&j);
		tl_json_key(&j, "url");
		tl_json_string(&j, urls->urls[i]);
		tl_json_key(&j, "error");
		if (res[i].error)
			tl_json_string(&j, res[i].error);
		else
			tl_json_null(&j);
		static const char *const keys[] = { "seeders", "leechers", "downloaded" };
		const int64_t v[] = { res[i].e.complete, res[i].e.incomplete, res[i].e.downloaded };
		for (size_t k = 0; k < 3; k++) {
			tl_json_key(&j, keys[k]);
			if (res[i].error)
				tl_json_null(&j);
			else
				tl_json_int(&j, v[k]);
		}
		tl_json_end_object(&j);
	}
	tl_json_end_array(&j);
	tl_json_end_object(&j);
	printf("%s\n", j.out.p);
	tl_json_clear(&j);
}

int tl_scrape_print(const struct tl_infohash *ih, const struct tl_strk_urls *urls, bool is_json)
{
	if (urls->n == 0) {
		fprintf(stderr, "trackless info: no tracker to scrape\n");
		return TL_EXIT_FAIL;
	}
	signal(SIGPIPE, SIG_IGN); /* a tracker closing early is an error, not a signal */
	struct scrape_run run = { event_base_new(), 0 };
	char err[256];
	struct tl_strk *s = run.base ? tl_strk_new(run.base, NULL, NULL, err, sizeof(err)) : NULL;
	if (!s) {
		fprintf(stderr, "trackless info: %s\n", run.base ? err : "cannot create an event loop");
		if (run.base)
			event_base_free(run.base);
		return TL_EXIT_FAIL;
	}
	struct result *res = tl_calloc(urls->n, sizeof(*res));
	struct slot *slots = tl_calloc(urls->n, sizeof(*slots));
	for (size_t i = 0; i < urls->n; i++) {
		slots[i] = (struct slot){ &run, &res[i] };
		run.pending++;
		if (!tl_strk_scrape(s, urls->urls[i], ih, done_cb, &slots[i], err, sizeof(err))) {
			run.pending--;
			res[i].is_done = true;
			res[i].error = tl_strdup(err);
		}
	}
	if (run.pending)
		event_base_dispatch(run.base);
	int rc = TL_EXIT_FAIL;
	for (size_t i = 0; i < urls->n; i++)
		if (!res[i].error)
			rc = TL_EXIT_OK;
	if (is_json) {
		print_json(ih, urls, res);
	} else {
		for (size_t i = 0; i < urls->n; i++)
			if (res[i].error)
				printf("%s: error: %s\n", urls->urls[i], res[i].error);
			else
				printf("%s: seeders %lld leechers %lld downloaded %lld\n", urls->urls[i],
				    (long long)res[i].e.complete, (long long)res[i].e.incomplete,
				    (long long)res[i].e.downloaded);
	}
	for (size_t i = 0; i < urls->n; i++)
		free(res[i].error);
	free(res);
	free(slots);
	tl_strk_free(s);
	event_base_free(run.base);
	return rc;
}
