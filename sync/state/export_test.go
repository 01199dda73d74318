package state

// PgClearDelivered is the statement that clears delivered records' rejects.
const PgClearDelivered = pgClearDelivered

// PgClearSettings is what CommitBatch sets before clearing them.
const PgClearSettings = pgClearSettings
