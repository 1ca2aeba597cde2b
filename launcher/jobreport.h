/* husk report --job: a Slurm job's munge-signed accounting records. */
#ifndef HUSK_JOBREPORT_H
#define HUSK_JOBREPORT_H

#include <stdio.h>

#include "cgroup.h"
#include "err.h"

/* Verify and summarise DIR/JOB/STEP.NODE.munge (every record must be
 * signed by root with munge and name the job, step and node its file
 * does), as cg_report does; a table ends with each file's signature.
 * Returns 0, or -1 with *err naming the first file that fails. */
int hk_job_report(FILE *out, const char *dir, const char *job, enum cg_report_by by, enum cg_report_fmt fmt,
                  hk_err *err);

#endif
