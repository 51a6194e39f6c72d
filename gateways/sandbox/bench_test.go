package sandbox

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkH2HRequestWithPending: one H2H balance request while 10,000 H2H
// transactions are in progress. Each request first applies due status
// changes; with the transactions reporting their next due time it skips the
// scan of all 10,000 until one is due.
func BenchmarkH2HRequestWithPending(b *testing.B) {
	s := New(Config{Step: time.Hour, MaxObjects: 20_000, StartBalance: 1 << 62})
	for i := range 10_000 {
		s.h2hDo(h2hRequest{product: "GOPAY", dest: "0812", qty: "10000", refID: fmt.Sprintf("B%05d", i)}, Fault{})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if code, _ := s.h2hDo(h2hRequest{balance: true}, Fault{}); code != 200 {
			b.Fatal(code)
		}
	}
}
