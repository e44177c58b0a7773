#include "codec_support.h"
#include "vtok_codecs.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jerror.h>
#include <jpeglib.h>

// libjpeg calls error_exit, which must not return: it records the message and jumps back into the
// vtok_jpeg_* function that owns `jump`. The error manager comes first so libjpeg's `err` pointer
// is also the session pointer.
typedef struct jpeg_session {
    struct jpeg_error_mgr manager;
    jmp_buf jump;
    char *message;
    int input_ended;
} jpeg_session;

static void jpeg_session_fail(j_common_ptr cinfo) {
    jpeg_session *session = (jpeg_session *)cinfo->err;
    char text[JMSG_LENGTH_MAX];
    cinfo->err->format_message(cinfo, text);
    vtok_set_message(session->message, "%s", text);
    longjmp(session->jump, 1);
}

// libjpeg's memory source answers "premature end of data" with a warning and fake EOI markers, so a
// cut file would decode with its missing part filled gray. vtok makes that an error.
static void jpeg_session_emit(j_common_ptr cinfo, int level) {
    if (level == -1 && cinfo->err->msg_code == JWRN_JPEG_EOF) {
        ((jpeg_session *)cinfo->err)->input_ended = 1;
        jpeg_session_fail(cinfo);
    }
}

static void jpeg_session_print_nothing(j_common_ptr cinfo) { (void)cinfo; }

static struct jpeg_error_mgr *jpeg_session_start(jpeg_session *session, char *message) {
    memset(session, 0, sizeof *session);
    session->message = message;
    jpeg_std_error(&session->manager);
    session->manager.error_exit = jpeg_session_fail;
    session->manager.emit_message = jpeg_session_emit;
    session->manager.output_message = jpeg_session_print_nothing;
    return &session->manager;
}

// Replicates gray samples into R, G, B in place, back to front so no sample is overwritten unread.
static void expand_gray_row(uint8_t *row, uint32_t width) {
    for (uint32_t x = width; x-- > 0;) {
        const uint8_t gray = row[x];
        row[3 * x] = gray;
        row[3 * x + 1] = gray;
        row[3 * x + 2] = gray;
    }
}

vtok_status vtok_jpeg_decode(const uint8_t *data, size_t size, uint64_t max_pixels, vtok_decoded *out) {
    memset(out, 0, sizeof *out);
    struct jpeg_decompress_struct cinfo;
    memset(&cinfo, 0, sizeof cinfo); // jpeg_destroy is then safe even if creation fails
    jpeg_session session;
    cinfo.err = jpeg_session_start(&session, out->message);
    // Locals assigned after setjmp and read after the longjmp must be volatile.
    uint8_t *volatile pixels = NULL;
    volatile vtok_status status = VTOK_CORRUPT;

    if (setjmp(session.jump)) {
        status = session.input_ended ? VTOK_TRUNCATED : VTOK_CORRUPT;
        goto cleanup;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, (unsigned char *)data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    out->width = cinfo.image_width;
    out->height = cinfo.image_height;

    if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) {
        vtok_set_message(out->message,
                         "%s JPEG: only RGB and grayscale JPEGs are read; convert it to sRGB first "
                         "(e.g. `magick in.jpg -colorspace sRGB out.png`)",
                         cinfo.jpeg_color_space == JCS_CMYK ? "CMYK" : "YCCK");
        status = VTOK_UNSUPPORTED;
        goto cleanup;
    }
    if (cinfo.num_components != 1 && cinfo.num_components != 3) {
        vtok_set_message(out->message, "JPEG with %d components: only 1 (gray) or 3 (colour) are read",
                         cinfo.num_components);
        status = VTOK_UNSUPPORTED;
        goto cleanup;
    }
    if ((uint64_t)cinfo.image_width * cinfo.image_height > max_pixels) {
        vtok_set_message(out->message, "%ux%u pixels exceeds the limit of %llu", cinfo.image_width,
                         cinfo.image_height, (unsigned long long)max_pixels);
        status = VTOK_TOO_LARGE;
        goto cleanup;
    }
    const int gray = cinfo.num_components == 1;
    cinfo.out_color_space = gray ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&cinfo);

    const size_t row_bytes = (size_t)cinfo.output_width * 3;
    pixels = malloc(row_bytes * cinfo.output_height);
    if (pixels == NULL) {
        vtok_set_message(out->message, "no memory for %ux%u pixels", cinfo.output_width, cinfo.output_height);
        status = VTOK_OUT_OF_MEMORY;
        goto cleanup;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = pixels + cinfo.output_scanline * row_bytes;
        jpeg_read_scanlines(&cinfo, &row, 1);
        if (gray) expand_gray_row(row, cinfo.output_width);
    }
    jpeg_finish_decompress(&cinfo); // reads up to EOI, so a file cut after the last scan is caught too

    out->pixels = pixels;
    out->channels = 3;
    pixels = NULL;
    status = VTOK_OK;

cleanup:
    free(pixels);
    jpeg_destroy_decompress(&cinfo);
    return status;
}

// A destination writing into a vtok_byte_buffer. libjpeg's own jpeg_mem_dest is not used because
// after an error its output pointer may refer to a buffer it already freed.
typedef struct buffer_destination {
    struct jpeg_destination_mgr manager;
    vtok_byte_buffer output;
} buffer_destination;

static void buffer_destination_reserve(j_compress_ptr cinfo, size_t minimum_capacity) {
    buffer_destination *destination = (buffer_destination *)cinfo->dest;
    if (!vtok_byte_buffer_reserve(&destination->output, minimum_capacity)) ERREXIT1(cinfo, JERR_OUT_OF_MEMORY, 0);
    destination->manager.next_output_byte = destination->output.bytes + destination->output.size;
    destination->manager.free_in_buffer = destination->output.capacity - destination->output.size;
}

static void buffer_destination_init(j_compress_ptr cinfo) { buffer_destination_reserve(cinfo, 65536); }

static boolean buffer_destination_grow(j_compress_ptr cinfo) {
    buffer_destination *destination = (buffer_destination *)cinfo->dest;
    destination->output.size = destination->output.capacity; // libjpeg only asks when the buffer is full
    buffer_destination_reserve(cinfo, destination->output.capacity * 2);
    return TRUE;
}

static void buffer_destination_finish(j_compress_ptr cinfo) {
    buffer_destination *destination = (buffer_destination *)cinfo->dest;
    destination->output.size = destination->output.capacity - destination->manager.free_in_buffer;
}

static void jpeg_apply_options(j_compress_ptr cinfo, const vtok_jpeg_options *options) {
    const int cmyk_input = options->color == VTOK_JPEG_CMYK || options->color == VTOK_JPEG_CMYK_AS_YCCK;
    cinfo->input_components = cmyk_input ? 4 : 3;
    cinfo->in_color_space = cmyk_input ? JCS_CMYK : JCS_RGB;
    jpeg_set_defaults(cinfo);
    if (options->color == VTOK_JPEG_RGB_AS_GRAY) jpeg_set_colorspace(cinfo, JCS_GRAYSCALE);
    if (options->color == VTOK_JPEG_CMYK_AS_YCCK) jpeg_set_colorspace(cinfo, JCS_YCCK);
    jpeg_set_quality(cinfo, options->quality, TRUE);
    cinfo->optimize_coding = options->optimize_huffman ? TRUE : FALSE;
    if (options->color == VTOK_JPEG_RGB_AS_YCBCR) {
        const int luma_factor = options->subsample_420 ? 2 : 1;
        cinfo->comp_info[0].h_samp_factor = luma_factor;
        cinfo->comp_info[0].v_samp_factor = luma_factor;
        for (int c = 1; c < 3; c++) {
            cinfo->comp_info[c].h_samp_factor = 1;
            cinfo->comp_info[c].v_samp_factor = 1;
        }
    }
    if (options->progressive) jpeg_simple_progression(cinfo);
}

vtok_status vtok_jpeg_encode(const uint8_t *pixels, size_t pixels_size, uint32_t width, uint32_t height,
                             const vtok_jpeg_options *options, vtok_encoded *out) {
    memset(out, 0, sizeof *out);
    if (options->quality < 1 || options->quality > 100) {
        vtok_set_message(out->message, "JPEG quality %d is outside 1...100", options->quality);
        return VTOK_ENCODE_FAILED;
    }
    struct jpeg_compress_struct cinfo;
    memset(&cinfo, 0, sizeof cinfo);
    jpeg_session session;
    cinfo.err = jpeg_session_start(&session, out->message);
    buffer_destination destination = {
        .manager = {.init_destination = buffer_destination_init,
                    .empty_output_buffer = buffer_destination_grow,
                    .term_destination = buffer_destination_finish},
    };
    volatile vtok_status status = VTOK_ENCODE_FAILED;

    if (setjmp(session.jump)) {
        status = session.manager.msg_code == JERR_OUT_OF_MEMORY ? VTOK_OUT_OF_MEMORY : VTOK_ENCODE_FAILED;
        goto cleanup;
    }
    jpeg_create_compress(&cinfo);
    cinfo.dest = &destination.manager;
    cinfo.image_width = width;
    cinfo.image_height = height;
    jpeg_apply_options(&cinfo, options);
    const size_t row_bytes = (size_t)width * (size_t)cinfo.input_components;
    if (pixels_size < row_bytes * height) {
        vtok_set_message(out->message, "%zu bytes of pixels for %ux%u with %d channels", pixels_size, width, height,
                         cinfo.input_components);
        goto cleanup;
    }
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        // libjpeg's row type is not const, but it only reads input rows.
        JSAMPROW row = (JSAMPROW)(pixels + cinfo.next_scanline * row_bytes);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);

    out->bytes = destination.output.bytes;
    out->size = destination.output.size;
    destination.output.bytes = NULL;
    status = VTOK_OK;

cleanup:
    free(destination.output.bytes);
    jpeg_destroy_compress(&cinfo);
    return status;
}
