/* actor: who acts on a request, as the registry, the audit trail and the
 * rights checks see it. */
#ifndef AP_ACTOR_H
#define AP_ACTOR_H

#include <stdbool.h>
#include <stdint.h>

struct actor {
    char id[96];    /* what the audit trail records: "user:<id>", "user:<id>/token:<id>",
                       "cli", "system:demo" */
    char user[40];  /* the user's id, or "" */
    char org[64];   /* the user's organisation id, or "" */
    uint32_t roles; /* bit i = role i of the rights file */
    bool system;    /* the command line and the demo loader: not subject to rights */
    bool read_only; /* a personal token without the "write" scope */
};

/* The anonymous reader: no roles, no organisation. */
#define ACTOR_ANONYMOUS {"anonymous", "", "", 0, false, true}

#endif
