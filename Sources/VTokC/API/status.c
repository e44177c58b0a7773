// The parts of the C API that need no Swift: status messages and option defaults.
#include "vtok.h"

const char *vtk_status_message(vtk_status status) {
    switch (status) {
    case VTK_OK: return "success";
    case VTK_INVALID_ARGUMENT: return "invalid argument";
    case VTK_BAD_DATA: return "bad input data: not a .vtok file or image, corrupt, or unsupported";
    case VTK_MODEL_NOT_FOUND: return "model not found";
    case VTK_MODEL_INVALID: return "invalid model weights";
    case VTK_MODEL_MISMATCH: return "the data was encoded by another model";
    case VTK_OUT_OF_MEMORY: return "out of memory";
    case VTK_IO_ERROR: return "file could not be written";
    case VTK_INTERNAL_ERROR: return "internal error";
    }
    return "unknown status";
}

void vtk_encode_options_init(vtk_encode_options *options) {
    if (!options) return;
    options->tokens = -1;
    options->max_bytes = 0;
    options->target_psnr = 0;
    options->tiled = 0;
}
