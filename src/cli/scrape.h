/*
 * scrape.h: `trackless info --scrape`: ask every tracker of a torrent (or
 * of a magnet link's tr parameters) for its seeders, leechers and
 * completed downloads (BEP 48 over HTTP(S), BEP 15 over UDP), all at once,
 * and print one line per tracker or one JSON object. Front-end code (L5).
 */
#ifndef TL_CLI_SCRAPE_H
#define TL_CLI_SCRAPE_H

#include <stdbool.h>

#include "base/digest.h"
#include "engine/session_tracker.h"

/* Scrape ih at each of urls (borrowed) and print the results in list
 * order. Returns TL_EXIT_OK when at least one tracker answered,
 * TL_EXIT_FAIL otherwise (or when there is no tracker). */
int tl_scrape_print(const struct tl_infohash *ih, const struct tl_strk_urls *urls, bool is_json);

#endif
