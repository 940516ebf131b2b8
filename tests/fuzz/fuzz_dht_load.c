/* fuzz_dht_load.c: state blobs (dht_load). A blob is either refused with
 * nothing changed or taken; either way the instance keeps working and
 * saves a blob that loads again. */
#include <stdlib.h>
#include <string.h>

#include "dht/dht.h"
#include "fuzz.h"

static uint64_t rng;

static void fz_random(void *ud, void *buf, size_t n)
{
	(void)ud;
	for (size_t i = 0; i < n; i++) {
		rng = rng * 6364136223846793005ull + 1442695040888963407ull;
		((uint8_t *)buf)[i] = (uint8_t)(rng >> 56);
	}
}

static int fz_send(void *ud, const struct sockaddr *to, socklen_t tolen, const uint8_t *buf,
    size_t len)
{
	(void)ud, (void)to, (void)tolen, (void)buf;
	if (len > 1024)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dht_config c = { 0 };
	c.send = fz_send;
	c.random = fz_random;
	c.no_rate_limit = true;
	rng = 7;
	struct dht *d = dht_new(&c, 0, NULL);
	if (!d)
		return 0;
	struct dht_id before = *dht_my_id(d, AF_INET);
	int rc = dht_load(d, data, size, 0);
	if (rc != DHT_OK && memcmp(before.b, dht_my_id(d, AF_INET)->b, 20) != 0)
		abort();
	dht_periodic(d, 10000);
	uint8_t *blob;
	size_t len;
	if (dht_save(d, &blob, &len) == DHT_OK) {
		struct dht *d2 = dht_new(&c, 0, NULL);
		if (d2 && dht_load(d2, blob, len, 0) != DHT_OK)
			abort();
		dht_free(d2);
		free(blob);
	}
	dht_free(d);
	return 0;
}
