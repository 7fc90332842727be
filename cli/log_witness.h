/* log_witness.h: the `vitrine log witness` verb (cli/log_witness.c), called from cli/log.c. */
#ifndef VITRINE_CLI_LOG_WITNESS_H
#define VITRINE_CLI_LOG_WITNESS_H

int log_witness(const char *dir, const char *key_path, const char *const *urls, int count);

#endif
