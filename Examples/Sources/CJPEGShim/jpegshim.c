#include "jpegshim.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>

// The error manager: libjpeg's standard one, plus where to jump and the first message.
struct shim_error {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    char *message;
    int warned;
};

static void shim_error_exit(j_common_ptr info) {
    struct shim_error *error = (struct shim_error *)info->err;
    info->err->format_message(info, error->message);
    longjmp(error->jump, 1);
}

// Keeps the first warning's text instead of printing it to stderr.
static void shim_emit_message(j_common_ptr info, int level) {
    struct shim_error *error = (struct shim_error *)info->err;
    if (level < 0 && !error->warned) {
        error->warned = 1;
        info->err->format_message(info, error->message);
    }
}

static void shim_install(struct shim_error *error, char *message) {
    jpeg_std_error(&error->base);
    error->base.error_exit = shim_error_exit;
    error->base.emit_message = shim_emit_message;
    error->message = message;
    error->warned = 0;
    message[0] = 0;
}

int jpegshim_decode(const unsigned char *data, size_t size, int components,
                    unsigned char **pixels, int *width, int *height,
                    char message[JPEGSHIM_MESSAGE_SIZE]) {
    struct jpeg_decompress_struct info;
    struct shim_error error;
    // volatile: read after a longjmp.
    unsigned char *volatile buffer = NULL;
    *pixels = NULL;
    info.err = &error.base;
    shim_install(&error, message);
    if (setjmp(error.jump)) {
        jpeg_destroy_decompress(&info);
        free(buffer);
        return -1;
    }
    jpeg_create_decompress(&info);
    jpeg_mem_src(&info, data, (unsigned long)size);
    jpeg_read_header(&info, TRUE);
    info.out_color_space = components == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&info);
    size_t stride = (size_t)info.output_width * (size_t)info.output_components;
    buffer = malloc(stride * info.output_height);
    if (buffer == NULL) {
        snprintf(message, JPEGSHIM_MESSAGE_SIZE, "out of memory for %ux%u pixels", info.output_width, info.output_height);
        jpeg_destroy_decompress(&info);
        return -1;
    }
    while (info.output_scanline < info.output_height) {
        JSAMPROW row = buffer + stride * info.output_scanline;
        jpeg_read_scanlines(&info, &row, 1);
    }
    jpeg_finish_decompress(&info);
    *width = (int)info.output_width;
    *height = (int)info.output_height;
    jpeg_destroy_decompress(&info);
    if (error.warned) {
        free(buffer);
        return -1;
    }
    *pixels = buffer;
    return 0;
}

int jpegshim_encode(const unsigned char *pixels, int width, int height, int components, int quality,
                    unsigned char **jpeg, size_t *jpeg_size,
                    char message[JPEGSHIM_MESSAGE_SIZE]) {
    struct jpeg_compress_struct info;
    struct shim_error error;
    unsigned char *volatile output = NULL;
    unsigned long output_size = 0;
    *jpeg = NULL;
    *jpeg_size = 0;
    info.err = &error.base;
    shim_install(&error, message);
    if (setjmp(error.jump)) {
        jpeg_destroy_compress(&info);
        free(output);
        return -1;
    }
    jpeg_create_compress(&info);
    jpeg_mem_dest(&info, (unsigned char **)&output, &output_size);
    info.image_width = (JDIMENSION)width;
    info.image_height = (JDIMENSION)height;
    info.input_components = components;
    info.in_color_space = components == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&info);
    jpeg_set_quality(&info, quality, TRUE);
    jpeg_start_compress(&info, TRUE);
    size_t stride = (size_t)width * (size_t)components;
    while (info.next_scanline < info.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + stride * info.next_scanline);
        jpeg_write_scanlines(&info, &row, 1);
    }
    jpeg_finish_compress(&info);
    jpeg_destroy_compress(&info);
    *jpeg = output;
    *jpeg_size = output_size;
    return 0;
}

void jpegshim_free(void *buffer) {
    free(buffer);
}
