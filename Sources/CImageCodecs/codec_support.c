#include "codec_support.h"
#include "vtok_codecs.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void vtok_codec_free(void *buffer) { free(buffer); }

void vtok_set_message(char *message, const char *format, ...) {
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(message, VTOK_MESSAGE_CAPACITY, format, arguments);
    va_end(arguments);
}

int vtok_byte_buffer_reserve(vtok_byte_buffer *buffer, size_t minimum_capacity) {
    if (buffer->capacity >= minimum_capacity) return 1;
    size_t capacity = buffer->capacity < 65536 ? 65536 : buffer->capacity;
    while (capacity < minimum_capacity) {
        if (capacity > SIZE_MAX / 2) return 0;
        capacity *= 2;
    }
    uint8_t *grown = realloc(buffer->bytes, capacity);
    if (grown == NULL) return 0;
    buffer->bytes = grown;
    buffer->capacity = capacity;
    return 1;
}
