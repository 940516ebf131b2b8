/* fuzz_resume.c: the resume-file decoder. The first byte picks the piece
 * and file counts it is checked against; an accepted file must re-encode
 * to the same bytes (the format is canonical). */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "resume.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct tl_infohash ih;
	memset(ih.b, 'I', sizeof(ih.b));
	uint32_t npieces = 1 + (data[0] & 0x1f);
	size_t nfiles = data[0] >> 5;
	struct tl_resume r;
	const char *why = NULL;
	if (tl_resume_decode(data + 1, size - 1, &ih, npieces, nfiles, &r, &why) != 0) {
		if (!why)
			abort();
		return 0;
	}
	uint8_t *p;
	size_t len;
	tl_resume_encode(&ih, r.have, npieces, r.files, nfiles, &p, &len);
	if (len != size - 1 || memcmp(p, data + 1, len) != 0)
		abort();
	free(p);
	tl_resume_clear(&r);
	return 0;
}
