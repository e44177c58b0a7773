// Helpers shared by the PNG and JPEG shims; not part of the public header.
#ifndef VTOK_CODEC_SUPPORT_H
#define VTOK_CODEC_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

void vtok_set_message(char *message, const char *format, ...);

/// A malloc'd buffer that grows by doubling; encoders write into it.
typedef struct vtok_byte_buffer {
    uint8_t *bytes;
    size_t size;
    size_t capacity;
} vtok_byte_buffer;

/// Ensures capacity >= minimum_capacity. Returns 0 when memory runs out (the buffer stays valid).
int vtok_byte_buffer_reserve(vtok_byte_buffer *buffer, size_t minimum_capacity);

#endif
