/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef PORTAUDIT_INVENTORY_SOURCES_H
#define PORTAUDIT_INVENTORY_SOURCES_H

/*
 * Which inventory files are read, in which order (DESIGN §4): by default
 * /etc/portaudit/inventory.yaml, then "*.yaml" of the drop-in directories merged
 * systemd-style (earlier directory wins a name, a /dev/null symlink masks it,
 * file-name order); -c paths (files, or directories meaning their "*.yaml")
 * replace the defaults.
 */

#include <stddef.h>

#include "portaudit/diag.h"
#include "portaudit/inventory.h"
#include "portaudit/root.h"
#include "portaudit/services.h"

#define INVENTORY_DEFAULT_FILE "/etc/portaudit/inventory.yaml"

/*
 * Load the inventory.  Default sources are read below root; -c paths (n_paths
 * of them, as the operator typed them) below host, the real "/", relative ones
 * from the working directory.  As root (euid 0), a file or directory not owned
 * by root or writable by group or others is refused (OpenBSD doas's rule), since
 * it decides what portaudit writes.  No file at all yields an empty inventory in
 * discovery mode.  Input and read errors go to diag.  Returns 0 and *ret even when
 * diag got errors (the caller decides), or -ENOMEM.
 */
int inventory_sources_load(const struct root *root, const struct root *host,
			   const char *const *paths, size_t n_paths,
			   const struct services *services, struct diag *diag,
			   struct inventory **ret);

#endif
