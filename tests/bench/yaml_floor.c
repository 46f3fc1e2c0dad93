#include "config.h"

/*
 * yaml_floor - what libyaml alone costs on a policy file: the floor
 * under target 4 (load and compile the 100,000-partner policy).
 *
 * Usage: yaml_floor FILE
 *
 * Reads FILE through a read handler, as policy/yaml_tree.c does, pulls
 * every event from yaml_parser_parse() and frees it, builds nothing, and
 * prints the number of events and the CPU time used (user + system,
 * getrusage).  `tlspolicy-milter -n -c FILE` minus this is the loader's
 * own part.  Exits 1 when the file cannot be read or is not YAML.
 */

#include <sys/resource.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

/* yf_read - libyaml's read handler over a file descriptor */
static int
yf_read(void *context, unsigned char *buffer, size_t size, size_t *size_read)
{
	int fd = *(int *)context;
	ssize_t n;

	do {
		n = read(fd, buffer, size);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return 0;
	*size_read = (size_t)n;
	return 1;
}

/* yf_cpu - user + system CPU seconds of this process so far */
static double
yf_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

int
main(int argc, char **argv)
{
	yaml_parser_t parser;
	yaml_event_t event;
	unsigned long events = 0;
	int done = 0;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: yaml_floor FILE\n");
		return 2;
	}
	if ((fd = open(argv[1], O_RDONLY)) < 0) {
		fprintf(stderr, "yaml_floor: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (!yaml_parser_initialize(&parser)) {
		fprintf(stderr, "yaml_floor: out of memory\n");
		return 1;
	}
	yaml_parser_set_input(&parser, yf_read, &fd);
	while (!done) {
		if (!yaml_parser_parse(&parser, &event)) {
			fprintf(stderr, "yaml_floor: %s: %s\n", argv[1],
			    parser.problem != NULL ? parser.problem : "error");
			return 1;
		}
		done = event.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&event);
		events++;
	}
	yaml_parser_delete(&parser);
	close(fd);
	printf("%s: %lu libyaml events, %.3f s CPU\n", argv[1], events, yf_cpu());
	return 0;
}
