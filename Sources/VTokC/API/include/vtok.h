/*
 * vtok.h: the C API of libvtok_c, the vtok discrete image tokenizer codec.
 *
 * An image becomes a short 1D sequence of discrete tokens ordered coarse to fine, and back; any
 * prefix of the sequence decodes. The shipped model codes an image at its own size: its first 1536
 * tokens describe the whole image, whatever its size, and the rest add full-resolution detail, more
 * of them for a larger image (vtk_model_token_count). Models that fit every image to a square
 * (models/c2.safetensors) give every image the same max_tokens, or max_tokens per tile. Build the library with
 *     swift build -c release --product vtok_c        # .build/release/libvtok_c.so
 * and link with -lvtok_c. The shipped model (vtok_VTokModel.resources/) lies beside the library.
 *
 * Conventions, as in libwebp's encode.h and decode.h:
 * - Pixels are 8-bit RGB, row-major, 3 bytes a pixel; `stride` is the distance in bytes between the
 *   starts of two rows (at least width * 3). Every image the library returns has stride width * 3.
 * - Every function that can fail returns a vtk_status. On failure the out-parameters are left
 *   untouched and vtk_last_error() describes what went wrong.
 * - Ownership: every buffer the library returns through a `**out` parameter (encoded bytes, token
 *   ids, pixels) was allocated by the library; the caller owns it and must release it with
 *   vtk_free(). Input buffers are only read, never kept after the call returns. A vtk_model is
 *   released with vtk_model_free(). Strings returned as `const char *` belong to the library.
 * - Thread safety: every function may be called from any thread. A vtk_model may be shared between
 *   threads: calls on one model are serialised by a lock inside it (the network keeps scratch
 *   buffers). For parallel work, load one model per thread; calls on different models run
 *   concurrently. Each call's matrix products already use every core the process may use.
 * - Performance: on some CPUs Debian's OpenBLAS 0.3.21 picks generic kernels five times slower than
 *   it should. It reads OPENBLAS_CORETYPE only when it is loaded, so a host process should have it
 *   in its environment before it loads this library (the Python package does this itself);
 *   vtk_blas_kernels() tells which kernels are in use.
 *
 * Public names start with vtk_ / VTK_.
 */
#ifndef VTOK_C_API_H
#define VTOK_C_API_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* (major << 16) | (minor << 8) | revision, as vtk_version() returns it. */
#define VTK_VERSION 0x000200

typedef enum vtk_status {
    VTK_OK = 0,
    VTK_INVALID_ARGUMENT = 1,  /* a NULL pointer, a size out of range, conflicting options */
    VTK_BAD_DATA = 2,          /* not a .vtok file, corrupt, unsupported version, or an unreadable image */
    VTK_MODEL_NOT_FOUND = 3,   /* no default model where the library looks, or the path is unreadable */
    VTK_MODEL_INVALID = 4,     /* the weights file is not a vtok model */
    VTK_MODEL_MISMATCH = 5,    /* the data was encoded by another model than this one */
    VTK_OUT_OF_MEMORY = 6,
    VTK_IO_ERROR = 7,          /* a file could not be written */
    VTK_INTERNAL_ERROR = 8
} vtk_status;

/* A static English sentence for a status; "unknown status" for values outside the enum. */
const char *vtk_status_message(vtk_status status);

/* What the last call that failed on this thread reported, in more detail than its status (a file
 * name, the sizes that did not match). Empty when no call has failed on this thread. Valid until
 * the next failing call on the same thread. */
const char *vtk_last_error(void);

/* The library's version: (major << 16) | (minor << 8) | revision. */
int vtk_version(void);

/* The OpenBLAS kernel family in use ("SkylakeX", "Haswell", "Prescott", ...). */
const char *vtk_blas_kernels(void);

/* Releases any buffer the library returned. NULL is allowed. */
void vtk_free(void *pointer);

/* ---- Models ---------------------------------------------------------------------------------- */

typedef struct vtk_model vtk_model;

/* Loads a weights file, or with path == NULL the shipped model, found as the vtok command finds it:
 * $VTOK_MODEL, then vtok_VTokModel.resources/default-model.safetensors, default-model.safetensors
 * and ../share/vtok/default-model.safetensors beside this library (then beside the executable).
 * On success *out_model is a new model, to be released with vtk_model_free(). */
vtk_status vtk_model_load(const char *path, vtk_model **out_model);

/* The weights file vtk_model_load(NULL, ...) loads, as a NUL-terminated path in a new buffer,
 * released with vtk_free(); VTK_MODEL_NOT_FOUND (and where it looked) when there is none. */
vtk_status vtk_model_default_path(char **out_path);

/* Releases a model. NULL is allowed. The model must not be in use by another thread. */
void vtk_model_free(vtk_model *model);

typedef struct vtk_model_info {
    int32_t resolution;       /* native square side in pixels (256 for the shipped model) */
    int32_t max_tokens;       /* K: all the tokens of a resolution x resolution image (of a tile when
                                 tiled); more for a larger image with a full-resolution model */
    int32_t bits_per_token;   /* token ids lie in 0 ..< 2^bits_per_token */
    int32_t groups;           /* a token is `groups` groups of `bits_per_group` bits */
    int32_t bits_per_group;
    uint8_t model_id[4];      /* the first 4 bytes of the weights file's SHA-256, as written in files */
} vtk_model_info;

vtk_status vtk_model_get_info(const vtk_model *model, vtk_model_info *out_info);

/* All the tokens a width x height image gets in a .vtok file (per tile when tiled): max_tokens
 * for a model that fits every image to its square (or its tiles), more for a larger image with a
 * full-resolution model, which codes images at their own size. */
vtk_status vtk_model_token_count(const vtk_model *model, int width, int height, int *out_tokens);

/* ---- Encoding -------------------------------------------------------------------------------- */

typedef struct vtk_encode_options {
    /* How many tokens (per tile when tiled) to keep: at most one of the three may be set.
     * Default (none set): all of them, vtk_model_token_count() for the image's size. */
    int32_t tokens;       /* -1: not set; else 0 ... vtk_model_token_count() */
    int32_t max_bytes;    /* 0: not set; else the most tokens whose whole .vtok file fits (>= 28) */
    double target_psnr;   /* 0: not set; else the fewest tokens that decode to this PSNR in dB
                             (8-bit RGB), or all of them when even they fall short */
    /* 0 (default): the whole image in one token sequence (at its own size for a full-resolution
     * model; stretched to the model's square for the others); 1: the image is cut into
     * resolution-sized tiles with their own tokens each (refused by a full-resolution model, with
     * VTK_INVALID_ARGUMENT: it needs no tiles to keep an image's detail). */
    int32_t tiled;
} vtk_encode_options;

/* Sets the defaults: tokens -1, max_bytes 0, target_psnr 0, tiled 0. */
void vtk_encode_options_init(vtk_encode_options *options);

/* Encodes an RGB image into the bytes of a .vtok file. options may be NULL (the defaults).
 * On success *out_data (size *out_size) is a new buffer, released with vtk_free(). */
vtk_status vtk_encode(vtk_model *model, const uint8_t *rgb, int width, int height, int stride,
                      const vtk_encode_options *options, uint8_t **out_data, size_t *out_size);

/* Encodes an RGB image into token ids, the same ones vtk_encode would write. On success *out_ids
 * is a new buffer of (*out_tiles) * (*out_tokens) ids, tile after tile (row-major tile order),
 * released with vtk_free(). *out_tiles is 1 unless options->tiled. */
vtk_status vtk_encode_tokens(vtk_model *model, const uint8_t *rgb, int width, int height, int stride,
                             const vtk_encode_options *options, uint32_t **out_ids, int *out_tiles,
                             int *out_tokens);

/* Token ids of many whole images (not tiled), many images per network pass: the fast way to
 * tokenize a dataset into rows of one length. Every image is first stretched to the model's
 * resolution x resolution square, so each gets max_tokens ids whatever its size. Image i is rgb[i]
 * with widths[i], heights[i], strides[i]. tokens: -1 for all max_tokens, else 0 ... max_tokens.
 * On success *out_ids is a new buffer of count * tokens ids, image after image, released with
 * vtk_free(). The ids are vtk_encode_tokens' of the stretched square (for a model that fits every
 * image to its square, of the image itself), except that the network's float sums differ a little
 * with the batch: a value within rounding of a quantization boundary may come out on the other
 * side. A full-resolution model's base layer (its first 1536 ids) sees every image at a square
 * anyway: those ids match vtk_encode_tokens' for the image itself up to the same rounding. */
vtk_status vtk_encode_tokens_batch(vtk_model *model, int count, const uint8_t *const *rgb,
                                   const int *widths, const int *heights, const int *strides,
                                   int tokens, uint32_t **out_ids, int *out_tokens);

/* ---- Decoding -------------------------------------------------------------------------------- */

/* Decodes the bytes of a .vtok file to an image of the size it was encoded from. A file cut short
 * (a partial download, head -c) decodes to its longest complete token prefix. On success *out_rgb
 * is a new buffer of (*out_width) * (*out_height) * 3 bytes, released with vtk_free(). */
vtk_status vtk_decode(vtk_model *model, const uint8_t *data, size_t size, uint8_t **out_rgb,
                      int *out_width, int *out_height);

/* Decodes raw token ids (for example sampled by a generative model) to a width x height image.
 * ids holds tiles * tokens ids, tile after tile; tiled == 0 needs tiles == 1, tiled == 1 needs
 * tiles equal to the number of resolution-sized tiles covering width x height. tokens may be fewer
 * than vtk_model_token_count(width, height) (a prefix). A full-resolution model reads the ids as
 * those of a width x height image (its detail tokens are laid out over that size), so decode at
 * the size they were encoded from. On success *out_rgb is a new buffer of width * height * 3 bytes,
 * released with vtk_free(). */
vtk_status vtk_decode_tokens(vtk_model *model, const uint32_t *ids, int tiles, int tokens,
                             int width, int height, int tiled, uint8_t **out_rgb);

/* Decodes count token sequences of `tokens` ids each (at most max_tokens: whole images, not tiled,
 * as vtk_encode_tokens_batch gives them), many per network pass: each is decoded as a
 * resolution x resolution square and stretched to width x height. On success *out_rgb is a new buffer of
 * count * height * width * 3 bytes, image after image, released with vtk_free(). A pixel may differ
 * by 1 from vtk_decode_tokens' (float sums differ a little with the batch). */
vtk_status vtk_decode_tokens_batch(vtk_model *model, int count, const uint32_t *ids, int tokens,
                                   int width, int height, uint8_t **out_rgb);

/* ---- File information ------------------------------------------------------------------------ */

typedef struct vtk_file_info {
    int32_t width;            /* the encoded image's size in pixels */
    int32_t height;
    int32_t tiled;            /* 0: one token sequence for the whole image; 1: tiles */
    int32_t tile_size;        /* tile side in pixels when tiled, else 0 */
    int32_t tiles;            /* token sequences in the file (1 unless tiled) */
    int32_t tokens;           /* complete tokens per tile present in the data */
    int32_t declared_tokens;  /* tokens per tile the file was written with (more when cut short) */
    int32_t bits_per_token;
    uint8_t model_id[4];      /* the model that wrote the file */
    int32_t matches_model;    /* 1 when model_id is the given model's, so vtk_decode will accept it */
} vtk_file_info;

/* Reads a .vtok file's description without running the network. */
vtk_status vtk_get_info(vtk_model *model, const uint8_t *data, size_t size, vtk_file_info *out_info);

/* ---- Image files (conveniences) -------------------------------------------------------------- */

/* Reads a PNG or JPEG file as RGB (alpha composited onto white, 16-bit samples rounded). On success
 * *out_rgb is a new buffer of width * height * 3 bytes, released with vtk_free(). */
vtk_status vtk_image_load(const char *path, uint8_t **out_rgb, int *out_width, int *out_height);

/* The same from the bytes of a PNG or JPEG file in memory (size bytes at data). */
vtk_status vtk_image_decode(const uint8_t *data, size_t size, uint8_t **out_rgb, int *out_width, int *out_height);

/* Writes an RGB image as a PNG file. */
vtk_status vtk_image_write_png(const char *path, const uint8_t *rgb, int width, int height, int stride);

#ifdef __cplusplus
}
#endif

#endif /* VTOK_C_API_H */
