/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one source of truth for husk's command line: --help, getopt and the
 * man page husk(1) are all generated from these tables. */
#ifndef HUSK_USAGE_H
#define HUSK_USAGE_H

#include "acct.h" /* ACCT_DIR */

/* X(long name, short letter or 0, argument name or NULL, help text) */
#define HUSK_RUN_OPTIONS(X) \
	X("bind", 'b', "SRC[:DST[:ro]]", "Bind the host path SRC at DST in the container (default DST=SRC), read-only with :ro. Repeatable.") \
	X("workdir", 'w', "DIR", "Working directory in the container (default: the current directory, else the image's, else /).") \
	X("env", 'e', "KEY=VALUE", "Set an environment variable in the container. Repeatable.") \
	X("env-file", 0, "FILE", "Read KEY=VALUE lines from FILE, a regular file (blank lines and # comments are skipped).") \
	X("clean-env", 0, NULL, "Start from an empty environment instead of passing the host's through.") \
	X("no-entrypoint", 0, NULL, "Ignore the image's entrypoint: run COMMAND alone (or, without one, the image's default command).") \
	X("root", 0, NULL, "Map the caller to uid 0 (root) in the container, for tools that want root.") \
	X("read-only", 0, NULL, "No writable overlay: the image's file system stays read-only.") \
	X("overlay-size", 0, "SIZE|N%", "Room for writes to the image (the overlay's upper tmpfs, which also holds the container's /etc/passwd and /etc/group): SIZE (512M, 2G) or N percent of the memory the container may use (--memory, else the node's RAM). Default 10%, at least 16M, or overlay_size in husk.conf. Past it writes fail with ENOSPC.") \
	X("tmp-size", 0, "SIZE|N%", "Size of the container's /tmp tmpfs, as --overlay-size (default 10%, or tmp_size in husk.conf).") \
	X("shm-size", 0, "SIZE|N%", "Size of the container's /dev/shm tmpfs, as --overlay-size (default 10%, or shm_size in husk.conf; with --pid=host /dev/shm is the host's).") \
	X("no-home", 0, NULL, "Do not bind the caller's home directory.") \
	X("pid", 0, "host|private", "Process ids: the host's (ranks that mpirun or srun starts as separate containers see each other, share /dev/shm and the host's IPC, and use CMA), or a pid namespace of the container's own with pid 1 husk-init. Default: host when husk runs as an MPI rank (OMPI_COMM_WORLD_SIZE, PMIX_RANK, PMI_RANK, PMI_FD or MPI_LOCALRANKID is set), else private. docs/mpi.md.") \
	X("net", 0, "host|none", "Network: the host's (default, for MPI and interconnects) or an empty namespace with only lo.") \
	X("hostname", 0, "NAME", "Host name inside the container (default: the host's).") \
	X("device", 0, "PATH|CDI", "Make the host device (or directory of devices) PATH under /dev available (resolved first: it must be a device node under /dev or a directory of /dev's own file system, bound at its real path), or the CDI device VENDOR/CLASS=NAME (or =all) from the specs in /etc/cdi and /var/run/cdi (docs/devices.md). Repeatable.") \
	X("linger", 0, "SECONDS", "Keep the image mounted this long after its last container exits, for later containers to join (default 60, or linger in husk.conf; 0: a private mount per container).") \
	X("cpus", 0, "LIST", "Run on these CPUs only (\"0-3,8\"): the container's cpuset, or sched_setaffinity where no cgroup can be made.") \
	X("mems", 0, "LIST", "Allocate memory on these NUMA nodes only.") \
	X("memory", 0, "SIZE", "Memory limit (64M, 2G; RAM plus swap); over it the container is killed (status 137).") \
	X("pids", 0, "N", "At most N processes and threads in the container.") \
	X("limits", 0, "enforce|best-effort", "Where husk can make no cgroup for the container (none delegated to the caller): a --memory or --pids limit is an error (enforce, the default), or with best-effort a warning, and the container runs without it. --cpus and --mems fall back to sched_setaffinity and the memory policy either way.") \
	X("ntasks", 0, "N", "Bind as task --task of N tasks on this node, the way srun does (with --cpus-per-task, --cpu-bind, --distribution).") \
	X("task", 0, "RANK", "This container's task rank on the node, 0 to N-1 (default 0).") \
	X("cpus-per-task", 0, "N", "CPUs (hardware threads) per task (default 1).") \
	X("cpu-bind", 0, "core|socket|numa|none", "What a task is bound to: its cores (default), their sockets or NUMA nodes, or nothing.") \
	X("distribution", 0, "block|cyclic", "How tasks are laid over sockets (default block).") \
	X("mem-policy", 0, "local|bind|interleave|preferred", "NUMA memory policy over the task's nodes (default: bind when memory nodes are set).") \
	X("cgroup-parent", 0, "PATH", "Make the container's cgroup under PATH in each hierarchy (default /husk for root, else the delegated subtree husk finds).") \
	X("topology", 0, "FILE.xml", "Plan from this hwloc XML topology instead of the machine's (for testing plans; a regular file of at most 16 MiB).") \
	X("report", 0, "FILE|-", "Append the container's accounting (CPU, memory peak, OOM kills, I/O, pids, start-up time) as one JSON line to FILE (a regular file), or to stdout.") \
	X("seccomp", 0, "PROFILE.json|unconfined", "System call filter: a Docker/OCI JSON seccomp profile, or none with unconfined (default: husk's, which denies kernel loading, keyrings, terminal injection, mounts, new user namespaces, bpf, io_uring; see docs/SECURITY.md).") \
	X("preserve-fds", 0, "N", "Pass descriptors 3 to 3+N-1 on to COMMAND (default 0: only stdin, stdout and stderr). The socket that PMI_FD names (an MPI launcher's PMI-2 server, srun --mpi=pmi2) passes too.") \
	X("verbose", 'v', NULL, "Print what husk does on stderr.") \
	X("help", 'h', NULL, "Show this help and exit.")

#define HUSK_SYNOPSIS "husk run [OPTIONS] IMAGE [--] [COMMAND [ARG...]]"

#define HUSK_DESCRIPTION \
	"husk runs COMMAND inside the squashfs image IMAGE, as the calling user, without setuid " \
	"helpers: it uses unprivileged user namespaces, mounts the image in-process with FUSE " \
	"(never unpacking it), and puts a writable tmpfs overlay on top unless --read-only is given. " \
	"The caller's home directory and current directory are bound, the host's network and " \
	"environment are kept, and the caller exists in the container's /etc/passwd. If the image " \
	"has /.husk/env (KEY=VALUE lines, over the host's; --env wins), /.husk/workdir (used when the " \
	"current directory is not bound), /.husk/entrypoint (one argument per line, put before COMMAND) " \
	"or /.husk/cmd (the command when none is given), they apply; husk image import and pull write " \
	"them from the image's configuration, kept whole in /.husk/config.json (docs/images.md)."

/* X(command, synopsis, help) */
#define HUSK_COMMANDS(X) \
	X("run", "run [OPTIONS] IMAGE [--] [COMMAND [ARG...]]", "Run COMMAND in the squashfs image IMAGE (husk run --help).") \
	X("image", "image import|build|pull|inspect|ls|rm|gc ...", "Make squashfs images: import docker-archive:FILE.tar, oci-archive:FILE.tar, oci:DIR[:TAG], DIR or ROOTFS.tar; build DIR; pull [REGISTRY/]REPO[:TAG|@DIGEST]; inspect IMG.sqsh [--json]; ls, rm and gc the caller's image cache (husk image --help, docs/images.md).") \
	X("ps", "ps", "List the caller's live image mounts: holder pid, user, age, linger, the husk run processes using it, the image.") \
	X("gc", "gc", "Release the caller's idle image mounts now and remove stale entries of killed holders.") \
	X("report", "report [--by job|node|task] [--format table|json|csv] FILE... | --job JOB [--dir DIR]", "Summarise accounting records written by husk run --report (- reads stdin), or, with --job, the records husk's Slurm plugin wrote for a job (DIR/JOB/*.munge, DIR by default " ACCT_DIR "), each checked to be signed by root with munge; an unsigned or altered record fails the report.")

#define HUSK_FILES \
	"$XDG_RUNTIME_DIR/husk, else /tmp/husk-UID: the caller's runtime directory (mode 0700, owned by the caller) with one lock file and one socket per live image mount. " \
	SYSCONFDIR "/husk/husk.conf (or $HUSK_CONFIG): site defaults, \"key = value\" lines; keys: linger (seconds), holder_timeout (seconds), max_holders, overlay_size, tmp_size, shm_size (SIZE or N%)."

/* X(variable, what) */
#define HUSK_ENVIRONMENT \
	X("XDG_RUNTIME_DIR", "Where the runtime directory is made ($XDG_RUNTIME_DIR/husk), when it is a directory of the caller's; else /tmp/husk-UID.") \
	X("HUSK_CONFIG", "The configuration file to read instead of " SYSCONFDIR "/husk/husk.conf.") \
	X("HUSK_FUSE_THREADS", "Threads of the FUSE server that serves an image (default: the number of CPUs, at most 4).") \
	X("HUSK_FUSE_READAHEAD_KB", "KiB of a file that the FUSE server decompresses into the page cache after each read of it (default 1024; 0: none).") \
	X("HUSK_CDI_SPEC_DIRS", "Where --device reads CDI specs, DIR:DIR, lowest priority first (default /etc/cdi:/var/run/cdi).") \
	X("HUSK_IMAGE_CACHE", "husk image's cache of pulled images (default $XDG_CACHE_HOME/husk/images, else ~/.cache/husk/images).") \
	X("REGISTRY_AUTH_FILE, SSL_CERT_FILE", "husk image pull's credentials (an auth.json) and CA certificates (docs/images.md).") \
	X("HUSK_PULL_TIMEOUT, HUSK_PULL_RETRIES", "husk image pull's timeout of an attempt in seconds (default 30) and its retries (default 4).") \
	X("SOURCE_DATE_EPOCH", "husk image's time for the image's super block and for files that have none (default 0).")

#define HUSK_EXIT_STATUS \
	X(0, "COMMAND's own exit status.") \
	X(125, "husk itself failed: bad option, bad image, bind, mount or namespace failure. One line \"husk: error: ...\" says what and why.") \
	X(126, "COMMAND was found but could not be executed.") \
	X(127, "COMMAND was not found in the container.") \
	X(128, "128+N: COMMAND was killed by signal N.")

#endif
