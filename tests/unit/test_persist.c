/* test_persist.c: state blobs and files: what dht_save writes (ids,
 * external address, good nodes, canonical bencode), what dht_load takes
 * back (ids, pings to every saved node), refusals that change nothing,
 * and the atomic file write. */
#include "cutest.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dht/benc.h"
#include "dht/dht.h"
#include "dht/krpc.h"

static uint64_t rng = 12345;
static struct {
	struct sockaddr_in to;
	uint8_t tid[4];
} sent[64];
static size_t nsent;

static void t_random(void *ud, void *buf, size_t n)
{
	(void)ud;
	for (size_t i = 0; i < n; i++) {
		rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
		((uint8_t *)buf)[i] = (uint8_t)rng;
	}
}

static int t_send(void *ud, const struct sockaddr *to, socklen_t tolen, const uint8_t *buf,
    size_t len)
{
	static struct krpc_msg m;
	(void)ud, (void)tolen;
	if (krpc_decode(buf, len, &m, NULL) == 0 && m.type == KRPC_QUERY && nsent < 64 &&
	    to->sa_family == AF_INET) {
		memcpy(&sent[nsent].to, to, sizeof(sent[nsent].to));
		memcpy(sent[nsent].tid, m.tid, 4);
		nsent++;
	}
	return 0;
}

static struct dht *new_node(void)
{
	struct dht_config c = { 0 };
	c.family_mask = DHT_F_INET;
	c.send = t_send;
	c.random = t_random;
	return dht_new(&c, 1000, NULL);
}

/* Make d know `count` answering nodes at 20.0.i.1. */
static void befriend(struct dht *d, int count)
{
	for (int i = 1; i <= count; i++) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(6881) };
		a.sin_addr.s_addr = htonl(0x14000001u | (uint32_t)i << 8);
		nsent = 0;
		dht_add_node(d, (struct sockaddr *)&a, sizeof(a), 1000);
		CU_ASSERT_EQUAL_FATAL(nsent, 1);
		struct dht_id id;
		t_random(NULL, id.b, 20);
		struct krpc_hdr h = { .tid = sent[0].tid, .tid_len = 4 };
		struct krpc_reply r = { .id = &id };
		uint8_t buf[KRPC_MAX_OUT];
		size_t n = krpc_encode_reply(&h, &r, buf, sizeof(buf));
		dht_input(d, (struct sockaddr *)&a, sizeof(a), buf, n, 1000);
	}
}

static void test_blob(void)
{
	struct dht *a = new_node();
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	befriend(a, 5);
	struct sockaddr_in ext = { .sin_family = AF_INET };
	ext.sin_addr.s_addr = htonl(0x7c1f4b15);
	CU_ASSERT_EQUAL(dht_set_external_ip(a, (struct sockaddr *)&ext, sizeof(ext), 1000), DHT_OK);
	/* The id changed (BEP 42); the table was re-filed under it. */
	uint8_t *blob;
	size_t len;
	CU_ASSERT_EQUAL_FATAL(dht_save(a, &blob, &len), DHT_OK);
	struct benc_tok toks[32];
	struct benc_doc doc;
	CU_ASSERT_EQUAL_FATAL(benc_parse(blob, len, toks, 32, 2, BENC_F_SORTED, &doc, NULL), 0);
	const uint8_t *p;
	size_t n;
	CU_ASSERT_TRUE(benc_get_str(&doc, benc_dict_get(&doc, 0, "id"), &p, &n) && n == 20 &&
	    memcmp(p, dht_my_id(a, AF_INET)->b, 20) == 0);
	CU_ASSERT_TRUE(benc_get_str(&doc, benc_dict_get(&doc, 0, "ip"), &p, &n) && n == 4 &&
	    memcmp(p, "\x7c\x1f\x4b\x15", 4) == 0);
	CU_ASSERT_TRUE(benc_get_str(&doc, benc_dict_get(&doc, 0, "nodes"), &p, &n) && n == 5 * 26);
	CU_ASSERT_EQUAL(benc_dict_get(&doc, 0, "id6"), -1);

	/* Loaded into a fresh instance: same id, every saved node pinged. */
	struct dht *b = new_node();
	nsent = 0;
	CU_ASSERT_EQUAL(dht_load(b, blob, len, 2000), DHT_OK);
	CU_ASSERT_EQUAL(memcmp(dht_my_id(b, AF_INET)->b, dht_my_id(a, AF_INET)->b, 20), 0);
	CU_ASSERT_EQUAL(nsent, 5);
	/* Every refused blob leaves the instance as it was. */
	struct dht *c = new_node();
	struct dht_id before = *dht_my_id(c, AF_INET);
	for (size_t cut = 0; cut < len; cut++)
		CU_ASSERT_EQUAL(dht_load(c, blob, cut, 2000), DHT_EMALFORMED);
	static const char *const bad[] = {
		"d1:vi2ee", "d2:id3:abc1:vi1ee", "d2:ip3:abc1:vi1ee", "d5:nodes25:aaaaaaaaaaaaaaaaaaaaaaaaa1:vi1ee",
		"d1:vi1e2:id20:aaaaaaaaaaaaaaaaaaaae", "le", "",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_EQUAL(dht_load(c, (const uint8_t *)bad[i], strlen(bad[i]), 2000), DHT_EMALFORMED);
	CU_ASSERT_EQUAL(memcmp(dht_my_id(c, AF_INET)->b, before.b, 20), 0);
	/* Damaged in place: taken or refused, never a crash. */
	for (size_t i = 0; i < len; i++) {
		uint8_t save = blob[i];
		blob[i] = ':';
		(void)dht_load(c, blob, len, 2000);
		blob[i] = save;
	}
	dht_free(a);
	dht_free(b);
	dht_free(c);
	free(blob);
}

static void test_file(void)
{
	char dir[] = "/tmp/test_persist_XXXXXX";
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	char path[256];
	snprintf(path, sizeof(path), "%s/dht.dat", dir);
	struct dht *a = new_node();
	befriend(a, 3);
	CU_ASSERT_EQUAL(dht_save_file(a, path), DHT_OK);
	CU_ASSERT_EQUAL(dht_save_file(a, path), DHT_OK); /* over an existing file */
	/* Only the file itself is left: no temporary. */
	DIR *dh = opendir(dir);
	int entries = 0;
	for (struct dirent *e; (e = readdir(dh)) != NULL;)
		entries += e->d_name[0] != '.';
	closedir(dh);
	CU_ASSERT_EQUAL(entries, 1);
	struct stat st;
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
	struct dht *b = new_node();
	CU_ASSERT_EQUAL(dht_load_file(b, path, 2000), DHT_OK);
	CU_ASSERT_EQUAL(memcmp(dht_my_id(b, AF_INET)->b, dht_my_id(a, AF_INET)->b, 20), 0);
	/* A missing file: DHT_EIO with ENOENT. A truncated one: refused. */
	char missing[300];
	snprintf(missing, sizeof(missing), "%s/none", dir);
	errno = 0;
	CU_ASSERT_EQUAL(dht_load_file(b, missing, 2000), DHT_EIO);
	CU_ASSERT_EQUAL(errno, ENOENT);
	CU_ASSERT_EQUAL(truncate(path, 10), 0);
	CU_ASSERT_EQUAL(dht_load_file(b, path, 2000), DHT_EMALFORMED);
	/* A file larger than any state we write: refused without reading it all. */
	FILE *f = fopen(path, "wb");
	for (int i = 0; i < 70000; i++)
		fputc('x', f);
	fclose(f);
	CU_ASSERT_EQUAL(dht_load_file(b, path, 2000), DHT_EMALFORMED);
	/* A directory that does not exist: DHT_EIO. */
	CU_ASSERT_EQUAL(dht_save_file(a, "/nonexistent-dir/dht.dat"), DHT_EIO);
	unlink(path);
	rmdir(dir);
	dht_free(a);
	dht_free(b);
}

int main(void)
{
	CU_TestInfo tests[] = {
		TL_TEST(test_blob),
		TL_TEST(test_file),
		CU_TEST_INFO_NULL,
	};
	return tl_test_run("persist", tests);
}
