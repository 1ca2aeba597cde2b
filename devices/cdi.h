/* SPDX-License-Identifier: GPL-2.0-or-later */
/* devices/: the Container Device Interface (CDI). Specs (JSON or YAML,
 * cdiVersion up to 1.1.0) describe a vendor's devices as edits to a
 * container: environment, device nodes, mounts, hooks, extra groups.
 * cdi_resolve() reads the spec directories, finds the devices a container
 * asks for ("vendor.com/class=name" or "vendor.com/class=all") and merges
 * their edits; the launcher applies them (docs/devices.md). */
#ifndef HUSK_CDI_H
#define HUSK_CDI_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "err.h"

/* The spec directories, lowest priority first: a device defined in a later
 * directory replaces one of the same name in an earlier one. */
#define CDI_DEFAULT_DIRS "/etc/cdi:/var/run/cdi"

struct cdi_node {
	char *path;      /* in the container */
	char *host_path; /* on the host (hostPath, else path) */
	char *perms;     /* cgroup-style "rwm" subset, or NULL */
};

struct cdi_mount {
	char *host_path;
	char *ctr_path;
	bool ro;
};

/* The hooks husk carries out itself (NVIDIA's nvidia-cdi-hook and
 * `nvidia-ctk hook` subcommands); any other hook is refused at resolve time. */
enum cdi_hook_kind {
	CDI_HOOK_LDCACHE,  /* update-ldcache --folder DIR...: the image's ldconfig over DIRs */
	CDI_HOOK_SYMLINKS, /* create-symlinks --link TARGET::LINK... */
	CDI_HOOK_CHMOD,    /* chmod --mode MODE --path PATH... */
};

struct cdi_hook {
	enum cdi_hook_kind kind;
	char **paths;    /* folders (ldcache), links "TARGET::LINK" (symlinks), paths (chmod) */
	size_t npaths;
	mode_t mode;     /* chmod */
};

struct cdi_edits {
	char **env;      /* KEY=VALUE, in spec order (later ones win) */
	size_t nenv;
	struct cdi_node *nodes;
	size_t nnodes;
	struct cdi_mount *mounts;
	size_t nmounts;
	struct cdi_hook *hooks;
	size_t nhooks;
	gid_t *gids;     /* additionalGIDs */
	size_t ngids;
};

/* Is name a CDI device name ("vendor.com/class=name")? A plain path is not. */
bool cdi_is_device_name(const char *name);

/* Read every *.json, *.yaml and *.yml spec under the ':'-separated dirs
 * (missing directories are skipped), resolve the nreq requested devices and
 * merge their edits, in request order, into *out (zeroed by the caller).
 * Returns 0, or -1 with *err saying why (naming the spec file where one is
 * at fault: a spec that does not parse, a device defined twice in one
 * directory, a hook husk can not carry out, a missing host path; or an
 * unknown kind or device) and *bad the index of the request that failed
 * (nreq when reading the specs failed). The message does not repeat the
 * request: the caller names it as the user gave it. */
int cdi_resolve(const char *dirs, const char *const *reqs, size_t nreq, struct cdi_edits *out,
		size_t *bad, hk_err *err);

/* Merge one spec given as text (JSON or YAML) into *out for the named
 * devices of that spec; for tests and fuzzing. origin names it in errors. */
int cdi_resolve_text(const char *text, size_t len, const char *origin, const char *const *reqs,
		     size_t nreq, struct cdi_edits *out, size_t *bad, hk_err *err);

/* Free what *e holds and zero it. */
void cdi_edits_free(struct cdi_edits *e);

#endif
