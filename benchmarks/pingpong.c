/* SPDX-License-Identifier: GPL-2.0-or-later */
/* MPI ping-pong between ranks 0 and 1: the median round trip of small
 * messages, in microseconds, printed by rank 0 as "pingpong_us N".
 * benchmarks/mkimage.sh builds it into the benchmark image. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	enum { ROUNDS = 2000, WARM = 200 };
	static double t[ROUNDS];
	char buf[8] = { 0 };
	int rank, size;

	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	if (size < 2) {
		if (rank == 0)
			fprintf(stderr, "pingpong: needs 2 ranks\n");
		MPI_Finalize();
		return 1;
	}
	for (int i = 0; i < WARM + ROUNDS; i++) {
		double t0 = MPI_Wtime();

		if (rank == 0) {
			MPI_Send(buf, sizeof buf, MPI_CHAR, 1, 0, MPI_COMM_WORLD);
			MPI_Recv(buf, sizeof buf, MPI_CHAR, 1, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
		} else if (rank == 1) {
			MPI_Recv(buf, sizeof buf, MPI_CHAR, 0, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
			MPI_Send(buf, sizeof buf, MPI_CHAR, 0, 0, MPI_COMM_WORLD);
		}
		if (i >= WARM)
			t[i - WARM] = MPI_Wtime() - t0;
	}
	if (rank == 0) {
		qsort(t, ROUNDS, sizeof t[0], cmp);
		printf("pingpong_us %.3f\n", t[ROUNDS / 2] * 1e6);
	}
	MPI_Finalize();
	return 0;
}
