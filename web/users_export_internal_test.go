package web

// Exports in tests read 2 users at a time, so every export crosses pages.
func init() { exportPageSize = 2 }
