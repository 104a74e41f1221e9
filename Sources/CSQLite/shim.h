#ifndef KRUISE_SIM_CSQLITE_SHIM_H
#define KRUISE_SIM_CSQLITE_SHIM_H
#include <sqlite3.h>

/// SQLITE_TRANSIENT is a macro Swift cannot import: bind text that SQLite copies at once.
static inline int csqlite_bind_text(sqlite3_stmt *stmt, int index, const char *text) {
    return sqlite3_bind_text(stmt, index, text, -1, SQLITE_TRANSIENT);
}
#endif
