/* fuzz_resume.c: the resume-file decoder. The first byte picks the piece
 * and file counts it is checked against. Keys the decoder does not know are
 * skipped (a newer version may add some), so an accepted file is checked by
 * its meaning: re-encoded and decoded again it must give the same pieces
 * and file records, and the re-encoding itself is canonical. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "engine/resume.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct tl_infohash ih;
	memset(ih.b, 'I', sizeof(ih.b));
	uint32_t npieces = 1 + (data[0] & 0x1f);
	size_t nfiles = data[0] >> 5;
	struct tl_resume r, r2;
	const char *why = NULL;
	if (tl_resume_decode(data + 1, size - 1, &ih, npieces, nfiles, &r, &why) != 0) {
		if (!why)
			abort();
		return 0;
	}
	uint8_t *p, *p2;
	size_t len, len2;
	tl_resume_encode(&ih, r.have, npieces, r.files, nfiles, &p, &len);
	if (tl_resume_decode(p, len, &ih, npieces, nfiles, &r2, &why) != 0)
		abort();
	if (memcmp(r.have, r2.have, (npieces + 7) / 8) != 0 ||
	    (nfiles && memcmp(r.files, r2.files, nfiles * sizeof(*r.files)) != 0))
		abort();
	tl_resume_encode(&ih, r2.have, npieces, r2.files, nfiles, &p2, &len2);
	if (len2 != len || memcmp(p, p2, len) != 0)
		abort();
	free(p);
	free(p2);
	tl_resume_clear(&r);
	tl_resume_clear(&r2);
	return 0;
}
