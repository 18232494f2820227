/* The CGI backend of tests/bench/bench_apache.sh: prints the page named by
 * the environment variable MC_BENCH_PAGE (set by the server's SetEnv) as
 * text/html, as a small dynamic backend would, without Content-Length
 * (httpd then sends it chunked). Written in C and linked statically when
 * it can be, so that the backend's own cost per request is small and
 * stable next to httpd's.
 *
 * When MC_BENCH_CGI_LEDGER names a file of at least 32 bytes, the CGI adds
 * its own CPU time (user and system, microseconds, from getrusage at the
 * end) and a count of 1 to the four 64-bit counters at the start of that
 * file (atomically, through a shared mapping), so that the benchmark can
 * report the CPU the CGI processes used apart from httpd's.
 *
 * Build: cc -O2 -static tests/bench/bench_cgi.c -o bench_cgi (or `make
 * tests/bench/bench_cgi`).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define HEADER "Content-Type: text/html; charset=utf-8\r\n\r\n"

static char buf[1 << 16];

static int write_all(const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(STDOUT_FILENO, p, n);

        if (w < 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static void fail(const char *what, const char *path)
{
    static const char msg[] = "Status: 500 Internal Server Error\r\n"
                              "Content-Type: text/plain\r\n\r\nbench_cgi failed\n";

    fprintf(stderr, "bench_cgi: %s %s\n", what, path ? path : "(MC_BENCH_PAGE not set)");
    (void)write_all(msg, sizeof(msg) - 1);
}

/* Adds this process's CPU time to the ledger, if there is one. */
static void ledger(void)
{
    const char *path = getenv("MC_BENCH_CGI_LEDGER");
    struct rusage ru;
    uint64_t *slot;
    int fd;

    if (!path || getrusage(RUSAGE_SELF, &ru) != 0)
        return;
    fd = open(path, O_RDWR);
    if (fd < 0)
        return;
    slot = mmap(NULL, 4 * sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (slot == MAP_FAILED)
        return;
    __atomic_fetch_add(&slot[0], (uint64_t)ru.ru_utime.tv_sec * 1000000u + (uint64_t)ru.ru_utime.tv_usec,
                       __ATOMIC_RELAXED);
    __atomic_fetch_add(&slot[1], (uint64_t)ru.ru_stime.tv_sec * 1000000u + (uint64_t)ru.ru_stime.tv_usec,
                       __ATOMIC_RELAXED);
    __atomic_fetch_add(&slot[2], 1, __ATOMIC_RELAXED);
    munmap(slot, 4 * sizeof(uint64_t));
}

int main(void)
{
    const char *path = getenv("MC_BENCH_PAGE");
    size_t head = sizeof(HEADER) - 1, have = head;
    int sent = 0;
    ssize_t n;
    int fd;

    fd = path ? open(path, O_RDONLY) : -1;
    if (fd < 0) {
        fail("cannot open", path);
        return 0;
    }
    /* The header and the first 64 KiB of the page in one write. */
    memcpy(buf, HEADER, head);
    while ((n = read(fd, buf + have, sizeof(buf) - have)) > 0) {
        have += (size_t)n;
        if (have == sizeof(buf)) {
            if (write_all(buf, have) != 0)
                break;
            sent = 1;
            have = 0;
        }
    }
    if (n < 0) {
        /* the status can still be told only if nothing was sent */
        if (!sent)
            fail("cannot read", path);
        else
            fprintf(stderr, "bench_cgi: cannot read %s\n", path);
        close(fd);
        return 1;
    }
    close(fd);
    if (have > 0)
        (void)write_all(buf, have);
    ledger();
    return 0;
}
