// libFuzzer target for the PNG or the JPEG reader: the C shims in Sources/CImageCodecs, exactly as
// VTokImage calls them (built with -DVTOK_FUZZ_PNG or -DVTOK_FUZZ_JPEG; fuzz/run.sh builds both).
//
// Checked on every input: no crash, no sanitizer report (ASan, UBSan), no hang, and memory within
// the pixel limit: a successful decode returns exactly width*height*channels bytes, with channels
// 3 or 4 and a size within the limit given.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "vtok_codecs.h"

// 1 megapixel: 4 MB of output at most, so -rss_limit_mb stays meaningful and inputs stay fast.
#define VTOK_FUZZ_MAX_PIXELS (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    vtok_decoded decoded = {0};
#if defined(VTOK_FUZZ_PNG)
    vtok_status status = vtok_png_decode(data, size, VTOK_FUZZ_MAX_PIXELS, &decoded);
#elif defined(VTOK_FUZZ_JPEG)
    vtok_status status = vtok_jpeg_decode(data, size, VTOK_FUZZ_MAX_PIXELS, &decoded);
#else
#error "define VTOK_FUZZ_PNG or VTOK_FUZZ_JPEG"
#endif
    if (status == VTOK_OK) {
        uint64_t pixels = (uint64_t)decoded.width * decoded.height;
        if (decoded.pixels == NULL || pixels == 0 || pixels > VTOK_FUZZ_MAX_PIXELS ||
            (decoded.channels != 3 && decoded.channels != 4)) {
            fprintf(stderr, "decoded %ux%u x%d: outside the contract\n", decoded.width, decoded.height, decoded.channels);
            abort();
        }
        // Touch both ends: a buffer shorter than promised is an ASan report here. (Not every byte:
        // an instrumented loop over megabytes made each input 10x slower.)
        volatile uint8_t ends = decoded.pixels[0];
        ends ^= decoded.pixels[pixels * (uint64_t)decoded.channels - 1];
        (void)ends;
    } else if (decoded.pixels != NULL) {
        fprintf(stderr, "status %d with pixels: the caller would leak or misuse them\n", (int)status);
        abort();
    }
    vtok_codec_free(decoded.pixels);
    return 0;
}
