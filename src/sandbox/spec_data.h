/*
 * The OpenAPI document the sandbox validates against, embedded at build time
 * by sandbox-embed from spec/email-security-domains.openapi.json.
 */
#ifndef MAILWARD_SANDBOX_SPEC_DATA_H
#define MAILWARD_SANDBOX_SPEC_DATA_H

#include <stddef.h>

/* The document's bytes followed by a NUL (not counted in the length). */
extern const unsigned char sandbox_spec_json[];
/* Number of bytes of the document, without the trailing NUL. */
extern const size_t sandbox_spec_json_len;

#endif
