// Package contract holds the contract test suite that runs the same cases
// against every payout channel and every payment gateway through the sandbox
// over real HTTP. The suite lives in this package's _test.go files: each
// adapter adds its row from its own file, e.g.
//
//	func init() { payoutCases = append(payoutCases, payoutCase{Name: "iris", ...}) }
//	func init() { paymentCases = append(paymentCases, paymentCase{Name: "midtrans", ...}) }
//
// Run it with: go test -race ./gateways/contract/
package contract
