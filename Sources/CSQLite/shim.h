#ifndef KRUISE_SIM_CSQLITE_SHIM_H
#define KRUISE_SIM_CSQLITE_SHIM_H
#include <sqlite3.h>
#include <string.h>

/// SQLITE_TRANSIENT is a macro Swift cannot import: bind text that SQLite copies at once.
static inline int csqlite_bind_text(sqlite3_stmt *stmt, int index, const char *text) {
    return sqlite3_bind_text(stmt, index, text, -1, SQLITE_TRANSIENT);
}

/// Bind `length` bytes that need no terminating NUL (a Swift string's UTF-8) without copying them
/// (SQLITE_STATIC): the caller keeps them alive and unchanged until the statement has been stepped
/// and reset. The text still ends at the first NUL, as with the NUL-terminated form. A null pointer
/// (an empty buffer) is the empty string, not SQL NULL.
static inline int csqlite_bind_text_static(sqlite3_stmt *stmt, int index, const char *text, int length) {
    if (text == 0) return sqlite3_bind_text(stmt, index, "", 0, SQLITE_STATIC);
    const char *nul = memchr(text, 0, (size_t)length);
    return sqlite3_bind_text(stmt, index, text, nul ? (int)(nul - text) : length, SQLITE_STATIC);
}
#endif
