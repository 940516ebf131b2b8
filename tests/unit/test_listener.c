/* test_listener.c: the pause schedule after failed accepts, and a real
 * listener run out of descriptors (RLIMIT_NOFILE lowered under pending
 * connections): it logs the failure once and stops accepting instead of
 * calling accept again as fast as it fails, then takes the pending
 * connections once descriptors are back. */
#include "cutest.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "io/listener.h"
#include "base/log.h"

static void test_pause_schedule(void)
{
	static const struct {
		unsigned npauses, ms;
	} v[] = {
		{ 0, TL_LISTENER_PAUSE_MIN_MS }, { 1, 2 * TL_LISTENER_PAUSE_MIN_MS },
		{ 2, TL_LISTENER_PAUSE_MAX_MS }, { 3, TL_LISTENER_PAUSE_MAX_MS },
		{ 1000, TL_LISTENER_PAUSE_MAX_MS }, { ~0u, TL_LISTENER_PAUSE_MAX_MS },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		CU_ASSERT_EQUAL(tl_listener_pause_ms(v[i].npauses), v[i].ms);
	CU_ASSERT(TL_LISTENER_PAUSE_MIN_MS <= TL_LISTENER_PAUSE_MAX_MS);
}

#define NCLIENTS 6

static int kept[NCLIENTS];
static int nkept;

static void on_accept(int fd, const struct sockaddr *addr, socklen_t len, void *arg)
{
	(void)addr;
	(void)len;
	(void)arg;
	if (nkept < NCLIENTS)
		kept[nkept++] = fd;
	else
		close(fd);
}

static double cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Lines of f that contain s. */
static int count_lines(FILE *f, const char *s)
{
	char line[1024];
	int n = 0;
	rewind(f);
	while (fgets(line, sizeof(line), f))
		n += strstr(line, s) != NULL;
	return n;
}

static void run_for_ms(struct event_base *base, unsigned ms)
{
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

static void test_out_of_descriptors(void)
{
	struct event_base *base = event_base_new();
	CU_ASSERT_FATAL(base != NULL);
	struct sockaddr_in a = { .sin_family = AF_INET };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct tl_listener *l = tl_listener_new(base, (struct sockaddr *)&a, sizeof(a), on_accept, NULL);
	CU_ASSERT_FATAL(l != NULL);
	a.sin_port = htons(tl_listener_port(l));
	int cl[NCLIENTS];
	for (int i = 0; i < NCLIENTS; i++) {
		cl[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		CU_ASSERT_FATAL(cl[i] >= 0);
		int rc = connect(cl[i], (struct sockaddr *)&a, sizeof(a));
		CU_ASSERT(rc == 0 || errno == EINPROGRESS);
	}
	FILE *log = tmpfile();
	CU_ASSERT_FATAL(log != NULL);
	tl_log_set_file(log);
	/* Room for at most two more descriptors: the lowest free one and the
	 * next. */
	int probe = dup(0);
	CU_ASSERT_FATAL(probe >= 0);
	close(probe);
	struct rlimit old, low;
	CU_ASSERT_FATAL(getrlimit(RLIMIT_NOFILE, &old) == 0);
	low = old;
	low.rlim_cur = (rlim_t)probe + 2;
	CU_ASSERT_FATAL(setrlimit(RLIMIT_NOFILE, &low) == 0);
	double c0 = cpu_s();
	/* Fails at once, pauses 1 s, fails again, pauses 2 s. */
	run_for_ms(base, 1500);
	double busy = cpu_s() - c0;
	CU_ASSERT_FATAL(setrlimit(RLIMIT_NOFILE, &old) == 0);
	CU_ASSERT(nkept >= 1 && nkept <= 2);
	CU_ASSERT_EQUAL(count_lines(log, "accept:"), 1);
	CU_ASSERT_EQUAL(count_lines(log, "open-files limit"), 1);
	CU_ASSERT(busy < 0.5);
	printf("accepted %d, then paused: %.3f s of CPU in 1.5 s\n", nkept, busy);
	/* The second pause ends 3 s after the first failure: the rest is
	 * taken then, with nothing more logged. */
	run_for_ms(base, 2500);
	CU_ASSERT_EQUAL(nkept, NCLIENTS);
	CU_ASSERT_EQUAL(count_lines(log, "accept:"), 1);
	tl_log_set_file(NULL);
	fclose(log);
	for (int i = 0; i < nkept; i++)
		close(kept[i]);
	for (int i = 0; i < NCLIENTS; i++)
		close(cl[i]);
	tl_listener_free(l);
	event_base_free(base);
}

int main(void)
{
	CU_TestInfo tests[] = {
		TL_TEST(test_pause_schedule),
		TL_TEST(test_out_of_descriptors),
		CU_TEST_INFO_NULL,
	};
	return tl_test_run("listener", tests);
}
