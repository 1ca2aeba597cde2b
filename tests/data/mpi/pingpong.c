/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Ranks 0 and 1 of MPI_COMM_WORLD: the median round trip of 8-byte messages
 * (latency, half of it, in microseconds) and the bandwidth of 4 MiB ones
 * (MB/s), printed by rank 0 as "latency_us N" and "bandwidth_mbs N".
 * tests/images/mkmpi.sh builds it into the MPI test image. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* n timed round trips of len bytes after warm ones; returns the median. */
static double rounds(char *buf, int len, int n, int warm, int rank)
{
	double *t = malloc(sizeof(double) * (size_t)n), med;
	for (int i = -warm; i < n; i++) {
		double t0 = MPI_Wtime();
		if (rank == 0) {
			MPI_Send(buf, len, MPI_CHAR, 1, 0, MPI_COMM_WORLD);
			MPI_Recv(buf, len, MPI_CHAR, 1, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
		} else {
			MPI_Recv(buf, len, MPI_CHAR, 0, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
			MPI_Send(buf, len, MPI_CHAR, 0, 0, MPI_COMM_WORLD);
		}
		if (i >= 0)
			t[i] = MPI_Wtime() - t0;
	}
	qsort(t, (size_t)n, sizeof(double), cmp);
	med = t[n / 2];
	free(t);
	return med;
}

int main(int argc, char **argv)
{
	int rank, size;
	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	if (size != 2) {
		if (rank == 0)
			fprintf(stderr, "pingpong: needs 2 ranks\n");
		MPI_Finalize();
		return 1;
	}
	enum { BIG = 4 << 20 };
	char *buf = calloc(1, BIG);
	double lat = rounds(buf, 8, 4000, 400, rank);
	double big = rounds(buf, BIG, 60, 10, rank);
	if (rank == 0) {
		printf("latency_us %.3f\n", lat / 2 * 1e6);
		printf("bandwidth_mbs %.0f\n", 2.0 * BIG / big / 1e6);
	}
	free(buf);
	MPI_Finalize();
	return 0;
}
