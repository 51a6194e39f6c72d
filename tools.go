//go:build tools

// Pins planned dependencies in go.mod while the packages that use them are
// being written. Removed once every one is imported for real.
package main

import (
	_ "fyne.io/fyne/v2/test"
	_ "github.com/emersion/go-smtp"
	_ "github.com/go-resty/resty/v2"
	_ "github.com/pquerna/otp/totp"
	_ "github.com/wneessen/go-mail"
	_ "github.com/xuri/excelize/v2"
	_ "github.com/zalando/go-keyring"
	_ "golang.org/x/crypto/argon2"
	_ "golang.org/x/time/rate"
	_ "modernc.org/sqlite"
)
