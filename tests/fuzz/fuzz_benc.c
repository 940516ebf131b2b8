/* fuzz_benc.c: bencode decoder; every accepted document must re-walk
 * cleanly and its raw spans must stay inside the input. */
#include <stdlib.h>

#include "dht/benc.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct benc_tok toks[4096];
	struct benc_doc doc;
	struct benc_err err;

	for (unsigned flags = 0; flags < 4; flags++) {
		if (benc_parse(data, size, toks, 4096, 32, flags, &doc, &err) != 0) {
			if (err.offset > size || !err.what)
				abort();
			continue;
		}
		for (size_t i = 0; i < doc.ntoks; i++) {
			const struct benc_tok *t = &doc.toks[i];
			if (t->end > size || t->start >= t->end || i + t->skip > doc.ntoks)
				abort();
			if (t->type == BENC_DICT)
				(void)benc_dict_get(&doc, i, "info");
		}
	}
	return 0;
}
