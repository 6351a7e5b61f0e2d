// Thumbnails: placeholder
