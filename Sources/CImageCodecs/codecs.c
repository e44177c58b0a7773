#include "vtok_codecs.h"
int vtok_codecs_placeholder(void) { return 0; }
