/* SPDX-License-Identifier: GPL-2.0-or-later */
/* probe PATH...: read each directory's entries or each file's bytes to the
 * end, and say how that went: "PATH: N entries", "PATH: N bytes", or
 * "PATH: error after N: MESSAGE"; a symlink's target is read, not
 * followed ("PATH: -> TARGET"). Static, so that a test can bind it into
 * any image; busybox's tools do not report readdir errors. Exit status 1
 * if any PATH failed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int bad = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		long n = 0;
		if (lstat(argv[i], &st) < 0) {
			printf("%s: error after 0: %s\n", argv[i], strerror(errno));
			bad = 1;
			continue;
		}
		if (S_ISLNK(st.st_mode)) {
			char target[4096];
			ssize_t r = readlink(argv[i], target, sizeof(target) - 1);
			if (r < 0) {
				printf("%s: error after 0: %s\n", argv[i], strerror(errno));
				bad = 1;
			} else {
				target[r] = '\0';
				printf("%s: -> %s\n", argv[i], target);
			}
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			DIR *d = opendir(argv[i]);
			if (d == NULL) {
				printf("%s: error after 0: %s\n", argv[i], strerror(errno));
				bad = 1;
				continue;
			}
			errno = 0;
			while (readdir(d))
				n++;
			if (errno) {
				printf("%s: error after %ld: %s\n", argv[i], n, strerror(errno));
				bad = 1;
			} else {
				printf("%s: %ld entries\n", argv[i], n);
			}
			closedir(d);
			continue;
		}
		int fd = open(argv[i], O_RDONLY | O_NOFOLLOW);
		if (fd < 0) {
			printf("%s: error after 0: %s\n", argv[i], strerror(errno));
			bad = 1;
			continue;
		}
		char buf[65536];
		ssize_t r;
		while ((r = read(fd, buf, sizeof(buf))) > 0)
			n += r;
		if (r < 0) {
			printf("%s: error after %ld: %s\n", argv[i], n, strerror(errno));
			bad = 1;
		} else {
			printf("%s: %ld bytes\n", argv[i], n);
		}
		close(fd);
	}
	return bad;
}
