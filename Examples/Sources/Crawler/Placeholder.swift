// Crawler: placeholder
