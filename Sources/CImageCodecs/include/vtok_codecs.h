// Placeholder until the image I/O lands.
int vtok_codecs_placeholder(void);
