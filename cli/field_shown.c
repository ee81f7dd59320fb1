/* See field_shown.h. */
#include "field_shown.h"

#include <string.h>

const char *cli_field_shown(const char *field, char buf[CLI_FIELD_SHOWN]) {
  size_t n = 0;
  for (; field[n] && n < 64; n++) {
    unsigned char ch = (unsigned char)field[n];
    buf[n] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
  }
  if (field[n]) {
    while (n > 0 && ((unsigned char)field[n] & 0xC0) == 0x80) n--;
    memcpy(buf + n, "...", 3);
    n += 3;
  }
  buf[n] = '\0';
  return buf;
}
