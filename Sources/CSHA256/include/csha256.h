#ifndef CSHA256_H
#define CSHA256_H

#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU has the SHA extensions (x86 SHA-NI with SSSE3 and SSE4.1), else 0.
int vtok_sha256_hardware_available(void);

/// SHA-256's compression of `blocks` 64-byte blocks at `data` into `state` (a, b, ..., h), with the
/// SHA instructions and FIPS 180-4's 64 round constants (the Swift SHA256 owns them); call only
/// where vtok_sha256_hardware_available() is 1.
void vtok_sha256_hardware_compress(uint32_t state[8], const uint8_t *data, size_t blocks,
                                   const uint32_t round_constants[64]);

#endif
