/* A test workload for the end-to-end suite: maps TOTAL MiB of anonymous
 * memory, touches all of it once, then keeps writing the first HOT MiB
 * and leaves the rest cold, for SECONDS (0: until killed).  With
 * SHIFT_SECS, the hot part moves up by HOT MiB every SHIFT_SECS seconds,
 * wrapping around (the sample record in examples/ is of that).
 * Usage: workload [TOTAL_MIB] [HOT_MIB] [SECONDS] [SHIFT_SECS] */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	size_t total = (argc > 1 ? atol(argv[1]) : 100) << 20;
	size_t hot = (argc > 2 ? atol(argv[2]) : 10) << 20;
	long secs = argc > 3 ? atol(argv[3]) : 0;
	long shift = argc > 4 ? atol(argv[4]) : 0;
	time_t begin = time(NULL);
	char *p = mmap(NULL, total, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	time_t end = time(NULL) + secs;

	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	for (size_t i = 0; i < total; i += 4096)
		p[i] = 1;
	printf("pid %d area %p-%p hot %p-%p\n", getpid(), p, p + total, p,
	       p + hot);
	fflush(stdout);
	for (unsigned long pass = 0; secs == 0 || time(NULL) < end; pass++) {
		size_t from = 0;

		if (shift > 0 && hot > 0 && hot < total)
			from = (size_t)((time(NULL) - begin) / shift) * hot %
			       (total - total % hot);
		for (size_t i = from; i < from + hot && i < total; i += 4096)
			p[i] = (char)pass;
		usleep(1000);
	}
	return 0;
}
