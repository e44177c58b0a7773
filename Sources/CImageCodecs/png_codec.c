#include "codec_support.h"
#include "vtok_codecs.h"

#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

// libpng calls error_fn, which must not return: it records the message and jumps back into the
// vtok_png_* function that owns `jump`.
typedef struct png_session {
    jmp_buf jump;
    char *message;
    // Reading: the input and how far libpng has consumed it.
    const uint8_t *input;
    size_t input_size;
    size_t input_offset;
    int input_ended;
    // Writing.
    vtok_byte_buffer output;
    int out_of_memory;
} png_session;

static void png_session_error(png_structp png, png_const_charp text) {
    png_session *session = png_get_error_ptr(png);
    vtok_set_message(session->message, "%s", text);
    longjmp(session->jump, 1);
}

// Warnings concern ancillary data vtok ignores anyway; stderr is no place for them.
static void png_session_warning(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;
}

static void png_read_from_memory(png_structp png, png_bytep destination, size_t length) {
    png_session *session = png_get_io_ptr(png);
    if (length > session->input_size - session->input_offset) {
        session->input_ended = 1;
        png_error(png, "PNG data ends early");
    }
    memcpy(destination, session->input + session->input_offset, length);
    session->input_offset += length;
}

// Only the chunks that define pixels matter: treating the other known ancillary chunks as unknown
// (and unknown chunks are skipped) means a malformed iCCP or tEXt cannot fail an image, and the
// ICC/gamma handling the documentation promises to ignore is ignored.
static void png_ignore_ancillary_chunks(png_structp png) {
#ifdef PNG_HANDLE_AS_UNKNOWN_SUPPORTED
    static const png_byte ignored[] =
        "bKGD\0cHRM\0eXIf\0gAMA\0hIST\0iCCP\0iTXt\0oFFs\0pCAL\0pHYs\0sBIT\0sCAL\0sPLT\0sRGB\0tEXt\0tIME\0zTXt";
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, NULL, 0);
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, ignored, (int)(sizeof ignored / 5));
#else
    (void)png;
#endif
}

vtok_status vtok_png_decode(const uint8_t *data, size_t size, uint64_t max_pixels, vtok_decoded *out) {
    memset(out, 0, sizeof *out);
    png_session session = {.message = out->message, .input = data, .input_size = size};
    // Locals assigned after setjmp and read after the longjmp must be volatile.
    png_structp volatile png = NULL;
    png_infop volatile info = NULL;
    uint8_t *volatile pixels = NULL;
    png_bytep *volatile rows = NULL;
    volatile vtok_status status = VTOK_CORRUPT;

    png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &session, png_session_error, png_session_warning);
    if (png != NULL) info = png_create_info_struct(png);
    if (png == NULL || info == NULL) {
        vtok_set_message(out->message, "libpng could not allocate its state");
        status = VTOK_OUT_OF_MEMORY;
        goto cleanup;
    }
    if (setjmp(session.jump)) {
        status = session.input_ended ? VTOK_TRUNCATED : VTOK_CORRUPT;
        goto cleanup;
    }
    png_set_read_fn(png, &session, png_read_from_memory);
    // "Benign" errors include missing image data, which would otherwise decode as silent zeros.
    png_set_benign_errors(png, 0);
    png_ignore_ancillary_chunks(png);
    png_read_info(png, info);

    png_uint_32 width = 0, height = 0;
    int bit_depth = 0, color_type = 0;
    png_get_IHDR(png, info, &width, &height, &bit_depth, &color_type, NULL, NULL, NULL);
    out->width = width;
    out->height = height;
    if ((uint64_t)width * height > max_pixels) {
        vtok_set_message(out->message, "%ux%u pixels exceeds the limit of %llu", width, height,
                         (unsigned long long)max_pixels);
        status = VTOK_TOO_LARGE;
        goto cleanup;
    }
    int has_alpha = (color_type & PNG_COLOR_MASK_ALPHA) || png_get_valid(png, info, PNG_INFO_tRNS);
    png_set_expand(png);   // palette to RGB, gray below 8 bits to 8, tRNS to an alpha channel
    png_set_scale_16(png); // rounds (png_set_strip_16 would truncate)
    png_set_gray_to_rgb(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    const uint32_t channels = has_alpha ? 4 : 3;
    const size_t row_bytes = (size_t)width * channels;
    if (png_get_rowbytes(png, info) != row_bytes) {
        vtok_set_message(out->message, "unexpected PNG row layout after expansion");
        goto cleanup;
    }

    pixels = malloc(row_bytes * height);
    rows = malloc(sizeof(png_bytep) * height);
    if (pixels == NULL || rows == NULL) {
        vtok_set_message(out->message, "no memory for %ux%u pixels", width, height);
        status = VTOK_OUT_OF_MEMORY;
        goto cleanup;
    }
    for (png_uint_32 y = 0; y < height; y++) rows[y] = pixels + y * row_bytes;
    png_read_image(png, rows);
    png_read_end(png, NULL); // reaching IEND proves the file is whole

    out->pixels = pixels;
    out->channels = channels;
    pixels = NULL;
    status = VTOK_OK;

cleanup:
    free(rows);
    free(pixels);
    {
        png_structp png_to_destroy = png;
        png_infop info_to_destroy = info;
        png_destroy_read_struct(&png_to_destroy, &info_to_destroy, NULL);
    }
    return status;
}

static void png_write_to_memory(png_structp png, png_bytep bytes, size_t length) {
    png_session *session = png_get_io_ptr(png);
    vtok_byte_buffer *output = &session->output;
    if (length > SIZE_MAX - output->size || !vtok_byte_buffer_reserve(output, output->size + length)) {
        session->out_of_memory = 1;
        png_error(png, "no memory for the encoded PNG");
    }
    memcpy(output->bytes + output->size, bytes, length);
    output->size += length;
}

static void png_flush_nothing(png_structp png) { (void)png; }

static uint32_t png_channels(vtok_png_color color) {
    switch (color) {
    case VTOK_PNG_GRAY: return 1;
    case VTOK_PNG_PALETTE: return 1;
    case VTOK_PNG_GRAY_ALPHA: return 2;
    case VTOK_PNG_RGB: return 3;
    case VTOK_PNG_RGBA: return 4;
    }
    return 0;
}

vtok_status vtok_png_encode(const uint8_t *rows, size_t rows_size, const vtok_png_layout *layout,
                            vtok_encoded *out) {
    memset(out, 0, sizeof *out);
    png_session session = {.message = out->message};
    png_structp volatile png = NULL;
    png_infop volatile info = NULL;
    volatile vtok_status status = VTOK_ENCODE_FAILED;

    const uint32_t channels = png_channels(layout->color);
    if (channels == 0 || layout->width == 0 || layout->height == 0) {
        vtok_set_message(out->message, "invalid PNG layout: %ux%u, colour type %d", layout->width,
                         layout->height, (int)layout->color);
        return VTOK_ENCODE_FAILED;
    }
    const size_t row_bytes = ((size_t)layout->width * channels * (size_t)layout->bit_depth + 7) / 8;
    if (rows_size < row_bytes * layout->height) {
        vtok_set_message(out->message, "%zu bytes of rows for a layout that needs %zu", rows_size,
                         row_bytes * layout->height);
        return VTOK_ENCODE_FAILED;
    }

    png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &session, png_session_error, png_session_warning);
    if (png != NULL) info = png_create_info_struct(png);
    if (png == NULL || info == NULL) {
        vtok_set_message(out->message, "libpng could not allocate its state");
        status = VTOK_OUT_OF_MEMORY;
        goto cleanup;
    }
    if (setjmp(session.jump)) {
        status = session.out_of_memory ? VTOK_OUT_OF_MEMORY : VTOK_ENCODE_FAILED;
        goto cleanup;
    }
    png_set_write_fn(png, &session, png_write_to_memory, png_flush_nothing);
    png_set_IHDR(png, info, layout->width, layout->height, layout->bit_depth, (int)layout->color,
                 layout->interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    if (layout->color == VTOK_PNG_PALETTE) {
        png_set_PLTE(png, info, (png_const_colorp)layout->palette_rgb, layout->palette_entries);
    }
    if (layout->palette_alpha != NULL) {
        png_set_tRNS(png, info, layout->palette_alpha, layout->palette_alpha_entries, NULL);
    }
    png_write_info(png, info);
    const int passes = png_set_interlace_handling(png);
    for (int pass = 0; pass < passes; pass++) {
        for (uint32_t y = 0; y < layout->height; y++) png_write_row(png, rows + y * row_bytes);
    }
    png_write_end(png, NULL);

    out->bytes = session.output.bytes;
    out->size = session.output.size;
    session.output.bytes = NULL;
    status = VTOK_OK;

cleanup:
    free(session.output.bytes);
    {
        png_structp png_to_destroy = png;
        png_infop info_to_destroy = info;
        png_destroy_write_struct(&png_to_destroy, &info_to_destroy);
    }
    return status;
}
