#ifndef JPEGSHIM_H
#define JPEGSHIM_H

#include <stddef.h>

// libjpeg reports a fatal error by calling error_exit, which must not return: the usual answer
// is setjmp/longjmp, which Swift cannot use. These two functions keep the setjmp in C and turn
// every libjpeg error into a return code plus libjpeg's own message.

/// Room for a message: libjpeg's JMSG_LENGTH_MAX.
#define JPEGSHIM_MESSAGE_SIZE 200

/// Decodes the JPEG in `data` to 8-bit pixels of `components` channels (3: RGB, 1: gray) in a
/// buffer malloc'ed for the caller (free it with jpegshim_free). Warnings (corrupt data,
/// a premature end of file) count as errors: the image would be partly gray.
/// Returns 0, or -1 with the reason in `message`.
int jpegshim_decode(const unsigned char *data, size_t size, int components,
                    unsigned char **pixels, int *width, int *height,
                    char message[JPEGSHIM_MESSAGE_SIZE]);

/// Encodes `width` x `height` pixels of `components` channels (3: RGB, 1: gray) at `quality`
/// (1-100) into a buffer malloc'ed for the caller (free it with jpegshim_free).
/// Returns 0, or -1 with the reason in `message`.
int jpegshim_encode(const unsigned char *pixels, int width, int height, int components, int quality,
                    unsigned char **jpeg, size_t *jpeg_size,
                    char message[JPEGSHIM_MESSAGE_SIZE]);

void jpegshim_free(void *buffer);

#endif
