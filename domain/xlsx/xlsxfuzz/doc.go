// Package xlsxfuzz holds the fuzz targets of lunas/domain/xlsx that need
// only its exported API (ReadTable on xlsx files, ParseMapping). They live
// here so that their test binary does not link SQLite, which the xlsx
// package's own tests use: every fuzz execution clears and scans the
// coverage counters of everything linked, and SQLite's translated C made
// that cost milliseconds per execution (FuzzParseMapping: 24,863
// executions in 30 s there, 135,302 here, same machine and load).
package xlsxfuzz
