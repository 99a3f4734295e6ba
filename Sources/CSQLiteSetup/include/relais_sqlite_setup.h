#ifndef RELAIS_SQLITE_SETUP_H
#define RELAIS_SQLITE_SETUP_H

/// Turns off SQLite's memory statistics for the whole process. With them on (Debian's
/// default), every allocation and free inside SQLite takes one global mutex: about a
/// tenth of an import's SQLite time. Nothing in Relais reads the statistics.
///
/// sqlite3_config is variadic, which Swift cannot call. It only takes effect before
/// SQLite initialises: call this first thing in a process, before any thread opens a
/// database. Returns 1 when the setting took effect, 0 when SQLite was already in use.
int relais_sqlite_disable_memory_statistics(void);

#endif
