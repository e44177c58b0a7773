"""vtok.h is plain C that a C program compiles against and links with libvtok_c (skipped without cc)."""
import os
import pathlib
import shutil
import subprocess

import pytest

import vtok

HEADER_DIR = pathlib.Path(__file__).resolve().parents[2] / "Sources" / "VTokC" / "API" / "include"

PROGRAM = r"""
#include <stdio.h>
#include <stdlib.h>
#include "vtok.h"

int main(void) {
    vtk_model *model = NULL;
    if (vtk_model_load(NULL, &model) != VTK_OK) { fprintf(stderr, "%s\n", vtk_last_error()); return 1; }
    int width = 40, height = 30;
    uint8_t *rgb = malloc((size_t)width * height * 3);
    for (int i = 0; i < width * height * 3; i++) rgb[i] = (uint8_t)(i * 7);
    vtk_encode_options options;
    vtk_encode_options_init(&options);
    options.tokens = 16;
    uint8_t *data = NULL;
    size_t size = 0;
    if (vtk_encode(model, rgb, width, height, width * 3, &options, &data, &size) != VTK_OK) return 2;
    vtk_file_info info;
    if (vtk_get_info(model, data, size, &info) != VTK_OK || info.tokens != 16 || !info.matches_model) return 3;
    uint8_t *pixels = NULL;
    int w = 0, h = 0;
    if (vtk_decode(model, data, size, &pixels, &w, &h) != VTK_OK || w != width || h != height) return 4;
    vtk_status status = vtk_decode(model, rgb, 10, &pixels, &w, &h);
    printf("%d %zu %d %s | %s\n", vtk_version(), size, status, vtk_status_message(status), vtk_last_error());
    vtk_free(pixels);
    vtk_free(data);
    free(rgb);
    vtk_model_free(model);
    return 0;
}
"""


@pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler")
def test_a_c_program_compiles_links_and_runs(tmp_path):
    library = pathlib.Path(vtok.library_path())
    source = tmp_path / "example.c"
    source.write_text(PROGRAM)
    binary = tmp_path / "example"
    subprocess.run(["cc", "-std=c99", "-Wall", "-Werror", "-I", str(HEADER_DIR), str(source), "-o", str(binary),
                    str(library), f"-Wl,-rpath,{library.parent}"], check=True)
    result = subprocess.run([str(binary)], capture_output=True, text=True, env=dict(os.environ))
    assert result.returncode == 0, result.stderr
    version, size, status, rest = result.stdout.split(" ", 3)
    assert version == str(0x000200) and int(size) > 28 and status == "2"
    assert "bad input data" in rest and "not a .vtok file" in rest
