//go:build !unix

package main

import "time"

// cpuTime is not measured here: the rate is given per wall-clock second only.
func cpuTime() time.Duration { return 0 }
