/* Data files compiled into the binary by scripts/embed.py (see meson.build). */
#ifndef AP_EMBEDDED_H
#define AP_EMBEDDED_H
#include <stddef.h>
extern const unsigned char model_egov_kz[];
extern const size_t model_egov_kz_len;
extern const unsigned char demo_kz[];
extern const size_t demo_kz_len;
extern const unsigned char rights_kz[];
extern const size_t rights_kz_len;
extern const unsigned char calendar_kz[];
extern const size_t calendar_kz_len;
/* the demo's register of trusted software, as its keeper publishes it */
extern const unsigned char demo_trusted_csv[];
extern const size_t demo_trusted_csv_len;
#endif
