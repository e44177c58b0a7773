// PNG and JPEG through libpng and libjpeg(-turbo), behind plain status codes.
//
// Both libraries report errors by longjmp. Every setjmp lives in these functions, so a failure never
// unwinds a Swift frame: it comes back as a vtok_status plus a message. Buffers handed out are
// malloc'd and released with vtok_codec_free.
#ifndef VTOK_CODECS_H
#define VTOK_CODECS_H

#include <stddef.h>
#include <stdint.h>

typedef enum vtok_status {
    VTOK_OK = 0,
    VTOK_CORRUPT = 1,      // the library rejected the data; message says why
    VTOK_TRUNCATED = 2,    // the data ended early
    VTOK_TOO_LARGE = 3,    // width * height exceeds max_pixels; width and height are set, nothing allocated
    VTOK_UNSUPPORTED = 4,  // valid but not handled (CMYK/YCCK JPEG, 12-bit JPEG, ...)
    VTOK_OUT_OF_MEMORY = 5,
    VTOK_ENCODE_FAILED = 6, // bad parameters or a library failure while writing; message says why
} vtok_status;

enum { VTOK_MESSAGE_CAPACITY = 256 };

/// A decoded image: 8 bits per sample, rows top to bottom, no padding.
typedef struct vtok_decoded {
    uint8_t *pixels;   // malloc'd; NULL unless the status is VTOK_OK
    uint32_t width;    // set from the header, also for VTOK_TOO_LARGE
    uint32_t height;
    uint32_t channels; // 3: RGB; 4: RGBA with straight (non-premultiplied) alpha
    char message[VTOK_MESSAGE_CAPACITY];
} vtok_decoded;

typedef struct vtok_encoded {
    uint8_t *bytes;    // malloc'd; NULL unless the status is VTOK_OK
    size_t size;
    char message[VTOK_MESSAGE_CAPACITY];
} vtok_encoded;

void vtok_codec_free(void *buffer);

// MARK: PNG

/// Decodes any PNG (1-16 bit gray, gray+alpha, RGB, RGBA, palette, tRNS, interlaced) to 8-bit RGB,
/// or RGBA when the image carries alpha (an alpha channel or a tRNS chunk). 16-bit samples are
/// rounded to 8 bit. Gamma, ICC and other ancillary chunks are ignored. The header is checked
/// against max_pixels before anything image-sized is allocated.
vtok_status vtok_png_decode(const uint8_t *data, size_t size, uint64_t max_pixels, vtok_decoded *out);

/// PNG colour types, numbered as in the PNG specification.
typedef enum vtok_png_color {
    VTOK_PNG_GRAY = 0,
    VTOK_PNG_RGB = 2,
    VTOK_PNG_PALETTE = 3,
    VTOK_PNG_GRAY_ALPHA = 4,
    VTOK_PNG_RGBA = 6,
} vtok_png_color;

typedef struct vtok_png_layout {
    uint32_t width;
    uint32_t height;
    vtok_png_color color;
    int bit_depth;              // 1, 2, 4, 8 or 16, as the PNG specification allows for the colour type
    int interlaced;             // nonzero: Adam7
    const uint8_t *palette_rgb; // VTOK_PNG_PALETTE: palette_entries RGB triples
    int palette_entries;
    const uint8_t *palette_alpha; // optional tRNS for a palette: one alpha per entry
    int palette_alpha_entries;
} vtok_png_layout;

/// Encodes rows already in PNG sample layout: packed rows of ceil(width * channels * bit_depth / 8)
/// bytes, 16-bit samples big-endian. RGB8 is the everyday case; the other layouts exist so tests can
/// produce every PNG flavour.
vtok_status vtok_png_encode(const uint8_t *rows, size_t rows_size, const vtok_png_layout *layout,
                            vtok_encoded *out);

// MARK: JPEG

/// Decodes a baseline or progressive 8-bit JPEG with 1 or 3 components to RGB8
/// (grayscale is replicated into R, G, B). CMYK and YCCK are refused with VTOK_UNSUPPORTED. A file
/// that ends early is VTOK_TRUNCATED rather than the gray fill libjpeg would produce. Other
/// libjpeg warnings (e.g. extraneous bytes between markers) are tolerated, as most decoders do.
vtok_status vtok_jpeg_decode(const uint8_t *data, size_t size, uint64_t max_pixels, vtok_decoded *out);

typedef enum vtok_jpeg_color {
    VTOK_JPEG_RGB_AS_YCBCR = 0, // 3-channel input, stored as YCbCr: the normal case
    VTOK_JPEG_RGB_AS_GRAY = 1,  // 3-channel input, stored as a 1-component grayscale JPEG
    VTOK_JPEG_CMYK = 2,         // 4-channel input, stored as CMYK (test fixtures)
    VTOK_JPEG_CMYK_AS_YCCK = 3, // 4-channel input, stored as YCCK (test fixtures)
} vtok_jpeg_color;

typedef struct vtok_jpeg_options {
    int quality;          // 1...100, libjpeg's standard quantisation table scaling
    int optimize_huffman; // nonzero: two-pass optimal Huffman tables
    int subsample_420;    // nonzero: chroma 4:2:0; zero: 4:4:4
    int progressive;      // nonzero: libjpeg's standard progressive script
    vtok_jpeg_color color;
} vtok_jpeg_options;

/// Encodes interleaved 8-bit pixels (3 or 4 channels according to options->color).
vtok_status vtok_jpeg_encode(const uint8_t *pixels, size_t pixels_size, uint32_t width, uint32_t height,
                             const vtok_jpeg_options *options, vtok_encoded *out);

#endif
